import { Type, type Static } from 'typebox';
import { Role, Timestamp, Uuid } from './common.ts';

/**
 * Events about an organisation's people and seats rather than one invite, on the
 * invite stream (`invites.events.<subject>`, see `orgEventTypes`). The notifier sends
 * nothing for them; they are for whoever integrates with the platform.
 */
const base = {
  /** Event id; also the JetStream `Nats-Msg-Id`. */
  id: Uuid,
  /** When the change happened. */
  occurredAt: Timestamp,
  /** Organisation. */
  orgId: Uuid,
  /** Who made the change: `user:<id>` or `operator`. */
  actor: Type.String(),
};

/** `invites.events.member-role-changed`. */
export const MemberRoleChangedEvent = Type.Object({
  ...base,
  type: Type.Literal('member.role-changed'),
  /** The member whose role changed. */
  userId: Uuid,
  /** Role before. */
  from: Role,
  /** Role now. */
  to: Role,
});
export type MemberRoleChangedEvent = Static<typeof MemberRoleChangedEvent>;

/** `invites.events.member-removed`: removed by an admin or owner, or left. */
export const MemberRemovedEvent = Type.Object({
  ...base,
  type: Type.Literal('member.removed'),
  /** The former member. */
  userId: Uuid,
  /** The role they had. */
  role: Role,
  /** True when they removed themselves (left the organisation). */
  left: Type.Boolean(),
});
export type MemberRemovedEvent = Static<typeof MemberRemovedEvent>;

/** `invites.events.ownership-transferred`: the owner made another member owner and became an admin. */
export const OwnershipTransferredEvent = Type.Object({
  ...base,
  type: Type.Literal('org.ownership-transferred'),
  /** The previous owner, now an admin. */
  fromUserId: Uuid,
  /** The new owner. */
  toUserId: Uuid,
});
export type OwnershipTransferredEvent = Static<typeof OwnershipTransferredEvent>;

/** `invites.events.seats-changed`. */
export const SeatsChangedEvent = Type.Object({
  ...base,
  type: Type.Literal('org.seats-changed'),
  /** Seat limit before. */
  from: Type.Integer({ minimum: 1 }),
  /** Seat limit now. */
  to: Type.Integer({ minimum: 1 }),
});
export type SeatsChangedEvent = Static<typeof SeatsChangedEvent>;

/** `invites.events.member-joined`: someone joined through a join link (joins by invite are `invites.events.accepted`). */
export const MemberJoinedEvent = Type.Object({
  ...base,
  type: Type.Literal('member.joined'),
  /** The new member. */
  userId: Uuid,
  /** Role granted. */
  role: Role,
  /** The join link they came through. */
  joinLinkId: Uuid,
  /** Whether the account was created by this join. */
  newAccount: Type.Boolean(),
});
export type MemberJoinedEvent = Static<typeof MemberJoinedEvent>;

export const OrgEvent = Type.Union([MemberRoleChangedEvent, MemberRemovedEvent, OwnershipTransferredEvent, SeatsChangedEvent, MemberJoinedEvent]);
export type OrgEvent = Static<typeof OrgEvent>;
