import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, email, emailedProof, orgWithOwner, startTestInvites, tokenOf, type OrgWithOwner, type TestInvites } from './harness.ts';

let t: TestInvites;
let org: OrgWithOwner;

beforeAll(async () => {
  t = await startTestInvites('lifecycle');
  org = await orgWithOwner(t, 10);
});
afterAll(() => t?.close());

describe('an invite from creation to membership', () => {
  it('creates, looks up, accepts, and lists the new member', async () => {
    const who = email('new');
    const created = await t.client.call(
      'invite.create',
      { orgId: org.orgId, invite: { email: who.toUpperCase(), role: 'member', message: 'Welcome <b>aboard</b>' } },
      { accessToken: org.owner.accessToken },
    );
    expect(created.invite).toMatchObject({ email: who, role: 'member', status: 'pending', tokenVersion: 1 });
    expect(created.invite.delivery.email.status).toBe('queued');
    expect(created.invite.delivery.sms.status).toBe('skipped');
    expect(created.acceptUrl).toMatch(/^http:\/\/localhost:3000\/invite#token=[A-Za-z0-9_-]{43}$/);

    // The invitee opens the emailed link: the token and the address proof.
    const token = tokenOf(created.acceptUrl);
    const proof = emailedProof(token);
    const lookup = await t.client.call('invite.lookup', { token, proof });
    expect(lookup).toMatchObject({ orgName: 'Acme', inviterName: 'Olivia Owner', role: 'member', email: who, accountExists: false });

    const accepted = await t.client.call('invite.accept', { token, proof, name: 'New Person', username: `new${Date.now()}`, password: 'a long enough password' });
    expect(accepted.membership).toMatchObject({ orgId: org.orgId, role: 'member' });

    const me = await t.client.call('auth.me', {}, { accessToken: accepted.accessToken });
    expect(me.memberships.map((m) => m.orgId)).toEqual([org.orgId]);

    const members = await t.client.call('org.members', { orgId: org.orgId }, { accessToken: org.owner.accessToken });
    expect(members.items.map((m) => m.user.email)).toContain(who);

    const usage = await t.client.call('org.usage', { orgId: org.orgId }, { accessToken: org.owner.accessToken });
    expect(usage).toEqual({ seatLimit: 10, members: 2, pendingInvites: 0, available: 8 });

    const audit = await t.client.call('org.audit', { orgId: org.orgId }, { accessToken: org.owner.accessToken });
    expect(audit.items.map((e) => e.action)).toEqual(
      expect.arrayContaining(['org.created', 'invite.created', 'invite.accepted', 'member.added']),
    );
  });

  it('lets an admin invite, and lists with keyset pages', async () => {
    const admin = await addMember(t, org, 'admin');
    for (let i = 0; i < 3; i++) {
      await t.client.call('invite.create', { orgId: org.orgId, invite: { email: email('page'), role: 'member' } }, { accessToken: admin.accessToken });
    }
    const first = await t.client.call('invite.list', { orgId: org.orgId, status: 'pending', limit: 2 }, { accessToken: admin.accessToken });
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const second = await t.client.call(
      'invite.list',
      { orgId: org.orgId, status: 'pending', limit: 2, cursor: first.nextCursor! },
      { accessToken: admin.accessToken },
    );
    expect(second.items).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
    const ids = [...first.items, ...second.items].map((i) => i.id);
    expect(new Set(ids).size).toBe(3);
  });
});
