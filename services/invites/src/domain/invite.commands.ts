import {
  DomainError,
  fieldErrors,
  hashToken,
  isDomainError,
  newInviteToken,
  NewInvite,
  uuidv7,
  type BulkInviteReply,
  type BulkRowResult,
  type Channel,
  type EmailTemplate,
  type InviteView,
  type InviteWithLink,
  type Role,
} from '@invite/contracts';
import { Invite, User } from '../db/entities.ts';
import { assertMayGrant, requireRole } from './authorization.ts';
import { enqueueEvent, eventBase, recordAudit } from './changes.ts';
import { actorLabel, afterCommit, inTransaction, type Context } from './context.ts';
import { expireOverdue } from './invite.expiry.ts';
import { toInviteView } from './invite.view.ts';
import { acceptLink } from '@invite/templates';
import { openQuota, type Quota } from './quota.ts';
import { lockSeats, seatLimitReached, seatsAvailable, type SeatState } from './seats.ts';
import { loadOrgSettings, templateOf } from './settings.commands.ts';

const hour = 3_600_000;

/** Who sends the invites of one command. */
interface Inviter {
  userId: string | null;
  name: string | null;
  role: Role;
}

type RowOutcome = { ok: true; value: InviteWithLink } | { ok: false; error: DomainError };

/** What every row of one command shares: the locked seats, the quota, the inviter, the org's settings. */
interface Batch {
  orgId: string;
  seats: SeatState;
  quota: Quota;
  inviter: Inviter;
  members: Set<string>;
  pending: Set<string>;
  defaultLocale: string;
  template: EmailTemplate | undefined;
}

/**
 * Creates invites for rows already validated against NewInvite, in the caller's
 * transaction, with the org row locked: per row an authorisation check, the
 * duplicate and membership checks, a seat, the invite, its audit entry and its event.
 */
async function insertInvites(ctx: Context, orgId: string, inviter: Inviter, rows: NewInvite[]): Promise<RowOutcome[]> {
  const seats = await lockSeats(ctx, orgId);
  const quota = await openQuota(ctx, orgId);
  const emails = [...new Set(rows.map((r) => r.email.toLowerCase()))];
  // An overdue invite that the sweeper has not reached yet must not block a new one.
  await expireOverdue(ctx, { orgId, emails });
  const members = new Set(
    (
      await ctx.em.execute<{ email: string }[]>(
        `select u.email from memberships m join users u on u.id = m.user_id where m.org_id = ? and u.email in (?)`,
        [orgId, emails],
      )
    ).map((r) => r.email),
  );
  const pending = new Set(
    (
      await ctx.em.execute<{ email: string }[]>(
        `select email from invites where org_id = ? and status = 'pending' and email in (?)`,
        [orgId, emails],
      )
    ).map((r) => r.email),
  );

  const settings = await loadOrgSettings(ctx, orgId);
  const batch: Batch = { orgId, seats, quota, inviter, members, pending, defaultLocale: settings.defaultLocale, template: templateOf(settings) };

  const outcomes: RowOutcome[] = [];
  for (const row of rows) {
    try {
      outcomes.push({ ok: true, value: insertOne(ctx, batch, row) });
    } catch (error) {
      if (!isDomainError(error)) throw error;
      outcomes.push({ ok: false, error });
    }
  }
  await quota.save();
  const created = outcomes.filter((o) => o.ok).length;
  if (created > 0) afterCommit(ctx, () => ctx.domain.counters.created(created));
  return outcomes;
}

function insertOne(ctx: Context, batch: Batch, row: NewInvite): InviteWithLink {
  const { orgId, seats, quota, inviter, members, pending } = batch;
  const email = row.email.toLowerCase();
  assertMayGrant(inviter.role, row.role);
  const channels = resolveChannels(row);
  if (members.has(email)) throw new DomainError('ALREADY_MEMBER', { detail: `${email} is already a member` });
  if (pending.has(email)) {
    throw new DomainError('INVITE_ALREADY_PENDING', { detail: `${email} already has a pending invite; resend it instead` });
  }
  if (seatsAvailable(seats) < 1) throw seatLimitReached(seats);
  quota.take();

  const now = new Date();
  const id = uuidv7();
  const token = newInviteToken();
  const sealedToken = ctx.domain.cipher.encrypt(token, id);
  const expiresAt = new Date(now.getTime() + (row.expiresInHours ?? ctx.domain.config.INVITE_DEFAULT_EXPIRY_HOURS) * hour);
  const invite = ctx.em.create(Invite, {
    id,
    orgId,
    email,
    phone: row.phone ?? null,
    role: row.role,
    tokenHash: hashToken(token),
    sealedToken,
    expiresAt,
    invitedBy: inviter.userId,
    channels,
    locale: row.locale ?? batch.defaultLocale,
    message: row.message ?? null,
    createdAt: now,
    sentAt: now,
    emailStatus: channels.includes('email') ? 'queued' : 'skipped',
    smsStatus: channels.includes('sms') ? 'queued' : 'skipped',
    emailUpdatedAt: now,
    smsUpdatedAt: now,
  });
  seats.pendingInvites += 1;
  pending.add(email);
  recordAudit(ctx, orgId, 'invite.created', `invite:${id}`, { email, role: row.role, channels, expiresAt: expiresAt.toISOString() });
  enqueueEvent(
    ctx,
    issuedEvent(invite, { orgName: seats.orgName, inviterName: inviter.name, type: 'invite.created', sealedToken, now, template: batch.template }),
  );
  return { invite: toInviteView(invite), acceptUrl: acceptLink(ctx.domain.config.APP_BASE_URL, token) };
}

function resolveChannels(row: NewInvite): Channel[] {
  const channels = row.channels ?? (row.phone ? ['email', 'sms'] : ['email']);
  if (channels.includes('sms') && !row.phone) {
    throw new DomainError('VALIDATION_FAILED', {
      detail: 'The sms channel needs a phone number',
      errors: [{ path: '/phone', message: 'is required for the sms channel' }],
    });
  }
  return [...channels];
}

export interface IssuedEventFields {
  orgName: string;
  inviterName: string | null;
  type: 'invite.created' | 'invite.resent';
  sealedToken: string;
  now: Date;
  /** A re-publish by the reconciler. */
  redelivery?: boolean;
  /** The org's email template, when it set one. */
  template?: EmailTemplate | undefined;
}

/** The `invites.events.created|resent` event of an invite's current link. */
export function issuedEvent(invite: Invite, fields: IssuedEventFields) {
  const { orgName, inviterName, type, sealedToken, now, redelivery = false, template } = fields;
  return {
    ...eventBase(invite.orgId, invite.id, now),
    type,
    email: invite.email,
    phone: invite.phone ?? null,
    role: invite.role,
    locale: invite.locale,
    message: invite.message ?? null,
    orgName,
    inviterName,
    expiresAt: invite.expiresAt.toISOString(),
    tokenVersion: invite.tokenVersion,
    channels: invite.channels,
    encryptedToken: sealedToken,
    ...(redelivery ? { redelivery: true } : {}),
    ...(template ? { template } : {}),
  };
}

async function inviterOf(ctx: Context, orgId: string): Promise<Inviter> {
  const membership = await requireRole(ctx, orgId, 'admin');
  const user = await ctx.em.findOneOrFail(User, { id: membership.userId });
  return { userId: user.id, name: user.name, role: membership.role };
}

/** `invite.create`: one invite; its link is in the reply and nowhere else in plaintext. */
export function createInvite(ctx: Context, orgId: string, row: NewInvite): Promise<InviteWithLink> {
  return inTransaction(ctx, async (tx) => {
    const inviter = await inviterOf(tx, orgId);
    const [outcome] = await insertInvites(tx, orgId, inviter, [row]);
    if (!outcome!.ok) throw outcome!.error;
    return outcome!.value;
  });
}

/** Creates the bootstrap owner invite of a new org (no inviter). */
export async function createOwnerInvite(ctx: Context, orgId: string, email: string): Promise<InviteWithLink> {
  const [outcome] = await insertInvites(ctx, orgId, { userId: null, name: null, role: 'owner' }, [{ email, role: 'owner' }]);
  if (!outcome!.ok) throw outcome!.error;
  return outcome!.value;
}

/**
 * `invite.bulk`: up to 1000 rows, each validated and created or refused on its own;
 * one transaction, so the seat count covers the whole batch.
 */
export function bulkCreateInvites(ctx: Context, orgId: string, rows: unknown[]): Promise<BulkInviteReply> {
  return inTransaction(ctx, async (tx) => {
    const inviter = await inviterOf(tx, orgId);
    const results: BulkRowResult[] = new Array(rows.length);
    const valid: { index: number; row: NewInvite }[] = [];
    const seen = new Set<string>();
    rows.forEach((raw, index) => {
      const email = typeof raw === 'object' && raw && typeof (raw as { email?: unknown }).email === 'string' ? (raw as { email: string }).email : null;
      const errors = fieldErrors(NewInvite, raw);
      if (errors.length > 0) {
        const first = errors[0]!;
        results[index] = { row: index, status: 'failed', email, code: 'VALIDATION_FAILED', detail: `${first.path} ${first.message}`, errors };
        return;
      }
      const row = raw as NewInvite;
      const key = row.email.toLowerCase();
      if (seen.has(key)) {
        results[index] = { row: index, status: 'failed', email, code: 'DUPLICATE_ROW', detail: `${key} appears earlier in this upload` };
        return;
      }
      seen.add(key);
      valid.push({ index, row });
    });
    const outcomes = valid.length ? await insertInvites(tx, orgId, inviter, valid.map((v) => v.row)) : [];
    outcomes.forEach((outcome, i) => {
      const { index, row } = valid[i]!;
      results[index] = outcome.ok
        ? { row: index, status: 'created', email: row.email, invite: outcome.value.invite, acceptUrl: outcome.value.acceptUrl }
        : { row: index, status: 'failed', email: row.email, code: outcome.error.code, detail: outcome.error.detail };
    });
    const created = results.filter((r) => r.status === 'created').length;
    return { created, failed: results.length - created, results };
  });
}

async function lockInvite(ctx: Context, orgId: string, inviteId: string): Promise<Invite> {
  const rows = await ctx.em.execute<{ id: string }[]>(`select id from invites where id = ? and org_id = ? for update`, [inviteId, orgId]);
  if (!rows[0]) throw new DomainError('NOT_FOUND', { detail: 'No such invite' });
  return ctx.em.findOneOrFail(Invite, { id: inviteId }, { refresh: true });
}

function notPending(invite: Invite): DomainError {
  return new DomainError('INVITE_NOT_PENDING', { detail: `The invite is ${invite.status}; only pending invites can change` });
}

/** `invite.resend`: a new token (the old one dies), expiry renewed, delivery queued again. */
export function resendInvite(ctx: Context, orgId: string, inviteId: string): Promise<InviteWithLink> {
  return inTransaction(ctx, async (tx) => {
    const inviter = await inviterOf(tx, orgId);
    // The org row before the invite row, in the same order as accept: the reverse order
    // deadlocked a resend with a concurrent accept of the same invite.
    const seats = await lockSeats(tx, orgId);
    const invite = await lockInvite(tx, orgId, inviteId);
    if (invite.status !== 'pending') throw notPending(invite);
    const now = new Date();
    const cooldownMs = tx.domain.config.RESEND_COOLDOWN_SECONDS * 1000;
    const wait = invite.sentAt.getTime() + cooldownMs - now.getTime();
    if (wait > 0) {
      const retryAfter = Math.ceil(wait / 1000);
      throw new DomainError('RESEND_COOLDOWN', { detail: `This invite was sent moments ago; resend again in ${retryAfter} s`, retryAfter });
    }
    if (invite.expiresAt <= now && seatsAvailable(seats) < 1) throw seatLimitReached(seats);

    const lifetime = Math.max(hour, invite.expiresAt.getTime() - invite.sentAt.getTime());
    const token = newInviteToken();
    const sealedToken = tx.domain.cipher.encrypt(token, invite.id);
    const version = invite.tokenVersion + 1;
    Object.assign(invite, {
      tokenHash: hashToken(token),
      tokenVersion: version,
      sealedToken,
      sentAt: now,
      expiresAt: new Date(now.getTime() + lifetime),
    });
    for (const channel of ['email', 'sms'] as const) {
      if (!invite.channels.includes(channel)) continue;
      Object.assign(invite, {
        [`${channel}Status`]: 'queued',
        [`${channel}Attempts`]: 0,
        [`${channel}LastError`]: null,
        [`${channel}SentAt`]: null,
        [`${channel}ProviderId`]: null,
        [`${channel}UpdatedAt`]: now,
      });
    }
    recordAudit(tx, orgId, 'invite.resent', `invite:${invite.id}`, { tokenVersion: version, expiresAt: invite.expiresAt.toISOString() });
    const template = templateOf(await loadOrgSettings(tx, orgId));
    enqueueEvent(tx, issuedEvent(invite, { orgName: seats.orgName, inviterName: inviter.name, type: 'invite.resent', sealedToken, now, template }));
    return { invite: toInviteView(invite), acceptUrl: acceptLink(tx.domain.config.APP_BASE_URL, token) };
  });
}

/** `invite.withdraw`: the invite stops working; nothing is deleted. */
export function withdrawInvite(ctx: Context, orgId: string, inviteId: string): Promise<InviteView> {
  return inTransaction(ctx, async (tx) => {
    await requireRole(tx, orgId, 'admin');
    const invite = await lockInvite(tx, orgId, inviteId);
    if (invite.status !== 'pending') throw notPending(invite);
    const now = new Date();
    Object.assign(invite, { status: 'withdrawn', withdrawnAt: now, sealedToken: null });
    recordAudit(tx, orgId, 'invite.withdrawn', `invite:${invite.id}`, { email: invite.email });
    enqueueEvent(tx, {
      ...eventBase(orgId, invite.id, now),
      type: 'invite.withdrawn',
      actor: actorLabel(tx.actor),
    });
    afterCommit(tx, () => tx.domain.counters.withdrawn());
    return toInviteView(invite);
  });
}
