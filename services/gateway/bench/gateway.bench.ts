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
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildGateway } from '../src/app.ts';
import { loadGatewayConfig } from '../src/config.ts';
import { createGatewayDeps } from '../src/deps.ts';
import { createInviteWithSql, pool, startBenchInvites, writeResults } from '../../../tests/support/bench.ts';

const N = Number(process.env.BENCH_CREATES ?? 2000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const POOL = 20;
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

const bench = await startBenchInvites('gwbench', { DATABASE_POOL_MAX: String(POOL), SERVICE_CONCURRENCY: '128' });
const { app: invites, client, names, nc, sqlPool } = bench;
const gateway = await buildGateway(await createGatewayDeps(nc, loadGatewayConfig({ ...bench.env, RATE_LIMIT: 'off', GATEWAY_PORT: '0' })), { logger: false });
await gateway.listen({ host: '127.0.0.1', port: 0 });
const port = (gateway.server.address() as AddressInfo).port;
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
  const http = await bench.ownedOrg('Bench HTTP');
  const owner = http;
  const natsOrg = await bench.sqlOrg('Bench NATS', http.ownerId);
  const sqlOrgId = await bench.sqlOrg('Bench SQL', http.ownerId);

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
      { sqlPool, cipher: invites.domain.cipher, orgId: sqlOrgId, inviterId: http.ownerId, subject: names.inviteEvent('created'), expiryHours: 48 },
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
  await writeResults('gateway', results);
} finally {
  agent.destroy();
  await gateway.close();
  await bench.close();
}
