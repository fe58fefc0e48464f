import { DomainError, type InvitePage, type InviteView, type ListInvitesRequest } from '@invite/contracts';
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

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
