import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '@invite/contracts';
import { email, orgWithOwner, startTestInvites, type TestInvites } from './harness.ts';

let t: TestInvites;

beforeAll(async () => {
  t = await startTestInvites('quota', { INVITE_RATE_PER_HOUR: '3' });
});
afterAll(() => t?.close());

describe('the per-organisation invite quota', () => {
  it('refuses the invite past the hourly limit with RATE_LIMITED and a Retry-After', async () => {
    // The bootstrap owner invite counts too: 2 more fit in this hour.
    const org = await orgWithOwner(t, 50);
    for (let i = 0; i < 2; i++) {
      await t.client.call('invite.create', { orgId: org.orgId, invite: { email: email('q'), role: 'member' } }, { accessToken: org.owner.accessToken });
    }
    const refused = t.client.call('invite.create', { orgId: org.orgId, invite: { email: email('q'), role: 'member' } }, { accessToken: org.owner.accessToken });
    await expect(refused).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    const error: unknown = await refused.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).retryAfter).toBeGreaterThan(0);
    expect((error as DomainError).retryAfter).toBeLessThanOrEqual(3600);
    const rows = await t.sql<{ count: number }>(`select count(*)::int as count from invites where org_id = ?`, [org.orgId]);
    expect(rows[0]?.count).toBe(3);
  });

  it('counts bulk rows one by one and keeps organisations apart', async () => {
    const org = await orgWithOwner(t, 50, 'Bulk Org');
    const reply = await t.client.call(
      'invite.bulk',
      { orgId: org.orgId, rows: Array.from({ length: 4 }, () => ({ email: email('b'), role: 'member' })) },
      { accessToken: org.owner.accessToken },
    );
    expect(reply.results.map((r) => r.status)).toEqual(['created', 'created', 'failed', 'failed']);
    expect(reply.results[2]).toMatchObject({ code: 'RATE_LIMITED' });
    const rows = await t.sql<{ created: number }>(`select quota_used as created from orgs where id = ?`, [org.orgId]);
    expect(rows[0]?.created).toBe(3);
  });
});
