import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { freePort, run, startService, type ServiceProcess } from '../../support/processes.ts';
import { startMailRecorder, type MailRecorder } from './mail-recorder.ts';
import { startNatsServers, type NatsServers } from './nats-servers.ts';
import { startPostgresServer, type PostgresServer } from './postgres-server.ts';

/**
 * The three services as separate processes, as `npm start` runs them, against a
 * PostgreSQL cluster and nats-server(s) that the suite starts itself, with a recording
 * SMTP server. The suite plays the supervisor: it SIGKILLs a service and starts it
 * again after 2 s, and tells such planned deaths from a service that exits on its own.
 */

export const serviceEntries = {
  gateway: 'services/gateway/src/server.ts',
  invites: 'services/invites/src/server.ts',
  notifier: 'services/notifier/src/server.ts',
} as const;
export type ServiceName = keyof typeof serviceEntries;
const serviceNames = Object.keys(serviceEntries) as ServiceName[];

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface StackOptions {
  /** Loopback addresses of the nats-servers: one, or three for a cluster. */
  natsHosts: string[];
  postgresHost: string;
  /** Environment on top of the suite's defaults. */
  env?: Record<string, string>;
}

export interface UnplannedExit {
  service: ServiceName;
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

export async function startChaosStack(options: StackOptions) {
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) await step().catch(() => {});
    cleanups.length = 0;
  };
  let postgres: PostgresServer;
  let nats: NatsServers;
  let mail: MailRecorder;
  try {
    postgres = await startPostgresServer(options.postgresHost);
    cleanups.push(() => postgres.destroy());
    nats = await startNatsServers(options.natsHosts);
    cleanups.push(() => nats.destroy());
    mail = await startMailRecorder();
    cleanups.push(() => mail.close());
  } catch (error) {
    await cleanup();
    throw error;
  }

  const ports = { GATEWAY_PORT: await freePort(), INVITES_HTTP_PORT: await freePort(), NOTIFIER_HTTP_PORT: await freePort() };
  const base = `http://127.0.0.1:${ports.GATEWAY_PORT}`;
  const databaseUrl = `${postgres.url}/chaos`;
  const env: Record<string, string> = {
    NODE_ENV: 'development',
    DATABASE_URL: databaseUrl,
    NATS_URL: nats.url,
    NATS_PREFIX: '',
    STREAM_REPLICAS: String(options.natsHosts.length),
    GATEWAY_HOST: '127.0.0.1',
    GATEWAY_PORT: String(ports.GATEWAY_PORT),
    INVITES_HTTP_PORT: String(ports.INVITES_HTTP_PORT),
    NOTIFIER_HTTP_PORT: String(ports.NOTIFIER_HTTP_PORT),
    APP_BASE_URL: base,
    SMTP_URL: mail.url,
    RATE_LIMIT: 'off',
    INVITE_RATE_PER_HOUR: '0',
    INVITER_INVITES_PER_DAY: '0',
    RECIPIENT_INVITES_PER_DAY: '0',
    ACCESS_TOKEN_TTL_SECONDS: '7200',
    // A killed notifier's events come back after the ack wait; a failed send after the backoff.
    NOTIFIER_ACK_WAIT_MS: '6000',
    NOTIFIER_SEND_TIMEOUT_MS: '4000',
    NOTIFIER_BACKOFF_BASE_MS: '500',
    NOTIFIER_BACKOFF_MAX_MS: '5000',
    // The safety net for events JetStream lost, within the run instead of after 15 min.
    RECONCILE_AFTER_SECONDS: '20',
    RECONCILE_INTERVAL_MS: '2000',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    ...options.env,
  };

  const services = new Map<ServiceName, ServiceProcess>();
  const planned = new Set<ServiceName>();
  const unplannedExits: UnplannedExit[] = [];
  /** Output of every process a service ran as, earlier incarnations included. */
  const outputs: Record<ServiceName, string[]> = { gateway: [], invites: [], notifier: [] };
  let stopping = false;

  function launch(name: ServiceName): ServiceProcess {
    const service = startService(serviceEntries[name], env);
    services.set(name, service);
    service.child.once('exit', (code, signal) => {
      outputs[name].push(service.output());
      if (stopping || planned.delete(name)) return;
      unplannedExits.push({ service: name, code, signal, output: service.output().slice(-4000) });
      // A supervisor would start it again; the run goes on and the exit is reported.
      if (services.get(name) === service) setTimeout(() => !stopping && launch(name), 2000);
    });
    return service;
  }

  const readyz: Record<ServiceName, string> = {
    gateway: `${base}/readyz`,
    invites: `http://127.0.0.1:${ports.INVITES_HTTP_PORT}/readyz`,
    notifier: `http://127.0.0.1:${ports.NOTIFIER_HTTP_PORT}/readyz`,
  };

  async function readiness(): Promise<Record<ServiceName, number>> {
    const statuses = await Promise.all(
      serviceNames.map((name) => fetch(readyz[name], { signal: AbortSignal.timeout(3000) }).then((r) => r.status, () => 0)),
    );
    return Object.fromEntries(serviceNames.map((name, i) => [name, statuses[i]])) as Record<ServiceName, number>;
  }

  let pool: pg.Pool | undefined;

  const stack = {
    postgres,
    nats,
    mail,
    env,
    base,
    databaseUrl,
    services,
    unplannedExits,
    readiness,
    /** Waits until every service's /readyz answers 200; returns the seconds it took. */
    async ready(timeoutMs = 120_000): Promise<number> {
      const started = performance.now();
      for (;;) {
        const statuses = await readiness();
        if (Object.values(statuses).every((s) => s === 200)) return (performance.now() - started) / 1000;
        if (performance.now() - started > timeoutMs) {
          const tails = serviceNames.map((n) => `--- ${n} (readyz ${statuses[n]}):\n${services.get(n)?.output().slice(-3000)}`).join('\n');
          throw new Error(`services not ready after ${timeoutMs / 1000} s: ${JSON.stringify(statuses)}\n${tails}`);
        }
        await sleep(200);
      }
    },
    async start(): Promise<void> {
      // invites first: it migrates and creates the streams the others bind to.
      launch('invites');
      for (;;) {
        if ((await readiness()).invites === 200) break;
        if (unplannedExits.length) throw new Error(`invites exited at start:\n${unplannedExits[0]!.output}`);
        await sleep(200);
      }
      launch('gateway');
      launch('notifier');
      await stack.ready();
    },
    /** SIGKILL, then a new process after `downMs`, as a supervisor would. */
    async kill(name: ServiceName, downMs = 2000): Promise<void> {
      const service = services.get(name)!;
      planned.add(name);
      await service.stop('SIGKILL');
      await sleep(downMs);
      launch(name);
    },
    /** Raw SQL on the services' database, from the suite's own pool. */
    async sql<T>(query: string, params: unknown[] = []): Promise<T[]> {
      pool ??= new pg.Pool({ connectionString: databaseUrl, max: 2 });
      return (await pool.query(query, params)).rows as T[];
    },
    /** Every service's output so far, all incarnations. */
    outputOf(name: ServiceName): string {
      return [...outputs[name], services.get(name)?.output() ?? ''].join('');
    },
    /**
     * Invites whose delivery the reconciler re-published (still unconfirmed after
     * RECONCILE_AFTER_SECONDS): events lost, or only late behind a stalled notifier.
     */
    republished(): number {
      let total = 0;
      for (const line of stack.outputOf('invites').split('\n')) {
        if (!line.includes('reconciler: re-published')) continue;
        try {
          total += (JSON.parse(line) as { invites?: number }).invites ?? 0;
        } catch {
          // not a JSON line
        }
      }
      return total;
    },
    /** Per service, its log lines at level warn and above, message → count: what the faults made it say. */
    errorsLogged(): Record<ServiceName, Record<string, number>> {
      const logged = {} as Record<ServiceName, Record<string, number>>;
      for (const name of serviceNames) {
        const counts: Record<string, number> = {};
        for (const line of stack.outputOf(name).split('\n')) {
          if (!line.startsWith('{')) continue;
          let entry: { level?: number; msg?: string; err?: { message?: string } };
          try {
            entry = JSON.parse(line) as typeof entry;
          } catch {
            continue;
          }
          if ((entry.level ?? 0) < 40) continue;
          const message = `${entry.msg ?? ''}${entry.err?.message ? `: ${entry.err.message.slice(0, 120)}` : ''}`;
          counts[message] = (counts[message] ?? 0) + 1;
        }
        logged[name] = counts;
      }
      return logged;
    },
    /** Creates an org with the admin CLI and accepts its owner invite over HTTP: the owner's access token. */
    async createOrg(label: string): Promise<{ orgId: string; accessToken: string; ownerEmail: string }> {
      const ownerEmail = `owner.${label}@chaos.example.test`;
      const created = await run('scripts/admin.ts', ['create-org', '--name', `Chaos ${label}`, '--seats', '1000000', '--owner-email', ownerEmail], env);
      if (created.code !== 0) throw new Error(`admin create-org exited ${created.code}:\n${created.stderr}`);
      const bootstrap = JSON.parse(created.stdout) as { orgId: string; ownerInvite: { acceptUrl: string } };
      const fragment = new URLSearchParams(new URL(bootstrap.ownerInvite.acceptUrl).hash.slice(1));
      const proof = fragment.get('proof');
      const response = await fetch(`${base}/v1/invites/accept`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          token: fragment.get('token'),
          ...(proof ? { proof } : {}),
          name: `Owner ${label}`,
          username: `owner_${label}`,
          password: 'correct horse battery staple',
        }),
      });
      const body = (await response.json()) as { accessToken?: string };
      if (response.status !== 201 || !body.accessToken) throw new Error(`owner accept: HTTP ${response.status} ${JSON.stringify(body)}`);
      return { orgId: bootstrap.orgId, accessToken: body.accessToken, ownerEmail };
    },
    /** Stops the services (SIGTERM, then SIGKILL), the mail recorder and the servers, and deletes their folders. */
    async stop(): Promise<void> {
      stopping = true;
      await Promise.all(
        [...services.values()].map(async (s) => {
          const timer = setTimeout(() => s.child.kill('SIGKILL'), 10_000);
          await s.stop('SIGTERM');
          clearTimeout(timer);
        }),
      );
      await pool?.end().catch(() => {});
      await cleanup();
    },
  };
  return stack;
}

export type ChaosStack = Awaited<ReturnType<typeof startChaosStack>>;
