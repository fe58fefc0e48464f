/**
 * Benchmark of create-invite through the gateway (not a test: it asserts nothing).
 *
 *   npm run bench                                   (all services)
 *   node services/gateway/bench/gateway.bench.ts    (Node 24, e.g. node_modules/.bin/node)
 *
 * In one run, on a fresh database and NATS prefix, each path creating N invites with
 * 64 requests in flight, each in an org of its own:
 *   (a) POST /v1/orgs/:orgId/invites over HTTP with 64 keep-alive connections,
 *   (b) the invite.create NATS operation called directly,
 *   (c) the same SQL transaction issued with `pg`.
 * Prints throughput, p50 and p99 and writes artifacts/bench/gateway.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { EntityManager } from '@mikro-orm/postgresql';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { createInvitesClient, natsNames, uuidv7 } from '@invite/contracts';
import { startInvites } from '../../invites/src/app.ts';
import { loadInvitesConfig } from '../../invites/src/config.ts';
import { createOrg } from '../../invites/src/domain/org.commands.ts';
import { createLogger } from '@invite/telemetry';
import { buildGateway } from '../src/app.ts';
import { loadGatewayConfig } from '../src/config.ts';
import { createGatewayDeps } from '../src/deps.ts';
import { createInviteWithSql, pool, serverUrl } from '../../../tests/support/bench.ts';
import { createTestDatabase, testPrefix } from '../../../tests/support/database.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const N = Number(process.env.BENCH_CREATES ?? 2000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const POOL = 20;
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

const db = await createTestDatabase(serverUrl(), 'gwbench');
const env: Record<string, string> = {
  NODE_ENV: 'test',
  DATABASE_URL: db.url,
  DATABASE_POOL_MAX: String(POOL),
  NATS_URL: process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222',
  NATS_PREFIX: testPrefix('gwbench'),
  INVITES_HTTP_PORT: '0',
  INVITE_RATE_PER_HOUR: '0',
  SERVICE_CONCURRENCY: '128',
  RATE_LIMIT: 'off',
  GATEWAY_PORT: '0',
  LOG_LEVEL: 'warn',
};
const invitesConfig = loadInvitesConfig(env);
const names = natsNames(invitesConfig.NATS_PREFIX);
const invites = await startInvites(invitesConfig, createLogger('invites-bench', 'warn'));
const nc = await connect({ servers: invitesConfig.NATS_URL, name: 'gateway-bench' });
const client = createInvitesClient(nc, names);
const gatewayConfig = loadGatewayConfig(env);
const gateway = await buildGateway(await createGatewayDeps(nc, gatewayConfig), { logger: false });
await gateway.listen({ host: '127.0.0.1', port: 0 });
const port = (gateway.server.address() as AddressInfo).port;
const sqlPool = new pg.Pool({ connectionString: db.url, max: POOL });
const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
const email = (kind: string, i: number) => `${kind}.${i}.${Math.random().toString(36).slice(2, 8)}@bench.example.test`;

function post(path: string, body: unknown, token: string): Promise<number> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), authorization: `Bearer ${token}` } },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 201 ? resolve(201) : reject(new Error(`HTTP ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

try {
  const password = 'correct horse battery staple';
  const ownerEmail = email('owner', 0);
  const operator = { domain: invites.domain, em: invites.domain.orm.em.fork() as EntityManager, actor: { kind: 'operator' as const }, traceparent: undefined };
  const http = await createOrg(operator, { name: 'Bench HTTP', seatLimit: 1_000_000, ownerEmail });
  const accepted = await client.call('invite.accept', {
    token: new URL(http.ownerInvite.acceptUrl).hash.replace(/^#token=/, ''),
    name: 'Bench Owner',
    username: `bench${Date.now()}`,
    password,
  });
  const owner = await client.call('auth.login', { email: ownerEmail, password });
  const ownerId = accepted.user.id;
  async function sqlOrg(name: string): Promise<string> {
    const id = uuidv7();
    await sqlPool.query(`insert into orgs (id, name, plan, seat_limit) values ($1, $2, 'bench', 1000000)`, [id, name]);
    await sqlPool.query(`insert into memberships (id, org_id, user_id, role) values ($1, $2, $3, 'owner')`, [uuidv7(), id, ownerId]);
    return id;
  }
  const natsOrg = await sqlOrg('Bench NATS');
  const sqlOrgId = await sqlOrg('Bench SQL');

  // Warm every path up before measuring.
  for (let i = 0; i < 20; i++) await post(`/v1/orgs/${http.orgId}/invites`, { email: email('warm-http', i), role: 'member' }, owner.accessToken);

  log(`(a) ${N} creates over HTTP, ${CONNECTIONS} connections`);
  const viaHttp = await pool(N, CONNECTIONS, (i) => post(`/v1/orgs/${http.orgId}/invites`, { email: email('http', i), role: 'member' }, owner.accessToken));
  log(`(b) ${N} invite.create over NATS, ${CONNECTIONS} in flight`);
  const viaNats = await pool(N, CONNECTIONS, (i) =>
    client.call('invite.create', { orgId: natsOrg, invite: { email: email('nats', i), role: 'member' } }, { accessToken: owner.accessToken }),
  );
  log(`(c) ${N} SQL transactions with pg, ${CONNECTIONS} in flight, pool ${POOL}`);
  const viaSql = await pool(N, CONNECTIONS, (i) =>
    createInviteWithSql(
      { sqlPool, cipher: invites.domain.cipher, orgId: sqlOrgId, inviterId: ownerId, subject: names.inviteEvent('created'), expiryHours: 48 },
      email('sql', i),
    ),
  );

  const results = { at: new Date().toISOString(), node: process.version, creates: N, connections: CONNECTIONS, databasePool: POOL, viaHttp, viaNats, viaSql };
  const f = (n: number, digits = 1) => n.toFixed(digits).padStart(9);
  const row = (label: string, r: typeof viaHttp) => `  ${label.padEnd(34)}${f(r.perSecond)} ${f(r.p50Ms, 2)} ${f(r.p99Ms, 2)} ${String(r.errors).padStart(8)}`;
  console.log(
    [
      '',
      `gateway benchmark: create-invite, N=${N}, ${CONNECTIONS} in flight (Node ${process.version}, PostgreSQL pool ${POOL})`,
      '',
      `  ${''.padEnd(34)}    per s     p50 ms    p99 ms   errors`,
      row('(a) HTTP POST through the gateway', viaHttp),
      row('(b) NATS invite.create', viaNats),
      row('(c) SQL transaction with pg', viaSql),
      '',
    ].join('\n'),
  );
  await mkdir(`${root}artifacts/bench`, { recursive: true });
  await writeFile(`${root}artifacts/bench/gateway.json`, `${JSON.stringify(results, null, 2)}\n`);
  console.log('results written to artifacts/bench/gateway.json');
} finally {
  agent.destroy();
  await gateway.close();
  await invites.stop();
  await sqlPool.end();
  const jsm = await jetstreamManager(nc);
  for (const stream of [names.inviteStream, names.notificationStream]) await jsm.streams.delete(stream).catch(() => {});
  const kvm = new Kvm(nc);
  for (const bucket of ['gateway_rate_limits', 'gateway_idempotency']) {
    await kvm.open(`${env.NATS_PREFIX}_${bucket}`).then((kv) => kv.destroy()).catch(() => {});
  }
  await nc.drain();
  await db.drop();
}
