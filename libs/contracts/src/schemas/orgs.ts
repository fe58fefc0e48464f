import { Type, type Static } from 'typebox';
import { Cursor, Email, Limit, Page, Role, Timestamp, UserView, Uuid } from './common.ts';
import { InviteView, InviteWithLink } from './invites.ts';

const strict = { additionalProperties: false } as const;

/** `org.create` request (operators only): an organisation and its owner's invite. */
export const CreateOrgRequest = Type.Object(
  {
    /** Organisation name. */
    name: Type.String({ minLength: 1, maxLength: 100 }),
    /** Plan name, informational. */
    plan: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    /** Seats: members plus pending invites may not exceed it. */
    seatLimit: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    /** Email of the first owner, who accepts an invite like anyone else. */
    ownerEmail: Email,
  },
  strict,
);
export type CreateOrgRequest = Static<typeof CreateOrgRequest>;

/** `org.create` reply. */
export const CreateOrgReply = Type.Object(
  {
    /** The new organisation's id. */
    orgId: Uuid,
    /** The owner's invite and its link. */
    ownerInvite: InviteWithLink,
  },
  strict,
);
export type CreateOrgReply = Static<typeof CreateOrgReply>;

/** Request naming one organisation, with optional paging. */
export const OrgPageRequest = Type.Object(
  {
    /** Organisation. */
    orgId: Uuid,
    /** Page size. */
    limit: Type.Optional(Limit),
    /** Cursor from the previous page. */
    cursor: Type.Optional(Cursor),
  },
  strict,
);
export type OrgPageRequest = Static<typeof OrgPageRequest>;

/** Request naming one organisation. */
export const OrgRef = Type.Object(
  {
    /** Organisation. */
    orgId: Uuid,
  },
  strict,
);
export type OrgRef = Static<typeof OrgRef>;

/** A member of an organisation. */
export const MemberView = Type.Object(
  {
    /** The member's account. */
    user: UserView,
    /** Role in the organisation. */
    role: Role,
    /** When they joined. */
    joinedAt: Timestamp,
  },
  strict,
);
export type MemberView = Static<typeof MemberView>;

export const MemberPage = Page(MemberView);
export type MemberPage = Static<typeof MemberPage>;

/** `org.usage` reply. */
export const UsageView = Type.Object(
  {
    /** Seats of the plan. */
    seatLimit: Type.Integer(),
    /** Current members. */
    members: Type.Integer(),
    /** Pending, unexpired invites (each holds a seat). */
    pendingInvites: Type.Integer(),
    /** Seats left for new invites. */
    available: Type.Integer(),
  },
  strict,
);
export type UsageView = Static<typeof UsageView>;

/** One audit log entry. */
export const AuditEntryView = Type.Object(
  {
    /** Entry id. */
    id: Uuid,
    /** Who acted: `user:<id>`, `invitee`, `operator` or `system`. */
    actor: Type.String(),
    /** The acting user's name, when a user acted and still has an account. */
    actorName: Type.Union([Type.String(), Type.Null()]),
    /** What happened as a sentence, e.g. "Olivia Owner invited gina@example.com as admin". */
    summary: Type.String(),
    /** What happened, e.g. `invite.created`. */
    action: Type.String(),
    /** What it happened to, e.g. `invite:<id>`. */
    target: Type.String(),
    /** Details of the action. */
    data: Type.Record(Type.String(), Type.Unknown()),
    /** When. */
    at: Timestamp,
  },
  strict,
);
export type AuditEntryView = Static<typeof AuditEntryView>;

/** `org.audit` request: a page of the log, optionally of one kind of action or one actor. */
export const AuditListRequest = Type.Object(
  {
    /** Organisation. */
    orgId: Uuid,
    /** Page size. */
    limit: Type.Optional(Limit),
    /** Cursor from the previous page. */
    cursor: Type.Optional(Cursor),
    /** One action (`invite.created`), or a family of them ending in a dot (`invite.`, `member.`). */
    action: Type.Optional(Type.String({ minLength: 1, maxLength: 60, pattern: '^[a-z_]+(\\.[a-z_]+)*\\.?$' })),
    /** One actor as the log names them: `user:<id>`, `invitee`, `operator` or `system`. */
    actor: Type.Optional(Type.String({ minLength: 1, maxLength: 60, pattern: '^(user:[0-9a-f-]{36}|invitee|operator|system|anonymous)$' })),
  },
  strict,
);
export type AuditListRequest = Static<typeof AuditListRequest>;

export const AuditPage = Page(AuditEntryView);
export type AuditPage = Static<typeof AuditPage>;

/** An organisation and its seats. */
export const OrgView = Type.Object(
  {
    /** Organisation id. */
    orgId: Uuid,
    /** Organisation name. */
    name: Type.String(),
    /** Plan name, informational. */
    plan: Type.String(),
    /** Seats of the plan. */
    seatLimit: Type.Integer(),
    /** Current members. */
    members: Type.Integer(),
    /** Pending, unexpired invites (each holds a seat). */
    pendingInvites: Type.Integer(),
    /** Seats left for new invites. */
    available: Type.Integer(),
  },
  strict,
);
export type OrgView = Static<typeof OrgView>;

/** Body of `PATCH /v1/orgs/:orgId`. */
export const OrgPatch = Type.Object(
  {
    /** New seat limit; never below the members plus pending invites of the moment. */
    seatLimit: Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'New seat limit, 1 to 1000000; never below the members plus pending invites of the moment' }),
  },
  strict,
);
export type OrgPatch = Static<typeof OrgPatch>;

/** `org.update` request (owners; operators through `npm run admin -- set-seats`). */
export const UpdateOrgRequest = Type.Object(
  {
    /** Organisation. */
    orgId: Uuid,
    ...OrgPatch.properties,
  },
  strict,
);
export type UpdateOrgRequest = Static<typeof UpdateOrgRequest>;

/** Request naming one member of one organisation. */
export const MemberRef = Type.Object(
  {
    /** Organisation. */
    orgId: Uuid,
    /** The member's user id. */
    userId: Uuid,
  },
  strict,
);
export type MemberRef = Static<typeof MemberRef>;

/** Body of `PATCH /v1/orgs/:orgId/members/:userId`. */
export const MemberPatch = Type.Object(
  {
    /** New role: admins grant at most admin and never change an owner's role. */
    role: Role,
  },
  strict,
);
export type MemberPatch = Static<typeof MemberPatch>;

/** `org.member.update` request. */
export const UpdateMemberRequest = Type.Object(
  {
    /** Organisation. */
    orgId: Uuid,
    /** The member's user id. */
    userId: Uuid,
    ...MemberPatch.properties,
  },
  strict,
);
export type UpdateMemberRequest = Static<typeof UpdateMemberRequest>;

/** Body of `POST /v1/orgs/:orgId/transfer-ownership`. */
export const OwnershipTransfer = Type.Object(
  {
    /** The member who becomes owner; the caller becomes an admin. */
    userId: Uuid,
  },
  strict,
);
export type OwnershipTransfer = Static<typeof OwnershipTransfer>;

/** `org.transfer-ownership` reply: both memberships after the change. */
export const OwnershipTransferred = Type.Object(
  {
    /** The caller, now an admin. */
    previousOwner: MemberView,
    /** The member who became owner. */
    newOwner: MemberView,
  },
  strict,
);
export type OwnershipTransferred = Static<typeof OwnershipTransferred>;

/** One entry of an invite's timeline, from the audit log. */
export const TimelineEntry = Type.Object(
  {
    /** Audit entry id. */
    id: Uuid,
    /** What happened, e.g. `invite.created`, `invite.resent`, `invite.accepted`. */
    action: Type.String(),
    /** Who acted: `user:<id>`, `invitee`, `operator` or `system:<name>`. */
    actor: Type.String(),
    /** The acting user's display name, when a user acted and still has an account. */
    actorName: Type.Union([Type.String(), Type.Null()]),
    /** Details of the action. */
    data: Type.Record(Type.String(), Type.Unknown()),
    /** When. */
    at: Timestamp,
  },
  strict,
);
export type TimelineEntry = Static<typeof TimelineEntry>;

/** `invite.timeline` reply: the invite with its delivery state per channel, and what happened to it, oldest first. */
export const InviteTimeline = Type.Object(
  {
    /** The invite as it is now, with each channel's status, attempts and last error. */
    invite: InviteView,
    /** The invite's audit entries, oldest first (at most 200). */
    entries: Type.Array(TimelineEntry),
  },
  strict,
);
export type InviteTimeline = Static<typeof InviteTimeline>;
