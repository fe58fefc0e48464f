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
  type OrgSettings,
  type InviteView,
  type InviteWithLink,
  type Role,
} from '@invite/contracts';
import { acceptLink } from '@invite/templates';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Invite } from '../db/entities.ts';
import { assertMayGrant, assertRole, requireRole, requireUser } from './authorization.ts';
import { auditColumns, auditRecordset, auditRow, enqueueEvent, eventBase, outboxColumns, outboxRecordset, outboxRow, recordAudit } from './changes.ts';
import { actorLabel, afterCommit, inTransaction, whenCommitted, type Context } from './context.ts';
import { expireOverdue } from './invite.expiry.ts';
import { checkRedirectUrl } from './redirects.ts';
import { insertInvites, type InviteDraft } from './invite.insert.ts';
import { inviteOfRequestKey, requestKeyIndex } from './invite.request-key.ts';
import { toInviteView, type InviteFields } from './invite.view.ts';
import { countSeats, overdueCount, refusalOf, seatColumns, seatLimitReached, seatsAvailable, type Refusal } from './seats.ts';
import { countSendsSql, inviterCapReached, inviterSubject, recipientCapDetail, recipientCapReached, recipientSubject, sendCapCheckSql, sendCapsOf, sendCounts } from './sends.ts';
import { defaultOrgSettings, settingsColumns, settingsFromRow, templateOf, type SettingsRow } from './settings.commands.ts';

const hour = 3_600_000;

/** Who sends the invites of one command, and what their events carry about the org. */
interface Inviter {
  userId: string | null;
  name: string | null;
  role: Role;
  orgName: string;
  defaultLocale: string;
  /** The org's settings: each invite's event carries the template of its own language. */
  settings: OrgSettings;
  /**
   * The platform operator bootstrapping an org: it vouches for the owner's address, so
   * the link it gets carries the address proof, as the emailed one does.
   */
  operator?: boolean;
}

/**
 * The caller as an inviter of `orgId` (admin or owner), with the org's name and
 * settings: one query, before any lock, since none of it decides a seat.
 */
async function inviterOf(ctx: Context, orgId: string): Promise<Inviter> {
  const userId = requireUser(ctx);
  const [row] = await ctx.em.execute<(SettingsRow & { role: Role; user_name: string; org_name: string })[]>(
    `select m.role, u.name as user_name, o.name as org_name, ${settingsColumns}
       from memberships m join users u on u.id = m.user_id join orgs o on o.id = m.org_id
       left join org_settings s on s.org_id = m.org_id
      where m.org_id = ? and m.user_id = ?`,
    [orgId, userId],
  );
  assertRole(row?.role, 'admin');
  const settings = settingsFromRow(row);
  return { userId, name: row!.user_name, role: row!.role, orgName: row!.org_name, defaultLocale: settings.defaultLocale, settings };
}

/** Refuses a row on its own terms (role, channels) before anything is written. */
function checkRow(ctx: Context, inviter: Inviter, row: NewInvite): Channel[] {
  assertMayGrant(inviter.role, row.role);
  checkRedirectUrl(ctx, row.redirectUrl, inviter.settings.redirectOrigins);
  return resolveChannels(row);
}

/** A new invite, its link, audit entry and `invite.created` event, not yet written. */
function draftInvite(
  ctx: Context,
  orgId: string,
  inviter: Inviter,
  row: NewInvite,
  channels: Channel[],
  requestKey: string | null = null,
): { draft: InviteDraft; invite: InviteFields; acceptUrl: string } {
  const now = new Date();
  const id = uuidv7();
  const token = newInviteToken();
  const sealedToken = ctx.domain.cipher.encrypt(token, id);
  const email = row.email.toLowerCase();
  const expiresAt = new Date(now.getTime() + (row.expiresInHours ?? ctx.domain.config.INVITE_DEFAULT_EXPIRY_HOURS) * hour);
  const invite: InviteFields = {
    id,
    orgId,
    email,
    phone: row.phone ?? null,
    role: row.role,
    status: 'pending',
    tokenVersion: 1,
    expiresAt,
    invitedBy: inviter.userId,
    channels,
    locale: row.locale ?? inviter.defaultLocale,
    message: row.message ?? null,
    redirectUrl: row.redirectUrl ?? null,
    createdAt: now,
    sentAt: now,
    acceptedAt: null,
    declinedAt: null,
    withdrawnAt: null,
    expiredAt: null,
    acceptedUserId: null,
    emailStatus: channels.includes('email') ? 'queued' : 'skipped',
    emailAttempts: 0,
    emailLastError: null,
    emailSentAt: null,
    emailProviderId: null,
    smsStatus: channels.includes('sms') ? 'queued' : 'skipped',
    smsAttempts: 0,
    smsLastError: null,
    smsSentAt: null,
    smsProviderId: null,
  };
  const draft: InviteDraft = {
    row: {
      id,
      org_id: orgId,
      email,
      phone: invite.phone ?? null,
      role: invite.role,
      token_hash: hashToken(token),
      sealed_token: sealedToken,
      expires_at: expiresAt.toISOString(),
      invited_by: inviter.userId,
      channels,
      locale: invite.locale,
      message: invite.message ?? null,
      redirect_url: invite.redirectUrl ?? null,
      created_at: now.toISOString(),
      email_status: invite.emailStatus as 'queued' | 'skipped',
      sms_status: invite.smsStatus as 'queued' | 'skipped',
      request_key: requestKey,
    },
    audit: auditRow(
      ctx,
      orgId,
      'invite.created',
      `invite:${id}`,
      { email, role: row.role, channels, expiresAt: expiresAt.toISOString(), ...(invite.redirectUrl ? { redirectUrl: invite.redirectUrl } : {}) },
      now,
    ),
    event: outboxRow(
      ctx,
      issuedEvent(invite, { orgName: inviter.orgName, inviterName: inviter.name, type: 'invite.created', sealedToken, now, template: templateOf(inviter.settings, invite.locale) }),
      now,
    ),
  };
  const proof = inviter.operator ? ctx.domain.proofs.proofOf(token) : undefined;
  return { draft, invite, acceptUrl: acceptLink(ctx.domain.config.APP_BASE_URL, token, proof) };
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

function alreadyMember(email: string): DomainError {
  return new DomainError('ALREADY_MEMBER', { detail: `${email} is already a member` });
}

function alreadyPending(email: string): DomainError {
  return new DomainError('INVITE_ALREADY_PENDING', { detail: `${email} already has a pending invite; resend it instead` });
}

async function quotaExhausted(ctx: Context): Promise<DomainError> {
  const limit = ctx.domain.config.INVITE_RATE_PER_HOUR;
  const [row] = await ctx.em.execute<{ retry_after: number }[]>(
    `select ceil(extract(epoch from date_trunc('hour', now()) + interval '1 hour' - now()))::int as retry_after`,
  );
  const retryAfter = Math.max(1, row?.retry_after ?? 1);
  return new DomainError('RATE_LIMITED', {
    detail: `This organisation has created ${limit} invites this hour, its limit; try again in ${retryAfter} s`,
    retryAfter,
  });
}

/**
 * The error a refused write stands for, worded from the org's state now. Read outside
 * the caller's transaction, which the refused statement aborted.
 */
async function refusalError(ctx: Context, orgId: string, refusal: Refusal, email: string, phone?: string | null): Promise<DomainError> {
  const reader: Context = { ...ctx, em: ctx.domain.orm.em.fork() as EntityManager, afterCommit: undefined };
  switch (refusal) {
    case 'orgs_seat_limit':
      return seatLimitReached(await countSeats(reader, orgId));
    case 'invites_not_member':
      return alreadyMember(email);
    case 'orgs_hourly_quota':
      return quotaExhausted(reader);
    case 'sends_recipient_cap': {
      // The address, unless it is the phone number that has had its invites.
      const counts = phone ? await sendCounts(reader, [recipientSubject(phone)]) : new Map<string, number>();
      return recipientCapReached(reader, phone && (counts.get(recipientSubject(phone)) ?? 0) >= ctx.domain.config.RECIPIENT_INVITES_PER_DAY ? phone : email);
    }
    case 'sends_inviter_cap':
      return inviterCapReached(reader, requireUser(ctx));
  }
}

/**
 * Writes one invite in one statement (see insertInvites). The common case is that
 * statement alone; refusals are worded after it failed, without any lock held. With a
 * `requestKey`, a create that already happened under it answers with its invite.
 */
async function createOne(ctx: Context, orgId: string, inviter: Inviter, row: NewInvite, requestKey?: string): Promise<InviteWithLink> {
  const channels = checkRow(ctx, inviter, row);
  const email = row.email.toLowerCase();
  const keyed = requestKey && inviter.userId ? { requestKey, inviterId: inviter.userId } : undefined;
  const earlier = () => (keyed ? inviteOfRequestKey(ctx, orgId, keyed.inviterId, keyed.requestKey, row) : Promise.resolve(undefined));
  const replay = await earlier();
  if (replay) return replay;
  for (let attempt = 0; ; attempt += 1) {
    const { draft, invite, acceptUrl } = draftInvite(ctx, orgId, inviter, row, channels, keyed?.requestKey ?? null);
    let created: Set<string>;
    try {
      created = await insertInvites(ctx, orgId, [draft]);
    } catch (error) {
      // A concurrent create with the same key won the race: its invite is the answer (or, for another address, a reused key).
      if ((error as { constraint?: unknown }).constraint === requestKeyIndex) {
        const winner = await earlier();
        if (winner) return winner;
      }
      const refusal = refusalOf(error);
      throw refusal ? await refusalError(ctx, orgId, refusal, email, channels.includes('sms') ? row.phone : null) : error;
    }
    if (created.has(invite.id)) {
      whenCommitted(ctx, () => ctx.domain.counters.created(1));
      return { invite: toInviteView(invite), acceptUrl };
    }
    // The pending invite that holds the address may be this key's own, from a create running alongside.
    const concurrent = await earlier();
    if (concurrent) return concurrent;
    // A pending invite holds the address; if it is overdue (the sweeper has not reached
    // it yet), it must not block a new one.
    if (attempt === 0 && (await inTransaction(ctx, (tx) => expireOverdue(tx, { orgId, emails: [email] }))) > 0) continue;
    throw alreadyPending(email);
  }
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
export function issuedEvent(invite: InviteFields, fields: IssuedEventFields) {
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

/** `invite.create`: one invite; its link is in the reply and nowhere else in plaintext. Idempotent under `requestKey`. */
export async function createInvite(ctx: Context, orgId: string, row: NewInvite, requestKey?: string): Promise<InviteWithLink> {
  return createOne(ctx, orgId, await inviterOf(ctx, orgId), row, requestKey);
}

/** Creates the bootstrap owner invite of a new org (no inviter), in the caller's transaction. */
export function createOwnerInvite(ctx: Context, orgId: string, orgName: string, email: string): Promise<InviteWithLink> {
  const inviter: Inviter = { userId: null, name: null, role: 'owner', orgName, defaultLocale: 'en', settings: defaultOrgSettings, operator: true };
  return createOne(ctx, orgId, inviter, { email, role: 'owner' });
}

/** What a bulk upload needs to decide each row: who is a member, who has a pending invite, seats and quota left. */
interface BulkState {
  members: Set<string>;
  pending: Set<string>;
  seatsLeft: number;
  quotaLeft: number;
}

async function bulkState(ctx: Context, orgId: string, emails: string[]): Promise<BulkState> {
  const [row] = await ctx.em.execute<
    { members: string[]; pending_emails: string[]; seat_limit: number; members_count: number; pending: number; overdue: number; quota_used: number }[]
  >(
    `select ${seatColumns},
            array(select u.email from memberships m join users u on u.id = m.user_id where m.org_id = o.id and lower(u.email) in (?)) as members,
            array(select i.email from invites i where i.org_id = o.id and i.status = 'pending' and lower(i.email) in (?)) as pending_emails,
            ${overdueCount} as overdue,
            case when o.quota_window = date_trunc('hour', now()) then o.quota_used else 0 end as quota_used
       from orgs o where o.id = ?`,
    [emails, emails, orgId],
  );
  if (!row) throw new DomainError('NOT_FOUND', { detail: 'No such organisation' });
  const limit = ctx.domain.config.INVITE_RATE_PER_HOUR;
  return {
    members: new Set(row.members),
    pending: new Set(row.pending_emails),
    seatsLeft: row.seat_limit - row.members_count - row.pending + row.overdue,
    quotaLeft: limit > 0 ? limit - row.quota_used : Infinity,
  };
}

/**
 * `invite.bulk`: up to 1000 rows, each validated and created or refused on its own,
 * all written by one statement. The rows are decided from a read without any lock;
 * should a concurrent command take the last seats (or quota) in between, the database
 * refuses the statement and the whole upload is decided again.
 */
export async function bulkCreateInvites(ctx: Context, orgId: string, rows: unknown[]): Promise<BulkInviteReply> {
  const inviter = await inviterOf(ctx, orgId);
  const results: BulkRowResult[] = new Array(rows.length);
  const valid: { index: number; row: NewInvite; channels: Channel[] }[] = [];
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
    try {
      valid.push({ index, row, channels: checkRow(ctx, inviter, row) });
    } catch (error) {
      if (!isDomainError(error)) throw error;
      results[index] = { row: index, status: 'failed', email: row.email, code: error.code, detail: error.detail };
    }
  });

  const emails = valid.map((v) => v.row.email.toLowerCase());
  const caps = sendCapsOf(ctx);
  // The daily send counts this upload is decided on: its addresses, phones and inviter.
  const subjects = new Set<string>();
  if (inviter.userId && caps.recipient > 0) {
    for (const { row, channels } of valid) {
      if (channels.includes('email')) subjects.add(recipientSubject(row.email));
      if (channels.includes('sms') && row.phone) subjects.add(recipientSubject(row.phone));
    }
  }
  const inviterKey = inviter.userId && caps.inviter > 0 ? inviterSubject(inviter.userId) : undefined;
  if (inviterKey) subjects.add(inviterKey);
  for (let attempt = 1; valid.length > 0; attempt += 1) {
    try {
      const created = await inTransaction(ctx, async (tx) => {
        // An overdue invite that the sweeper has not reached yet must not block a new one.
        await expireOverdue(tx, { orgId, emails });
        const state = await bulkState(tx, orgId, emails);
        let { seatsLeft, quotaLeft } = state;
        const sent = await sendCounts(tx, [...subjects]);
        let sendsLeft = inviterKey ? caps.inviter - (sent.get(inviterKey) ?? 0) : Infinity;
        let noSeat: DomainError | undefined;
        let noQuota: DomainError | undefined;
        let noSends: DomainError | undefined;
        const drafts: { index: number; email: string; value: InviteWithLink; draft: InviteDraft }[] = [];
        for (const { index, row, channels } of valid) {
          const email = row.email.toLowerCase();
          const recipients = [...(channels.includes('email') ? [email] : []), ...(channels.includes('sms') && row.phone ? [row.phone] : [])];
          const capped = inviter.userId && caps.recipient > 0 ? recipients.find((r) => (sent.get(recipientSubject(r)) ?? 0) >= caps.recipient) : undefined;
          let refused: DomainError | undefined;
          if (state.members.has(email)) refused = alreadyMember(email);
          else if (state.pending.has(email)) refused = alreadyPending(email);
          else if (seatsLeft < 1) refused = noSeat ??= seatLimitReached(await countSeats(tx, orgId));
          else if (quotaLeft < 1) refused = noQuota ??= await quotaExhausted(tx);
          else if (capped) refused = new DomainError('RATE_LIMITED', { detail: recipientCapDetail(tx, capped) });
          else if (sendsLeft < 1) refused = noSends ??= await inviterCapReached(tx, inviter.userId!);
          if (refused) {
            results[index] = { row: index, status: 'failed', email: row.email, code: refused.code, detail: refused.detail };
            continue;
          }
          seatsLeft -= 1;
          quotaLeft -= 1;
          sendsLeft -= 1;
          for (const r of recipients) sent.set(recipientSubject(r), (sent.get(recipientSubject(r)) ?? 0) + 1);
          const { draft, invite, acceptUrl } = draftInvite(tx, orgId, inviter, row, channels);
          drafts.push({ index, email: row.email, draft, value: { invite: toInviteView(invite), acceptUrl } });
        }
        const inserted = drafts.length ? await insertInvites(tx, orgId, drafts.map((d) => d.draft)) : new Set<string>();
        for (const { index, email, draft, value } of drafts) {
          results[index] = inserted.has(draft.row.id)
            ? { row: index, status: 'created', email, invite: value.invite, acceptUrl: value.acceptUrl }
            : // Another command created one for this address since the read.
              { row: index, status: 'failed', email, code: 'INVITE_ALREADY_PENDING', detail: alreadyPending(draft.row.email).detail };
        }
        return inserted.size;
      });
      if (created > 0) ctx.domain.counters.created(created);
      break;
    } catch (error) {
      const refusal = refusalOf(error);
      if (!refusal || attempt >= 5) throw refusal ? await refusalError(ctx, orgId, refusal, 'an address in this upload') : error;
    }
  }
  const created = results.filter((r) => r.status === 'created').length;
  return { created, failed: results.length - created, results };
}

async function lockInvite(ctx: Context, orgId: string, inviteId: string): Promise<Invite> {
  const rows = await ctx.em.execute<{ id: string }[]>(`select id from invites where id = ? and org_id = ? for update`, [inviteId, orgId]);
  if (!rows[0]) throw new DomainError('NOT_FOUND', { detail: 'No such invite' });
  return ctx.em.findOneOrFail(Invite, { id: inviteId }, { refresh: true });
}

function notPending(invite: Pick<Invite, 'status'>): DomainError {
  return new DomainError('INVITE_NOT_PENDING', { detail: `The invite is ${invite.status}; only pending invites can change` });
}

/** `invite.resend`: a new token (the old one dies), expiry renewed, delivery queued again. */
export async function resendInvite(ctx: Context, orgId: string, inviteId: string): Promise<InviteWithLink> {
  const inviter = await inviterOf(ctx, orgId);
  return inTransaction(ctx, async (tx) => {
    // The org row before the invite row, in the order accept takes them: the reverse
    // order deadlocked a resend with a concurrent accept of the same invite.
    const [row] = await tx.em.execute<Record<string, unknown>[]>(
      `with o as (select id from orgs where id = ? for no key update)
       select i.* from o join invites i on i.org_id = o.id and i.id = ? for update of i`,
      [orgId, inviteId],
    );
    if (!row) throw new DomainError('NOT_FOUND', { detail: 'No such invite' });
    const invite = tx.em.map(Invite, row);
    if (invite.status !== 'pending') throw notPending(invite);
    const now = new Date();
    const cooldownMs = tx.domain.config.RESEND_COOLDOWN_SECONDS * 1000;
    const wait = invite.sentAt.getTime() + cooldownMs - now.getTime();
    if (wait > 0) {
      const retryAfter = Math.ceil(wait / 1000);
      throw new DomainError('RESEND_COOLDOWN', { detail: `This invite was sent moments ago; resend again in ${retryAfter} s`, retryAfter });
    }
    // An overdue invite no longer holds a seat for the people reading the usage: reviving it needs one.
    if (invite.expiresAt <= now) {
      const seats = await countSeats(tx, orgId);
      if (seatsAvailable(seats) < 1) throw seatLimitReached(seats);
    }

    const lifetime = Math.max(hour, invite.expiresAt.getTime() - invite.sentAt.getTime());
    const token = newInviteToken();
    const sealedToken = tx.domain.cipher.encrypt(token, invite.id);
    const next: InviteFields = { ...invite, tokenVersion: invite.tokenVersion + 1, sentAt: now, expiresAt: new Date(now.getTime() + lifetime) };
    const sets = ['token_hash = ?', 'token_version = ?', 'sealed_token = ?', 'sent_at = ?', 'expires_at = ?'];
    for (const channel of ['email', 'sms'] as const) {
      if (!invite.channels.includes(channel)) continue;
      Object.assign(next, { [`${channel}Status`]: 'queued', [`${channel}Attempts`]: 0, [`${channel}LastError`]: null, [`${channel}SentAt`]: null, [`${channel}ProviderId`]: null });
      sets.push(`${channel}_status = 'queued', ${channel}_attempts = 0, ${channel}_last_error = null, ${channel}_sent_at = null, ${channel}_provider_id = null, ${channel}_updated_at = ?`);
    }
    const channelTimes = sets.slice(5).map(() => now);
    const audit = auditRow(tx, orgId, 'invite.resent', `invite:${invite.id}`, { tokenVersion: next.tokenVersion, expiresAt: next.expiresAt.toISOString() }, now);
    const event = outboxRow(
      tx,
      issuedEvent(next, { orgName: inviter.orgName, inviterName: inviter.name, type: 'invite.resent', sealedToken, now, template: templateOf(inviter.settings, next.locale) }),
      now,
    );
    // The rows are locked already: the update, its audit entry, its event and the daily
    // send counts (the resender's, the invitee's) are one statement.
    const caps = sendCapsOf(tx);
    await tx.em.execute(
      `with upd as (update invites set ${sets.join(', ')} where id = ? returning id),
            a as (insert into audit_log ${auditColumns} select a.* from ${auditRecordset}),
            e as (insert into outbox ${outboxColumns} select e.* from ${outboxRecordset}),
            src as (select ?::text as email, ?::text as phone, ?::jsonb as channels, ?::uuid as invited_by),
            ${countSendsSql(caps, 'src')}
       select id, ${sendCapCheckSql(caps)} as caps from upd`,
      [
        hashToken(token),
        next.tokenVersion,
        sealedToken,
        now,
        next.expiresAt,
        ...channelTimes,
        invite.id,
        JSON.stringify([audit]),
        JSON.stringify([event]),
        invite.email,
        invite.phone ?? null,
        JSON.stringify(invite.channels),
        inviter.userId,
      ],
    );
    return { invite: toInviteView(next), acceptUrl: acceptLink(tx.domain.config.APP_BASE_URL, token) };
  }).catch(async (error: unknown) => {
    const refusal = refusalOf(error);
    if (!refusal) throw error;
    const [row] = await ctx.domain.orm.em.fork().execute<{ email: string; phone: string | null }[]>(`select email, phone from invites where id = ?`, [inviteId]);
    throw await refusalError(ctx, orgId, refusal, row?.email ?? 'this address', row?.phone);
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
