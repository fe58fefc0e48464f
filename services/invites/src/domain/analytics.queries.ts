import { DomainError, type AnalyticsRequest, type AnalyticsView, type Funnel } from '@invite/contracts';
import { requireRole } from './authorization.ts';
import type { Context } from './context.ts';

const day = 86_400_000;
/** Longest period one request may cover, in days. */
export const maxAnalyticsDays = 366;

/**
 * `org.analytics`: what became of the invites created from `from` to `to` (UTC days,
 * both included). Two aggregate queries, in parallel, over one index range
 * (`invites_org_analytics_idx` covers every column they read, so the table is never
 * visited): invite counts grouped by role, day, state and per-channel outcome, which
 * add up here into every funnel; and the medians of time to accept, per GROUPING SET
 * (all, role, day, channel). Nothing is read row by row.
 */
export async function inviteAnalytics(ctx: Context, request: AnalyticsRequest): Promise<AnalyticsView> {
  const { start, end } = period(request);
  await requireRole(ctx, request.orgId, 'admin');
  const params = [request.orgId, new Date(start), new Date(end)];
  const [groups, medians] = await Promise.all([
    aggregate<GroupRow>(
      ctx,
      `select role, to_char(created_day, 'YYYY-MM-DD') as day, state, email_status, sms_status, on_email, on_sms, count(*)::int as n
         from (${cohort}) i
        group by role, created_day, state, email_status, sms_status, on_email, on_sms`,
      params,
    ),
    aggregate<MedianRow>(
      ctx,
      `select grouping(role)::int as g_role, grouping(created_day)::int as g_day, grouping(on_email)::int as g_email, grouping(on_sms)::int as g_sms,
              role, to_char(created_day, 'YYYY-MM-DD') as day, on_email, on_sms,
              percentile_cont(0.5) within group (order by seconds_to_accept) as median
         from (${cohort} and status = 'accepted' and accepted_at is not null) i
        group by grouping sets ((), (role), (created_day), (on_email), (on_sms))`,
      params,
    ),
  ]);

  const totals = tally();
  const byRole = { owner: tally(), admin: tally(), member: tally() };
  const byChannel = { email: tally(), sms: tally() };
  const days = new Map<string, Tally>();
  for (let t = start; t < end; t += day) days.set(new Date(t).toISOString().slice(0, 10), tally());
  for (const g of groups) {
    add(totals, g, g.email_status === 'sent' || g.sms_status === 'sent', failedEverywhere(g));
    add(byRole[g.role], g, g.email_status === 'sent' || g.sms_status === 'sent', failedEverywhere(g));
    const ofDay = days.get(g.day);
    if (ofDay) add(ofDay, g, g.email_status === 'sent' || g.sms_status === 'sent', failedEverywhere(g));
    if (g.on_email) add(byChannel.email, g, g.email_status === 'sent', g.email_status === 'dead');
    if (g.on_sms) add(byChannel.sms, g, g.sms_status === 'sent', g.sms_status === 'dead');
  }
  for (const m of medians) {
    const value = m.median === null ? null : Math.max(0, Number(m.median));
    if (m.g_role + m.g_day + m.g_email + m.g_sms === 4) totals.median = value;
    else if (m.g_role === 0 && m.role) byRole[m.role].median = value;
    else if (m.g_day === 0 && m.day && days.has(m.day)) days.get(m.day)!.median = value;
    else if (m.g_email === 0 && m.on_email) byChannel.email.median = value;
    else if (m.g_sms === 0 && m.on_sms) byChannel.sms.median = value;
  }
  return {
    from: request.from,
    to: request.to,
    totals: funnelOf(totals),
    byRole: { owner: funnelOf(byRole.owner), admin: funnelOf(byRole.admin), member: funnelOf(byRole.member) },
    byChannel: { email: funnelOf(byChannel.email), sms: funnelOf(byChannel.sms) },
    daily: [...days].map(([key, t]) => ({ day: key, funnel: funnelOf(t) })),
  };
}

/**
 * One read-only statement in a transaction of its own (so the two run in parallel) with
 * room to hash its groups in memory: the planner cannot know how few (role, day, state,
 * outcome) combinations there are, estimates one per invite, and would otherwise sort
 * 100,000 rows on disk instead.
 */
function aggregate<T>(ctx: Context, sql: string, params: unknown[]): Promise<T[]> {
  return ctx.em.fork().transactional(async (em) => {
    await em.execute(`set local work_mem = '16MB'`);
    return em.execute<T[]>(sql, params);
  });
}

/** The days a period may cover: none before the Unix epoch, none too far ahead to be a typing slip. */
export const analyticsDayRange = { first: '1970-01-01', last: '2999-12-31' } as const;

/** [start, end) in epoch ms of a request's days; VALIDATION_FAILED for impossible or too long periods. */
function period(request: AnalyticsRequest): { start: number; end: number } {
  const start = utcDay(request.from);
  const last = utcDay(request.to);
  const errors = [
    ...(typeof start === 'string' ? [{ path: '/from', message: start }] : []),
    ...(typeof last === 'string' ? [{ path: '/to', message: last }] : []),
  ];
  if (typeof start === 'string' || typeof last === 'string') {
    const first = errors[0]!;
    throw new DomainError('VALIDATION_FAILED', { detail: `The period is not valid: ${first.path.slice(1)} ${first.message}`, errors });
  }
  if (last < start) {
    throw new DomainError('VALIDATION_FAILED', { detail: 'The period ends before it starts', errors: [{ path: '/to', message: 'must not be before from' }] });
  }
  const days = (last - start) / day + 1;
  if (days > maxAnalyticsDays) {
    throw new DomainError('VALIDATION_FAILED', {
      detail: `The period spans ${days} days; at most ${maxAnalyticsDays} are allowed`,
      errors: [{ path: '/to', message: `must be at most ${maxAnalyticsDays - 1} days after from` }],
    });
  }
  return { start, end: last + day };
}

/** Epoch ms of a YYYY-MM-DD day (UTC), or what is wrong with it. */
function utcDay(text: string): number | string {
  const t = Date.parse(`${text}T00:00:00Z`);
  if (Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== text) return `is not a calendar day (${text})`;
  if (text < analyticsDayRange.first || text > analyticsDayRange.last) return `must be a day from ${analyticsDayRange.first} to ${analyticsDayRange.last}`;
  return t;
}

/**
 * The cohort: the org's invites created in [start, end). `state` is the status, except
 * that an overdue pending invite the sweeper has not reached yet already counts as expired.
 */
const cohort = `
  select role, (created_at at time zone 'UTC')::date as created_day, email_status, sms_status,
         case when status = 'pending' and expires_at <= now() then 'expired' else status end as state,
         date_part('epoch', accepted_at - created_at) as seconds_to_accept,
         channels @> '["email"]' as on_email, channels @> '["sms"]' as on_sms
    from invites
   where org_id = ? and created_at >= ? and created_at < ?`;

type Role = 'owner' | 'admin' | 'member';
type State = 'pending' | 'accepted' | 'declined' | 'withdrawn' | 'expired';
interface GroupRow {
  role: Role;
  day: string;
  state: State;
  email_status: string;
  sms_status: string;
  on_email: boolean;
  on_sms: boolean;
  n: number;
}
interface MedianRow {
  g_role: number;
  g_day: number;
  g_email: number;
  g_sms: number;
  role: Role | null;
  day: string | null;
  on_email: boolean | null;
  on_sms: boolean | null;
  median: number | string | null;
}

/** Dead on every channel that was not skipped, and on one at least. */
function failedEverywhere(g: GroupRow): boolean {
  const over = (status: string) => status === 'dead' || status === 'skipped';
  return (g.email_status === 'dead' || g.sms_status === 'dead') && over(g.email_status) && over(g.sms_status);
}

type Tally = Record<State, number> & { created: number; delivered: number; failed: number; median: number | null };

function tally(): Tally {
  return { created: 0, delivered: 0, failed: 0, pending: 0, accepted: 0, declined: 0, withdrawn: 0, expired: 0, median: null };
}

function add(t: Tally, g: GroupRow, delivered: boolean, failed: boolean): void {
  t.created += g.n;
  t[g.state] += g.n;
  if (delivered) t.delivered += g.n;
  if (failed) t.failed += g.n;
}

function funnelOf(t: Tally): Funnel {
  const rate = (part: number) => (t.created === 0 ? 0 : part / t.created);
  return {
    created: t.created,
    delivered: t.delivered,
    accepted: t.accepted,
    declined: t.declined,
    withdrawn: t.withdrawn,
    expired: t.expired,
    pending: t.pending,
    deliveryFailed: t.failed,
    acceptanceRate: rate(t.accepted),
    withdrawalRate: rate(t.withdrawn),
    expiryRate: rate(t.expired),
    deliveryFailureRate: rate(t.failed),
    medianSecondsToAccept: t.median,
  };
}
