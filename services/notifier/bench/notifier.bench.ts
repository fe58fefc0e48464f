/**
 * Benchmark of the notifier (not a test: it asserts nothing about speed).
 *
 *   npm run bench                                    (all services)
 *   node services/notifier/bench/notifier.bench.ts   (Node 24, e.g. node_modules/.bin/node)
 *
 * Runs the notifier as its own process (server.ts) against NATS (TEST_NATS_URL or
 * nats://127.0.0.1:4222) under a unique prefix, with a real SMTP server (smtp-server)
 * in this process, and measures:
 *   (a) drain: BENCH_DRAIN invite events already in INVITES when the notifier starts;
 *       emails per second from the stream to SMTP DATA accepted;
 *   (b) steady load: BENCH_RATE invites per second for BENCH_SECONDS, latency from the
 *       event being published to SMTP DATA accepted (p50, p90, p99, max).
 * Prints a table, writes artifacts/bench/notifier.json, deletes its streams and buckets.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { SMTPServer } from 'smtp-server';
import { createTokenCipher, developmentSecrets, ensureStreams, natsNames, newInviteToken } from '@invite/contracts';
import { destroyStores } from '../src/stores.ts';
import { percentile, writeResults } from '../../../tests/support/bench.ts';
import { testPrefix } from '../../../tests/support/database.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const DRAIN = Number(process.env.BENCH_DRAIN ?? 3000);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const CONCURRENCY = process.env.BENCH_NOTIFIER_CONCURRENCY ?? '32';
const SMTP_CONNECTIONS = process.env.BENCH_SMTP_CONNECTIONS ?? '5';
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

const prefix = testPrefix('benchnotifier');
const natsUrl = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const names = natsNames(prefix);
const cipher = createTokenCipher(developmentSecrets.TOKEN_ENCRYPTION_KEY);

// The SMTP side: records when each message's DATA was accepted, by Message-ID.
const accepted = new Map<string, number>();
let transmissions = 0;
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  onData(stream, _session, callback) {
    let head = '';
    stream.on('data', (chunk: Buffer) => {
      if (head.length < 4096) head += chunk.toString('latin1');
    });
    stream.on('end', () => {
      const id = /^Message-ID:\s*<([^>]+)>/im.exec(head)?.[1] ?? '';
      transmissions++;
      if (!accepted.has(id)) accepted.set(id, performance.now());
      callback(null, 'OK');
    });
  },
});
smtp.on('error', () => {});
await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
const smtpPort = (smtp.server.address() as { port: number }).port;

const nc = await connect({ servers: natsUrl, name: 'notifier-bench' });
const jsm = await jetstreamManager(nc);
await ensureStreams(jsm, names);
const js = jetstream(nc);
const published = new Map<string, number>(); // inviteId → publish time

async function publish(i: number, phase: string): Promise<void> {
  const inviteId = randomUUID();
  const event = {
    id: randomUUID(),
    type: 'invite.created',
    occurredAt: new Date().toISOString(),
    orgId: '00000000-0000-4000-8000-00000000beef',
    inviteId,
    email: `${phase}-${i}@bench.example.test`,
    phone: null,
    role: 'member',
    locale: i % 3 === 0 ? 'es' : 'en',
    message: 'Welcome to the team! <b>escaped</b>',
    orgName: 'Bench & Co',
    inviterName: 'Bench Runner',
    expiresAt: new Date(Date.now() + 48 * 3600_000).toISOString(),
    tokenVersion: 1,
    channels: ['email'],
    encryptedToken: cipher.encrypt(newInviteToken(), inviteId),
  };
  published.set(inviteId, performance.now());
  await js.publish(names.inviteEvent('created'), JSON.stringify(event), { msgID: event.id });
}

const acceptedOf = (ids: string[]) => ids.filter((id) => accepted.has(`${id}.1.email@bench.example.test`));
async function until(check: () => boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function startNotifierProcess() {
  return spawn(process.execPath, ['services/notifier/src/server.ts'], {
  cwd: root,
  env: {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    NATS_URL: natsUrl,
    NATS_PREFIX: prefix,
    NOTIFIER_HTTP_PORT: '0',
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    SMTP_FROM: 'invites@bench.example.test',
    SMTP_MAX_CONNECTIONS: SMTP_CONNECTIONS,
    NOTIFIER_CONCURRENCY: CONCURRENCY,
  },
  stdio: ['ignore', 'inherit', 'inherit'],
});
}
let child: ReturnType<typeof startNotifierProcess> | undefined;
let childExited = false;

try {
  // (a) Drain: events wait in the stream, then the notifier starts.
  log(`publishing ${DRAIN} invite events before the notifier runs`);
  const drainIds: string[] = [];
  for (let i = 0; i < DRAIN; i += 100) {
    await Promise.all(Array.from({ length: Math.min(100, DRAIN - i) }, (_, k) => publish(i + k, 'drain')));
  }
  drainIds.push(...published.keys());
  child = startNotifierProcess();
  child.once('exit', () => (childExited = true));
  // Timed from the first email accepted, so the process start is not counted.
  await until(() => childExited || accepted.size > 0, 60_000, 'the first email');
  if (childExited) throw new Error('the notifier exited');
  const drainStart = Math.min(...accepted.values());
  await until(() => acceptedOf(drainIds).length === DRAIN, 300_000, 'the drain');
  const drainEnd = Math.max(...accepted.values());
  const drainRate = DRAIN / ((drainEnd - drainStart) / 1000);
  log(`drain: ${DRAIN} emails in ${((drainEnd - drainStart) / 1000).toFixed(2)} s`);

  // (b) Steady load: RATE per second for SECONDS, paced on a clock (no catch-up bursts lost).
  const total = RATE * SECONDS;
  log(`steady: ${RATE} invites/s for ${SECONDS} s (${total} invites)`);
  const before = new Set(published.keys());
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(publish(i, 'steady'));
  }
  await Promise.all(pending);
  const publishSeconds = (performance.now() - start) / 1000;
  const steadyIds = [...published.keys()].filter((id) => !before.has(id));
  await until(() => acceptedOf(steadyIds).length === total, 120_000, 'the steady load');
  const latencies = steadyIds.map((id) => accepted.get(`${id}.1.email@bench.example.test`)! - published.get(id)!).sort((a, b) => a - b);
  const steadyEnd = Math.max(...steadyIds.map((id) => accepted.get(`${id}.1.email@bench.example.test`)!));

  const results = {
    when: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
    settings: { notifierConcurrency: Number(CONCURRENCY), smtpConnections: Number(SMTP_CONNECTIONS), natsUrl },
    drain: { emails: DRAIN, seconds: Number(((drainEnd - drainStart) / 1000).toFixed(3)), emailsPerSecond: Math.round(drainRate) },
    steady: {
      targetRatePerSecond: RATE,
      seconds: SECONDS,
      invites: total,
      publishSeconds: Number(publishSeconds.toFixed(2)),
      achievedEmailsPerSecond: Math.round(total / ((steadyEnd - start) / 1000)),
      latencyMs: {
        p50: Number(percentile(latencies, 50).toFixed(1)),
        p90: Number(percentile(latencies, 90).toFixed(1)),
        p99: Number(percentile(latencies, 99).toFixed(1)),
        max: Number(latencies.at(-1)!.toFixed(1)),
      },
    },
    /** Messages the SMTP server received more than once (same Message-ID); 0 expected. */
    duplicates: transmissions - accepted.size,
  };
  const lines = [
    '',
    'notifier: invite event in JetStream → email accepted by SMTP (DATA 250)',
    `  drain of ${DRAIN} queued events      ${results.drain.emailsPerSecond} emails/s`,
    `  steady ${RATE}/s for ${SECONDS} s             achieved ${results.steady.achievedEmailsPerSecond} emails/s`,
    `  latency publish → DATA accepted     p50 ${results.steady.latencyMs.p50} ms  p90 ${results.steady.latencyMs.p90} ms  p99 ${results.steady.latencyMs.p99} ms  max ${results.steady.latencyMs.max} ms`,
    `  (concurrency ${CONCURRENCY}, ${SMTP_CONNECTIONS} pooled SMTP connections, ${results.machine.cpus} CPUs)`,
    '',
  ];
  console.log(lines.join('\n'));
  await writeResults('notifier', results);
} finally {
  if (child && !childExited) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  for (const stream of [names.inviteStream, names.notificationStream]) await jsm.streams.delete(stream).catch(() => {});
  await destroyStores(nc, prefix);
  await nc.drain();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
}
