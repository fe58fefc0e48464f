import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { emailsKeptInDevMailbox } from '../libs/contracts/src/config.ts';
import { serviceEnvironment, serviceNodeFlags } from './service-process.ts';

/**
 * `npm start`: checks that PostgreSQL and NATS answer and that the services' ports are
 * free, then runs every service as its own process with the same environment, prefixing
 * their logs (readable at a terminal, JSON when piped; LOG_FORMAT=pretty|json decides),
 * prints the console's address once all of them are ready, and stops them all on Ctrl-C. Each service applies what it needs at start (migrations, streams, consumers).
 */
const root = fileURLToPath(new URL('..', import.meta.url));

const services = [
  { name: 'invites', entry: 'services/invites/src/server.ts', port: process.env.INVITES_HTTP_PORT ?? '9101' },
  { name: 'gateway', entry: 'services/gateway/src/server.ts', port: process.env.GATEWAY_PORT ?? '3000' },
  { name: 'notifier', entry: 'services/notifier/src/server.ts', port: process.env.NOTIFIER_HTTP_PORT ?? '9102' },
  // The webhook dispatcher: the invites service's code and database, in a process of its own.
  { name: 'webhooks', entry: 'services/invites/src/webhooks/server.ts', port: process.env.WEBHOOKS_HTTP_PORT ?? '9103' },
];
const appBaseUrl = process.env.APP_BASE_URL ?? 'http://localhost:3000';

function hostPort(url: string, fallbackPort: number): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname || '127.0.0.1', port: Number(parsed.port || fallbackPort) };
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

// The services' default NODE_ENV is development: without a provider, messages go to the development mailbox.
const devMailbox = emailsKeptInDevMailbox(process.env);
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/invites';
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const problems: string[] = [];
const db = hostPort(databaseUrl, 5432);
if (!(await reachable(db.host, db.port))) {
  problems.push(
    `PostgreSQL does not answer at ${db.host}:${db.port} (DATABASE_URL).\n` +
      `  Start it, e.g.: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n` +
      `  or with Docker: docker compose up -d postgres`,
  );
}
const nats = hostPort(natsUrl.split(',')[0]!, 4222);
if (!(await reachable(nats.host, nats.port))) {
  problems.push(
    `NATS does not answer at ${nats.host}:${nats.port} (NATS_URL).\n` +
      `  Start it with JetStream, e.g.: nats-server -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server\n` +
      `  or with Docker: docker compose up -d nats`,
  );
}
if (problems.length) {
  process.stderr.write(`Cannot start:\n${problems.join('\n')}\n`);
  process.exit(1);
}

/** On a database without an organisation, the one next step: create the first. */
async function firstRunHint(): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  try {
    await client.connect();
    const { rows } = await client.query<{ any: boolean }>('select exists (select 1 from orgs) as any');
    if (rows[0]?.any) return;
    process.stdout.write(
      'No organisation yet. Create the first one (it asks for its name, seats and owner):\n\n' +
        '  npm run admin -- create-org\n\n' +
        `It prints the owner's invite link${devMailbox ? ` (the invite email is in ${appBaseUrl}/dev/mailbox too)` : ''}: open it, create the owner's account, then sign in at ${appBaseUrl}/console\n\n`,
    );
  } catch {
    // Only a hint: the services report their own trouble with the database.
  } finally {
    await client.end().catch(() => {});
  }
}

/** Whether `port` can be listened on here; a taken port is named before anything starts. */
function portFree(port: number, host?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

const portVariables: Record<string, string> = { invites: 'INVITES_HTTP_PORT', gateway: 'GATEWAY_PORT', notifier: 'NOTIFIER_HTTP_PORT', webhooks: 'WEBHOOKS_HTTP_PORT' };
const taken: string[] = [];
for (const service of services) {
  const port = Number(service.port);
  if (port > 0 && !(await portFree(port, service.name === 'gateway' ? process.env.GATEWAY_HOST : undefined))) {
    taken.push(`  port ${port} (${portVariables[service.name]}, the ${service.name}) is already in use: stop what holds it, or set ${portVariables[service.name]} to a free port`);
  }
}
if (taken.length) {
  process.stderr.write(`Cannot start:\n${taken.join('\n')}\n`);
  process.exit(1);
}

const children = new Map<string, ChildProcess>();
let stopping = false;

/** What each service logs once it serves: the ready line below waits for all of them. */
const readyLine: Record<string, RegExp> = {
  invites: /"msg":"invites ready"/,
  notifier: /"msg":"notifier ready"/,
  webhooks: /"msg":"webhooks ready"/,
  gateway: /"msg":"Server listening at /,
};
const waiting = new Set(services.map((s) => s.name));
const startedAt = Date.now();

// At a terminal, and not in production, log lines are made readable; piped, they stay JSON.
const pretty = process.env.LOG_FORMAT === 'pretty' || (process.env.LOG_FORMAT !== 'json' && Boolean(process.stdout.isTTY) && process.env.NODE_ENV !== 'production');
const levels: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const hidden = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'v']);

function readable(line: string): string {
  if (!line.startsWith('{')) return line;
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = new Date(Number(entry.time) || Date.now()).toTimeString().slice(0, 8);
  const extra = Object.entries(entry)
    .filter(([key]) => !hidden.has(key))
    .map(([key, value]) => {
      if (key === 'err' && value && typeof value === 'object') return `error="${String((value as { message?: unknown }).message ?? '')}"`;
      return `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`;
    });
  return `${time} ${levels[Number(entry.level)] ?? String(entry.level)} ${String(entry.msg ?? '')}${extra.length ? `  ${extra.join(' ')}` : ''}`;
}

function prefixLines(name: string, stream: NodeJS.ReadableStream, out: NodeJS.WritableStream) {
  let buffer = '';
  stream.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      out.write(`[${name}] ${pretty ? readable(line) : line}\n`);
      if (waiting.has(name) && readyLine[name]!.test(line)) {
        waiting.delete(name);
        if (waiting.size === 0) {
          process.stdout.write(`\nReady in ${((Date.now() - startedAt) / 1000).toFixed(1)} s → ${appBaseUrl}/console\n\n`);
          void firstRunHint();
        }
      }
    }
  });
}

for (const service of services) {
  const child = spawn(process.execPath, [...serviceNodeFlags, service.entry], {
    cwd: root,
    env: serviceEnvironment(root, process.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.set(service.name, child);
  prefixLines(service.name, child.stdout!, process.stdout);
  prefixLines(service.name, child.stderr!, process.stderr);
  child.on('exit', (code, signal) => {
    children.delete(service.name);
    if (!stopping) {
      process.stderr.write(`[${service.name}] exited (${signal ?? code}); stopping the others\n`);
      stop(1);
    } else if (children.size === 0) {
      process.exit(process.exitCode ?? 0);
    }
  });
}

process.stdout.write(
  `Started ${services.map((s) => s.name).join(', ')} against ${db.host}:${db.port} and ${nats.host}:${nats.port}.\n` +
    `  API and OpenAPI docs: ${appBaseUrl}/docs (accept links open ${appBaseUrl}/invite#token=…)\n` +
    services.map((s) => `  ${s.name}: health, readiness and metrics at http://localhost:${s.port}/healthz /readyz /metrics\n`).join('') +
    (devMailbox ? `  Nothing is sent (no SMTP_URL, no TWILIO_*): emails and SMS are kept in the development mailbox, ${appBaseUrl}/dev/mailbox\n` : '') +
    `Press Ctrl-C to stop. The console's address follows once all of them are ready.\n`,
);

function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  process.exitCode = code;
  for (const child of children.values()) child.kill('SIGTERM');
  setTimeout(() => {
    for (const child of children.values()) child.kill('SIGKILL');
    process.exit(code || 1);
  }, 20_000).unref();
  if (children.size === 0) process.exit(code);
}

setTimeout(() => {
  if (waiting.size && !stopping) process.stderr.write(`Still waiting for ${[...waiting].join(' and ')} to be ready after 60 s: see ${waiting.size === 1 ? 'its' : 'their'} log above\n`);
}, 60_000).unref();

process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
