import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { percentile } from './bench.ts';
import { createTestDatabase, testPrefix } from './database.ts';
import { freePort, run, startService, warmCompileCache, type ServiceProcess } from './processes.ts';
import { startSmtpCounter, type SmtpCounter } from './smtp-counter.ts';

/**
 * The `npm start` topology for a benchmark: the three services as separate Node
 * processes on a fresh database and NATS prefix, a counting SMTP server, organisations
 * made through the admin CLI and accepted over HTTP, and an HTTP load generator.
 */

export const serviceEntries = {
  invites: 'services/invites/src/server.ts',
  gateway: 'services/gateway/src/server.ts',
  notifier: 'services/notifier/src/server.ts',
  webhooks: 'services/invites/src/webhooks/server.ts',
} as const;
export type ServiceName = keyof typeof serviceEntries;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * @param options.webhooks whether the webhook dispatcher runs as npm start runs it (default);
 *   a benchmark that starts and stops its own dispatcher leaves it out.
 */
export async function startTopology(label: string, serverUrl: string, options: { webhooks?: boolean } = {}) {
  const entries = Object.entries(serviceEntries).filter(([name]) => options.webhooks !== false || name !== 'webhooks') as [ServiceName, string][];
  const db = await createTestDatabase(serverUrl, label);
  const prefix = testPrefix(label);
  const natsUrl = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
  const services = new Map<ServiceName, ServiceProcess>();
  let smtp: SmtpCounter | undefined;
  let stopped = false;
  let died: string | undefined;

  const ports = { GATEWAY_PORT: await freePort(), INVITES_HTTP_PORT: await freePort(), NOTIFIER_HTTP_PORT: await freePort(), WEBHOOKS_HTTP_PORT: await freePort() };
  const base = `http://127.0.0.1:${ports.GATEWAY_PORT}`;
  const env: Record<string, string> = {
    DATABASE_URL: db.url,
    NATS_URL: natsUrl,
    NATS_PREFIX: prefix,
    GATEWAY_HOST: '127.0.0.1',
    GATEWAY_PORT: String(ports.GATEWAY_PORT),
    INVITES_HTTP_PORT: String(ports.INVITES_HTTP_PORT),
    NOTIFIER_HTTP_PORT: String(ports.NOTIFIER_HTTP_PORT),
    WEBHOOKS_HTTP_PORT: String(ports.WEBHOOKS_HTTP_PORT),
    APP_BASE_URL: base,
    RATE_LIMIT: 'off',
    // Limits set so high that they never refuse, and are still checked on every create.
    INVITE_RATE_PER_HOUR: '10000000',
    INVITER_INVITES_PER_DAY: '10000000',
    // Tokens are issued once at set-up; a slow run (long email drains) outlasts the default 15 min.
    ACCESS_TOKEN_TTL_SECONDS: '3600',
    LOG_LEVEL: 'warn',
    NODE_ENV: 'development',
  };

  const topology = {
    db,
    prefix,
    env,
    base,
    services,
    get smtp(): SmtpCounter {
      if (!smtp) throw new Error('the SMTP counter is not running');
      return smtp;
    },
    pids(): Record<ServiceName, number> {
      return Object.fromEntries([...services].map(([name, s]) => [name, s.child.pid!])) as Record<ServiceName, number>;
    },
    /** Throws, with the dead service's last output, once any service exited on its own. */
    assertAlive(): void {
      if (died) throw new Error(died);
    },
    /** Every service's output so far that looks like a warning or an error (LOG_LEVEL=warn keeps little else). */
    complaints(): string[] {
      return [...services].flatMap(([name, s]) =>
        s
          .output()
          .split('\n')
          .filter((line) => line.trim())
          .map((line) => `[${name}] ${line}`),
      );
    },
    async start(): Promise<void> {
      smtp = await startSmtpCounter();
      env.SMTP_URL = smtp.url;
      for (const [, entry] of entries) await warmCompileCache(entry, env);
      for (const [name, entry] of entries) {
        const service = startService(entry, env);
        services.set(name, service);
        service.child.once('exit', (code, signal) => {
          if (!stopped) died ??= `${name} exited (${signal ?? code}) during the benchmark; its output:\n${service.output().slice(-4000)}`;
        });
      }
      const readyz = {
        gateway: `${base}/readyz`,
        invites: `http://127.0.0.1:${ports.INVITES_HTTP_PORT}/readyz`,
        notifier: `http://127.0.0.1:${ports.NOTIFIER_HTTP_PORT}/readyz`,
        ...(entries.some(([name]) => name === 'webhooks') ? { webhooks: `http://127.0.0.1:${ports.WEBHOOKS_HTTP_PORT}/readyz` } : {}),
      };
      const deadline = Date.now() + 90_000;
      for (const [name, url] of Object.entries(readyz)) {
        for (;;) {
          topology.assertAlive();
          const status = await fetch(url).then((r) => r.status, () => 0);
          if (status === 200) break;
          if (Date.now() > deadline) throw new Error(`${name} is not ready at ${url} after 90 s; output:\n${services.get(name as ServiceName)?.output().slice(-4000)}`);
          await sleep(200);
        }
      }
    },
    /** SIGTERM, then SIGKILL after `graceMs`; the SMTP counter; the prefix's streams and KV buckets; the database. */
    async stop(graceMs = 20_000): Promise<string[]> {
      stopped = true;
      const problems: string[] = [];
      await Promise.all(
        [...services].map(async ([name, s]) => {
          let timer: NodeJS.Timeout | undefined;
          const killed = new Promise<void>((resolve) => {
            timer = setTimeout(() => {
              problems.push(`${name} ignored SIGTERM for ${graceMs / 1000} s and was killed`);
              s.child.kill('SIGKILL');
              resolve();
            }, graceMs);
          });
          await Promise.race([s.stop('SIGTERM'), killed]);
          clearTimeout(timer);
          await s.stop('SIGKILL');
        }),
      );
      await smtp?.close();
      try {
        const nc = await connect({ servers: natsUrl, name: `${label}-cleanup` });
        const jsm = await jetstreamManager(nc);
        // KV buckets are streams named KV_<bucket>, and every bucket name carries the prefix.
        const ours: string[] = [];
        for await (const info of jsm.streams.list()) if (info.config.name.includes(prefix)) ours.push(info.config.name);
        for (const name of ours) await jsm.streams.delete(name);
        await nc.drain();
      } catch (error) {
        problems.push(`could not delete the streams of ${prefix}: ${String(error)}`);
      }
      await db.drop().catch((error: unknown) => problems.push(`could not drop ${db.name}: ${String(error)}`));
      return problems;
    },
  };
  return topology;
}

export type Topology = Awaited<ReturnType<typeof startTopology>>;

export interface OwnedOrg {
  orgId: string;
  ownerEmail: string;
  accessToken: string;
}

async function postJson(url: string, body: unknown, token?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** `count` orgs made the operator's way: admin CLI create-org, then the owner accepts over HTTP. */
export async function createOwnedOrgs(topology: Topology, count: number, runId: string, parallel = 4): Promise<OwnedOrg[]> {
  const orgs: OwnedOrg[] = new Array(count);
  let next = 0;
  const one = async (i: number) => {
    const ownerEmail = `owner${i + 1}.${runId}@bench.example.test`;
    const args = ['create-org', '--name', `Topology ${i + 1}`, '--seats', '1000000', '--owner-email', ownerEmail];
    const created = await run('scripts/admin.ts', args, topology.env);
    if (created.code !== 0) throw new Error(`admin create-org exited ${created.code}:\n${created.stderr}`);
    const bootstrap = JSON.parse(created.stdout) as { orgId: string; ownerInvite: { acceptUrl: string } };
    // The operator's link carries the token and the address proof.
    const link = new URLSearchParams(new URL(bootstrap.ownerInvite.acceptUrl).hash.slice(1));
    const accepted = await postJson(`${topology.base}/v1/invites/accept`, {
      token: link.get('token'),
      proof: link.get('proof'),
      name: `Owner ${i + 1}`,
      username: `owner${i + 1}_${runId}`,
      password: 'correct horse battery staple',
    });
    if (accepted.status !== 201) throw new Error(`accept of org ${i + 1}'s owner invite: HTTP ${accepted.status} ${JSON.stringify(accepted.body)}`);
    orgs[i] = { orgId: bootstrap.orgId, ownerEmail, accessToken: accepted.body.accessToken as string };
  };
  await Promise.all(Array.from({ length: parallel }, async () => {
    for (let i = next++; i < count; i = next++) await one(i);
  }));
  return orgs;
}

export interface LoadResult {
  connections: number;
  seconds: number;
  created: number;
  createsPerSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  statuses: Record<string, number>;
  errors: number;
  firstError?: string;
}

function summarize(connections: number, started: number, latencies: number[], statuses: Record<string, number>, firstError: string | undefined): LoadResult {
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    connections,
    seconds,
    created: latencies.length,
    createsPerSecond: latencies.length / seconds,
    p50Ms: percentile(latencies, 50),
    p90Ms: percentile(latencies, 90),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.at(-1) ?? NaN,
    statuses,
    errors: Object.entries(statuses).reduce((n, [status, count]) => (status === '201' ? n : n + count), 0),
    ...(firstError ? { firstError } : {}),
  };
}

/**
 * One keep-alive connection per target (its own Agent with a single socket), each
 * creating invites back to back for `seconds`. Targets repeat an org to put several
 * connections on it.
 */
export function openConnections(base: string, targets: OwnedOrg[]) {
  const url = new URL(base);
  const agents = targets.map(() => new Agent({ keepAlive: true, maxSockets: 1 }));
  let sequence = 0;

  const create = (i: number, tag: string): Promise<{ status: number; body: string }> => {
    const target = targets[i]!;
    const payload = JSON.stringify({ email: `${tag}.${i}.${sequence++}@bench.example.test`, role: 'member' });
    return new Promise((resolve) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: `/v1/orgs/${target.orgId}/invites`,
          method: 'POST',
          agent: agents[i],
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), authorization: `Bearer ${target.accessToken}` },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: res.statusCode === 201 ? '' : Buffer.concat(chunks).toString() }));
          res.on('error', (error) => resolve({ status: 0, body: String(error) }));
        },
      );
      req.on('error', (error) => resolve({ status: 0, body: String(error) }));
      req.end(payload);
    });
  };

  return {
    async load(seconds: number, tag: string): Promise<LoadResult> {
      const latencies: number[] = [];
      const statuses: Record<string, number> = {};
      let firstError: string | undefined;
      const started = performance.now();
      const deadline = started + seconds * 1000;
      await Promise.all(
        targets.map(async (_, i) => {
          while (performance.now() < deadline) {
            const t0 = performance.now();
            const { status, body } = await create(i, tag);
            statuses[status] = (statuses[status] ?? 0) + 1;
            if (status === 201) latencies.push(performance.now() - t0);
            else firstError ??= `HTTP ${status} ${body.slice(0, 500)}`;
          }
        }),
      );
      return summarize(targets.length, started, latencies, statuses, firstError);
    },
    /**
     * Offers `rate` creates per second for `seconds` (open loop), each sent on a free
     * connection. Latency counts from when the request was due, not when a connection
     * became free, so a backlog shows in the figures instead of hiding in them.
     */
    async paced(rate: number, seconds: number, tag: string): Promise<LoadResult> {
      const latencies: number[] = [];
      const statuses: Record<string, number> = {};
      let firstError: string | undefined;
      const free = targets.map((_, i) => i);
      const waiting: ((i: number) => void)[] = [];
      const take = () => (free.length ? Promise.resolve(free.pop()!) : new Promise<number>((resolve) => waiting.push(resolve)));
      const give = (i: number) => (waiting.length ? waiting.shift()!(i) : free.push(i));
      const total = Math.round(rate * seconds);
      const started = performance.now();
      const sent: Promise<void>[] = [];
      for (let n = 0; n < total; n++) {
        const due = started + (n * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        sent.push(
          take().then(async (i) => {
            const { status, body } = await create(i, tag);
            give(i);
            statuses[status] = (statuses[status] ?? 0) + 1;
            if (status === 201) latencies.push(performance.now() - due);
            else firstError ??= `HTTP ${status} ${body.slice(0, 500)}`;
          }),
        );
      }
      await Promise.all(sent);
      return summarize(targets.length, started, latencies, statuses, firstError);
    },
    close(): void {
      for (const agent of agents) agent.destroy();
    },
  };
}

/** Waits until the SMTP server has counted `expected` emails; returns the seconds it took, or undefined on timeout. */
export async function waitForEmails(topology: Topology, expected: number, timeoutMs = 120_000): Promise<number | undefined> {
  const started = performance.now();
  for (;;) {
    topology.assertAlive();
    if ((await topology.smtp.counts()).delivered >= expected) return (performance.now() - started) / 1000;
    if (performance.now() - started > timeoutMs) return undefined;
    await sleep(100);
  }
}
