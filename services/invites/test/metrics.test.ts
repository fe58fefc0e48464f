import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { email, emailedProof, orgWithOwner, password, startTestInvites, tokenOf, type OrgWithOwner, type TestInvites } from './harness.ts';

/** The business counters on the invites /metrics registry, read the way Prometheus scrapes them. */
let t: TestInvites;
let org: OrgWithOwner;

beforeAll(async () => {
  t = await startTestInvites('metrics');
  await t.app.sweeper.stop(); // swept by the test itself
  org = await orgWithOwner(t, 100, 'Metrics Org');
});
afterAll(() => t?.close());

/** Samples of the exposition text: `name{labels}` → value. */
async function scrape(): Promise<Map<string, number>> {
  const text = await t.app.metrics.registry.metrics();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (match) samples.set(match[1]!, Number(match[2]));
  }
  return samples;
}

const names = ['invites_created_total', 'invites_accepted_total', 'invites_withdrawn_total', 'invites_expired_total', 'invite_time_to_accept_seconds_count'];

async function counters(): Promise<Record<string, number>> {
  const samples = await scrape();
  return Object.fromEntries(names.map((n) => [n, samples.get(n) ?? NaN]));
}

describe('business counters', () => {
  it('count created (bulk rows included), accepted, withdrawn and expired invites once committed, without labels', async () => {
    const as = { accessToken: org.owner.accessToken };
    const before = await counters();
    for (const n of names) expect(before[n], n).toBeGreaterThanOrEqual(0);

    const first = await t.client.call('invite.create', { orgId: org.orgId, invite: { email: email('m'), role: 'member' } }, as);
    // A refused create commits nothing and counts nothing.
    await expect(t.client.call('invite.create', { orgId: org.orgId, invite: { email: first.invite.email, role: 'member' } }, as)).rejects.toMatchObject({
      code: 'INVITE_ALREADY_PENDING',
    });
    const bulk = await t.client.call(
      'invite.bulk',
      { orgId: org.orgId, rows: [{ email: email('b'), role: 'member' }, { email: email('b'), role: 'member' }, { email: 'bad', role: 'member' }] },
      as,
    );
    expect(bulk.created).toBe(2);
    await t.client.call('invite.withdraw', { orgId: org.orgId, inviteId: first.invite.id }, as);

    const accepting = await t.client.call('invite.create', { orgId: org.orgId, invite: { email: email('a'), role: 'member' } }, as);
    await t.sql(`update invites set created_at = now() - interval '2 hours' where id = ?`, [accepting.invite.id]);
    await t.client.call('invite.accept', { token: tokenOf(accepting.acceptUrl), proof: emailedProof(tokenOf(accepting.acceptUrl)), name: 'Acceptor', username: `acc${Date.now()}`, password });

    // One overdue invite expired by the sweeper, one inline by a new invite to the same address.
    const swept = await t.client.call('invite.create', { orgId: org.orgId, invite: { email: email('s'), role: 'member' } }, as);
    const inline = await t.client.call('invite.create', { orgId: org.orgId, invite: { email: email('i'), role: 'member' } }, as);
    await t.sql(`update invites set expires_at = now() - interval '1 minute' where id in (?, ?)`, [swept.invite.id, inline.invite.id]);
    await t.client.call('invite.create', { orgId: org.orgId, invite: { email: inline.invite.email, role: 'member' } }, as);
    expect(await t.app.sweeper.sweep()).toBe(1);

    const after = await counters();
    expect(after.invites_created_total! - before.invites_created_total!).toBe(1 + 2 + 1 + 2 + 1);
    expect(after.invites_accepted_total! - before.invites_accepted_total!).toBe(1);
    expect(after.invite_time_to_accept_seconds_count! - before.invite_time_to_accept_seconds_count!).toBe(1);
    expect(after.invites_withdrawn_total! - before.invites_withdrawn_total!).toBe(1);
    expect(after.invites_expired_total! - before.invites_expired_total!).toBe(2);

    // About two hours from creation to acceptance: in the 3 h bucket, not in the 1 h one.
    const samples = await scrape();
    const bucket = (le: string) => samples.get(`invite_time_to_accept_seconds_bucket{le="${le}"}`)!;
    expect(bucket('10800') - bucket('3600')).toBeGreaterThanOrEqual(1);
    // No per-organisation labels anywhere on these series.
    const text = await t.app.metrics.registry.metrics();
    expect(text).not.toMatch(/invites_(created|accepted|withdrawn|expired)_total\{/);
    expect(text).not.toContain(org.orgId);
  });
});
