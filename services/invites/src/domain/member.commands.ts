import {
  DomainError,
  roleRank,
  type MemberRef,
  type MemberView,
  type OwnershipTransferred,
  type Role,
  type UpdateMemberRequest,
} from '@invite/contracts';
import { assertRole, requireRole, requireUser } from './authorization.ts';
import { recordAudit } from './changes.ts';
import { inTransaction, type Context } from './context.ts';
import { enqueueOrgEvent, orgEventBase } from './org.events.ts';
import { revokeLinksOf } from '../join-links/join-link.commands.ts';

/**
 * Managing people: change a member's role, remove a member (or leave), hand over
 * ownership. Who may do what:
 * - an admin manages admins and members: never grants above admin, never touches an owner;
 * - an owner manages everyone and alone hands over ownership;
 * - anyone may leave;
 * - nobody removes or demotes the last owner.
 *
 * Each command locks the org row first, then reads the roles in a statement of its own,
 * so it sees every change committed before it got the lock: two owners demoting each
 * other at once are serialised, and the second finds the last owner. (The org row is the
 * lock every seat change takes too: the membership trigger updates `members_count` there.)
 */

interface MemberRow {
  user_id: string;
  role: Role;
  created_at: Date | string;
  name: string;
  email: string;
  username: string;
}

interface Locked {
  orgName: string;
  owners: number;
  caller: MemberRow | undefined;
  target: MemberRow | undefined;
}

async function lockMembers(tx: Context, orgId: string, callerId: string, targetId: string): Promise<Locked> {
  const [org] = await tx.em.execute<{ name: string }[]>(`select name from orgs where id = ? for no key update`, [orgId]);
  if (!org) throw new DomainError('NOT_FOUND', { detail: 'No such organisation' });
  const rows = await tx.em.execute<(MemberRow & { owners: number })[]>(
    `select m.user_id, m.role, m.created_at, u.name, u.email, u.username,
            (select count(*)::int from memberships o where o.org_id = m.org_id and o.role = 'owner') as owners
       from memberships m join users u on u.id = m.user_id
      where m.org_id = ? and m.user_id in (?, ?)`,
    [orgId, callerId, targetId],
  );
  return {
    orgName: org.name,
    owners: rows[0]?.owners ?? 0,
    caller: rows.find((r) => r.user_id === callerId),
    target: rows.find((r) => r.user_id === targetId),
  };
}

function toMemberView(row: MemberRow, role: Role = row.role): MemberView {
  return {
    user: { id: row.user_id, email: row.email, username: row.username, name: row.name },
    role,
    joinedAt: new Date(row.created_at).toISOString(),
  };
}

function noSuchMember(): DomainError {
  return new DomainError('NOT_FOUND', { detail: 'This person is not a member of the organisation' });
}

function lastOwner(locked: Locked, target: MemberRow, self: boolean): DomainError {
  const who = self ? 'You are' : `${target.name} is`;
  return new DomainError('LAST_OWNER', {
    detail: `${who} the only owner of ${locked.orgName}; make another member owner first`,
  });
}

/** An admin (not an owner) may act on admins and members only. */
function assertMayManage(caller: MemberRow, target: MemberRow): void {
  if (target.role === 'owner' && caller.role !== 'owner') {
    throw new DomainError('FORBIDDEN', { detail: `Only an owner can change or remove an owner; ${target.name} is an owner` });
  }
}

function setRole(tx: Context, orgId: string, userId: string, role: Role) {
  return tx.em.execute(`update memberships set role = ? where org_id = ? and user_id = ?`, [role, orgId, userId], 'run');
}

/** `org.member.update`: another role for a member. Asking for the role they have changes nothing and writes nothing. */
export async function updateMemberRole(ctx: Context, request: UpdateMemberRequest): Promise<MemberView> {
  const callerId = requireUser(ctx);
  await requireRole(ctx, request.orgId, 'admin');
  return inTransaction(ctx, async (tx) => {
    const locked = await lockMembers(tx, request.orgId, callerId, request.userId);
    assertRole(locked.caller?.role, 'admin');
    const caller = locked.caller!;
    const target = locked.target;
    if (!target) throw noSuchMember();
    assertMayManage(caller, target);
    if (roleRank[request.role] > roleRank[caller.role]) {
      throw new DomainError('ROLE_NOT_ALLOWED', { detail: `As ${caller.role} you cannot make someone ${request.role}` });
    }
    if (target.role === request.role) return toMemberView(target);
    if (target.role === 'owner' && locked.owners <= 1) throw lastOwner(locked, target, target.user_id === callerId);

    await setRole(tx, request.orgId, target.user_id, request.role);
    // Their join links grant at least member: a member may grant nothing.
    if (request.role === 'member') await revokeLinksOf(tx, request.orgId, target.user_id, 'creator_demoted');
    const now = new Date();
    recordAudit(tx, request.orgId, 'member.role_changed', `user:${target.user_id}`, { name: target.name, email: target.email, from: target.role, to: request.role });
    enqueueOrgEvent(tx, { ...orgEventBase(tx, request.orgId, now), type: 'member.role-changed', userId: target.user_id, from: target.role, to: request.role });
    return toMemberView(target, request.role);
  });
}

/**
 * `org.member.remove`: the membership ends (the audit log keeps who it was), its seat is
 * free at once (the trigger on memberships lowers `members_count`), and every call the
 * person makes for this org is refused from now on, whatever session they hold: roles
 * are read from `memberships` on each call. Removing yourself is leaving.
 */
export async function removeMember(ctx: Context, request: MemberRef): Promise<Record<string, never>> {
  const callerId = requireUser(ctx);
  const self = request.userId === callerId;
  await requireRole(ctx, request.orgId, self ? 'member' : 'admin');
  return inTransaction(ctx, async (tx) => {
    const locked = await lockMembers(tx, request.orgId, callerId, request.userId);
    assertRole(locked.caller?.role, self ? 'member' : 'admin');
    const target = locked.target;
    if (!target) throw noSuchMember();
    if (!self) assertMayManage(locked.caller!, target);
    if (target.role === 'owner' && locked.owners <= 1) throw lastOwner(locked, target, self);

    await tx.em.execute(`delete from memberships where org_id = ? and user_id = ?`, [request.orgId, target.user_id], 'run');
    await revokeLinksOf(tx, request.orgId, target.user_id, 'creator_removed');
    const now = new Date();
    recordAudit(tx, request.orgId, self ? 'member.left' : 'member.removed', `user:${target.user_id}`, { name: target.name, email: target.email, role: target.role });
    enqueueOrgEvent(tx, { ...orgEventBase(tx, request.orgId, now), type: 'member.removed', userId: target.user_id, role: target.role, left: self });
    return {};
  });
}

/**
 * `org.transfer-ownership` (owners): another member becomes owner and the caller an
 * admin, in one transaction, so the organisation always has an owner.
 */
export async function transferOwnership(ctx: Context, request: MemberRef): Promise<OwnershipTransferred> {
  const callerId = requireUser(ctx);
  await requireRole(ctx, request.orgId, 'owner');
  return inTransaction(ctx, async (tx) => {
    const locked = await lockMembers(tx, request.orgId, callerId, request.userId);
    assertRole(locked.caller?.role, 'owner');
    const caller = locked.caller!;
    const target = locked.target;
    if (!target) throw noSuchMember();
    if (target.role === 'owner') {
      throw new DomainError('ALREADY_OWNER', {
        detail: target.user_id === callerId ? `You already own ${locked.orgName}; choose another member` : `${target.name} is already an owner of ${locked.orgName}`,
      });
    }

    await setRole(tx, request.orgId, target.user_id, 'owner');
    await setRole(tx, request.orgId, callerId, 'admin');
    const now = new Date();
    recordAudit(tx, request.orgId, 'org.ownership_transferred', `user:${target.user_id}`, {
      name: target.name,
      email: target.email,
      previousRole: target.role,
      fromUserId: callerId,
      fromName: caller.name,
    });
    enqueueOrgEvent(tx, { ...orgEventBase(tx, request.orgId, now), type: 'org.ownership-transferred', fromUserId: callerId, toUserId: target.user_id });
    return { previousOwner: toMemberView(caller, 'admin'), newOwner: toMemberView(target, 'owner') };
  });
}
