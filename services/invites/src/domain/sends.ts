import { DomainError } from '@invite/contracts';
import type { Context } from './context.ts';

/**
 * Daily caps on invites: how many one address or phone number receives and how many one
 * user sends, counted over the last 24 hours (the current clock hour and the 23 before
 * it) across every organisation, creates and resends alike. Counts live in
 * `send_counts` (see Migration20261206010000). Invites an operator makes (an org's
 * first owner) are not counted.
 */
export interface SendCaps {
  /** Invites one address or phone number may receive; 0: no cap. */
  recipient: number;
  /** Invites one user may send; 0: no cap. */
  inviter: number;
}

export function sendCapsOf(ctx: Context): SendCaps {
  return { recipient: ctx.domain.config.RECIPIENT_INVITES_PER_DAY, inviter: ctx.domain.config.INVITER_INVITES_PER_DAY };
}

export const recipientSubject = (address: string) => `to:${address.toLowerCase()}`;
export const inviterSubject = (userId: string) => `by:${userId}`;

/** The buckets of a subject's last 24 hours, before the current hour. */
const earlierHours = `p.hour >= date_trunc('hour', now()) - interval '23 hours' and p.hour < date_trunc('hour', now())`;

/**
 * CTEs that add the invites of relation `source` (columns email, phone, channels jsonb,
 * invited_by) to their subjects' current hour: the address when it gets an email, the
 * phone number when it gets an SMS, the inviter always (a link-only invite too). `after`, when given, is a CTE the counts
 * wait for (the one that locks the org row), so that the counter rows are always
 * locked after the org row, by every statement, in subject order: no deadlock.
 * Integers only are inlined; the caller's parameters are untouched.
 */
export function countSendsSql(caps: SendCaps, source: string, after?: string): string {
  const recipient = Math.trunc(caps.recipient);
  const inviter = Math.trunc(caps.inviter);
  return `subjects as (
       select s.subject, count(*)::int as n
         from (select 'to:' || lower(email) as subject, invited_by from ${source} where channels @> '["email"]'
               union all select 'to:' || phone, invited_by from ${source} where phone is not null and channels @> '["sms"]'
               union all select 'by:' || invited_by, invited_by from ${source}) s${after ? ` cross join ${after}` : ''}
        where s.invited_by is not null
          and ((s.subject like 'to:%' and ${recipient} > 0) or (s.subject like 'by:%' and ${inviter} > 0))
        group by s.subject
     ), counted as (
       insert into send_counts as c (subject, hour, n)
       select subject, date_trunc('hour', now()), n from subjects order by subject
       on conflict (subject, hour) do update set n = c.n + excluded.n
       returning subject, n
     )`;
}

/**
 * An expression that raises `sends_recipient_cap` or `sends_inviter_cap` when a count
 * made by `countSendsSql` went over its cap (and is 0 otherwise).
 */
export function sendCapCheckSql(caps: SendCaps): string {
  const over = (prefix: string, cap: number) =>
    `exists (select 1 from counted k where k.subject like '${prefix}:%'
               and k.n + coalesce((select sum(p.n) from send_counts p where p.subject = k.subject and ${earlierHours}), 0) > ${Math.trunc(cap)})`;
  return `(select case when ${over('to', caps.recipient)} then invites_over_recipient_cap()
                       when ${over('by', caps.inviter)} then invites_over_inviter_cap() else 0 end)`;
}

/** Invites counted for each subject over the last 24 hours (absent: none). */
export async function sendCounts(ctx: Context, subjects: string[]): Promise<Map<string, number>> {
  if (subjects.length === 0) return new Map();
  const rows = await ctx.em.execute<{ subject: string; n: number }[]>(
    `select subject, sum(n)::int as n from send_counts
      where subject in (?) and hour >= date_trunc('hour', now()) - interval '23 hours' group by subject`,
    [subjects],
  );
  return new Map(rows.map((r) => [r.subject, r.n]));
}

function inWords(seconds: number): string {
  if (seconds < 90) return `${seconds} s`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 90) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? `${hours} h ${rest} min` : `${hours} h`;
}

/** When the oldest of a subject's counted hours leaves the 24-hour window. */
async function secondsUntilFreed(ctx: Context, subject: string): Promise<number> {
  const [row] = await ctx.em.execute<{ retry_after: number | null }[]>(
    `select ceil(extract(epoch from min(hour) + interval '24 hours' - now()))::int as retry_after
       from send_counts where subject = ? and hour >= date_trunc('hour', now()) - interval '23 hours' and n > 0`,
    [subject],
  );
  return Math.max(1, row?.retry_after ?? 1);
}

/** Why an address or phone number gets no more invites today. */
export function recipientCapDetail(ctx: Context, address: string): string {
  return `${address} has been sent ${ctx.domain.config.RECIPIENT_INVITES_PER_DAY} invites in the last 24 hours, the most one address or phone number receives`;
}

/** RATE_LIMITED for an address or phone number that has had its invites for the day. */
export async function recipientCapReached(ctx: Context, address: string): Promise<DomainError> {
  const retryAfter = await secondsUntilFreed(ctx, recipientSubject(address));
  return new DomainError('RATE_LIMITED', { detail: `${recipientCapDetail(ctx, address)}; try again in ${inWords(retryAfter)}`, retryAfter });
}

/** RATE_LIMITED for a user who has sent their invites for the day. */
export async function inviterCapReached(ctx: Context, userId: string): Promise<DomainError> {
  const retryAfter = await secondsUntilFreed(ctx, inviterSubject(userId));
  return new DomainError('RATE_LIMITED', {
    detail: `You have sent ${ctx.domain.config.INVITER_INVITES_PER_DAY} invites in the last 24 hours, the most one person may send; try again in ${inWords(retryAfter)}`,
    retryAfter,
  });
}

/** Deletes counts older than the window. @returns how many rows went. */
export async function pruneSendCounts(ctx: Context): Promise<number> {
  const result = await ctx.em.execute<{ affectedRows: number }>(
    `delete from send_counts where hour < date_trunc('hour', now()) - interval '23 hours'`,
    [],
    'run',
  );
  return result.affectedRows;
}
