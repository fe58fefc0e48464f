import { Type, type Static } from 'typebox';

/** A UUID, as every id in the system. */
export const Uuid = Type.String({ format: 'uuid', description: 'A UUID' });

/** An RFC 3339 timestamp in UTC. */
export const Timestamp = Type.String({ format: 'date-time', description: 'RFC 3339 timestamp' });

/** An email address; compared case-insensitively and stored in lower case. */
export const Email = Type.String({
  format: 'email',
  minLength: 3,
  maxLength: 254,
  description: 'Email address',
});

/** A phone number in E.164 form, e.g. +447700900123. */
export const Phone = Type.String({
  pattern: '^\\+[1-9][0-9]{6,14}$',
  description: 'Phone number in E.164 form (+ and 7 to 15 digits)',
});

/** Roles, highest first: an owner outranks an admin, who outranks a member. */
export const roles = ['owner', 'admin', 'member'] as const;
export const Role = Type.Enum(roles, { description: 'Role in the organisation: owner, admin or member' });
export type Role = Static<typeof Role>;

/** How much a role may do; higher is more. */
export const roleRank: Record<Role, number> = { owner: 3, admin: 2, member: 1 };

export const inviteStatuses = ['pending', 'accepted', 'declined', 'withdrawn', 'expired'] as const;
export const InviteStatus = Type.Enum(inviteStatuses, { description: 'Lifecycle state of an invite' });
export type InviteStatus = Static<typeof InviteStatus>;

export const channels = ['email', 'sms'] as const;
export const Channel = Type.Enum(channels, { description: 'Delivery channel' });
export type Channel = Static<typeof Channel>;

export const deliveryStatuses = ['queued', 'sent', 'failed', 'dead', 'skipped'] as const;
export const DeliveryStatus = Type.Enum(deliveryStatuses, {
  description: 'queued: waiting to be sent; sent: accepted by the provider; failed: will retry; dead: gave up; skipped: not sent on this channel',
});
export type DeliveryStatus = Static<typeof DeliveryStatus>;

/** Locales the notifier has templates for; others fall back to English. */
export const Locale = Type.String({
  pattern: '^[a-z]{2}(-[A-Z]{2})?$',
  description: 'BCP 47 language tag such as en or pt-BR',
});

/** An opaque keyset cursor returned as `nextCursor`. */
export const Cursor = Type.String({ maxLength: 512, pattern: '^[A-Za-z0-9_-]+$', description: 'Opaque cursor from a previous page' });

/** Page size. */
export const Limit = Type.Integer({ minimum: 1, maximum: 100, description: 'How many items per page (1 to 100, default 50)' });

/** The secret of an invite link: 32 random bytes in base64url. */
export const InviteToken = Type.String({
  minLength: 43,
  maxLength: 43,
  pattern: '^[A-Za-z0-9_-]{43}$',
  description: 'The token from the invite link',
});

/** A user as shown to others. */
export const UserView = Type.Object(
  {
    /** User id. */
    id: Uuid,
    /** Email address, lower case. */
    email: Email,
    /** Unique username. */
    username: Type.String({ description: 'Unique username' }),
    /** Display name. */
    name: Type.String({ description: 'Display name' }),
  },
  { additionalProperties: false },
);
export type UserView = Static<typeof UserView>;

/** A membership of a user in an organisation. */
export const MembershipView = Type.Object(
  {
    /** Organisation id. */
    orgId: Uuid,
    /** Organisation name. */
    orgName: Type.String({ description: 'Organisation name' }),
    /** Role in the organisation. */
    role: Role,
    /** When the membership began. */
    createdAt: Timestamp,
  },
  { additionalProperties: false },
);
export type MembershipView = Static<typeof MembershipView>;

/** Wraps a page of items with the keyset cursor of the next page (null on the last). */
export const Page = <T extends Parameters<typeof Type.Array>[0]>(item: T) =>
  Type.Object(
    {
      /** Items of this page. */
      items: Type.Array(item),
      /** Cursor of the next page, or null when this is the last. */
      nextCursor: Type.Union([Cursor, Type.Null()]),
    },
    { additionalProperties: false },
  );

/** Empty reply. */
export const Empty = Type.Object({}, { additionalProperties: false });
