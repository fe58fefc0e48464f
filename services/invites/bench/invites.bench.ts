/**
 * Benchmark of the invites service (not a test: it asserts nothing about speed).
 *
 *   npm run bench                                  (all services)
 *   node services/invites/bench/invites.bench.ts   (Node 24, e.g. node_modules/.bin/node)
 *
 * Starts the invites service in this process on a fresh database and a unique NATS
 * prefix (PostgreSQL from TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432, NATS
 * from TEST_NATS_URL or nats://127.0.0.1:4222), then measures:
 *   (a) invite.create through NATS (client → service → MikroORM transaction),
 *   (b) the same rows written by a hand-made SQL transaction with `pg`, at the same concurrency,
 *   (c) invite.list latency on an org with 100,000 invites, first page and page 1,000.
 * Prints a table and writes artifacts/bench/invites.json; drops the database and the
 * streams at the end.
 */
import { encodeCursor } from '../src/domain/cursor.ts';
import { createInviteWithSql, pool, sample, seedPendingInvites, startBenchInvites, writeResults } from '../../../tests/support/bench.ts';

const CREATES = Number(process.env.BENCH_CREATES ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const SEED = Number(process.env.BENCH_LIST_ROWS ?? 100_000);
const LIST_SAMPLES = Number(process.env.BENCH_LIST_SAMPLES ?? 300);
const PAGE = 1000;
const LIMIT = 50;
const POOL = 20;

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

const bench = await startBenchInvites('bench', { DATABASE_POOL_MAX: String(POOL) });
const { app, client, config, names, sqlPool } = bench;
const email = (kind: string, i: number) => `${kind}.${i}.${Math.random().toString(36).slice(2, 8)}@bench.example.test`;

try {
  // An org with a large seat limit, its owner signed in.
  const orgA = await bench.ownedOrg('Bench A');
  const owner = orgA;
  const ownerId = orgA.ownerId;
  const sqlOrg = (name: string) => bench.sqlOrg(name, ownerId);

  // (a) invite.create through NATS.
  log(`(a) ${CREATES} invite.create through NATS, concurrency ${CONCURRENCY}`);
  const viaNats = await pool(CREATES, CONCURRENCY, (i) =>
    client.call('invite.create', { orgId: orgA.orgId, invite: { email: email('nats', i), role: 'member' } }, { accessToken: owner.accessToken }),
  );

  // (b) The same rows written by a hand-made pg transaction (org counters, invite,
  // audit_log, outbox), in a fresh org so that both runs start from zero pending invites.
  const orgB = await sqlOrg('Bench B');
  const expiryHours = config.INVITE_DEFAULT_EXPIRY_HOURS;
  log(`(b) ${CREATES} direct pg transactions, concurrency ${CONCURRENCY}`);
  const viaPg = await pool(CREATES, CONCURRENCY, (i) =>
    createInviteWithSql(
      { sqlPool, cipher: app.domain.cipher, orgId: orgB, inviterId: ownerId, subject: names.inviteEvent('created'), expiryHours },
      email('pg', i),
    ),
  );

  // (c) invite.list on an org with SEED invites.
  const orgC = await sqlOrg('Bench C');
  log(`(c) seeding ${SEED} invites`);
  const seedSeconds = await seedPendingInvites(sqlPool, orgC, ownerId, SEED);

  // Page 1,000 starts after the last row of page 999: the (created_at, id) of row 49,950, newest first.
  const offset = (PAGE - 1) * LIMIT - 1;
  const anchor = await sqlPool.query<{ created_at: Date; id: string }>(
    `select created_at, id from invites where org_id = $1 order by created_at desc, id desc offset $2 limit 1`,
    [orgC, offset],
  );
  const cursor = encodeCursor({ at: anchor.rows[0]!.created_at, id: anchor.rows[0]!.id });
  const expectedFirst = await sqlPool.query<{ id: string }>(
    `select id from invites where org_id = $1 order by created_at desc, id desc offset $2 limit 1`,
    [orgC, offset + 1],
  );
  const check = await client.call('invite.list', { orgId: orgC, limit: LIMIT, cursor }, { accessToken: owner.accessToken });
  if (check.items.length !== LIMIT || check.items[0]!.id !== expectedFirst.rows[0]!.id) {
    throw new Error('the page-1000 cursor does not land on row 49,951');
  }

  log(`(c) invite.list, ${LIST_SAMPLES} sequential calls each`);
  const firstPage = await sample(LIST_SAMPLES, () => client.call('invite.list', { orgId: orgC, limit: LIMIT }, { accessToken: owner.accessToken }));
  const page1000 = await sample(LIST_SAMPLES, () =>
    client.call('invite.list', { orgId: orgC, limit: LIMIT, cursor }, { accessToken: owner.accessToken }),
  );

  const results = {
    at: new Date().toISOString(),
    node: process.version,
    concurrency: CONCURRENCY,
    databasePool: POOL,
    create: {
      viaNats,
      viaPg,
      natsOverPgRatio: viaNats.perSecond / viaPg.perSecond,
    },
    list: { rows: SEED, limit: LIMIT, seedSeconds, firstPage, page1000 },
  };

  const f = (n: number, digits = 1) => n.toFixed(digits).padStart(9);
  const lines = [
    '',
    `invites benchmark (Node ${process.version}, concurrency ${CONCURRENCY}, PostgreSQL pool ${POOL})`,
    '',
    'create, N=' + CREATES + '                       per s     p50 ms    p99 ms   errors',
    `  (a) invite.create over NATS      ${f(viaNats.perSecond)} ${f(viaNats.p50Ms, 2)} ${f(viaNats.p99Ms, 2)} ${String(viaNats.errors).padStart(8)}`,
    `  (b) same transaction, direct pg  ${f(viaPg.perSecond)} ${f(viaPg.p50Ms, 2)} ${f(viaPg.p99Ms, 2)} ${String(viaPg.errors).padStart(8)}`,
    `      (a) / (b)                    ${f(results.create.natsOverPgRatio, 2)}`,
    '',
    `invite.list, ${SEED} invites, limit ${LIMIT}    p50 ms    p99 ms   mean ms`,
    `  (c) first page                   ${f(firstPage.p50Ms, 2)} ${f(firstPage.p99Ms, 2)} ${f(firstPage.meanMs, 2)}`,
    `  (c) page ${PAGE}                    ${f(page1000.p50Ms, 2)} ${f(page1000.p99Ms, 2)} ${f(page1000.meanMs, 2)}`,
    `      (seeded in ${seedSeconds.toFixed(1)} s; ${LIST_SAMPLES} sequential calls each after 20 warm-up calls)`,
    '',
  ];
  console.log(lines.join('\n'));
  await writeResults('invites', results);
} finally {
  await bench.close();
}
