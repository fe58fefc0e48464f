import { Type, type Static } from 'typebox';
import { Channel, Email, Locale, Phone, Role, Timestamp, Uuid } from './common.ts';
import { EmailTemplate } from './console.ts';

/** Fields every event carries. The W3C `traceparent` travels as a NATS header. */
const base = {
  /** Event id; also the JetStream `Nats-Msg-Id`, so a re-publish is de-duplicated. */
  id: Uuid,
  /** When the change happened. */
  occurredAt: Timestamp,
  /** Organisation. */
  orgId: Uuid,
  /** Invite. */
  inviteId: Uuid,
};

/** An accept token encrypted for the notifier with AES-256-GCM (`v1.<iv>.<ciphertext>.<tag>`, base64url). */
export const EncryptedToken = Type.String({ pattern: '^v1\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$' });

/** `invites.events.created` and `.resent`: a link to deliver. */
export const InviteIssuedEvent = Type.Object({
  ...base,
  /** created or resent. */
  type: Type.Enum(['invite.created', 'invite.resent']),
  /** Invitee email. */
  email: Email,
  /** Invitee phone for SMS. */
  phone: Type.Union([Phone, Type.Null()]),
  /** Role on acceptance. */
  role: Role,
  /** Locale of the messages. */
  locale: Locale,
  /** Personal message from the inviter (plain text; escape when rendering). */
  message: Type.Union([Type.String(), Type.Null()]),
  /** Organisation name (plain text). */
  orgName: Type.String(),
  /** Inviter's display name (plain text), null for the bootstrap invite. */
  inviterName: Type.Union([Type.String(), Type.Null()]),
  /** When the link stops working. */
  expiresAt: Timestamp,
  /** Version of the token in this event; one delivery per (invite, version, channel). */
  tokenVersion: Type.Integer({ minimum: 1 }),
  /** Channels to deliver on. */
  channels: Type.Array(Channel),
  /** The accept token, encrypted for the notifier. */
  encryptedToken: EncryptedToken,
  /** True when the reconciler re-published an unconfirmed delivery. */
  redelivery: Type.Optional(Type.Boolean()),
  /** The organisation's email template and branding, when it set any (absent: the built-in email). */
  template: Type.Optional(EmailTemplate),
});
export type InviteIssuedEvent = Static<typeof InviteIssuedEvent>;

/** `invites.events.accepted`. */
export const InviteAcceptedEvent = Type.Object({
  ...base,
  type: Type.Literal('invite.accepted'),
  /** Account that joined. */
  userId: Uuid,
  /** Role granted. */
  role: Role,
  /** Whether the account was created by this acceptance. */
  newAccount: Type.Boolean(),
});
export type InviteAcceptedEvent = Static<typeof InviteAcceptedEvent>;

/** `invites.events.declined`, `.withdrawn`, `.expired`: the invite closed without a member. */
export const InviteClosedEvent = Type.Object({
  ...base,
  type: Type.Enum(['invite.declined', 'invite.withdrawn', 'invite.expired']),
  /** Who closed it: `user:<id>`, `invitee` or `system`. */
  actor: Type.String(),
});
export type InviteClosedEvent = Static<typeof InviteClosedEvent>;

export const InviteEvent = Type.Union([InviteIssuedEvent, InviteAcceptedEvent, InviteClosedEvent]);
export type InviteEvent = Static<typeof InviteEvent>;

/**
 * `invites.events.address-code`: a six-digit code to email to an invited address, so
 * that a holder of the link who did not get it by email can prove the address. Not an
 * invite lifecycle event: the console does not show it and no delivery state follows it.
 */
export const AddressCodeEvent = Type.Object({
  ...base,
  type: Type.Literal('invite.address-code'),
  /** The invited address, the only recipient. */
  email: Email,
  /** Locale of the invite. */
  locale: Locale,
  /** Organisation name (plain text). */
  orgName: Type.String(),
  /** When the code stops working. */
  expiresAt: Timestamp,
  /** The code, encrypted for the notifier like an accept token (additional data: `sealedAs.addressCode`). */
  encryptedCode: EncryptedToken,
});
export type AddressCodeEvent = Static<typeof AddressCodeEvent>;

/**
 * `invites.events.address-code` too: a six-digit code to email to an address someone
 * wants to join an organisation with through a join link, so that an account is created
 * only for an address its holder reads.
 */
export const JoinAddressCodeEvent = Type.Object({
  /** Event id; also the JetStream `Nats-Msg-Id`. */
  id: Uuid,
  type: Type.Literal('join.address-code'),
  /** When it was asked for. */
  occurredAt: Timestamp,
  /** Organisation of the join link. */
  orgId: Uuid,
  /** The join link. */
  joinLinkId: Uuid,
  /** The address to prove, the only recipient. */
  email: Email,
  /** Language of the email. */
  locale: Locale,
  /** Organisation name (plain text). */
  orgName: Type.String(),
  /** When the code stops working. */
  expiresAt: Timestamp,
  /** The code, encrypted for the notifier (additional data: `sealedAs.joinAddressCode`). */
  encryptedCode: EncryptedToken,
});
export type JoinAddressCodeEvent = Static<typeof JoinAddressCodeEvent>;

/** `invites.events.password-reset`: a link to choose a new password, for an account's address. */
export const PasswordResetEvent = Type.Object({
  /** Event id; also the JetStream `Nats-Msg-Id`. */
  id: Uuid,
  type: Type.Literal('account.password-reset'),
  /** When it was asked for. */
  occurredAt: Timestamp,
  /** The account. */
  userId: Uuid,
  /** The account's address, the only recipient. */
  email: Email,
  /** Language of the email. */
  locale: Locale,
  /** When the link stops working. */
  expiresAt: Timestamp,
  /** The link's token, encrypted for the notifier (additional data: `sealedAs.passwordReset`). */
  encryptedToken: EncryptedToken,
});
export type PasswordResetEvent = Static<typeof PasswordResetEvent>;

/** Emails about an account rather than an invite's link: one send each, no delivery results. */
export const AccountEmailEvent = Type.Union([AddressCodeEvent, JoinAddressCodeEvent, PasswordResetEvent]);
export type AccountEmailEvent = Static<typeof AccountEmailEvent>;

/**
 * The additional authenticated data each secret of an account email is sealed with:
 * a ciphertext made for one purpose and subject cannot be opened as another.
 */
export const sealedAs = {
  addressCode: (inviteId: string) => `address-code:${inviteId}`,
  joinAddressCode: (joinLinkId: string, email: string) => `join-address-code:${joinLinkId}:${email}`,
  passwordReset: (userId: string) => `password-reset:${userId}`,
};

/**
 * `notifications.events.sent`, `.failed` (will retry), `.dead` (gave up) and
 * `.skipped` (the channel is not configured, so nothing was sent).
 */
export const DeliveryResultEvent = Type.Object({
  ...base,
  type: Type.Enum(['delivery.sent', 'delivery.failed', 'delivery.dead', 'delivery.skipped']),
  /** Channel of the attempt. */
  channel: Channel,
  /** Token version the attempt delivered. */
  tokenVersion: Type.Integer({ minimum: 1 }),
  /** Attempt number, from 1. */
  attempt: Type.Integer({ minimum: 1 }),
  /** Provider used, e.g. smtp, twilio, file, none. */
  provider: Type.String(),
  /** Provider's message id when sent. */
  providerMessageId: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  /** Error text when failed or dead; the reason when skipped. */
  error: Type.Optional(Type.Union([Type.String(), Type.Null()])),
});
export type DeliveryResultEvent = Static<typeof DeliveryResultEvent>;
