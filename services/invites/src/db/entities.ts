import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { channels} from '@invite/contracts';
import { deliveryStatuses, inviteStatuses, roles, uuidv7 } from '@invite/contracts';

/**
 * The tables of design.md's data model. The schema itself is owned by the committed
 * migrations (src/db/migrations); these definitions map it, they never generate it.
 * Foreign keys are plain uuid columns: the migrations hold the constraints, and the
 * domain code works with ids, not object graphs.
 */

export const Org = defineEntity({
  name: 'Org',
  tableName: 'orgs',
  properties: {
    id: p.uuid().primary().onCreate(() => uuidv7()),
    name: p.text(),
    plan: p.text().default('free'),
    seatLimit: p.integer(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type Org = InferEntity<typeof Org>;

export const User = defineEntity({
  name: 'User',
  tableName: 'users',
  properties: {
    id: p.uuid().primary().onCreate(() => uuidv7()),
    email: p.text(),
    username: p.text(),
    name: p.text(),
    passwordHash: p.text().hidden(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type User = InferEntity<typeof User>;

export const Membership = defineEntity({
  name: 'Membership',
  tableName: 'memberships',
  properties: {
    id: p.uuid().primary().onCreate(() => uuidv7()),
    orgId: p.uuid(),
    userId: p.uuid(),
    role: p.enum(roles),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type Membership = InferEntity<typeof Membership>;

export const Invite = defineEntity({
  name: 'Invite',
  tableName: 'invites',
  properties: {
    id: p.uuid().primary().onCreate(() => uuidv7()),
    orgId: p.uuid(),
    email: p.text(),
    phone: p.text().nullable(),
    role: p.enum(roles),
    status: p.enum(inviteStatuses).default('pending'),
    tokenHash: p.text(),
    tokenVersion: p.integer().default(1),
    /** The current token encrypted for the notifier; cleared when the invite closes. */
    sealedToken: p.text().nullable(),
    expiresAt: p.datetime(),
    invitedBy: p.uuid().nullable(),
    /** Channels the inviter asked for. */
    channels: p.json<ChannelName[]>(),
    locale: p.text().default('en'),
    message: p.text().nullable(),
    /** Where the accept page sends the new member; its origin was on the org's allow-list when the invite was made. */
    redirectUrl: p.text().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    sentAt: p.datetime().onCreate(() => new Date()),
    acceptedAt: p.datetime().nullable(),
    declinedAt: p.datetime().nullable(),
    withdrawnAt: p.datetime().nullable(),
    expiredAt: p.datetime().nullable(),
    acceptedUserId: p.uuid().nullable(),
    emailStatus: p.enum(deliveryStatuses),
    emailAttempts: p.integer().default(0),
    emailLastError: p.text().nullable(),
    emailSentAt: p.datetime().nullable(),
    emailProviderId: p.text().nullable(),
    emailUpdatedAt: p.datetime().onCreate(() => new Date()),
    smsStatus: p.enum(deliveryStatuses),
    smsAttempts: p.integer().default(0),
    smsLastError: p.text().nullable(),
    smsSentAt: p.datetime().nullable(),
    smsProviderId: p.text().nullable(),
    smsUpdatedAt: p.datetime().onCreate(() => new Date()),
  },
});
export type Invite = InferEntity<typeof Invite>;

export const AuditEntry = defineEntity({
  name: 'AuditEntry',
  tableName: 'audit_log',
  properties: {
    id: p.uuid().primary().onCreate(() => uuidv7()),
    /** Null for an account's own entries (password reset), which belong to no organisation. */
    orgId: p.uuid().nullable(),
    actor: p.text(),
    action: p.text(),
    target: p.text(),
    data: p.json<Record<string, unknown>>(),
    at: p.datetime().onCreate(() => new Date()),
  },
});
export type AuditEntry = InferEntity<typeof AuditEntry>;

export const OutboxMessage = defineEntity({
  name: 'OutboxMessage',
  tableName: 'outbox',
  properties: {
    id: p.uuid().primary(),
    subject: p.text(),
    payload: p.json<Record<string, unknown>>(),
    headers: p.json<Record<string, string>>(),
    createdAt: p.datetime().onCreate(() => new Date()),
    publishedAt: p.datetime().nullable(),
  },
});
export type OutboxMessage = InferEntity<typeof OutboxMessage>;

export const RefreshToken = defineEntity({
  name: 'RefreshToken',
  tableName: 'refresh_tokens',
  properties: {
    hash: p.text().primary(),
    userId: p.uuid(),
    family: p.uuid(),
    createdAt: p.datetime().onCreate(() => new Date()),
    expiresAt: p.datetime(),
    revokedAt: p.datetime().nullable(),
  },
});
export type RefreshToken = InferEntity<typeof RefreshToken>;

export const AddressCode = defineEntity({
  name: 'AddressCode',
  tableName: 'address_codes',
  properties: {
    id: p.uuid().primary().onCreate(() => uuidv7()),
    /** The invite whose address it proves; null for a join link's code. */
    inviteId: p.uuid().nullable(),
    /** The join link it proves an address for; null for an invite's code. */
    joinLinkId: p.uuid().nullable(),
    /** The address a join link's code went to; null for an invite's (the invited address). */
    email: p.text().nullable(),
    /** The token version the code was sent for; a resend makes it worthless. */
    tokenVersion: p.integer(),
    /** SHA-256 of `<id>:<code>`; the code itself is never stored. */
    codeHash: p.text().hidden(),
    attempts: p.integer().default(0),
    expiresAt: p.datetime(),
    createdAt: p.datetime().onCreate(() => new Date()),
    usedAt: p.datetime().nullable(),
  },
});
export type AddressCode = InferEntity<typeof AddressCode>;

export const PasswordReset = defineEntity({
  name: 'PasswordReset',
  tableName: 'password_resets',
  properties: {
    /** SHA-256 of the link's token; the token itself is never stored. */
    tokenHash: p.text().primary(),
    userId: p.uuid(),
    createdAt: p.datetime().onCreate(() => new Date()),
    expiresAt: p.datetime(),
    usedAt: p.datetime().nullable(),
  },
});
export type PasswordReset = InferEntity<typeof PasswordReset>;

export const entities = [Org, User, Membership, Invite, AuditEntry, OutboxMessage, RefreshToken, AddressCode, PasswordReset];

/** Channel names map to the column prefixes of an invite's delivery state. */
export type ChannelName = (typeof channels)[number];
