import {
  DomainError,
  uuidv7,
  type AuditListRequest,
  type AuditPage,
  type CreateOrgReply,
  type CreateOrgRequest,
  type MemberPage,
  type OrgPageRequest,
  type OrgView,
  type Role,
  type UpdateOrgRequest,
  type UsageView,
} from '@invite/contracts';
import { Membership, Org, User } from '../db/entities.ts';
import { assertRole, requireRole } from './authorization.ts';
import { recordAudit } from './changes.ts';
import { inTransaction, type Context } from './context.ts';
import { auditSentence } from './audit.words.ts';
import { decodeCursor, keyset, pageOf } from './cursor.ts';
import { createOwnerInvite } from './invite.commands.ts';
import { enqueueOrgEvent, orgEventBase } from './org.events.ts';
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

/**
 * `org.audit`: the organisation's audit log, newest first, each entry with its actor's
 * name and a sentence saying what happened; optionally one action (or a family of
 * them, `invite.`) or one actor. One query: the names come from joins.
 */
export async function listAudit(ctx: Context, request: AuditListRequest): Promise<AuditPage> {
  await requireRole(ctx, request.orgId, 'admin');
  const limit = request.limit ?? 50;
  const after = decodeCursor(request.cursor);
  const conditions = ['a.org_id = ?'];
  const params: unknown[] = [request.orgId];
  if (after) {
    conditions.push('(a.at, a.id) < (?, ?)');
    params.push(after.at, after.id);
  }
  if (request.action?.endsWith('.')) {
    conditions.push("a.action like ? escape '\\'");
    params.push(`${request.action.replace(/_/g, '\\_')}%`);
  } else if (request.action) {
    conditions.push('a.action = ?');
    params.push(request.action);
  }
  if (request.actor) {
    conditions.push('a.actor = ?');
    params.push(request.actor);
  }
  const userOf = (column: string, prefix: string) => `case when ${column} ~ '^${prefix}:[0-9a-f-]{36}$' then substr(${column}, ${prefix.length + 2})::uuid end`;
  const rows = await ctx.em.execute<
    { id: string; actor: string; action: string; target: string; data: Record<string, unknown>; at: Date | string; actor_name: string | null; target_name: string | null }[]
  >(
    `select a.id, a.actor, a.action, a.target, a.data, a.at,
            coalesce(actor.name, actor.email) as actor_name,
            coalesce(i.email, coalesce(tu.name, tu.email)) as target_name
       from audit_log a
       left join users actor on actor.id = ${userOf('a.actor', 'user')}
       left join invites i on i.id = ${userOf('a.target', 'invite')}
       left join users tu on tu.id = ${userOf('a.target', 'user')}
      where ${conditions.join(' and ')}
      order by a.at desc, a.id desc
      limit ?`,
    [...params, limit + 1],
  );
  return pageOf(
    rows.map((r) => ({ ...r, at: new Date(r.at) })),
    limit,
    (e) => ({ at: e.at, id: e.id }),
    (e) => ({
      id: e.id,
      actor: e.actor,
      actorName: e.actor_name,
      summary: auditSentence({ action: e.action, actor: e.actor, actorName: e.actor_name, target: e.target, targetName: e.target_name, data: e.data }),
      action: e.action,
      target: e.target,
      data: e.data,
      at: e.at.toISOString(),
    }),
  );
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * `org.update` (owners; operators through the admin CLI): the seat limit. Never below the
 * seats in use (members plus pending invites that have not expired), counted after the
 * org row is locked: creates and accepts take that lock too, so none can slip in between
 * the count and the new limit, and the ones that follow are checked against it.
 * Setting the limit it has changes nothing and writes nothing.
 */
export async function updateOrg(ctx: Context, request: UpdateOrgRequest): Promise<OrgView> {
  if (ctx.actor.kind !== 'operator') await requireRole(ctx, request.orgId, 'owner');
  return inTransaction(ctx, async (tx) => {
    const [org] = await tx.em.execute<{ name: string; plan: string; seat_limit: number }[]>(
      `select name, plan, seat_limit from orgs where id = ? for no key update`,
      [request.orgId],
    );
    if (!org) throw new DomainError('NOT_FOUND', { detail: 'No such organisation' });
    if (tx.actor.kind === 'user') {
      // Read again under the lock: an owner demoted meanwhile is refused.
      const [row] = await tx.em.execute<{ role: Role }[]>(`select role from memberships where org_id = ? and user_id = ?`, [request.orgId, tx.actor.userId]);
      assertRole(row?.role, 'owner');
    }
    // A statement after the lock: it sees every create and accept that committed before.
    const seats = await countSeats(tx, request.orgId);
    const inUse = seats.members + seats.pendingInvites;
    if (request.seatLimit < inUse) {
      throw new DomainError('SEAT_LIMIT_BELOW_USAGE', {
        detail:
          `${org.name} has ${plural(inUse, 'seat', 'seats')} in use (${plural(seats.members, 'member', 'members')} and ` +
          `${plural(seats.pendingInvites, 'pending invite', 'pending invites')}), so its seat limit cannot go below ${inUse}; ` +
          `asked for ${request.seatLimit}. Withdraw invites or remove members first.`,
      });
    }
    if (request.seatLimit !== org.seat_limit) {
      await tx.em.execute(`update orgs set seat_limit = ? where id = ?`, [request.seatLimit, request.orgId], 'run');
      recordAudit(tx, request.orgId, 'org.seats_changed', `org:${request.orgId}`, { from: org.seat_limit, to: request.seatLimit });
      enqueueOrgEvent(tx, { ...orgEventBase(tx, request.orgId), type: 'org.seats-changed', from: org.seat_limit, to: request.seatLimit });
    }
    const state = { ...seats, seatLimit: request.seatLimit };
    return {
      orgId: request.orgId,
      name: org.name,
      plan: org.plan,
      seatLimit: request.seatLimit,
      members: seats.members,
      pendingInvites: seats.pendingInvites,
      available: seatsAvailable(state),
    };
  });
}
