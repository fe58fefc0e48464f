import { DomainError } from '@invite/contracts';
import type { Context } from './context.ts';

/**
 * Seats of an organisation. The counters live on the org row (see the migration
 * Migration20261206000000): `members_count`, and `pending_count` less the org's
 * `seat_releases` rows (pending invites closed since the last create folded them in).
 * Overdue pending invites stay in those counters until the sweeper expires them, but
 * hold no seat: `pendingInvites` leaves them out, and so does every seat check.
 */
export interface SeatState {
  orgName: string;
  seatLimit: number;
  members: number;
  /** Pending invites that have not expired. */
  pendingInvites: number;
}

/** The columns of a seat count (org row `o`), for statements that lock the org row themselves. */
export const seatColumns = `o.name, o.seat_limit, o.members_count,
  o.pending_count - (select count(*)::int from seat_releases r where r.org_id = o.id) as pending`;

/** Pending invites of org row `o` past their expiry: they hold no seat. */
export const overdueCount = `(select count(*)::int from invites i where i.org_id = o.id and i.status = 'pending' and i.expires_at <= now())`;

interface SeatRow {
  name: string;
  seat_limit: number;
  members_count: number;
  pending: number;
  overdue: number;
}

/** The org's seats as committed now, without a lock: for reading and for the wording of refusals. */
export async function countSeats(ctx: Context, orgId: string): Promise<SeatState> {
  const [row] = await ctx.em.execute<SeatRow[]>(
    `select ${seatColumns}, ${overdueCount} as overdue from orgs o where o.id = ?`,
    [orgId],
  );
  if (!row) throw new DomainError('NOT_FOUND', { detail: 'No such organisation' });
  return {
    orgName: row.name,
    seatLimit: row.seat_limit,
    members: row.members_count,
    pendingInvites: row.pending - row.overdue,
  };
}

export function seatsAvailable(state: SeatState): number {
  return Math.max(0, state.seatLimit - state.members - state.pendingInvites);
}

const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function seatLimitReached(state: SeatState): DomainError {
  return new DomainError('SEAT_LIMIT_REACHED', {
    detail: `${state.seatLimit === 1 ? 'The only seat is' : `All ${state.seatLimit} seats are`} taken (${count(state.members, 'member', 'members')}, ${count(state.pendingInvites, 'pending invite', 'pending invites')}); withdraw an invite or raise the seat limit`,
  });
}

/** Rules the database enforces on a write, by the constraint name it reports. */
const refusals = ['orgs_seat_limit', 'invites_not_member', 'orgs_hourly_quota', 'sends_recipient_cap', 'sends_inviter_cap'] as const;
export type Refusal = (typeof refusals)[number];

/** Which rule a failed statement broke, if it was one of ours. */
export function refusalOf(error: unknown): Refusal | undefined {
  const constraint = (error as { constraint?: unknown } | null)?.constraint;
  return refusals.find((refusal) => refusal === constraint);
}

/**
 * Folds closed invites back into the org rows' `pending_count`, for orgs whose row no
 * other transaction holds (creates fold their own org's as they go). Keeps the
 * `seat_releases` of an org that closes invites but no longer creates any from growing.
 * @returns how many releases were folded.
 */
export async function foldSeatReleases(ctx: Context): Promise<number> {
  const [row] = await ctx.em.execute<{ folded: number }[]>(
    `with o as (select id from orgs where id in (select distinct org_id from seat_releases limit 1000) for no key update skip locked),
          r as (delete from seat_releases s using o where s.org_id = o.id returning s.org_id),
          u as (update orgs set pending_count = pending_count - c.n
                  from (select org_id, count(*)::int as n from r group by org_id) c where orgs.id = c.org_id)
     select count(*)::int as folded from r`,
  );
  return row?.folded ?? 0;
}
