import { actorLabel, afterCommit, type Context } from './context.ts';
import { enqueueEvent, eventBase, recordAudit } from './changes.ts';

/**
 * Moves overdue pending invites to `expired`, each with its audit entry and event, in
 * the caller's transaction. Rows another transaction holds are skipped (the sweeper on
 * another replica, or an accept in flight: that one decides the invite's fate).
 * @returns how many invites expired.
 */
export async function expireOverdue(
  ctx: Context,
  scope: { orgId?: string; emails?: string[]; limit?: number },
): Promise<number> {
  const where: string[] = [`status = 'pending'`, `expires_at <= now()`];
  const params: unknown[] = [];
  if (scope.orgId) {
    where.push('org_id = ?');
    params.push(scope.orgId);
  }
  if (scope.emails) {
    if (scope.emails.length === 0) return 0;
    where.push('lower(email) in (?)');
    params.push(scope.emails);
  }
  params.push(scope.limit ?? 1000);
  const rows = await ctx.em.execute<{ id: string; org_id: string; email: string }[]>(
    `update invites set status = 'expired', expired_at = now(), sealed_token = null
      where id in (select id from invites where ${where.join(' and ')} order by expires_at limit ? for update skip locked)
      returning id, org_id, email`,
    params,
  );
  const now = new Date();
  const system: Context = { ...ctx, actor: { kind: 'system', name: 'expiry' } };
  for (const row of rows) {
    recordAudit(system, row.org_id, 'invite.expired', `invite:${row.id}`, { email: row.email });
    enqueueEvent(system, { ...eventBase(row.org_id, row.id, now), type: 'invite.expired', actor: actorLabel(system.actor) });
  }
  if (rows.length > 0) afterCommit(ctx, () => ctx.domain.counters.expired(rows.length));
  return rows.length;
}
