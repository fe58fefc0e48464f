import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenPair } from '@invite/contracts';
import { addMember, email, emailedProof, orgWithOwner, password, startTestInvites, tokenOf, type OrgWithOwner, type TestInvites } from './harness.ts';

/** Invariant 2: an inviter cannot grant a role above their own; only admin and owner invite. */

let t: TestInvites;
let org: OrgWithOwner;
let admin: TokenPair;
let member: TokenPair;

async function counts() {
  const [row] = await t.sql<{ invites: number; audit: number; outbox: number }>(
    `select (select count(*)::int from invites where org_id = ?) as invites,
            (select count(*)::int from audit_log where org_id = ?) as audit,
            (select count(*)::int from outbox where payload->>'orgId' = ?) as outbox`,
    [org.orgId, org.orgId, org.orgId],
  );
  return row!;
}

async function pendingFor(who: string) {
  return t.sql<{ role: string; status: string }>(`select role, status from invites where org_id = ? and email = ?`, [org.orgId, who]);
}

beforeAll(async () => {
  t = await startTestInvites('roles');
  org = await orgWithOwner(t, 100);
  admin = await addMember(t, org, 'admin');
  member = await addMember(t, org, 'member');
});
afterAll(() => t?.close());

describe('who may invite whom (invariant 2)', () => {
  it('refuses a member any invite, even as member, with FORBIDDEN and writes nothing', async () => {
    const before = await counts();
    for (const role of ['member', 'admin', 'owner'] as const) {
      const who = email('by-member');
      await expect(
        t.client.call('invite.create', { orgId: org.orgId, invite: { email: who, role } }, { accessToken: member.accessToken }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
      expect(await pendingFor(who)).toEqual([]);
    }
    await expect(
      t.client.call('invite.bulk', { orgId: org.orgId, rows: [{ email: email('by-member'), role: 'member' }] }, { accessToken: member.accessToken }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await counts()).toEqual(before);
  });

  it('refuses an admin inviting an owner with ROLE_NOT_ALLOWED and writes nothing', async () => {
    const before = await counts();
    const who = email('would-be-owner');
    await expect(
      t.client.call('invite.create', { orgId: org.orgId, invite: { email: who, role: 'owner' } }, { accessToken: admin.accessToken }),
    ).rejects.toMatchObject({ code: 'ROLE_NOT_ALLOWED' });
    expect(await pendingFor(who)).toEqual([]);
    expect(await counts()).toEqual(before);
  });

  it('lets an admin invite an admin and a member', async () => {
    for (const role of ['admin', 'member'] as const) {
      const who = email(`admin-invites-${role}`);
      const created = await t.client.call('invite.create', { orgId: org.orgId, invite: { email: who, role } }, { accessToken: admin.accessToken });
      expect(created.invite).toMatchObject({ email: who, role, status: 'pending', invitedBy: admin.user.id });
      expect(await pendingFor(who)).toEqual([{ role, status: 'pending' }]);
    }
  });

  it('lets an owner invite an owner, and the accepted invite grants the owner role', async () => {
    const who = email('co-owner');
    const created = await t.client.call('invite.create', { orgId: org.orgId, invite: { email: who, role: 'owner' } }, { accessToken: org.owner.accessToken });
    expect(created.invite).toMatchObject({ email: who, role: 'owner', status: 'pending' });
    const accepted = await t.client.call('invite.accept', {
      token: tokenOf(created.acceptUrl),
      proof: emailedProof(tokenOf(created.acceptUrl)),
      name: 'Co Owner',
      username: `coowner${Date.now()}`,
      password,
    });
    expect(accepted.membership).toMatchObject({ orgId: org.orgId, role: 'owner' });
    const coOwner = await t.client.call('auth.login', { email: who, password });
    // The new owner may in turn invite an owner.
    const next = await t.client.call(
      'invite.create',
      { orgId: org.orgId, invite: { email: email('third-owner'), role: 'owner' } },
      { accessToken: coOwner.accessToken },
    );
    expect(next.invite.role).toBe('owner');
  });

  it("fails only the bulk rows above the inviter's role with ROLE_NOT_ALLOWED and creates the others", async () => {
    const rows = [
      { email: email('bulk-member'), role: 'member' },
      { email: email('bulk-owner'), role: 'owner' },
      { email: email('bulk-admin'), role: 'admin' },
      { email: email('bulk-owner'), role: 'owner' },
      { email: email('bulk-member'), role: 'member' },
    ] as const;
    const before = await counts();
    const reply = await t.client.call('invite.bulk', { orgId: org.orgId, rows: [...rows] }, { accessToken: admin.accessToken });
    expect(reply).toMatchObject({ created: 3, failed: 2 });
    expect(reply.results.map((r) => [r.row, r.status, r.code ?? null])).toEqual([
      [0, 'created', null],
      [1, 'failed', 'ROLE_NOT_ALLOWED'],
      [2, 'created', null],
      [3, 'failed', 'ROLE_NOT_ALLOWED'],
      [4, 'created', null],
    ]);
    expect(reply.results[0]!.invite).toMatchObject({ role: 'member', status: 'pending' });
    expect(reply.results[2]!.invite).toMatchObject({ role: 'admin', status: 'pending' });
    for (const [i, row] of rows.entries()) {
      expect(await pendingFor(row.email), `row ${i}`).toEqual(row.role === 'owner' ? [] : [{ role: row.role, status: 'pending' }]);
    }
    // Exactly the created rows were audited and queued: one entry and one event each.
    const after = await counts();
    expect(after).toEqual({ invites: before.invites + 3, audit: before.audit + 3, outbox: before.outbox + 3 });
  });

  it('lets an owner create owner rows in bulk', async () => {
    const reply = await t.client.call(
      'invite.bulk',
      { orgId: org.orgId, rows: [{ email: email('bulk-by-owner'), role: 'owner' }, { email: email('bulk-by-owner'), role: 'admin' }] },
      { accessToken: org.owner.accessToken },
    );
    expect(reply).toMatchObject({ created: 2, failed: 0 });
  });
});
