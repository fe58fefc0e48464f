import { Type, type Static } from 'typebox';
import {
  Channel,
  Cursor,
  DeliveryStatus,
  Email,
  InviteStatus,
  InviteToken,
  Limit,
  Locale,
  MembershipView,
  Page,
  Phone,
  Role,
  Timestamp,
  UserView,
  Uuid,
} from './common.ts';
import { RedirectUrl } from './inbox.ts';

const strict = { additionalProperties: false } as const;

/** Delivery state of one channel of an invite. */
export const ChannelDelivery = Type.Object(
  {
    /** Where delivery stands. */
    status: DeliveryStatus,
    /** Attempts made for the current token version. */
    attempts: Type.Integer({ minimum: 0 }),
    /** Last provider error, if any. */
    lastError: Type.Union([Type.String(), Type.Null()]),
    /** When the provider accepted the message. */
    sentAt: Type.Union([Timestamp, Type.Null()]),
    /** The provider's id of the accepted message. */
    providerMessageId: Type.Union([Type.String(), Type.Null()]),
  },
  strict,
);
export type ChannelDelivery = Static<typeof ChannelDelivery>;

/** An invite as the API shows it. The token is never part of it. */
export const InviteView = Type.Object(
  {
    /** Invite id. */
    id: Uuid,
    /** Organisation the invite is for. */
    orgId: Uuid,
    /** Invited email address, lower case. */
    email: Email,
    /** Phone number for the SMS channel, if given. */
    phone: Type.Union([Phone, Type.Null()]),
    /** Role granted on acceptance. */
    role: Role,
    /** Lifecycle state. */
    status: InviteStatus,
    /** Locale of the messages sent to the invitee. */
    locale: Locale,
    /** Personal message from the inviter, if any. */
    message: Type.Union([Type.String(), Type.Null()]),
    /** User who sent the invite; null for the bootstrap owner invite. */
    invitedBy: Type.Union([Uuid, Type.Null()]),
    /** Increases with every resend; results for older versions are ignored. */
    tokenVersion: Type.Integer({ minimum: 1 }),
    /** When the link stops working. */
    expiresAt: Timestamp,
    /** When the invite was created. */
    createdAt: Timestamp,
    /** When the current link was issued (creation or last resend). */
    sentAt: Timestamp,
    /** When it was accepted, declined, withdrawn or expired. */
    closedAt: Type.Union([Timestamp, Type.Null()]),
    /** Account that accepted the invite. */
    acceptedUserId: Type.Union([Uuid, Type.Null()]),
    /** The channels it is delivered on; empty for a link the inviter shares themselves. */
    channels: Type.Array(Channel, { maxItems: 2 }),
    /** Per-channel delivery state. */
    delivery: Type.Object({ email: ChannelDelivery, sms: ChannelDelivery }, strict),
    /** Where the accept page sends the new member (its origin was on the org's allow-list when the invite was made), or null. */
    redirectUrl: Type.Union([Type.String(), Type.Null()]),
  },
  strict,
);
export type InviteView = Static<typeof InviteView>;

/** Fields of a new invite. */
export const NewInvite = Type.Object(
  {
    /** Who to invite. */
    email: Email,
    /** Phone number for SMS delivery. */
    phone: Type.Optional(Phone),
    /** Role granted on acceptance; at most the inviter's own. */
    role: Role,
    /** Hours until the link expires (1 to 720, default 48). */
    expiresInHours: Type.Optional(Type.Integer({ minimum: 1, maximum: 720 })),
    /**
     * Channels to deliver on; default email, plus sms when a phone is given. Empty: send
     * nothing; the link in the reply is for the inviter to share (chat, a QR code).
     */
    channels: Type.Optional(
      Type.Array(Channel, {
        maxItems: 2,
        uniqueItems: true,
        description: 'Channels to deliver on; default email, plus sms when a phone is given. [] sends nothing: share the link from the reply yourself',
      }),
    ),
    /** Locale of the messages (default en). */
    locale: Type.Optional(Locale),
    /** Personal message shown in the email, up to 500 characters. */
    message: Type.Optional(Type.String({ maxLength: 500 })),
    /** Page to send the new member to after accepting: an https URL whose origin is on the org's `redirectOrigins` (settings). */
    redirectUrl: Type.Optional(RedirectUrl),
  },
  strict,
);
export type NewInvite = Static<typeof NewInvite>;

/** `invite.create` request. */
export const CreateInviteRequest = Type.Object(
  {
    /** Organisation to invite into. */
    orgId: Uuid,
    /** The invite. */
    invite: NewInvite,
    /**
     * Makes the create idempotent per inviter and org: a repeat with the same key gets the
     * invite that key created (with its current link) instead of INVITE_ALREADY_PENDING.
     * The gateway sends a hash of the client's Idempotency-Key (never the key itself).
     */
    requestKey: Type.Optional(Type.String({ minLength: 43, maxLength: 43, pattern: '^[A-Za-z0-9_-]{43}$' })),
  },
  strict,
);
export type CreateInviteRequest = Static<typeof CreateInviteRequest>;

/** A created or re-sent invite with its link, shown only in this reply. */
export const InviteWithLink = Type.Object(
  {
    /** The invite. */
    invite: InviteView,
    /** The accept link; shown once. */
    acceptUrl: Type.String({ format: 'uri' }),
  },
  strict,
);
export type InviteWithLink = Static<typeof InviteWithLink>;

export const maxBulkRows = 1000;

/** `invite.bulk` request. */
export const BulkInviteRequest = Type.Object(
  {
    /** Organisation to invite into. */
    orgId: Uuid,
    /** Rows to create, at most 1000. */
    rows: Type.Array(Type.Unknown(), { minItems: 1, maxItems: maxBulkRows }),
  },
  strict,
);
export type BulkInviteRequest = Static<typeof BulkInviteRequest>;

/** Outcome of one bulk row. */
export const BulkRowResult = Type.Object(
  {
    /** Position of the row in the request, from 0. */
    row: Type.Integer({ minimum: 0 }),
    /** created, or failed with a code. */
    status: Type.Enum(['created', 'failed']),
    /** Email of the row, when it had one. */
    email: Type.Union([Type.String(), Type.Null()]),
    /** The created invite. */
    invite: Type.Optional(InviteView),
    /** Its accept link, shown once. */
    acceptUrl: Type.Optional(Type.String()),
    /** Why the row failed: an error code of the catalogue. */
    code: Type.Optional(Type.String()),
    /** Why the row failed, for a person. */
    detail: Type.Optional(Type.String()),
    /** Field problems of the row. */
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  strict,
);
export type BulkRowResult = Static<typeof BulkRowResult>;

/** `invite.bulk` reply. */
export const BulkInviteReply = Type.Object(
  {
    /** How many rows created an invite. */
    created: Type.Integer({ minimum: 0 }),
    /** How many rows failed. */
    failed: Type.Integer({ minimum: 0 }),
    /** One result per row, in request order. */
    results: Type.Array(BulkRowResult),
  },
  strict,
);
export type BulkInviteReply = Static<typeof BulkInviteReply>;

/** `invite.list` request. */
export const ListInvitesRequest = Type.Object(
  {
    /** Organisation. */
    orgId: Uuid,
    /** Only invites in this state. */
    status: Type.Optional(InviteStatus),
    /** Only invites whose email contains this text. */
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })),
    /** Page size. */
    limit: Type.Optional(Limit),
    /** Cursor from the previous page. */
    cursor: Type.Optional(Cursor),
  },
  strict,
);
export type ListInvitesRequest = Static<typeof ListInvitesRequest>;

export const InvitePage = Page(InviteView);
export type InvitePage = Static<typeof InvitePage>;

/** Request naming one invite of one organisation. */
export const InviteRef = Type.Object(
  {
    /** Organisation. */
    orgId: Uuid,
    /** Invite. */
    inviteId: Uuid,
  },
  strict,
);
export type InviteRef = Static<typeof InviteRef>;

/** Request carrying an invite link's token. */
export const TokenRequest = Type.Object(
  {
    /** The token from the link. */
    token: InviteToken,
  },
  strict,
);
export type TokenRequest = Static<typeof TokenRequest>;

/** The address proof of an emailed invite link: 43 characters, base64url (see security/address-proof.ts). */
export const AddressProof = Type.String({
  minLength: 43,
  maxLength: 43,
  pattern: '^[A-Za-z0-9_-]{43}$',
  description: 'The proof from the emailed link, or from a confirmed code, that the holder reads mail at the invited address',
});

/** `invite.lookup` request. */
export const LookupInviteRequest = Type.Object(
  {
    /** The token from the link. */
    token: InviteToken,
    /** The address proof, when the link came by email or a code was confirmed. */
    proof: Type.Optional(AddressProof),
  },
  strict,
);
export type LookupInviteRequest = Static<typeof LookupInviteRequest>;

/** What the token holder may see before accepting. */
export const InviteLookup = Type.Object(
  {
    /** Invite id. */
    inviteId: Uuid,
    /** Organisation id. */
    orgId: Uuid,
    /** Organisation name. */
    orgName: Type.String(),
    /** Name of the inviter, null for the bootstrap invite. */
    inviterName: Type.Union([Type.String(), Type.Null()]),
    /** Role granted on acceptance. */
    role: Role,
    /** Invited email. */
    email: Email,
    /** When the link stops working. */
    expiresAt: Timestamp,
    /** Personal message from the inviter. */
    message: Type.Union([Type.String(), Type.Null()]),
    /**
     * Whether an account exists for the email (then the invitee signs in to accept).
     * Null unless the request proved the address: a copy of the link in anyone else's
     * hands (the inviter's, an SMS) learns nothing about the address's accounts.
     */
    accountExists: Type.Union([Type.Boolean(), Type.Null()]),
    /** Whether the request carried a valid address proof: then a new account can be created at once. */
    addressVerified: Type.Boolean(),
  },
  strict,
);
export type InviteLookup = Static<typeof InviteLookup>;

/** Username rules: 3 to 32 of letters, digits, dot, dash, underscore. */
export const Username = Type.String({
  minLength: 3,
  maxLength: 32,
  pattern: '^[A-Za-z0-9._-]+$',
  description: '3 to 32 letters, digits, dots, dashes or underscores',
});

/** The shortest password accepted (NIST 800-63B asks at least 8; we ask 12). */
export const passwordMinLength = 12;

/** Password rules (NIST 800-63B): 12 to 128 characters; the invites service also refuses easily guessed ones. */
export const Password = Type.String({ minLength: passwordMinLength, maxLength: 128, description: '12 to 128 characters, not a common, repetitive or self-naming password' });

/** `invite.accept` request. A signed-in caller accepts for their account; otherwise an account is created. */
export const AcceptInviteRequest = Type.Object(
  {
    /** The token from the link. */
    token: InviteToken,
    /** Display name of the new account. */
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    /** Username of the new account. */
    username: Type.Optional(Username),
    /** Password of the new account. */
    password: Type.Optional(Password),
    /** Address proof; required to create an account (from the emailed link or a confirmed code). */
    proof: Type.Optional(AddressProof),
  },
  strict,
);
export type AcceptInviteRequest = Static<typeof AcceptInviteRequest>;

/** `invite.accept` reply. */
export const AcceptInviteReply = Type.Object(
  {
    /** The account that joined. */
    user: UserView,
    /** The new membership. */
    membership: MembershipView,
    /** Access token for the account. */
    accessToken: Type.String(),
    /** Refresh token for the account. */
    refreshToken: Type.String(),
    /** Seconds until the access token expires. */
    expiresIn: Type.Integer(),
    /** Where to send the new member: the invite's page, when its origin is still on the organisation's allow-list; else null. */
    redirectUrl: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  },
  strict,
);
export type AcceptInviteReply = Static<typeof AcceptInviteReply>;

/** `invite.decline` reply. */
export const DeclineInviteReply = Type.Object(
  {
    /** Invite id. */
    inviteId: Uuid,
    /** Always declined. */
    status: Type.Literal('declined'),
  },
  strict,
);
export type DeclineInviteReply = Static<typeof DeclineInviteReply>;

/** A six-digit code emailed to the invited address. */
export const AddressCode = Type.String({ pattern: '^[0-9]{6}$', description: 'The six-digit code from the email' });

/** `invite.address.send-code` reply: a code is on its way to the invited address. */
export const AddressCodeSent = Type.Object(
  {
    /** Where the code was sent: the invited address. */
    email: Email,
    /** When the code stops working. */
    expiresAt: Timestamp,
  },
  strict,
);
export type AddressCodeSent = Static<typeof AddressCodeSent>;

/** `invite.address.confirm` request. */
export const ConfirmAddressRequest = Type.Object(
  {
    /** The token from the link. */
    token: InviteToken,
    /** The code from the email. */
    code: AddressCode,
  },
  strict,
);
export type ConfirmAddressRequest = Static<typeof ConfirmAddressRequest>;

/** `invite.address.confirm` reply: the address is proven for this link. */
export const AddressConfirmed = Type.Object(
  {
    /** The address proof, to send with lookup and accept (as the emailed link would). */
    proof: AddressProof,
    /** Whether an account exists for the address (then the invitee signs in to accept). */
    accountExists: Type.Boolean(),
  },
  strict,
);
export type AddressConfirmed = Static<typeof AddressConfirmed>;
