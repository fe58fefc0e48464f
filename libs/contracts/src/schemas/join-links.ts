import { Type, type Static } from 'typebox';
import { Email, InviteToken, Timestamp, Uuid } from './common.ts';
import { AddressCode, AddressProof, Password, Username } from './invites.ts';

/**
 * Join links: a multi-use link an organisation's admin shares (a chat, a wiki page) so
 * that people can join without an invite each. The token is shown once, when the link
 * is created, and stored only as its SHA-256, like an invite's. Each join takes a seat
 * under the same rule as accepting an invite, counts one use, and is audited.
 */
const strict = { additionalProperties: false } as const;

/** Roles a join link can grant: never owner, and never above the role of whoever creates it. */
export const joinLinkRoles = ['admin', 'member'] as const;
export const JoinLinkRole = Type.Enum(joinLinkRoles, { description: 'Role granted to whoever joins: member or admin (never owner, never above your own)' });
export type JoinLinkRole = Static<typeof JoinLinkRole>;

/**
 * Where a link stands: `active` (joins work), `paused` (an admin stopped it for now),
 * `revoked` (stopped for good), `expired`, `used_up` (max uses reached).
 */
export const joinLinkStates = ['active', 'paused', 'revoked', 'expired', 'used_up'] as const;
export const JoinLinkState = Type.Enum(joinLinkStates, {
  description: 'active: joins work; paused: stopped for now, can resume; revoked: stopped for good; expired: past its expiry; used_up: every use taken',
});
export type JoinLinkState = Static<typeof JoinLinkState>;

/** An email domain, such as example.com (compared in lower case, exactly: a subdomain is another domain). */
export const EmailDomain = Type.String({
  minLength: 3,
  maxLength: 253,
  pattern: '^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,63}$',
  description: 'An email domain such as example.com: the part after @, matched exactly (a subdomain is another domain)',
});

/** The longest expiry a join link may have: 90 days. */
export const joinLinkMaxHours = 90 * 24;
/** A join link's expiry when none is given: 7 days. */
export const joinLinkDefaultHours = 7 * 24;

const Label = Type.String({ minLength: 1, maxLength: 100, description: 'A name for the people who manage it, e.g. "Onboarding" (shown in the audit log and on the join page)' });
const MaxUses = Type.Integer({ minimum: 1, maximum: 100_000, description: 'How many people may join through it (1 to 100000); absent: as many as the seats allow' });
const AllowedDomains = Type.Array(EmailDomain, {
  maxItems: 50,
  description: 'Only people whose email address is at one of these domains may join (case-insensitive); empty or absent: any address',
});

/** Body of `POST /v1/orgs/:orgId/join-links`. */
export const NewJoinLink = Type.Object(
  {
    /** Role granted to whoever joins. */
    role: JoinLinkRole,
    /** A name for the link. */
    label: Type.Optional(Label),
    /** How many joins it allows; absent: no cap but the seats. */
    maxUses: Type.Optional(MaxUses),
    /** Hours until it stops working (1 to 2160, default 168: a week). */
    expiresInHours: Type.Optional(Type.Integer({ minimum: 1, maximum: joinLinkMaxHours, description: `Hours until the link stops working (1 to ${joinLinkMaxHours}, default ${joinLinkDefaultHours}: a week)` })),
    /** Email domains allowed to join; empty: any. */
    allowedDomains: Type.Optional(AllowedDomains),
  },
  strict,
);
export type NewJoinLink = Static<typeof NewJoinLink>;

/** `join-link.create` request. */
export const CreateJoinLinkRequest = Type.Object({ orgId: Uuid, ...NewJoinLink.properties }, strict);
export type CreateJoinLinkRequest = Static<typeof CreateJoinLinkRequest>;

/** Request naming one join link of one organisation. */
export const JoinLinkRef = Type.Object(
  {
    /** Organisation. */
    orgId: Uuid,
    /** Join link. */
    joinLinkId: Uuid,
  },
  strict,
);
export type JoinLinkRef = Static<typeof JoinLinkRef>;

/** Body of `PATCH /v1/orgs/:orgId/join-links/:joinLinkId`. */
export const JoinLinkPatch = Type.Object(
  {
    /** true pauses the link (joins are refused until it resumes); false resumes it. */
    paused: Type.Boolean({ description: 'true pauses the link (joins are refused until it resumes); false resumes it. A revoked link stays revoked' }),
  },
  strict,
);
export type JoinLinkPatch = Static<typeof JoinLinkPatch>;

/** `join-link.update` request. */
export const UpdateJoinLinkRequest = Type.Object({ ...JoinLinkRef.properties, ...JoinLinkPatch.properties }, strict);
export type UpdateJoinLinkRequest = Static<typeof UpdateJoinLinkRequest>;

/** A join link as admins see it. The token is never part of it. */
export const JoinLinkView = Type.Object(
  {
    /** Join link id. */
    id: Uuid,
    /** Organisation. */
    orgId: Uuid,
    /** Its name, if it was given one. */
    label: Type.Union([Type.String(), Type.Null()]),
    /** Role granted to whoever joins. */
    role: JoinLinkRole,
    /** Where it stands now. */
    state: JoinLinkState,
    /** How many people joined through it. */
    uses: Type.Integer({ minimum: 0 }),
    /** How many may; null: as many as the seats allow. */
    maxUses: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
    /** Email domains allowed to join, lower case; empty: any. */
    allowedDomains: Type.Array(Type.String()),
    /** When it stops working. */
    expiresAt: Timestamp,
    /** Who created it. */
    createdBy: Type.Union([Uuid, Type.Null()]),
    /** Their name, while they have an account. */
    createdByName: Type.Union([Type.String(), Type.Null()]),
    /** When it was created. */
    createdAt: Timestamp,
    /** When it was paused; null unless paused. */
    pausedAt: Type.Union([Timestamp, Type.Null()]),
    /** When it was revoked; null unless revoked. */
    revokedAt: Type.Union([Timestamp, Type.Null()]),
    /** When someone last joined through it. */
    lastUsedAt: Type.Union([Timestamp, Type.Null()]),
  },
  strict,
);
export type JoinLinkView = Static<typeof JoinLinkView>;

/** `join-link.create` reply: the link and its URL, holding the token, shown this once. */
export const JoinLinkWithUrl = Type.Object(
  {
    /** The link. */
    joinLink: JoinLinkView,
    /** The URL to share: `<APP_BASE_URL>/join#token=…`. Shown once; only its hash is kept. */
    url: Type.String({ format: 'uri' }),
  },
  strict,
);
export type JoinLinkWithUrl = Static<typeof JoinLinkWithUrl>;

/** `join-link.list` reply: the organisation's join links, newest first. */
export const JoinLinkList = Type.Object(
  {
    /** The links, revoked and expired ones included. */
    items: Type.Array(JoinLinkView),
  },
  strict,
);
export type JoinLinkList = Static<typeof JoinLinkList>;

/** `join.lookup` request: what a join link's holder sends before joining. */
export const JoinLookupRequest = Type.Object(
  {
    /** The token from the link. */
    token: InviteToken,
  },
  strict,
);
export type JoinLookupRequest = Static<typeof JoinLookupRequest>;

/** What the holder of a join link may see before joining. */
export const JoinLookup = Type.Object(
  {
    /** Organisation id. */
    orgId: Uuid,
    /** Organisation name. */
    orgName: Type.String(),
    /** The organisation's logo (https), if it set one. */
    logoUrl: Type.Union([Type.String(), Type.Null()]),
    /** The link's name, if it has one. */
    label: Type.Union([Type.String(), Type.Null()]),
    /** Role granted on joining. */
    role: JoinLinkRole,
    /** When the link stops working. */
    expiresAt: Timestamp,
    /** Whether joining can work now (seats aside, which are counted when joining). */
    usable: Type.Boolean(),
    /** Why not, as an error code (JOIN_LINK_PAUSED, JOIN_LINK_REVOKED, JOIN_LINK_EXPIRED, JOIN_LINK_USED_UP); null when usable. */
    unusableCode: Type.Union([Type.String(), Type.Null()]),
    /** Why not, as a sentence; null when usable. */
    unusableReason: Type.Union([Type.String(), Type.Null()]),
    /** Email domains allowed to join, lower case; empty: any. */
    allowedDomains: Type.Array(Type.String()),
    /** The domain rule as a sentence ("Only addresses at example.com can join."); null when any address may. */
    domainRule: Type.Union([Type.String(), Type.Null()]),
    /** For a signed-in caller: whether their address may join, and whether they are a member already; null otherwise. */
    you: Type.Union([
      Type.Object(
        {
          /** The signed-in account's address. */
          email: Email,
          /** Whether that address is at an allowed domain. */
          domainAllowed: Type.Boolean(),
          /** Whether the account is a member of the organisation already. */
          alreadyMember: Type.Boolean(),
        },
        strict,
      ),
      Type.Null(),
    ]),
  },
  strict,
);
export type JoinLookup = Static<typeof JoinLookup>;

/**
 * `join.join` request. A signed-in caller joins with their account. Without one, an
 * account is created for `email` from name, username and password, and only with the
 * address `proof` for that email and this link (from a confirmed emailed code).
 */
export const JoinRequest = Type.Object(
  {
    /** The token from the link. */
    token: InviteToken,
    /** Address of the new account (not signed in). */
    email: Type.Optional(Email),
    /** Display name of the new account. */
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    /** Username of the new account. */
    username: Type.Optional(Username),
    /** Password of the new account. */
    password: Type.Optional(Password),
    /** The proof from POST /v1/join-links/verify-email/confirm that `email` is the holder's. */
    proof: Type.Optional(AddressProof),
  },
  strict,
);
export type JoinRequest = Static<typeof JoinRequest>;

/** `join.send-code` request: email a six-digit code to the address the holder wants to join with. */
export const JoinCodeRequest = Type.Object(
  {
    /** The token from the link. */
    token: InviteToken,
    /** The address to prove; must be at an allowed domain. */
    email: Email,
  },
  strict,
);
export type JoinCodeRequest = Static<typeof JoinCodeRequest>;

/** `join.confirm-code` request. */
export const JoinConfirmRequest = Type.Object(
  {
    /** The token from the link. */
    token: InviteToken,
    /** The address the code was sent to. */
    email: Email,
    /** The code from the email. */
    code: AddressCode,
  },
  strict,
);
export type JoinConfirmRequest = Static<typeof JoinConfirmRequest>;

/** `join.confirm-code` reply: the address is proven for this link. */
export const JoinAddressConfirmed = Type.Object(
  {
    /** The proof, to send with the join. */
    proof: AddressProof,
    /** Whether an account exists for the address (then sign in and join instead). */
    accountExists: Type.Boolean(),
  },
  strict,
);
export type JoinAddressConfirmed = Static<typeof JoinAddressConfirmed>;
