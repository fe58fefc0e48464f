import { DomainError, type InvitePage, type InviteTimeline, type InviteView, type ListInvitesRequest } from '@invite/contracts';
import { Invite } from '../db/entities.ts';
import { requireRole } from './authorization.ts';
import type { Context } from './context.ts';
import { decodeCursor, keyset, pageOf } from './cursor.ts';
import { toInviteView } from './invite.view.ts';

/** `invite.list`: newest first, keyset-paginated, so page 1,000 costs what page 1 does. */
export async function listInvites(ctx: Context, request: ListInvitesRequest): Promise<InvitePage> {
  await requireRole(ctx, request.orgId, 'admin');
  const limit = request.limit ?? 50;
  const after = decodeCursor(request.cursor);
  const where: Record<string, unknown> = { orgId: request.orgId };
  if (request.status) where.status = request.status;
  if (request.q) where.email = { $like: `%${escapeLike(request.q.toLowerCase())}%` };
  Object.assign(where, keyset(after, '(created_at, id) < (?, ?)'));
  const rows = await ctx.em.find(Invite, where, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: limit + 1 });
  return pageOf(rows, limit, (i) => ({ at: i.createdAt, id: i.id }), toInviteView);
}

/** `invite.get`: one invite with its per-channel delivery state. */
export async function getInvite(ctx: Context, orgId: string, inviteId: string): Promise<InviteView> {
  await requireRole(ctx, orgId, 'admin');
  const invite = await ctx.em.findOne(Invite, { id: inviteId, orgId });
  if (!invite) throw new DomainError('NOT_FOUND', { detail: 'No such invite' });
  return toInviteView(invite);
}

/** Audit entries of one invite, at most; far more than resends and codes a day allow. */
const timelineLimit = 200;

/**
 * `invite.timeline`: the invite with its per-channel delivery state, and its audit
 * entries oldest first (created, resent, address codes, accepted, declined, withdrawn,
 * expired), each with the acting user's name. Entries are looked for from the invite's
 * creation on, so the org's audit index is read only from there.
 */
export async function inviteTimeline(ctx: Context, orgId: string, inviteId: string): Promise<InviteTimeline> {
  await requireRole(ctx, orgId, 'admin');
  const invite = await ctx.em.findOne(Invite, { id: inviteId, orgId });
  if (!invite) throw new DomainError('NOT_FOUND', { detail: 'No such invite' });
  const rows = await ctx.em.execute<{ id: string; action: string; actor: string; actor_name: string | null; data: Record<string, unknown>; at: Date | string }[]>(
    `select a.id, a.action, a.actor, u.name as actor_name, a.data, a.at
       from audit_log a
       left join users u on u.id = case when a.actor ~ '^user:[0-9a-f-]{36}$' then substr(a.actor, 6)::uuid end
      where a.org_id = ? and a.target = ? and a.at >= ?
      order by a.at, a.id
      limit ?`,
    [orgId, `invite:${inviteId}`, new Date(invite.createdAt.getTime() - 60_000), timelineLimit],
  );
  return {
    invite: toInviteView(invite),
    entries: rows.map((r) => ({ id: r.id, action: r.action, actor: r.actor, actorName: r.actor_name, data: r.data, at: new Date(r.at).toISOString() })),
  };
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
