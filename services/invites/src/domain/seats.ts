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
  const row = await ctx.em.execute<{ name: string; seat_limit: number; members: number; pending: number }[]>(
    `select o.name, o.seat_limit,
            (select count(*)::int from memberships m where m.org_id = o.id) as members,
            (select count(*)::int from invites i
              where i.org_id = o.id and i.status = 'pending' and i.expires_at > now()) as pending
       from orgs o where o.id = ? for update`,
    [orgId],
  );
  const state = row[0];
  if (!state) throw new DomainError('NOT_FOUND', { detail: 'No such organisation' });
  return { orgName: state.name, seatLimit: state.seat_limit, members: state.members, pendingInvites: state.pending };
}

export function seatsAvailable(state: SeatState): number {
  return Math.max(0, state.seatLimit - state.members - state.pendingInvites);
}

export function seatLimitReached(state: SeatState): DomainError {
  return new DomainError('SEAT_LIMIT_REACHED', {
    detail: `All ${state.seatLimit} seats are taken (${state.members} members, ${state.pendingInvites} pending invites); withdraw an invite or raise the plan's seat limit`,
  });
}
