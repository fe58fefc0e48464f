/**
 * Benchmark of webhook deliveries (not a test: it asserts nothing about speed).
 *
 *   npm run bench -- webhooks
 *   BENCH_SECONDS=30 BENCH_RATE=200 node bench/webhooks.bench.ts      (Node 24)
 *
 * npm start's topology (gateway, invites, notifier with a counting SMTP server, and the
 * webhook dispatcher, each its own Node process) on a fresh database and NATS prefix,
 * with a local HTTP receiver in this process (WEBHOOKS_ALLOW_PRIVATE, for 127.0.0.1).
 * Invites are created over HTTP in bulk requests of BENCH_BATCH (10), link-only (the
 * notifier has nothing to send), so that the machine's two cores go to delivering rather
 * than to creating; each `invite.created` is delivered to the endpoints subscribed to it,
 * and the receiver times each delivery from the event's own timestamp (set in the
 * invites service when the invite was written) to its arrival.
 *
 *   steady:   BENCH_RATE (200) invites/s offered for BENCH_SECONDS (20), one fast endpoint;
 *   isolated: the same load with two more endpoints on the same events, one answering 500
 *             to everything (retried with backoff) and one answering after BENCH_SLOW_MS
 *             (3000); what they cost the fast one is the difference between the two runs;
 *   backlog:  with the dispatcher stopped, BENCH_BACKLOG (4000) invites in bulk, then the
 *             dispatcher started: deliveries/s to one endpoint, then to four at once.
 *
 * Prints a table, writes artifacts/bench/webhooks.json, and stops everything, drops the
 * database and deletes the prefix's streams, also on failure.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { percentile, serverUrl, writeResults } from '../tests/support/bench.ts';
import { freePort, startService, type ServiceProcess } from '../tests/support/processes.ts';
import { startSampler, type PhaseUsage } from '../tests/support/proc-stats.ts';
import { createOwnedOrgs, startTopology, type OwnedOrg } from '../tests/support/topology.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const SLOW_MS = Number(process.env.BENCH_SLOW_MS ?? 3000);
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 4000);
/** Invites per bulk request: the events come in small batches, so that creating them costs the machine little next to delivering them. */
const BATCH = Number(process.env.BENCH_BATCH ?? 10);
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- the receiver: one path per endpoint, each with its arrivals and how it answers

interface Path {
  /** Event-to-arrival times of first arrivals, ms. */
  latencies: number[];
  arrivals: number;
  /** Distinct webhook-ids seen. */
  ids: Set<string>;
  firstAt: number;
  lastAt: number;
}
const paths = new Map<string, Path>();
const answers = new Map<string, { status: number; delayMs: number }>();
const pathOf = (name: string): Path => {
  let p = paths.get(name);
  if (!p) {
    p = { latencies: [], arrivals: 0, ids: new Set(), firstAt: 0, lastAt: 0 };
    paths.set(name, p);
  }
  return p;
};
const receiver: Server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (c: Buffer) => chunks.push(c));
  request.on('end', () => {
    const now = Date.now();
    const name = (request.url ?? '/').split('?')[0]!;
    const p = pathOf(name);
    p.arrivals += 1;
    p.firstAt ||= now;
    p.lastAt = now;
    const id = String(request.headers['webhook-id']);
    if (!p.ids.has(id)) {
      p.ids.add(id);
      const { timestamp } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { timestamp: string };
      p.latencies.push(now - Date.parse(timestamp));
    }
    const { status, delayMs } = answers.get(name) ?? { status: 200, delayMs: 0 };
    setTimeout(() => response.writeHead(status).end(), delayMs);
  });
});
receiver.keepAliveTimeout = 60_000;
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const receiverBase = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

// ---- the platform

const runId = randomBytes(3).toString('hex');
// This benchmark starts and stops its own dispatcher.
const topology = await startTopology('webhooks', serverUrl(), { webhooks: false });
// The receiver is on 127.0.0.1: the invites service (registration) and the dispatcher must allow it.
topology.env.WEBHOOKS_ALLOW_PRIVATE = 'true';
const webhooksPort = await freePort();
const webhooksEnv = () => ({ ...topology.env, WEBHOOKS_HTTP_PORT: String(webhooksPort), WEBHOOKS_ALLOW_PRIVATE: 'true', LOG_LEVEL: 'warn' });
let dispatcher: ServiceProcess | undefined;
const problems: string[] = [];

async function startDispatcher(): Promise<number> {
  const started = performance.now();
  const child = startService('services/invites/src/webhooks/server.ts', webhooksEnv());
  dispatcher = child;
  const deadline = Date.now() + 60_000;
  while ((await fetch(`http://127.0.0.1:${webhooksPort}/readyz`).then((r) => r.status, () => 0)) !== 200) {
    if (child.child.exitCode !== null || Date.now() > deadline) throw new Error(`the dispatcher is not ready; output:\n${child.output().slice(-3000)}`);
    await sleep(100);
  }
  return started;
}

let cleaning: Promise<string[]> | undefined;
const cleanup = () =>
  (cleaning ??= (async () => {
    await dispatcher?.stop('SIGTERM');
    receiver.closeAllConnections();
    receiver.close();
    return topology.stop();
  })());
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping the services and cleaning up`);
    void cleanup().then(() => process.exit(1));
  });
}

async function api<T>(method: string, path: string, token: string, body?: unknown): Promise<T> {
  const response = await fetch(`${topology.base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

const addEndpoint = (org: OwnedOrg, path: string) =>
  api<{ webhook: { id: string } }>('POST', `/v1/orgs/${org.orgId}/webhooks`, org.accessToken, { url: `${receiverBase}${path}`, eventTypes: ['invite.created'] }).then((r) => r.webhook.id);

/** Waits until `path` has seen `count` distinct messages; the seconds it took, or undefined after `timeoutMs`. */
async function received(path: string, count: number, timeoutMs = 120_000): Promise<number | undefined> {
  const started = performance.now();
  while (pathOf(path).ids.size < count) {
    topology.assertAlive();
    if (dispatcher && dispatcher.child.exitCode !== null) throw new Error(`the dispatcher exited: ${dispatcher.output().slice(-3000)}`);
    if (performance.now() - started > timeoutMs) return undefined;
    await sleep(50);
  }
  return (performance.now() - started) / 1000;
}

interface Latency {
  count: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}
function latencyOf(values: number[]): Latency {
  const sorted = [...values].sort((a, b) => a - b);
  return { count: sorted.length, p50Ms: percentile(sorted, 50), p90Ms: percentile(sorted, 90), p99Ms: percentile(sorted, 99), maxMs: sorted.at(-1) ?? NaN };
}

interface EventLoad {
  created: number;
  seconds: number;
  eventsPerSecond: number;
  /** Bulk request latency, from when it was due (a backlog shows here). */
  requestP99Ms: number;
  errors: number;
  firstError?: string;
}

/**
 * Offers `rate` invites per second for `seconds` (open loop): a bulk request of `BATCH`
 * link-only invites (nothing to email) every BATCH/rate seconds, each due at its time
 * whether or not the previous ones answered.
 */
async function pacedEvents(org: OwnedOrg, rate: number, seconds: number, tag: string): Promise<EventLoad> {
  const requests = Math.max(1, Math.round((rate * seconds) / BATCH));
  const latencies: number[] = [];
  let created = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const sent: Promise<void>[] = [];
  for (let n = 0; n < requests; n++) {
    const due = started + (n * BATCH * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const rows = Array.from({ length: BATCH }, (_, i) => ({ email: `${tag}.${n}.${i}@bench.example.test`, role: 'member', channels: [] }));
    sent.push(
      api<{ created: number }>('POST', `/v1/orgs/${org.orgId}/invites/bulk`, org.accessToken, rows).then(
        (reply) => {
          created += reply.created;
          latencies.push(performance.now() - due);
        },
        (error: unknown) => {
          errors += 1;
          firstError ??= String(error);
        },
      ),
    );
  }
  await Promise.all(sent);
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { created, seconds: elapsed, eventsPerSecond: created / elapsed, requestP99Ms: percentile(latencies, 99), errors, ...(firstError ? { firstError } : {}) };
}

interface SteadyPhase {
  http: EventLoad;
  fast: Latency;
  usage: PhaseUsage;
  others?: Record<string, { arrivals: number; distinct: number }>;
}

const samplerOptions = () => ({
  services: { ...topology.pids(), webhooks: dispatcher!.child.pid! },
  others: { 'load generator and receiver': process.pid },
  database: topology.db.name,
});

/** `RATE` creates/s for `SECONDS` on org `org`, delivered to `fast` (and to whatever else the org has). */
async function steady(name: string, org: OwnedOrg, fast: string, others: string[] = []): Promise<SteadyPhase> {
  {
    log(`${name}: ${RATE} invites/s offered (bulk requests of ${BATCH}), ${WARMUP_SECONDS} s warm-up, then ${SECONDS} s`);
    const warm = await pacedEvents(org, RATE, WARMUP_SECONDS, `${runId}.${name}.warm`);
    await received(fast, warm.created, 60_000);
    const p = pathOf(fast);
    const before = { latencies: p.latencies.length, ids: p.ids.size };
    const otherBefore = Object.fromEntries(others.map((o) => [o, { arrivals: pathOf(o).arrivals, distinct: pathOf(o).ids.size }]));
    const sampler = startSampler(samplerOptions());
    const http = await pacedEvents(org, RATE, SECONDS, `${runId}.${name}`);
    const drain = await received(fast, before.ids + http.created, 60_000);
    const usage = sampler.stop();
    if (drain === undefined) problems.push(`${name}: ${pathOf(fast).ids.size - before.ids} of ${http.created} deliveries reached ${fast} within 60 s`);
    if (http.errors) problems.push(`${name}: ${http.errors} creates failed (${http.firstError})`);
    return {
      http,
      fast: latencyOf(p.latencies.slice(before.latencies)),
      usage,
      ...(others.length
        ? { others: Object.fromEntries(others.map((o) => [o, { arrivals: pathOf(o).arrivals - otherBefore[o]!.arrivals, distinct: pathOf(o).ids.size - otherBefore[o]!.distinct }])) }
        : {}),
    };
  }
}

/** With the dispatcher stopped, `BACKLOG` invites in bulk; then the dispatcher started: deliveries/s to every endpoint of `org`. */
async function backlog(name: string, org: OwnedOrg, endpoints: string[]) {
  log(`${name}: dispatcher stopped, ${BACKLOG} invites in bulk for ${endpoints.length} endpoint(s)`);
  await dispatcher!.stop('SIGTERM');
  for (let done = 0; done < BACKLOG; done += 1000) {
    const rows = Array.from({ length: Math.min(1000, BACKLOG - done) }, (_, i) => ({ email: `${name}.${done + i}.${runId}@bench.example.test`, role: 'member', channels: [] }));
    await api('POST', `/v1/orgs/${org.orgId}/invites/bulk`, org.accessToken, rows);
  }
  // Let the outbox relay put every event in the stream before the clock starts.
  await sleep(3000);
  const startedAt = await startDispatcher();
  const sampler = startSampler(samplerOptions());
  const seconds = await Promise.all(endpoints.map((e) => received(e, BACKLOG, 300_000)));
  const usage = sampler.stop();
  const total = (performance.now() - startedAt) / 1000;
  if (seconds.some((s) => s === undefined)) problems.push(`${name}: not every endpoint got ${BACKLOG} deliveries within 300 s`);
  const deliveries = BACKLOG * endpoints.length;
  const firstArrival = Math.min(...endpoints.map((e) => pathOf(e).firstAt));
  const lastArrival = Math.max(...endpoints.map((e) => pathOf(e).lastAt));
  return {
    endpoints: endpoints.length,
    deliveries,
    secondsFromStart: total,
    deliveriesPerSecond: deliveries / ((lastArrival - firstArrival) / 1000),
    deliveriesPerSecondFromStart: deliveries / total,
    usage,
  };
}

let exitCode = 0;
try {
  log(`starting invites, gateway, notifier and the webhook dispatcher (database ${topology.db.name}, prefix ${topology.prefix})`);
  await topology.start();
  await startDispatcher();
  const [orgA, orgB, orgC] = await createOwnedOrgs(topology, 3, runId);

  await addEndpoint(orgA!, '/fast');
  const steadyPhase = await steady('steady', orgA!, '/fast');

  answers.set('/failing', { status: 500, delayMs: 0 });
  answers.set('/slow', { status: 200, delayMs: SLOW_MS });
  const failingId = await addEndpoint(orgA!, '/failing');
  const slowId = await addEndpoint(orgA!, '/slow');
  const isolatedPhase = await steady('isolated', orgA!, '/fast', ['/failing', '/slow']);
  // Their backlog would go on being retried through the next phases: stop it.
  for (const id of [failingId, slowId]) await api('PATCH', `/v1/orgs/${orgA!.orgId}/webhooks/${id}`, orgA!.accessToken, { enabled: false });

  await addEndpoint(orgB!, '/bulk-1');
  const oneEndpoint = await backlog('backlog-1', orgB!, ['/bulk-1']);
  const four = ['/bulk-4a', '/bulk-4b', '/bulk-4c', '/bulk-4d'];
  for (const path of four) await addEndpoint(orgC!, path);
  const fourEndpoints = await backlog('backlog-4', orgC!, four);

  const complaints = topology.complaints().concat((dispatcher?.output() ?? '').split('\n').filter((l) => l.trim()).map((l) => `[webhooks] ${l}`));
  const results = {
    at: new Date().toISOString(),
    node: process.version,
    cores: availableParallelism(),
    seconds: SECONDS,
    offeredPerSecond: RATE,
    slowMs: SLOW_MS,
    steady: steadyPhase,
    isolated: isolatedPhase,
    backlog: { one: oneEndpoint, four: fourEndpoints },
    serviceOutput: complaints.slice(0, 50),
    problems,
  };
  const f = (n: number | undefined, width = 9, digits = 1) => (n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits)).padStart(width);
  const latencyRow = (label: string, r: SteadyPhase) =>
    `  ${label.padEnd(44)}${f(r.http.eventsPerSecond)}${f(r.http.requestP99Ms, 9)}${String(r.fast.count).padStart(9)}${f(r.fast.p50Ms, 8)}${f(r.fast.p90Ms, 8)}${f(r.fast.p99Ms, 8)}${f(r.fast.maxMs, 8, 0)}`;
  const cpu = (u: PhaseUsage, label: string) => f(u.cpuPercent[label] ?? 0, 8, 0);
  const cpuLabels = ['gateway', 'invites', 'notifier', 'webhooks', 'postgres (bench db)', 'nats-server', 'load generator and receiver'];
  console.log(
    [
      '',
      `webhooks benchmark: npm start's four processes, invite.created delivered to a local receiver (Node ${process.version}, ${availableParallelism()} cores)`,
      '',
      `${RATE} invites/s offered for ${SECONDS} s, event → receipt at the fast one  events/s  bulk p99  delivered  p50 ms  p90 ms  p99 ms  max ms`,
      latencyRow('fast endpoint alone', steadyPhase),
      latencyRow(`fast beside a 500 endpoint and a ${SLOW_MS} ms one`, isolatedPhase),
      `  meanwhile: the failing endpoint got ${isolatedPhase.others!['/failing']!.arrivals} attempts (${isolatedPhase.others!['/failing']!.distinct} messages, retried with backoff), the slow one ${isolatedPhase.others!['/slow']!.arrivals} (8 at a time)`,
      '',
      `backlog of ${BACKLOG} events, dispatcher started          deliveries  deliveries/s  s from start`,
      `  one endpoint                                  ${String(oneEndpoint.deliveries).padStart(10)}${f(oneEndpoint.deliveriesPerSecond, 14)}${f(oneEndpoint.secondsFromStart, 14)}`,
      `  four endpoints                                ${String(fourEndpoints.deliveries).padStart(10)}${f(fourEndpoints.deliveriesPerSecond, 14)}${f(fourEndpoints.secondsFromStart, 14)}`,
      '',
      `CPU, % of one core                         steady isolated backlog1 backlog4`,
      ...cpuLabels.map((label) => `  ${label.padEnd(38)}${cpu(steadyPhase.usage, label)}${cpu(isolatedPhase.usage, label)}${cpu(oneEndpoint.usage, label)}${cpu(fourEndpoints.usage, label)}`),
      `  ${'machine busy, % of all cores'.padEnd(38)}${[steadyPhase.usage, isolatedPhase.usage, oneEndpoint.usage, fourEndpoints.usage].map((u) => f(u.machineBusyPercent, 8, 0)).join('')}`,
      ...(complaints.length ? ['', `services wrote ${complaints.length} lines at warn or above, e.g.:`, ...complaints.slice(0, 5).map((l) => `  ${l.slice(0, 300)}`)] : []),
      '',
    ].join('\n'),
  );
  await writeResults('webhooks', results);
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
