import { DomainError } from '@invite/contracts';
import type { Context } from './context.ts';

export interface SeatState {
  orgName: string;
  seatLimit: number;
  members: number;
  pendingInvites: number;
}

/**
 * Locks the organisation row for the rest of the transaction and counts its seats.
 * Every command that takes a seat (create, accept) locks the same row first, so seat
 * checks in one org are serialised and members + pending ≤ seat_limit holds under
 * concurrency (invariant 3). Overdue pending invites no longer hold a seat.
 */
export async function lockSeats(ctx: Context, orgId: string): Promise<SeatState> {
  // Lock first, count second. A single `select (counts…) … for update` takes its snapshot
  // before waiting for the lock, so a transaction that waited on another's seat would
  // count without that seat: under READ COMMITTED only a statement started after the lock
  // is granted sees what the previous holder committed.
  // NO KEY UPDATE, not UPDATE: it serialises seat checks just the same, but does not block
  // the KEY SHARE lock that every insert referencing the org (audit_log, invites,
  // memberships) takes for its foreign key. With FOR UPDATE, a withdraw, decline or
  // expiry holding an invite row and inserting its audit entry deadlocked with an accept
  // holding the org row and updating that invite.
  return countSeats(ctx, orgId, 'for no key update');
}

/**
 * The org's seats as committed now, without a lock: for reading (org.usage), so a
 * dashboard never waits behind a bulk import. Decisions use `lockSeats`.
 */
export async function countSeats(ctx: Context, orgId: string, lock = ''): Promise<SeatState> {
  const org = await ctx.em.execute<{ name: string; seat_limit: number }[]>(`select name, seat_limit from orgs where id = ? ${lock}`, [orgId]);
  const found = org[0];
  if (!found) throw new DomainError('NOT_FOUND', { detail: 'No such organisation' });
  const counts = await ctx.em.execute<{ members: number; pending: number }[]>(
    `select (select count(*)::int from memberships m where m.org_id = ?) as members,
            (select count(*)::int from invites i
              where i.org_id = ? and i.status = 'pending' and i.expires_at > now()) as pending`,
    [orgId, orgId],
  );
  const state = counts[0]!;
  return { orgName: found.name, seatLimit: found.seat_limit, members: state.members, pendingInvites: state.pending };
}

export function seatsAvailable(state: SeatState): number {
  return Math.max(0, state.seatLimit - state.members - state.pendingInvites);
}

export function seatLimitReached(state: SeatState): DomainError {
  return new DomainError('SEAT_LIMIT_REACHED', {
    detail: `All ${state.seatLimit} seats are taken (${state.members} members, ${state.pendingInvites} pending invites); withdraw an invite or raise the plan's seat limit`,
  });
}
