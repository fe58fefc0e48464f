import {
  DomainError,
  uuidv7,
  type AuditPage,
  type CreateOrgReply,
  type CreateOrgRequest,
  type MemberPage,
  type OrgPageRequest,
  type UsageView,
} from '@invite/contracts';
import { AuditEntry, Membership, Org, User } from '../db/entities.ts';
import { requireRole } from './authorization.ts';
import { recordAudit } from './changes.ts';
import { inTransaction, type Context } from './context.ts';
import { decodeCursor, keyset, pageOf } from './cursor.ts';
import { createOwnerInvite } from './invite.commands.ts';
import { countSeats, seatsAvailable } from './seats.ts';
import { toUserView } from './auth.commands.ts';

/**
 * `org.create` (operators only): the organisation and its first owner's invite. The
 * owner joins by accepting it like any invitee, so even the first account is created
 * through the audited path.
 */
export function createOrg(ctx: Context, request: CreateOrgRequest): Promise<CreateOrgReply> {
  if (ctx.actor.kind !== 'operator') throw new DomainError('FORBIDDEN', { detail: 'Only operators create organisations' });
  return inTransaction(ctx, async (tx) => {
    const org = tx.em.create(Org, { id: uuidv7(), name: request.name, plan: request.plan ?? 'free', seatLimit: request.seatLimit });
    await tx.em.flush();
    recordAudit(tx, org.id, 'org.created', `org:${org.id}`, { name: org.name, plan: org.plan, seatLimit: org.seatLimit });
    const ownerInvite = await createOwnerInvite(tx, org.id, org.name, request.ownerEmail);
    return { orgId: org.id, ownerInvite };
  });
}

/** `org.members`: members with their accounts, oldest first. */
export async function listMembers(ctx: Context, request: OrgPageRequest): Promise<MemberPage> {
  await requireRole(ctx, request.orgId, 'admin');
  const limit = request.limit ?? 50;
  const after = decodeCursor(request.cursor);
  const where: Record<string, unknown> = { orgId: request.orgId };
  Object.assign(where, keyset(after, '(created_at, id) > (?, ?)'));
  const memberships = await ctx.em.find(Membership, where, { orderBy: { createdAt: 'asc', id: 'asc' }, limit: limit + 1 });
  const users = new Map(
    (await ctx.em.find(User, { id: { $in: memberships.map((m) => m.userId) } })).map((u) => [u.id, u]),
  );
  return pageOf(
    memberships,
    limit,
    (m) => ({ at: m.createdAt, id: m.id }),
    (m) => ({ user: toUserView(users.get(m.userId)!), role: m.role, joinedAt: m.createdAt.toISOString() }),
  );
}

/** `org.usage`: seats of the plan, taken by members and pending invites. */
export async function usage(ctx: Context, orgId: string): Promise<UsageView> {
  await requireRole(ctx, orgId, 'admin');
  const seats = await countSeats(ctx, orgId);
  return { seatLimit: seats.seatLimit, members: seats.members, pendingInvites: seats.pendingInvites, available: seatsAvailable(seats) };
}

/** `org.audit`: the organisation's audit log, newest first. */
export async function listAudit(ctx: Context, request: OrgPageRequest): Promise<AuditPage> {
  await requireRole(ctx, request.orgId, 'admin');
  const limit = request.limit ?? 50;
  const after = decodeCursor(request.cursor);
  const where: Record<string, unknown> = { orgId: request.orgId };
  Object.assign(where, keyset(after, '(at, id) < (?, ?)'));
  const entries = await ctx.em.find(AuditEntry, where, { orderBy: { at: 'desc', id: 'desc' }, limit: limit + 1 });
  return pageOf(
    entries,
    limit,
    (e) => ({ at: e.at, id: e.id }),
    (e) => ({ id: e.id, actor: e.actor, action: e.action, target: e.target, data: e.data, at: e.at.toISOString() }),
  );
}
