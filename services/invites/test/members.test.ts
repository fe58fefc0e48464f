import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError, type Role, type TokenPair } from '@invite/contracts';
import { updateOrg } from '../src/domain/org.commands.ts';
import { addMember, email, emailedProof, operatorContext, orgWithOwner, password, startTestInvites, tokenOf, type OrgWithOwner, type TestInvites } from './harness.ts';

/**
 * Managing people: role changes, removals, leaving, ownership transfer and the seat
 * limit. Who may do what, the last owner, the seat invariant under concurrency, and that
 * every change writes its audit entry and its event with it, and every refusal nothing.
 */

let t: TestInvites;

beforeAll(async () => {
  t = await startTestInvites('members');
});
afterAll(() => t?.close());

const as = (caller: TokenPair) => ({ accessToken: caller.accessToken });

/** The code a call failed with, or 'ok'. */
function outcome(call: Promise<unknown>): Promise<string> {
  return call.then(
    () => 'ok',
    (e: unknown) => (e instanceof DomainError ? e.code : `not a DomainError: ${String(e)}`),
  );
}

async function roleOf(orgId: string, userId: string): Promise<string | null> {
  const [row] = await t.sql<{ role: string }>(`select role from memberships where org_id = ? and user_id = ?`, [orgId, userId]);
  return row?.role ?? null;
}

/** Everything a refused command must leave as it was. */
async function writes(orgId: string) {
  const [row] = await t.sql<{ audit: number; outbox: number; memberships: unknown; seat_limit: number; members_count: number }>(
    `select (select count(*)::int from audit_log where org_id = o.id) as audit,
            (select count(*)::int from outbox where payload->>'orgId' = o.id::text) as outbox,
            (select jsonb_agg(jsonb_build_array(user_id, role) order by user_id) from memberships where org_id = o.id) as memberships,
            o.seat_limit, o.members_count
       from orgs o where o.id = ?`,
    [orgId],
  );
  return row!;
}

/** The org's newest audit entry and outbox event. */
async function latest(orgId: string) {
  const [audit] = await t.sql<{ actor: string; action: string; target: string; data: Record<string, unknown> }>(
    `select actor, action, target, data from audit_log where org_id = ? order by at desc, id desc limit 1`,
    [orgId],
  );
  const [event] = await t.sql<{ subject: string; payload: Record<string, unknown> }>(
    `select subject, payload from outbox where payload->>'orgId' = ? order by created_at desc, id desc limit 1`,
    [orgId],
  );
  return { audit, event };
}

/** Seats as the database counts them, and the counter the trigger keeps. */
async function seats(orgId: string) {
  const [row] = await t.sql<{ members: number; counter: number; pending: number; seat_limit: number }>(
    `select (select count(*)::int from memberships where org_id = o.id) as members, o.members_count as counter,
            (select count(*)::int from invites where org_id = o.id and status = 'pending') as pending, o.seat_limit
       from orgs o where o.id = ?`,
    [orgId],
  );
  return row!;
}

interface Team {
  org: OrgWithOwner;
  admin: TokenPair;
  admin2: TokenPair;
  member: TokenPair;
  member2: TokenPair;
}

async function team(): Promise<Team> {
  const org = await orgWithOwner(t, 20);
  return {
    org,
    admin: await addMember(t, org, 'admin'),
    admin2: await addMember(t, org, 'admin'),
    member: await addMember(t, org, 'member'),
    member2: await addMember(t, org, 'member'),
  };
}

describe('changing a role', () => {
  it('follows the matrix: owners change anyone, admins up to admin and never an owner, members nothing', async () => {
    const cases: [caller: 'owner' | 'admin' | 'member', target: 'owner' | 'admin' | 'member', role: Role, expected: string][] = [
      ['owner', 'member', 'admin', 'ok'],
      ['owner', 'admin', 'member', 'ok'],
      ['owner', 'member', 'owner', 'ok'],
      ['admin', 'member', 'admin', 'ok'],
      ['admin', 'admin', 'member', 'ok'],
      ['admin', 'member', 'owner', 'ROLE_NOT_ALLOWED'],
      ['admin', 'owner', 'admin', 'FORBIDDEN'],
      ['admin', 'owner', 'member', 'FORBIDDEN'],
      ['member', 'member', 'admin', 'FORBIDDEN'],
      ['member', 'admin', 'member', 'FORBIDDEN'],
      ['member', 'owner', 'member', 'FORBIDDEN'],
    ];
    const lines: string[] = [];
    for (const [caller, target, role] of cases) {
      const { org, admin, admin2, member, member2 } = await team();
      const callers = { owner: org.owner, admin, member };
      const targets = { owner: org.owner, admin: admin2, member: member2 };
      const before = await writes(org.orgId);
      const result = await outcome(
        t.client.call('org.member.update', { orgId: org.orgId, userId: targets[target].user.id, role }, as(callers[caller])),
      );
      lines.push(`${caller} makes ${target} ${role}: ${result}`);
      const now = await writes(org.orgId);
      if (result === 'ok') {
        expect(await roleOf(org.orgId, targets[target].user.id)).toBe(role);
        expect(now.audit).toBe(before.audit + 1);
        expect(now.outbox).toBe(before.outbox + 1);
      } else {
        expect(now, `${caller} → ${target}`).toEqual(before);
      }
    }
    expect(lines).toEqual(cases.map(([caller, target, role, expected]) => `${caller} makes ${target} ${role}: ${expected}`));
  });

  it('writes member.role_changed and a member-role-changed event, and answers the member with the new role', async () => {
    const { org, member } = await team();
    const reply = await t.client.call('org.member.update', { orgId: org.orgId, userId: member.user.id, role: 'admin' }, as(org.owner));
    expect(reply).toMatchObject({ user: { id: member.user.id, email: member.user.email }, role: 'admin' });
    const { audit, event } = await latest(org.orgId);
    expect(audit).toEqual({
      actor: `user:${org.owner.user.id}`,
      action: 'member.role_changed',
      target: `user:${member.user.id}`,
      data: { name: member.user.name, email: member.user.email, from: 'member', to: 'admin' },
    });
    expect(event!.subject).toBe(`${t.config.NATS_PREFIX}.invites.events.member-role-changed`);
    expect(event!.payload).toMatchObject({ type: 'member.role-changed', orgId: org.orgId, userId: member.user.id, from: 'member', to: 'admin', actor: `user:${org.owner.user.id}` });
    // The promoted member may now do what admins do, at once.
    await expect(t.client.call('invite.list', { orgId: org.orgId }, as(member))).resolves.toMatchObject({ items: expect.any(Array) });
  });

  it('changes nothing and writes nothing when the member already has that role', async () => {
    const { org, member } = await team();
    const before = await writes(org.orgId);
    const reply = await t.client.call('org.member.update', { orgId: org.orgId, userId: member.user.id, role: 'member' }, as(org.owner));
    expect(reply.role).toBe('member');
    expect(await writes(org.orgId)).toEqual(before);
  });

  it('refuses to demote the last owner (LAST_OWNER), and allows it once there is another', async () => {
    const { org, admin } = await team();
    const before = await writes(org.orgId);
    const refused = await t.client.call('org.member.update', { orgId: org.orgId, userId: org.owner.user.id, role: 'admin' }, as(org.owner)).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'LAST_OWNER', status: 409 });
    expect((refused as DomainError).detail).toBe('You are the only owner of Acme; make another member owner first');
    expect(await writes(org.orgId)).toEqual(before);

    await t.client.call('org.member.update', { orgId: org.orgId, userId: admin.user.id, role: 'owner' }, as(org.owner));
    await t.client.call('org.member.update', { orgId: org.orgId, userId: org.owner.user.id, role: 'member' }, as(org.owner));
    expect(await roleOf(org.orgId, org.owner.user.id)).toBe('member');
    // The new sole owner is now the last one.
    await expect(t.client.call('org.member.update', { orgId: org.orgId, userId: admin.user.id, role: 'admin' }, as(admin))).rejects.toMatchObject({ code: 'LAST_OWNER' });
  });

  it('answers NOT_FOUND for someone who is not a member, and for an organisation the caller is not in', async () => {
    const { org } = await team();
    const other = await orgWithOwner(t, 5, 'Other');
    await expect(
      t.client.call('org.member.update', { orgId: org.orgId, userId: other.owner.user.id, role: 'member' }, as(org.owner)),
    ).rejects.toMatchObject({ code: 'NOT_FOUND', detail: 'This person is not a member of the organisation' });
    await expect(
      t.client.call('org.member.update', { orgId: other.orgId, userId: other.owner.user.id, role: 'member' }, as(org.owner)),
    ).rejects.toMatchObject({ code: 'NOT_FOUND', detail: 'No such organisation' });
  });

  it('lets exactly one of two owners demoting each other at once win: the organisation keeps an owner', async () => {
    for (let round = 0; round < 5; round++) {
      const { org, admin } = await team();
      await t.client.call('org.member.update', { orgId: org.orgId, userId: admin.user.id, role: 'owner' }, as(org.owner));
      const results = await Promise.all([
        outcome(t.client.call('org.member.update', { orgId: org.orgId, userId: admin.user.id, role: 'member' }, as(org.owner))),
        outcome(t.client.call('org.member.update', { orgId: org.orgId, userId: org.owner.user.id, role: 'member' }, as(admin))),
      ]);
      // The loser is refused either as no longer an owner's peer (FORBIDDEN: demoted first) or as the last owner.
      expect(results.filter((r) => r === 'ok')).toHaveLength(1);
      expect(results.filter((r) => r !== 'ok')[0]).toMatch(/^(FORBIDDEN|LAST_OWNER)$/);
      const [row] = await t.sql<{ owners: number }>(`select count(*)::int as owners from memberships where org_id = ? and role = 'owner'`, [org.orgId]);
      expect(row!.owners).toBe(1);
    }
  });
});

describe('removing a member and leaving', () => {
  it('follows the matrix: owners remove anyone but the last owner, admins admins and members, members only themselves', async () => {
    const cases: [caller: 'owner' | 'admin' | 'member', target: 'owner' | 'admin' | 'member' | 'self', expected: string][] = [
      ['owner', 'admin', 'ok'],
      ['owner', 'member', 'ok'],
      ['owner', 'self', 'LAST_OWNER'],
      ['admin', 'admin', 'ok'],
      ['admin', 'member', 'ok'],
      ['admin', 'owner', 'FORBIDDEN'],
      ['admin', 'self', 'ok'],
      ['member', 'member', 'FORBIDDEN'],
      ['member', 'admin', 'FORBIDDEN'],
      ['member', 'owner', 'FORBIDDEN'],
      ['member', 'self', 'ok'],
    ];
    const lines: string[] = [];
    for (const [caller, target] of cases) {
      const { org, admin, admin2, member, member2 } = await team();
      const callers = { owner: org.owner, admin, member };
      const targets = { owner: org.owner, admin: admin2, member: member2, self: callers[caller] };
      const before = await writes(org.orgId);
      const userId = targets[target].user.id;
      const result = await outcome(t.client.call('org.member.remove', { orgId: org.orgId, userId }, as(callers[caller])));
      lines.push(`${caller} removes ${target}: ${result}`);
      const now = await writes(org.orgId);
      if (result === 'ok') {
        expect(await roleOf(org.orgId, userId)).toBeNull();
        expect(now.members_count).toBe(before.members_count - 1);
        expect(now.audit).toBe(before.audit + 1);
        expect(now.outbox).toBe(before.outbox + 1);
      } else {
        expect(now, `${caller} → ${target}`).toEqual(before);
      }
    }
    expect(lines).toEqual(cases.map(([caller, target, expected]) => `${caller} removes ${target}: ${expected}`));
  });

  it('frees the seat: the trigger lowers members_count and a new invite fits', async () => {
    const org = await orgWithOwner(t, 2);
    const member = await addMember(t, org, 'member');
    expect(await seats(org.orgId)).toMatchObject({ members: 2, counter: 2, seat_limit: 2 });
    await expect(
      t.client.call('invite.create', { orgId: org.orgId, invite: { email: email('full'), role: 'member' } }, as(org.owner)),
    ).rejects.toMatchObject({ code: 'SEAT_LIMIT_REACHED' });

    await t.client.call('org.member.remove', { orgId: org.orgId, userId: member.user.id }, as(org.owner));
    expect(await seats(org.orgId)).toMatchObject({ members: 1, counter: 1 });
    expect(await t.client.call('org.usage', { orgId: org.orgId }, as(org.owner))).toEqual({ seatLimit: 2, members: 1, pendingInvites: 0, available: 1 });
    await t.client.call('invite.create', { orgId: org.orgId, invite: { email: email('fits'), role: 'member' } }, as(org.owner));
  });

  it("ends a removed admin's access to the organisation on their very next call, whatever session they hold", async () => {
    const { org, admin } = await team();
    await expect(t.client.call('invite.list', { orgId: org.orgId }, as(admin))).resolves.toBeDefined();
    await t.client.call('org.member.remove', { orgId: org.orgId, userId: admin.user.id }, as(org.owner));
    const refused = { code: 'NOT_FOUND', detail: 'No such organisation' };
    await expect(t.client.call('invite.list', { orgId: org.orgId }, as(admin))).rejects.toMatchObject(refused);
    await expect(t.client.call('org.members', { orgId: org.orgId }, as(admin))).rejects.toMatchObject(refused);
    await expect(
      t.client.call('invite.create', { orgId: org.orgId, invite: { email: email('after'), role: 'member' } }, as(admin)),
    ).rejects.toMatchObject(refused);
    await expect(t.client.call('auth.check', { orgId: org.orgId, minimumRole: 'member' }, as(admin))).rejects.toMatchObject(refused);
    // The account and its session live on; the membership is gone from it.
    const me = await t.client.call('auth.me', {}, as(admin));
    expect(me.memberships.map((m) => m.orgId)).not.toContain(org.orgId);
  });

  it('records who was removed by whom (member.removed) and a leaver as member.left, each with a member-removed event', async () => {
    const { org, admin, member } = await team();
    await t.client.call('org.member.remove', { orgId: org.orgId, userId: member.user.id }, as(admin));
    let { audit, event } = await latest(org.orgId);
    expect(audit).toEqual({
      actor: `user:${admin.user.id}`,
      action: 'member.removed',
      target: `user:${member.user.id}`,
      data: { name: member.user.name, email: member.user.email, role: 'member' },
    });
    expect(event!.subject).toBe(`${t.config.NATS_PREFIX}.invites.events.member-removed`);
    expect(event!.payload).toMatchObject({ type: 'member.removed', userId: member.user.id, role: 'member', left: false });

    await t.client.call('org.member.remove', { orgId: org.orgId, userId: admin.user.id }, as(admin));
    ({ audit, event } = await latest(org.orgId));
    expect(audit).toMatchObject({ actor: `user:${admin.user.id}`, action: 'member.left', target: `user:${admin.user.id}` });
    expect(event!.payload).toMatchObject({ type: 'member.removed', userId: admin.user.id, role: 'admin', left: true });
  });

  it('lets one of two owners leaving at once go, and keeps the other as the last owner', async () => {
    for (let round = 0; round < 5; round++) {
      const { org, admin } = await team();
      await t.client.call('org.member.update', { orgId: org.orgId, userId: admin.user.id, role: 'owner' }, as(org.owner));
      const results = await Promise.all([
        outcome(t.client.call('org.member.remove', { orgId: org.orgId, userId: org.owner.user.id }, as(org.owner))),
        outcome(t.client.call('org.member.remove', { orgId: org.orgId, userId: admin.user.id }, as(admin))),
      ]);
      expect(results.sort()).toEqual(['LAST_OWNER', 'ok']);
      const [row] = await t.sql<{ owners: number }>(`select count(*)::int as owners from memberships where org_id = ? and role = 'owner'`, [org.orgId]);
      expect(row!.owners).toBe(1);
    }
  });
});

describe('transferring ownership', () => {
  it('makes the member owner and the caller admin, in one transaction with its audit entry and event', async () => {
    const { org, member } = await team();
    const reply = await t.client.call('org.transfer-ownership', { orgId: org.orgId, userId: member.user.id }, as(org.owner));
    expect(reply.previousOwner).toMatchObject({ user: { id: org.owner.user.id }, role: 'admin' });
    expect(reply.newOwner).toMatchObject({ user: { id: member.user.id }, role: 'owner' });
    expect(await roleOf(org.orgId, member.user.id)).toBe('owner');
    expect(await roleOf(org.orgId, org.owner.user.id)).toBe('admin');
    const { audit, event } = await latest(org.orgId);
    expect(audit).toMatchObject({
      actor: `user:${org.owner.user.id}`,
      action: 'org.ownership_transferred',
      target: `user:${member.user.id}`,
      data: { name: member.user.name, previousRole: 'member', fromUserId: org.owner.user.id, fromName: 'Olivia Owner' },
    });
    expect(event!.subject).toBe(`${t.config.NATS_PREFIX}.invites.events.ownership-transferred`);
    expect(event!.payload).toMatchObject({ type: 'org.ownership-transferred', fromUserId: org.owner.user.id, toUserId: member.user.id });
    // The former owner is an admin now: no second transfer, no seats.
    await expect(t.client.call('org.transfer-ownership', { orgId: org.orgId, userId: member.user.id }, as(org.owner))).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(t.client.call('org.update', { orgId: org.orgId, seatLimit: 30 }, as(org.owner))).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('is for owners only, to a member who is not an owner yet, and a refusal writes nothing', async () => {
    const { org, admin, member } = await team();
    const other = await orgWithOwner(t, 5, 'Other');
    const before = await writes(org.orgId);
    const attempts = [
      ['admin', outcome(t.client.call('org.transfer-ownership', { orgId: org.orgId, userId: member.user.id }, as(admin)))],
      ['member', outcome(t.client.call('org.transfer-ownership', { orgId: org.orgId, userId: admin.user.id }, as(member)))],
      ['to self', outcome(t.client.call('org.transfer-ownership', { orgId: org.orgId, userId: org.owner.user.id }, as(org.owner)))],
      ['to a stranger', outcome(t.client.call('org.transfer-ownership', { orgId: org.orgId, userId: other.owner.user.id }, as(org.owner)))],
      ['by a stranger', outcome(t.client.call('org.transfer-ownership', { orgId: org.orgId, userId: member.user.id }, as(other.owner)))],
    ] as const;
    const results = await Promise.all(attempts.map(async ([what, result]) => `${what}: ${await result}`));
    expect(results).toEqual(['admin: FORBIDDEN', 'member: FORBIDDEN', 'to self: ALREADY_OWNER', 'to a stranger: NOT_FOUND', 'by a stranger: NOT_FOUND']);
    expect(await writes(org.orgId)).toEqual(before);
  });
});

describe('the seat limit', () => {
  it('lets the owner raise and lower it down to the seats in use, audited and evented', async () => {
    const org = await orgWithOwner(t, 10);
    await addMember(t, org, 'member');
    await t.client.call('invite.create', { orgId: org.orgId, invite: { email: email('p'), role: 'member' } }, as(org.owner));
    const raised = await t.client.call('org.update', { orgId: org.orgId, seatLimit: 25 }, as(org.owner));
    expect(raised).toEqual({ orgId: org.orgId, name: 'Acme', plan: 'free', seatLimit: 25, members: 2, pendingInvites: 1, available: 22 });
    const { audit, event } = await latest(org.orgId);
    expect(audit).toEqual({ actor: `user:${org.owner.user.id}`, action: 'org.seats_changed', target: `org:${org.orgId}`, data: { from: 10, to: 25 } });
    expect(event!.subject).toBe(`${t.config.NATS_PREFIX}.invites.events.seats-changed`);
    expect(event!.payload).toMatchObject({ type: 'org.seats-changed', from: 10, to: 25 });

    const lowered = await t.client.call('org.update', { orgId: org.orgId, seatLimit: 3 }, as(org.owner));
    expect(lowered).toMatchObject({ seatLimit: 3, available: 0 });
    expect((await latest(org.orgId)).audit!.data).toEqual({ from: 25, to: 3 });
    // Full now: the next invite is refused by the seat check.
    await expect(
      t.client.call('invite.create', { orgId: org.orgId, invite: { email: email('over'), role: 'member' } }, as(org.owner)),
    ).rejects.toMatchObject({ code: 'SEAT_LIMIT_REACHED' });
  });

  it('refuses a limit below members plus pending invites with SEAT_LIMIT_BELOW_USAGE naming the numbers, and writes nothing', async () => {
    const org = await orgWithOwner(t, 10);
    await addMember(t, org, 'admin');
    await addMember(t, org, 'member');
    for (let i = 0; i < 2; i++) await t.client.call('invite.create', { orgId: org.orgId, invite: { email: email('p'), role: 'member' } }, as(org.owner));
    const before = await writes(org.orgId);
    const refused = await t.client.call('org.update', { orgId: org.orgId, seatLimit: 4 }, as(org.owner)).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'SEAT_LIMIT_BELOW_USAGE', status: 409 });
    expect((refused as DomainError).detail).toBe(
      'Acme has 5 seats in use (3 members and 2 pending invites), so its seat limit cannot go below 5; asked for 4. Withdraw invites or remove members first.',
    );
    expect(await writes(org.orgId)).toEqual(before);
  });

  it('writes nothing when the limit is what it already is', async () => {
    const org = await orgWithOwner(t, 10);
    const before = await writes(org.orgId);
    await expect(t.client.call('org.update', { orgId: org.orgId, seatLimit: 10 }, as(org.owner))).resolves.toMatchObject({ seatLimit: 10 });
    expect(await writes(org.orgId)).toEqual(before);
  });

  it('is for owners (and operators) only', async () => {
    const { org, admin, member } = await team();
    const before = await writes(org.orgId);
    await expect(t.client.call('org.update', { orgId: org.orgId, seatLimit: 30 }, as(admin))).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(t.client.call('org.update', { orgId: org.orgId, seatLimit: 30 }, as(member))).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const stranger = await orgWithOwner(t, 5, 'Other');
    await expect(t.client.call('org.update', { orgId: org.orgId, seatLimit: 30 }, as(stranger.owner))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await writes(org.orgId)).toEqual(before);

    const reply = await updateOrg(operatorContext(t), { orgId: org.orgId, seatLimit: 30 });
    expect(reply.seatLimit).toBe(30);
    expect((await latest(org.orgId)).audit).toMatchObject({ actor: 'operator', action: 'org.seats_changed', data: { from: 20, to: 30 } });
  });

  it('never ends with members + pending invites above the limit when lowering races with creates and an accept', async () => {
    for (let round = 0; round < 3; round++) {
      const org = await orgWithOwner(t, 30);
      for (let i = 0; i < 4; i++) await addMember(t, org, 'member');
      const pending = await t.client.call('invite.create', { orgId: org.orgId, invite: { email: email('racer'), role: 'member' } }, as(org.owner));
      const token = tokenOf(pending.acceptUrl);
      const creates = Array.from({ length: 24 }, () =>
        outcome(t.client.call('invite.create', { orgId: org.orgId, invite: { email: email('race'), role: 'member' } }, as(org.owner))),
      );
      const lowerings = [18, 12, 9, 14, 10].map((seatLimit) => outcome(t.client.call('org.update', { orgId: org.orgId, seatLimit }, as(org.owner))));
      // An accept turns its pending seat into a member: it fits whatever limit a lowering left.
      const accept = outcome(t.client.call('invite.accept', { token, proof: emailedProof(token), name: 'Racer', username: `racer${round}${Date.now()}`, password }));
      const results = await Promise.all([...creates, ...lowerings]);
      expect(await accept).toBe('ok');
      expect(results.slice(0, 24).filter((c) => c !== 'ok' && c !== 'SEAT_LIMIT_REACHED')).toEqual([]);
      expect(results.slice(24).filter((c) => c !== 'ok' && c !== 'SEAT_LIMIT_BELOW_USAGE')).toEqual([]);
      const after = await seats(org.orgId);
      expect(after.members + after.pending, JSON.stringify({ after, results })).toBeLessThanOrEqual(after.seat_limit);
      expect(after.counter).toBe(after.members);
      // Each lowering that went through is in the audit log, in the order it took the lock.
      const changes = await t.sql<{ to: number }>(`select (data->>'to')::int as to from audit_log where org_id = ? and action = 'org.seats_changed' order by at, id`, [org.orgId]);
      expect(changes.length).toBe(results.slice(24).filter((r) => r === 'ok').length);
      if (changes.length) expect(changes.at(-1)!.to).toBe(after.seat_limit);
    }
  });
});

describe("an invite's timeline", () => {
  it('lists its audit entries oldest first with the acting user by name, for admins and owners', async () => {
    const { org, admin, member } = await team();
    const created = await t.client.call('invite.create', { orgId: org.orgId, invite: { email: email('tl'), role: 'member' } }, as(admin));
    await t.client.call('invite.resend', { orgId: org.orgId, inviteId: created.invite.id }, as(org.owner));
    await t.client.call('invite.withdraw', { orgId: org.orgId, inviteId: created.invite.id }, as(admin));
    const timeline = await t.client.call('invite.timeline', { orgId: org.orgId, inviteId: created.invite.id }, as(org.owner));
    expect(timeline.invite).toMatchObject({ id: created.invite.id, status: 'withdrawn', tokenVersion: 2 });
    expect(timeline.entries.map((e) => [e.action, e.actor, e.actorName])).toEqual([
      ['invite.created', `user:${admin.user.id}`, admin.user.name],
      ['invite.resent', `user:${org.owner.user.id}`, 'Olivia Owner'],
      ['invite.withdrawn', `user:${admin.user.id}`, admin.user.name],
    ]);
    expect(timeline.entries[1]!.data).toMatchObject({ tokenVersion: 2 });

    await expect(t.client.call('invite.timeline', { orgId: org.orgId, inviteId: created.invite.id }, as(member))).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const other = await orgWithOwner(t, 5, 'Other');
    await expect(t.client.call('invite.timeline', { orgId: other.orgId, inviteId: created.invite.id }, as(other.owner))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
