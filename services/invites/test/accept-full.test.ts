import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { email, emailedProof, orgWithOwner, password, startTestInvites, tokenOf, type TestInvites } from './harness.ts';

/**
 * Accepting converts a pending seat into a member: in an org whose seats are exactly
 * taken, accepts that wait for one another on the org lock must all go through.
 */
let t: TestInvites;

beforeAll(async () => {
  t = await startTestInvites('acceptfull');
});
afterAll(() => t?.close());

describe('accepts into a full organisation', () => {
  it('all succeed when they queued on the org lock, each counting the seats the others released', async () => {
    // Three seats: the owner and two pending invites.
    const org = await orgWithOwner(t, 3, 'Full Org');
    const invites = await Promise.all(
      [email('first'), email('second')].map((who) => t.client.call('invite.create', { orgId: org.orgId, invite: { email: who, role: 'member' } }, { accessToken: org.owner.accessToken })),
    );
    const holder = new pg.Client({ connectionString: t.env.DATABASE_URL });
    await holder.connect();
    try {
      // Both accepts reach the org lock while it is held, then take it one after the other.
      await holder.query('begin');
      await holder.query('select 1 from orgs where id = $1 for no key update', [org.orgId]);
      const accepts = invites.map((created, i) => {
        const token = tokenOf(created.acceptUrl);
        return t.client.call('invite.accept', { token, proof: emailedProof(token), name: `Member ${i}`, username: `full${i}${Date.now()}`, password });
      });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await holder.query('commit');
      const results = await Promise.allSettled(accepts);
      expect(results.map((r) => (r.status === 'fulfilled' ? 'accepted' : String((r.reason as { code?: string }).code)))).toEqual(['accepted', 'accepted']);
    } finally {
      await holder.end();
    }
    const usage = await t.client.call('org.usage', { orgId: org.orgId }, { accessToken: org.owner.accessToken });
    expect(usage).toMatchObject({ seatLimit: 3, members: 3, pendingInvites: 0 });
  });
});
