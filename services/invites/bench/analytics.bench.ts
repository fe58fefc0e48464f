/**
 * Benchmark of `org.analytics` (not a test: it asserts nothing about speed).
 *
 *   npm run bench                                    (all services)
 *   node services/invites/bench/analytics.bench.ts   (Node 24, e.g. node_modules/.bin/node)
 *
 * Starts the invites service in this process on a fresh database and a unique NATS
 * prefix (PostgreSQL from TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432, NATS
 * from TEST_NATS_URL or nats://127.0.0.1:4222), seeds one org with 100,000 invites spread
 * over 90 days in mixed states (pending, overdue, accepted, declined, withdrawn, expired;
 * email, SMS or both; sent, failed, dead, queued), then times org.analytics through NATS
 * for the last 30 and the whole 90 days: 200 sequential calls each after 20 warm-up calls.
 * Prints p50/p99 and writes artifacts/bench/analytics.json; drops the database and the
 * streams at the end.
 */
import { sample, startBenchInvites, writeResults } from '../../../tests/support/bench.ts';

const ROWS = Number(process.env.BENCH_ANALYTICS_ROWS ?? 100_000);
const SAMPLES = Number(process.env.BENCH_ANALYTICS_SAMPLES ?? 200);
const DAYS = 90;
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

const bench = await startBenchInvites('benchanalytics', { DATABASE_POOL_MAX: '4' });
const { client, sqlPool } = bench;

try {
  const org = await bench.ownedOrg('Bench Analytics');
  const owner = org;

  log(`seeding ${ROWS} invites over ${DAYS} days`);
  const seedStarted = performance.now();
  // Deterministic mix from the row number: roles, channels, outcomes and acceptance delays vary.
  await sqlPool.query(
    `insert into invites (id, org_id, email, role, status, token_hash, expires_at, channels, created_at, sent_at, accepted_at,
                          email_status, sms_status, email_updated_at, sms_updated_at)
     select gen_random_uuid(), $1::uuid, 'seed.' || g || '@bench.example.test',
            (array['member', 'member', 'member', 'admin', 'owner'])[1 + g % 5],
            st, 'seed-' || $1::text || '-' || g,
            case when st = 'pending' and g % 3 = 0 then ts + interval '2 days' else now() + interval '30 days' end,
            (array['["email"]', '["email"]', '["email", "sms"]', '["sms"]'])[1 + g % 4]::jsonb,
            ts, ts,
            case when st = 'accepted' then ts + (g % 86400) * interval '1 second' + interval '1 minute' end,
            case when g % 4 = 3 then 'skipped' else (array['sent', 'sent', 'sent', 'failed', 'dead', 'queued'])[1 + g % 6] end,
            case when g % 4 in (0, 1) then 'skipped' else (array['sent', 'sent', 'dead', 'queued'])[1 + g % 4] end,
            ts, ts
       from generate_series(1, $2::int) as g,
            lateral (select now() - (g::float / $2) * interval '${DAYS} days' as ts,
                            (array['pending', 'accepted', 'accepted', 'accepted', 'declined', 'withdrawn', 'expired'])[1 + (g * 7919) % 7] as st) as x`,
    [org.orgId, ROWS],
  );
  await sqlPool.query('vacuum analyze invites');
  const seedSeconds = (performance.now() - seedStarted) / 1000;

  const day = (offset: number) => new Date(Date.now() - offset * 86_400_000).toISOString().slice(0, 10);
  const as = { accessToken: owner.accessToken };
  const ranges = { last30: { from: day(29), to: day(0) }, last90: { from: day(DAYS), to: day(0) } };
  const check = await client.call('org.analytics', { orgId: org.orgId, ...ranges.last90 }, as);
  if (check.totals.created < ROWS) throw new Error(`the 90-day range holds ${check.totals.created} invites, expected ${ROWS}`);

  const results: Record<string, unknown> = { at: new Date().toISOString(), node: process.version, rows: ROWS, days: DAYS, seedSeconds };
  for (const [name, range] of Object.entries(ranges)) {
    log(`org.analytics ${name} (${range.from} .. ${range.to}), ${SAMPLES} sequential calls`);
    const reply = await client.call('org.analytics', { orgId: org.orgId, ...range }, as);
    const timing = await sample(SAMPLES, () => client.call('org.analytics', { orgId: org.orgId, ...range }, as));
    results[name] = { ...range, invitesInRange: reply.totals.created, ...timing };
  }

  const f = (n: number) => n.toFixed(2).padStart(9);
  const r30 = results.last30 as { invitesInRange: number; p50Ms: number; p99Ms: number; meanMs: number };
  const r90 = results.last90 as typeof r30;
  console.log(
    [
      '',
      `org.analytics benchmark (Node ${process.version}), one org with ${ROWS} invites over ${DAYS} days`,
      '',
      '                      invites    p50 ms    p99 ms   mean ms',
      `  last 30 days    ${String(r30.invitesInRange).padStart(9)} ${f(r30.p50Ms)} ${f(r30.p99Ms)} ${f(r30.meanMs)}`,
      `  last 90 days    ${String(r90.invitesInRange).padStart(9)} ${f(r90.p50Ms)} ${f(r90.p99Ms)} ${f(r90.meanMs)}`,
      `  (seeded in ${seedSeconds.toFixed(1)} s; ${SAMPLES} sequential calls each through NATS after 20 warm-up calls)`,
      '',
    ].join('\n'),
  );
  await writeResults('analytics', results);
} finally {
  await bench.close();
}
