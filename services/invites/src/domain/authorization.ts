import { DomainError, roleRank, type Role } from '@invite/contracts';
import { Membership } from '../db/entities.ts';
import type { Context } from './context.ts';

/** The caller's user id; operators and anonymous callers are refused. */
export function requireUser(ctx: Context): string {
  if (ctx.actor.kind !== 'user') throw new DomainError('UNAUTHENTICATED');
  return ctx.actor.userId;
}

/**
 * The caller's membership of `orgId`, with at least `minimum` role.
 * Not a member at all → NOT_FOUND: another org's existence is never disclosed.
 */
export async function requireRole(ctx: Context, orgId: string, minimum: Role): Promise<Membership> {
  const userId = requireUser(ctx);
  const membership = await ctx.em.findOne(Membership, { orgId, userId });
  assertRole(membership?.role, minimum);
  return membership!;
}

/** A role read by the caller's own query: none (not a member) → NOT_FOUND, too low → FORBIDDEN. */
export function assertRole(role: Role | undefined, minimum: Role): void {
  if (!role) throw new DomainError('NOT_FOUND', { detail: 'No such organisation' });
  if (roleRank[role] < roleRank[minimum]) {
    throw new DomainError('FORBIDDEN', { detail: `This needs the ${minimum} role or higher; you are ${role}` });
  }
}

/** Nobody grants a role above their own. */
export function assertMayGrant(granter: Role, granted: Role): void {
  if (roleRank[granted] > roleRank[granter]) {
    throw new DomainError('ROLE_NOT_ALLOWED', { detail: `As ${granter} you cannot invite someone as ${granted}` });
  }
}
