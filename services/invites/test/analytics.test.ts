import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7, type AnalyticsView, type Funnel } from '@invite/contracts';
import { addMember, orgWithOwner, startTestInvites, type OrgWithOwner, type TestInvites } from './harness.ts';

/**
 * `org.analytics` against invites seeded with SQL in known states and times: every
 * number of the reply is compared with the same figure computed here, in JavaScript,
 * from the seeded rows.
 */
let t: TestInvites;
let org: OrgWithOwner;
let other: OrgWithOwner;

type Status = 'pending' | 'accepted' | 'declined' | 'withdrawn' | 'expired';
type Delivery = 'queued' | 'sent' | 'failed' | 'dead' | 'skipped';
interface Seed {
  role: 'owner' | 'admin' | 'member';
  status: Status;
  createdAt: Date;
  expiresAt: Date;
  acceptedAt: Date | null;
  channels: ('email' | 'sms')[];
  email: Delivery;
  sms: Delivery;
}

const from = '2024-03-01';
const to = '2024-03-20';
const dayMs = 86_400_000;
const start = Date.parse(`${from}T00:00:00Z`);
const end = Date.parse(`${to}T00:00:00Z`) + dayMs;
const farFuture = new Date(Date.now() + 365 * dayMs);
const longAgo = new Date('2024-01-01T00:00:00Z');

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

function seeds(count: number, seed: number): Seed[] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const rows: Seed[] = [];
  // The edges of the period: its first instant and its last millisecond are in, the instants around it are out.
  const times = [start, end - 1, start - 1, end];
  for (let i = 0; i < count; i++) {
    const createdAt = new Date(i < times.length ? times[i]! : start - 2 * dayMs + Math.floor(next() * 24 * dayMs));
    const status = pick(['pending', 'pending', 'accepted', 'accepted', 'accepted', 'declined', 'withdrawn', 'expired'] as const);
    // Some pending invites are overdue: the sweeper has not reached them, the funnel counts them expired.
    const expiresAt = status === 'pending' && next() < 0.3 ? longAgo : farFuture;
    const channels = pick([['email'], ['email'], ['email', 'sms'], ['sms']] as ('email' | 'sms')[][]);
    const outcome = (on: boolean): Delivery => (on ? pick(['queued', 'sent', 'sent', 'failed', 'dead', 'skipped'] as const) : 'skipped');
    rows.push({
      role: pick(['owner', 'admin', 'member', 'member'] as const),
      status,
      createdAt,
      expiresAt,
      acceptedAt: status === 'accepted' ? new Date(createdAt.getTime() + (60 + Math.floor(next() * 7 * 86_400)) * 1000) : null,
      channels,
      email: outcome(channels.includes('email')),
      sms: outcome(channels.includes('sms')),
    });
  }
  return rows;
}

async function insert(orgId: string, rows: Seed[]): Promise<void> {
  for (const [i, r] of rows.entries()) {
    await t.sql(
      `insert into invites (id, org_id, email, role, status, token_hash, expires_at, channels, created_at, sent_at, accepted_at,
                            email_status, sms_status, email_updated_at, sms_updated_at)
       values (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?)`,
      [uuidv7(), orgId, `seed${i}.${orgId.slice(0, 8)}@example.test`, r.role, r.status, `seed-${uuidv7()}`, r.expiresAt, JSON.stringify(r.channels),
        r.createdAt, r.createdAt, r.acceptedAt, r.email, r.sms, r.createdAt, r.createdAt],
    );
  }
}

/** The funnel of `rows`, computed from the definitions in the contract. */
function funnel(rows: Seed[], delivered: (r: Seed) => boolean, failed: (r: Seed) => boolean, now: number): Funnel {
  const created = rows.length;
  const expired = rows.filter((r) => r.status === 'expired' || (r.status === 'pending' && r.expiresAt.getTime() <= now)).length;
  const count = (status: Status) => rows.filter((r) => r.status === status).length;
  const waits = rows.filter((r) => r.status === 'accepted').map((r) => (r.acceptedAt!.getTime() - r.createdAt.getTime()) / 1000).sort((a, b) => a - b);
  const mid = Math.floor(waits.length / 2);
  const median = waits.length === 0 ? null : waits.length % 2 ? waits[mid]! : (waits[mid - 1]! + waits[mid]!) / 2;
  const failures = rows.filter(failed).length;
  const rate = (n: number) => (created === 0 ? 0 : n / created);
  return {
    created,
    delivered: rows.filter(delivered).length,
    accepted: count('accepted'),
    declined: count('declined'),
    withdrawn: count('withdrawn'),
    expired,
    pending: count('pending') - (expired - count('expired')),
    deliveryFailed: failures,
    acceptanceRate: rate(count('accepted')),
    withdrawalRate: rate(count('withdrawn')),
    expiryRate: rate(expired),
    deliveryFailureRate: rate(failures),
    medianSecondsToAccept: median,
  };
}

const deliveredAny = (r: Seed) => r.email === 'sent' || r.sms === 'sent';
const failedAll = (r: Seed) => (r.email === 'dead' || r.sms === 'dead') && ['dead', 'skipped'].includes(r.email) && ['dead', 'skipped'].includes(r.sms);

function expectFunnel(actual: Funnel, expected: Funnel, label: string) {
  const { medianSecondsToAccept: median, ...rest } = actual;
  const { medianSecondsToAccept: expectedMedian, ...expectedRest } = expected;
  expect(rest, label).toEqual(expectedRest);
  if (expectedMedian === null) expect(median, label).toBeNull();
  else expect(median, label).toBeCloseTo(expectedMedian, 3);
}

let rows: Seed[];

beforeAll(async () => {
  t = await startTestInvites('analytics');
  org = await orgWithOwner(t, 10_000, 'Analytics A');
  // Seats for every seeded pending invite: the database refuses more pending invites than seats.
  other = await orgWithOwner(t, 1000, 'Analytics B');
  rows = seeds(400, 42);
  await insert(org.orgId, rows);
  // Another organisation's invites in the same days must not count.
  await insert(other.orgId, seeds(120, 7));
});
afterAll(() => t?.close());

describe('org.analytics', () => {
  it('matches totals, per role, per channel and per day computed independently from the seeded invites', async () => {
    const view: AnalyticsView = await t.client.call('org.analytics', { orgId: org.orgId, from, to }, { accessToken: org.owner.accessToken });
    const now = Date.now();
    const cohort = rows.filter((r) => r.createdAt.getTime() >= start && r.createdAt.getTime() < end);
    expect(cohort.length).toBeGreaterThan(300);
    expect(cohort.length).toBeLessThan(rows.length);
    expect(view.from).toBe(from);
    expect(view.to).toBe(to);

    expectFunnel(view.totals, funnel(cohort, deliveredAny, failedAll, now), 'totals');
    for (const role of ['owner', 'admin', 'member'] as const) {
      expectFunnel(view.byRole[role], funnel(cohort.filter((r) => r.role === role), deliveredAny, failedAll, now), `role ${role}`);
    }
    for (const channel of ['email', 'sms'] as const) {
      const on = cohort.filter((r) => r.channels.includes(channel));
      expectFunnel(view.byChannel[channel], funnel(on, (r) => r[channel] === 'sent', (r) => r[channel] === 'dead', now), `channel ${channel}`);
    }
    expect(view.daily.map((d) => d.day)).toEqual(Array.from({ length: 20 }, (_, i) => new Date(start + i * dayMs).toISOString().slice(0, 10)));
    for (const { day, funnel: actual } of view.daily) {
      const dayStart = Date.parse(`${day}T00:00:00Z`);
      const ofDay = cohort.filter((r) => r.createdAt.getTime() >= dayStart && r.createdAt.getTime() < dayStart + dayMs);
      expectFunnel(actual, funnel(ofDay, deliveredAny, failedAll, now), `day ${day}`);
    }
    // The parts add up: every invite of the cohort is in exactly one state.
    const s = view.totals;
    expect(s.accepted + s.declined + s.withdrawn + s.expired + s.pending).toBe(s.created);
  });

  it('answers zeros, null medians and every day for a period without invites', async () => {
    const view = await t.client.call('org.analytics', { orgId: org.orgId, from: '2023-02-27', to: '2023-03-01' }, { accessToken: org.owner.accessToken });
    expect(view.daily.map((d) => d.day)).toEqual(['2023-02-27', '2023-02-28', '2023-03-01']);
    expect(view.totals).toMatchObject({ created: 0, acceptanceRate: 0, deliveryFailureRate: 0, medianSecondsToAccept: null });
    expect(view.byChannel.sms.created).toBe(0);
  });

  it('takes 366 days and refuses 367, or an end before the start, with VALIDATION_FAILED', async () => {
    const as = { accessToken: org.owner.accessToken };
    const year = await t.client.call('org.analytics', { orgId: org.orgId, from: '2024-01-01', to: '2024-12-31' }, as);
    expect(year.daily).toHaveLength(366);
    expect(year.totals.created).toBe(rows.filter((r) => r.createdAt.getUTCFullYear() === 2024).length);
    await expect(t.client.call('org.analytics', { orgId: org.orgId, from: '2024-01-01', to: '2025-01-01' }, as)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(t.client.call('org.analytics', { orgId: org.orgId, from: '2024-03-02', to: '2024-03-01' }, as)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(t.client.call('org.analytics', { orgId: org.orgId, from: '2024-02-30', to: '2024-03-01' }, as)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it("gives another org's admin NOT_FOUND and a member FORBIDDEN", async () => {
    await expect(t.client.call('org.analytics', { orgId: org.orgId, from, to }, { accessToken: other.owner.accessToken })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const member = await addMember(t, org, 'member');
    await expect(t.client.call('org.analytics', { orgId: org.orgId, from, to }, { accessToken: member.accessToken })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const admin = await addMember(t, org, 'admin');
    const view = await t.client.call('org.analytics', { orgId: org.orgId, from, to }, { accessToken: admin.accessToken });
    expect(view.totals.created).toBeGreaterThan(0);
  });
});
