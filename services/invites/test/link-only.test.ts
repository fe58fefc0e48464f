import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { email, orgWithOwner, startTestInvites, type TestInvites } from './harness.ts';

/** `channels: []`: the invite is made and its link returned, and nothing is sent. */
let t: TestInvites;

beforeAll(async () => {
  t = await startTestInvites('linkonly', { INVITE_RATE_PER_HOUR: '100' });
});
afterAll(() => t?.close());

describe('a link-only invite', () => {
  it('is created, counted and audited like any other, with its link in the reply, and its event asks for no delivery', async () => {
    const org = await orgWithOwner(t, 3, 'Link Org');
    const who = email('linkonly');
    const created = await t.client.call('invite.create', { orgId: org.orgId, invite: { email: who, role: 'member', channels: [] } }, { accessToken: org.owner.accessToken });
    expect(created.acceptUrl).toMatch(/#token=[A-Za-z0-9_-]{43}$/);
    expect(created.invite).toMatchObject({ status: 'pending', channels: [], delivery: { email: { status: 'skipped' }, sms: { status: 'skipped' } } });

    const [audit] = await t.sql<{ details: { channels: string[] } }>(`select data as details from audit_log where target = ? and action = 'invite.created'`, [`invite:${created.invite.id}`]);
    expect(audit?.details.channels).toEqual([]);
    const [event] = await t.sql<{ payload: { channels: string[]; type: string } }>(`select payload from outbox where id = (select id from outbox where payload->>'inviteId' = ?)`, [created.invite.id]);
    expect(event?.payload).toMatchObject({ type: 'invite.created', channels: [] });
    // It takes a seat and counts against the hourly quota (the owner's bootstrap invite is the first).
    const usage = await t.client.call('org.usage', { orgId: org.orgId }, { accessToken: org.owner.accessToken });
    expect(usage).toMatchObject({ members: 1, pendingInvites: 1 });
    const [orgRow] = await t.sql<{ quota_used: number }>(`select quota_used from orgs where id = ?`, [org.orgId]);
    expect(orgRow?.quota_used).toBe(2);

    // A resend gives a new link and still sends nothing.
    const resent = await t.client.call('invite.resend', { orgId: org.orgId, inviteId: created.invite.id }, { accessToken: org.owner.accessToken });
    expect(resent.acceptUrl).not.toBe(created.acceptUrl);
    expect(resent.invite).toMatchObject({ tokenVersion: 2, channels: [], delivery: { email: { status: 'skipped' } } });
  });
});
