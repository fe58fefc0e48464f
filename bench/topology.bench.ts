/**
 * Benchmark of the real `npm start` topology (not a test: it asserts nothing about speed).
 *
 *   npm run bench -- topology                 (only this one; `npm run bench` runs all)
 *   node bench/topology.bench.ts              (Node 24, e.g. node_modules/.bin/node)
 *   BENCH_SECONDS=30 node bench/topology.bench.ts
 *
 * Gateway, invites, notifier and the webhook dispatcher run as four Node processes, as `npm start` runs them,
 * on a fresh database (server from TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432)
 * and NATS prefix (TEST_NATS_URL or nats://127.0.0.1:4222), sending email to a counting
 * SMTP server in a process of its own. 18 orgs are made with the admin CLI and their
 * owners accept over HTTP. Then, one after the other, each after a warm-up (10 s before
 * A, 2 s before the others: BENCH_COLD_WARMUP_SECONDS, BENCH_WARMUP_SECONDS) and with no
 * email of earlier load still on its way:
 *   A  POST /v1/orgs/:orgId/invites on 64 keep-alive connections, 4 on each of 16 orgs;
 *   B  the same 64 connections on one org;
 *   C  BENCH_RATE (150) creates per second offered over the 16 orgs (open loop): the
 *      latency of a request below saturation, timed from when it was due;
 *   raw: what one create writes, hand-written for pgbench (8 clients), over 16 orgs and
 *      over one (tests/support/pgbench.ts), what PostgreSQL alone does on this machine;
 *   flatness: 8 connections creating in an empty org, then in one holding 100,000 pending
 *      invites: create latency must not grow with the size of the org.
 * Meanwhile RSS (with the gateway's esbuild child apart) and CPU of every process are
 * sampled from /proc, and the SMTP count gives emails/s and how long the backlog takes
 * to drain. Prints a table, writes artifacts/bench/topology.json, and stops everything,
 * drops the database and deletes the prefix's streams and buckets, also on failure.
 * Exits non-zero only when something broke: set-up, a service dying, emails not arriving.
 * Other settings: BENCH_FLAT_SECONDS (5), BENCH_SEED_ROWS (100000), BENCH_RATE, PGBENCH (its path).
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import pg from 'pg';
import { natsNames } from '@invite/contracts';
import { seedPendingInvites, serverUrl, writeResults } from '../tests/support/bench.ts';
import { missingCounterColumns, runRawCreates, seedRawOrgs, type PgbenchResult } from '../tests/support/pgbench.ts';
import { rssNow, startSampler, type PhaseUsage } from '../tests/support/proc-stats.ts';
import { createOwnedOrgs, openConnections, startTopology, waitForEmails, type LoadResult, type OwnedOrg } from '../tests/support/topology.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
// The services start cold (JIT, connection pools, prepared plans): after a 2 s warm-up
// phase A ran about a third slower than the same load after 10 s, so the first phase gets more.
const COLD_WARMUP_SECONDS = Math.max(WARMUP_SECONDS, Number(process.env.BENCH_COLD_WARMUP_SECONDS ?? 10));
const CONNECTIONS = 64;
const FLAT_CONNECTIONS = 8;
const FLAT_SECONDS = Number(process.env.BENCH_FLAT_SECONDS ?? 5);
const SEED_ROWS = Number(process.env.BENCH_SEED_ROWS ?? 100_000);
const RAW_CLIENTS = 8;
// Below saturation, what one request costs: a closed loop of 64 connections measures
// only throughput (its latency is 64 / creates per second, whatever the code does).
const RATE = Number(process.env.BENCH_RATE ?? 150);
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

const runId = randomBytes(3).toString('hex');
const topology = await startTopology('topology', serverUrl());
const problems: string[] = [];
let expectedEmails = 0;
let sqlPool: pg.Pool | undefined;

// Trouble while cleaning up is reported, not failed on: the figures are already out.
let cleaning: Promise<string[]> | undefined;
const cleanup = () =>
  (cleaning ??= (async () => {
    await sqlPool?.end().catch(() => {});
    return topology.stop();
  })());
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping the services and cleaning up`);
    void cleanup().then(() => process.exit(1));
  });
}

const samplerOptions = () => ({
  services: topology.pids(),
  others: { 'smtp counter': topology.smtp.pid, 'load generator': process.pid },
  database: topology.db.name,
});

async function drain(what: string): Promise<number | undefined> {
  const seconds = await waitForEmails(topology, expectedEmails);
  if (seconds === undefined) {
    const { delivered } = await topology.smtp.counts();
    problems.push(`${what}: ${delivered} of ${expectedEmails} emails arrived within 120 s`);
  }
  return seconds;
}

interface HttpPhase extends LoadResult {
  emailsPerSecond: number;
  drainSeconds: number | undefined;
  usage: PhaseUsage;
}

/** A phase of HTTP load: back to back on every connection, or `rate` creates per second offered. */
async function httpPhase(name: string, targets: OwnedOrg[], seconds: number, warmupSeconds: number, rate?: number): Promise<HttpPhase> {
  const connections = openConnections(topology.base, targets);
  const load = (s: number, tag: string) => (rate ? connections.paced(rate, s, tag) : connections.load(s, tag));
  try {
    log(`${name}: ${targets.length} connections${rate ? ` offering ${rate} creates/s` : ''}, ${warmupSeconds} s warm-up, then ${seconds} s`);
    expectedEmails += (await load(warmupSeconds, `${runId}.${name}.warm`)).created;
    // The warm-up's emails go out first, so that the phase's emails/s and drain are its own.
    await drain(`${name} warm-up`);
    const before = await topology.smtp.counts();
    const sampler = startSampler(samplerOptions());
    const result = await load(seconds, `${runId}.${name}`);
    const usage = sampler.stop();
    const after = await topology.smtp.counts();
    expectedEmails += result.created;
    topology.assertAlive();
    if (result.created === 0) problems.push(`${name}: not one invite was created (${result.firstError ?? 'no answer'})`);
    const drainSeconds = await drain(name);
    return { ...result, emailsPerSecond: (after.delivered - before.delivered) / result.seconds, drainSeconds, usage };
  } finally {
    connections.close();
  }
}

type RawPhase = PgbenchResult & { usage: PhaseUsage };

let exitCode = 0;
try {
  log(`starting invites, gateway, notifier and the webhook dispatcher (database ${topology.db.name}, prefix ${topology.prefix})`);
  await topology.start();
  sqlPool = new pg.Pool({ connectionString: topology.db.url, max: 2 });

  log('set-up: 18 orgs with the admin CLI, owners accepting over HTTP');
  const orgs = await createOwnedOrgs(topology, 18, runId);
  const spread = orgs.slice(0, 16);
  const [emptyOrg, largeOrg] = [orgs[16]!, orgs[17]!];
  expectedEmails += orgs.length;
  await drain("owners' invites");
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const idleRss = rssNow(topology.pids());

  const phaseA = await httpPhase('a', Array.from({ length: CONNECTIONS }, (_, i) => spread[i % spread.length]!), SECONDS, COLD_WARMUP_SECONDS);
  const phaseB = await httpPhase('b', Array.from({ length: CONNECTIONS }, () => spread[0]!), SECONDS, WARMUP_SECONDS);
  const phaseC = await httpPhase('c', Array.from({ length: CONNECTIONS }, (_, i) => spread[i % spread.length]!), SECONDS, WARMUP_SECONDS, RATE);

  const ownerId = async (orgId: string) =>
    (await sqlPool!.query<{ user_id: string }>(`select user_id from memberships where org_id = $1 and role = 'owner'`, [orgId])).rows[0]!.user_id;
  const missing = await missingCounterColumns(sqlPool);
  let raw: { spread: RawPhase; oneOrg: RawPhase } | { skipped: string };
  if (missing.length) {
    raw = { skipped: `orgs has no ${missing.join(', ')}: the migration that puts the counters on the org row is not in this tree yet` };
    log(`raw SQL skipped: ${raw.skipped}`);
  } else {
    const inviterId = await ownerId(spread[0]!.orgId);
    await seedRawOrgs(sqlPool, 16, inviterId);
    const rawRun = async (orgCount: number): Promise<RawPhase> => {
      log(`raw SQL: pgbench, ${RAW_CLIENTS} clients, ${orgCount} org(s), ${SECONDS} s`);
      const sampler = startSampler(samplerOptions());
      const subject = natsNames(topology.prefix).inviteEvent('created');
      const result = await runRawCreates(topology.db.url, { clients: RAW_CLIENTS, threads: 2, seconds: SECONDS, orgs: orgCount, inviterId, subject });
      return { ...result, usage: sampler.stop() };
    };
    raw = { spread: await rawRun(16), oneOrg: await rawRun(1) };
  }
  topology.assertAlive();

  log(`flatness: seeding ${SEED_ROWS} pending invites into org 18`);
  const seedSeconds = await seedPendingInvites(sqlPool, largeOrg.orgId, await ownerId(largeOrg.orgId), SEED_ROWS);
  const flatWarmup = Math.min(1, WARMUP_SECONDS);
  const emptyPhase = await httpPhase('empty', Array.from({ length: FLAT_CONNECTIONS }, () => emptyOrg), FLAT_SECONDS, flatWarmup);
  const largePhase = await httpPhase('large', Array.from({ length: FLAT_CONNECTIONS }, () => largeOrg), FLAT_SECONDS, flatWarmup);

  const smtpTotals = await topology.smtp.counts();
  const complaints = topology.complaints();
  const results = {
    at: new Date().toISOString(),
    node: process.version,
    cores: availableParallelism(),
    seconds: SECONDS,
    warmupSeconds: WARMUP_SECONDS,
    coldWarmupSeconds: COLD_WARMUP_SECONDS,
    phaseA,
    phaseB,
    phaseC: { offeredPerSecond: RATE, ...phaseC },
    raw,
    httpOverRaw: 'skipped' in raw ? null : { spread: phaseA.createsPerSecond / raw.spread.tps, oneOrg: phaseB.createsPerSecond / raw.oneOrg.tps },
    flatness: { seededRows: SEED_ROWS, seedSeconds, emptyOrg: emptyPhase, largeOrg: largePhase, p99Ratio: largePhase.p99Ms / emptyPhase.p99Ms },
    rss: { idle: idleRss, maxA: phaseA.usage.maxRssBytes, maxB: phaseB.usage.maxRssBytes },
    emails: { expected: expectedEmails, ...smtpTotals },
    serviceOutput: complaints.slice(0, 50),
    problems,
  };

  const f = (n: number | undefined, width = 9, digits = 1) => (n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits)).padStart(width);
  const mb = (bytes: number | undefined) => f(bytes === undefined ? undefined : bytes / 2 ** 20, 8, 0);
  const httpRow = (label: string, r: HttpPhase) =>
    `  ${label.padEnd(30)}${String(r.connections).padStart(5)}${f(r.createsPerSecond)}${f(r.p50Ms, 8)}${f(r.p90Ms, 8)}${f(r.p99Ms, 8)}${f(r.maxMs, 8, 0)}${String(r.errors).padStart(7)}${f(r.emailsPerSecond)}${f(r.drainSeconds, 8)}`;
  const rawRow = (label: string, r: RawPhase, http: HttpPhase) => `  ${label.padEnd(30)}${f(r.tps)}${f(r.latencyAvgMs, 9, 2)}${String(r.failed).padStart(8)}${f(http.createsPerSecond / r.tps, 11, 3)}`;
  const services = ['gateway', 'invites', 'notifier', 'webhooks'];
  const allRss = [...new Set([...Object.keys(idleRss), ...Object.keys(phaseA.usage.maxRssBytes), ...Object.keys(phaseB.usage.maxRssBytes)])];
  // A total is worth a line only for a service that has children.
  const rssLabels = allRss.filter((label) => !label.endsWith(' total') || allRss.some((l) => l.startsWith(`${label.split(' ')[0]} child`))).sort(
    (a, b) => services.indexOf(a.split(' ')[0]!) - services.indexOf(b.split(' ')[0]!) || (a.endsWith('total') ? 1 : 0) - (b.endsWith('total') ? 1 : 0) || a.localeCompare(b),
  );
  const usages: [string, PhaseUsage][] = [['A', phaseA.usage], ['B', phaseB.usage], ['C', phaseC.usage]];
  if (!('skipped' in raw)) usages.push(['raw 16', raw.spread.usage], ['raw 1', raw.oneOrg.usage]);
  usages.push(['empty', emptyPhase.usage], ['100k', largePhase.usage]);
  const cpuOrder = ['gateway', 'invites', 'notifier', 'postgres (bench db)', 'postgres (other)', 'postgres (ended mid-phase)', 'nats-server', 'smtp counter', 'load generator', 'pgbench'];
  // A service's children (the gateway's esbuild) sit right under the service.
  const rank = (label: string) => {
    const owner = cpuOrder.indexOf(label.split(' ')[0]!);
    return cpuOrder.includes(label) ? cpuOrder.indexOf(label) : owner >= 0 ? owner + 0.5 : cpuOrder.length;
  };
  const cpuLabels = [...new Set(usages.flatMap(([, u]) => Object.keys(u.cpuPercent)))].sort((a, b) => rank(a) - rank(b));

  console.log(
    [
      '',
      `topology benchmark: npm start's four processes, create-invite over HTTP (Node ${process.version}, ${availableParallelism()} cores, ${SECONDS} s per phase after ${WARMUP_SECONDS} s warm-up, ${COLD_WARMUP_SECONDS} s before A)`,
      '',
      `HTTP POST /v1/orgs/:orgId/invites    conns creates/s  p50 ms  p90 ms  p99 ms  max ms errors emails/s drain s`,
      httpRow('A  16 orgs, 4 connections each', phaseA),
      httpRow('B  1 org', phaseB),
      httpRow(`C  16 orgs, ${RATE}/s offered`, phaseC),
      httpRow('empty org', emptyPhase),
      httpRow(`org with ${SEED_ROWS.toLocaleString('en')} pending`, largePhase),
      `  p99 ${SEED_ROWS.toLocaleString('en')}-invite org / empty org: ${f(results.flatness.p99Ratio, 0, 2)}   (seeded in ${seedSeconds.toFixed(1)} s)`,
      '',
      'skipped' in raw
        ? `raw SQL (pgbench): skipped: ${raw.skipped}`
        : [
            `raw SQL, pgbench -c ${RAW_CLIENTS} -j 2                tps  avg ms  failed  HTTP/raw`,
            rawRow('16 orgs (vs A)', raw.spread, phaseA),
            rawRow('1 org (vs B)', raw.oneOrg, phaseB),
          ].join('\n'),
      '',
      `RSS, MB                              idle   max A   max B`,
      ...rssLabels.map((label) => `  ${label.padEnd(33)}${mb(idleRss[label])}${mb(phaseA.usage.maxRssBytes[label])}${mb(phaseB.usage.maxRssBytes[label])}`),
      '',
      `CPU, % of one core             ${usages.map(([label]) => label.padStart(8)).join('')}`,
      ...cpuLabels.map((label) => `  ${label.padEnd(30)}${usages.map(([, u]) => f(u.cpuPercent[label] ?? 0, 8, 0)).join('')}`),
      `  ${'rest of the machine'.padEnd(30)}${usages.map(([, u]) => f(u.restPercent, 8, 0)).join('')}`,
      `  ${'machine busy, % of all cores'.padEnd(30)}${usages.map(([, u]) => f(u.machineBusyPercent, 8, 0)).join('')}`,
      '',
      `emails: ${smtpTotals.delivered} delivered to ${smtpTotals.recipients} recipients (${smtpTotals.duplicated} got more than one), ${expectedEmails} expected`,
      ...[phaseA, phaseB, phaseC, emptyPhase, largePhase].flatMap((r, i) =>
        r.firstError ? [`first error of ${['A', 'B', 'C', 'empty org', '100k org'][i]}: ${r.firstError} (statuses ${JSON.stringify(r.statuses)})`] : [],
      ),
      ...(complaints.length ? [`services wrote ${complaints.length} lines at warn or above, e.g.:`, ...complaints.slice(0, 5).map((l) => `  ${l.slice(0, 300)}`)] : []),
      '',
    ].join('\n'),
  );
  await writeResults('topology', results);
} catch (error) {
  exitCode = 1;
  process.stderr.write(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
} finally {
  for (const warning of await cleanup()) process.stderr.write(`[bench] clean-up: ${warning}\n`);
}
if (problems.length) {
  process.stderr.write(`[bench] problems:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
  exitCode = 1;
}
process.exit(exitCode);
