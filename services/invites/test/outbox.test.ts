import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createInvitesClient, DomainError, natsNames, type InvitesClient } from '@invite/contracts';
import { createDomain } from '../src/app.ts';
import { loadInvitesConfig } from '../src/config.ts';
import { createOrm } from '../src/db/orm.ts';
import type { Domain } from '../src/domain/context.ts';
import { createOrg } from '../src/domain/org.commands.ts';
import { createLogger } from '@invite/telemetry';
import { createMetrics } from '../src/metrics.ts';
import { createOutboxRelay } from '../src/outbox/outbox.relay.ts';
import { deleteStreams, email, isolatedEnv, emailedProof, orgWithOwner, password, startTestInvites, tokenOf, type TestInvites } from './harness.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));

// ---------------------------------------------------------------- helpers

/** Waits until `check` returns a truthy value, polling; fails with `what` after `timeoutMs`. */
async function eventually<T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

interface StoredEvent {
  seq: number;
  msgId: string;
  subject: string;
  payload: { id: string; type: string; inviteId: string; [key: string]: unknown };
}

/** Every message of a stream, read one by one by sequence (deterministic; works on a 2.9 server). */
async function readStream(nc: NatsConnection, stream: string): Promise<StoredEvent[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream);
  const out: StoredEvent[] = [];
  if (info.state.messages === 0) return out;
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const stored = await jsm.streams.getMessage(stream, { seq });
    if (!stored) continue;
    out.push({ seq, msgId: stored.header.get('Nats-Msg-Id'), subject: stored.subject, payload: stored.json() });
  }
  return out;
}

async function streamCount(nc: NatsConnection, stream: string): Promise<number> {
  const jsm = await jetstreamManager(nc);
  return (await jsm.streams.info(stream)).state.messages;
}

/** Asserts that the stream holds each outbox row exactly once and nothing else. */
function expectStreamMatchesOutbox(events: StoredEvent[], outboxIds: string[]): void {
  const counts = new Map<string, number>();
  for (const e of events) counts.set(e.msgId, (counts.get(e.msgId) ?? 0) + 1);
  const duplicated = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
  expect(duplicated, 'event ids published more than once').toEqual([]);
  const outbox = new Set(outboxIds);
  const unknown = events.filter((e) => !outbox.has(e.msgId)).map((e) => e.msgId);
  expect(unknown, 'stream messages that are no outbox row').toEqual([]);
  const missing = outboxIds.filter((id) => !counts.has(id));
  expect(missing, 'outbox rows missing from the stream').toEqual([]);
  expect(events.length).toBe(outboxIds.length);
  // The msgID is the event's own id.
  for (const e of events) expect(e.payload.id).toBe(e.msgId);
}

/** A real invites process (`node services/invites/src/server.ts`). */
interface ChildInvites {
  process: ChildProcess;
  exited: Promise<void>;
  output(): string;
}

const children = new Set<ChildProcess>();

async function spawnInvites(env: Record<string, string>, overrides: Record<string, string> = {}): Promise<ChildInvites> {
  const child = spawn(process.execPath, ['services/invites/src/server.ts'], {
    cwd: root,
    env: { ...process.env, ...env, LOG_LEVEL: 'info', ...overrides },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let log = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => children.delete(child));
  const ready = new Promise<void>((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        try {
          if ((JSON.parse(line) as { msg?: string }).msg === 'invites ready') resolve();
        } catch {
          // not a JSON line
        }
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
    });
    child.once('exit', (code, signal) => reject(new Error(`invites exited (${signal ?? code}) before it was ready:\n${log}`)));
  });
  await ready;
  return { process: child, exited, output: () => log };
}

async function kill(child: ChildInvites): Promise<void> {
  child.process.kill('SIGKILL');
  await child.exited;
}

/** Sends SIGTERM and waits for a clean exit. */
async function stop(child: ChildInvites): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGTERM');
  await child.exited;
}

/** A database and NATS names of their own, a client connection and an in-process domain on that database. */
interface Scene {
  env: Record<string, string>;
  nc: NatsConnection;
  client: InvitesClient;
  domain: Domain;
  streamName: string;
  /** Opens the in-process domain; call once a child process has applied the migrations. */
  open(): Promise<void>;
  sql<T = Record<string, unknown>>(query: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

const scenes: Scene[] = [];

async function scene(label: string, overrides: Record<string, string> = {}): Promise<Scene> {
  const { env, db } = await isolatedEnv(label, overrides);
  const config = loadInvitesConfig(env);
  const nc = await connect({ servers: config.NATS_URL, name: `test-${label}` });
  let domain: Domain | undefined;
  const names = natsNames(config.NATS_PREFIX);
  const s: Scene = {
    env,
    nc,
    client: createInvitesClient(nc, names),
    get domain() {
      if (!domain) throw new Error('domain not opened yet');
      return domain;
    },
    streamName: names.inviteStream,
    async open() {
      domain ??= await createDomain(config);
    },
    sql: (query, params = []) => (s.domain.orm.em.fork() as EntityManager).execute(query, params),
    async close() {
      await domain?.orm.close();
      await deleteStreams(nc, config.NATS_PREFIX);
      await nc.drain();
      await db.drop();
    },
  };
  scenes.push(s);
  return s;
}

/** An org whose owner accepted and signed in, created through the domain and the child's NATS service. */
async function childOrg(s: Scene, seatLimit: number): Promise<{ orgId: string; accessToken: string }> {
  const ownerEmail = email('owner');
  const created = await createOrg(
    { domain: s.domain, em: s.domain.orm.em.fork() as EntityManager, actor: { kind: 'operator' }, traceparent: undefined },
    { name: 'Kill Test', seatLimit, ownerEmail },
  );
  await s.client.call('invite.accept', {
    token: tokenOf(created.ownerInvite.acceptUrl),
    proof: emailedProof(tokenOf(created.ownerInvite.acceptUrl)),
    name: 'Olivia Owner',
    username: `owner${Math.random().toString(36).slice(2, 10)}`,
    password,
  });
  const login = await s.client.call('auth.login', { email: ownerEmail, password });
  return { orgId: created.orgId, accessToken: login.accessToken };
}

async function outboxIds(s: Scene): Promise<string[]> {
  return (await s.sql<{ id: string }>(`select id from outbox order by created_at, id`)).map((r) => r.id);
}

async function unpublished(s: Scene): Promise<number> {
  const [row] = await s.sql<{ n: number }>(`select count(*)::int as n from outbox where published_at is null`);
  return row!.n;
}

afterEach(() => {
  for (const child of children) {
    child.kill('SIGKILL');
  }
});

afterAll(async () => {
  for (const s of scenes) await s.close().catch(() => {});
});

// ---------------------------------------------------------------- tests

describe('the outbox survives a killed invites process (invariant 8)', () => {
  it('kill between commit and publish: rows committed with the relay off are published exactly once after a restart', async () => {
    const s = await scene('outbox_commit', { OUTBOX_RELAY: 'off' });
    const first = await spawnInvites(s.env);
    await s.open();
    const org = await childOrg(s, 100);

    const created = await Promise.all(
      Array.from({ length: 50 }, () =>
        s.client.call('invite.create', { orgId: org.orgId, invite: { email: email('commit'), role: 'member' } }, { accessToken: org.accessToken }),
      ),
    );
    await kill(first);

    // Committed: every invite has its outbox row, none published, and the stream is empty.
    const rows = await s.sql<{ id: string; invite_id: string; published_at: Date | null }>(
      `select id, payload->>'inviteId' as invite_id, published_at from outbox`,
    );
    const inviteIdsInOutbox = new Set(rows.map((r) => r.invite_id));
    for (const c of created) expect(inviteIdsInOutbox.has(c.invite.id)).toBe(true);
    expect(rows.length).toBeGreaterThanOrEqual(50);
    expect(rows.filter((r) => r.published_at !== null)).toEqual([]);
    expect(await streamCount(s.nc, s.streamName)).toBe(0);

    const second = await spawnInvites(s.env, { OUTBOX_RELAY: 'on' });
    await eventually('every outbox row to be published', async () => (await unpublished(s)) === 0);

    const ids = await outboxIds(s);
    expect(ids.length).toBe(rows.length);
    expectStreamMatchesOutbox(await readStream(s.nc, s.streamName), ids);
    await stop(second);
  });

  it('kill during a burst: after a restart every committed row is in the stream exactly once, and nothing else is', async () => {
    const s = await scene('outbox_burst');
    const first = await spawnInvites(s.env);
    await s.open();
    const org = await childOrg(s, 1000);

    const total = 200;
    const killAfter = 50 + Math.floor(Math.random() * 100);
    let replied = 0;
    let killed: Promise<void> | undefined;
    const calls = Array.from({ length: total }, () =>
      s.client
        .call(
          'invite.create',
          { orgId: org.orgId, invite: { email: email('burst'), role: 'member' } },
          { accessToken: org.accessToken, timeoutMs: 10_000 },
        )
        .then((reply) => {
          replied += 1;
          if (replied === killAfter) killed = kill(first);
          return reply;
        }),
    );
    const settled = await Promise.allSettled(calls);
    await killed;
    expect(first.process.signalCode).toBe('SIGKILL');

    const ok = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(ok.length).toBeGreaterThanOrEqual(killAfter);
    expect(ok.length).toBeLessThan(total);
    for (const error of failed) expect(error).toBeInstanceOf(DomainError);

    const second = await spawnInvites(s.env);
    await eventually('no unpublished outbox rows', async () => (await unpublished(s)) === 0);

    const ids = await outboxIds(s);
    const events = await readStream(s.nc, s.streamName);
    expectStreamMatchesOutbox(events, ids);
    // Every invite the caller was told about has its created event in the stream,
    // and so has every invite that was committed without a reply reaching the caller.
    const createdInStream = new Set(events.filter((e) => e.payload.type === 'invite.created').map((e) => e.payload.inviteId));
    for (const reply of ok) expect(createdInStream.has(reply.invite.id)).toBe(true);
    const committed = await s.sql<{ id: string }>(`select id from invites where org_id = ?`, [org.orgId]);
    for (const invite of committed) expect(createdInStream.has(invite.id)).toBe(true);
    await stop(second);
  });
});

describe('outbox relays', () => {
  let t: TestInvites;
  const orms: MikroORM[] = [];
  afterAll(async () => {
    for (const orm of orms) await orm.close();
    await t?.close();
  });

  it('two relays at once publish every row once, each a share', async () => {
    t = await startTestInvites('outbox_relays', { OUTBOX_RELAY: 'off' });
    const org = await orgWithOwner(t, 1000);
    const rows = Array.from({ length: 500 }, () => ({ email: email('bulk'), role: 'member' as const }));
    const bulk = await t.client.call('invite.bulk', { orgId: org.orgId, rows }, { accessToken: org.owner.accessToken, timeoutMs: 60_000 });
    expect(bulk.created).toBe(500);

    const [pending] = await t.sql<{ n: number }>(`select count(*)::int as n from outbox where published_at is null`);
    expect(pending!.n).toBeGreaterThanOrEqual(500);
    const js = jetstream(t.nc);
    const relays = await Promise.all(
      ['a', 'b'].map(async (name) => {
        const orm = await createOrm({ databaseUrl: t.config.DATABASE_URL, poolMax: 4 });
        orms.push(orm);
        return createOutboxRelay({
          orm,
          js,
          databaseUrl: t.config.DATABASE_URL,
          logger: createLogger(`relay-${name}`, 'warn'),
          metrics: createMetrics(),
          pollMs: 200,
          batchSize: 20,
          retentionHours: 168,
        });
      }),
    );
    const [a, b] = await Promise.all(relays.map((r) => r.flush()));
    expect(a! + b!).toBe(pending!.n);
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);

    const [left] = await t.sql<{ n: number }>(`select count(*)::int as n from outbox where published_at is null`);
    expect(left!.n).toBe(0);
    const ids = (await t.sql<{ id: string }>(`select id from outbox`)).map((r) => r.id);
    expect(ids.length).toBe(pending!.n);
    expectStreamMatchesOutbox(await readStream(t.nc, natsNames(t.config.NATS_PREFIX).inviteStream), ids);
  });

  it('removes published rows older than the retention, and only those', async () => {
    // Runs on the rows of the previous test.
    const [all] = await t.sql<{ n: number }>(`select count(*)::int as n from outbox`);
    expect(all!.n).toBeGreaterThan(100);
    await t.sql(`update outbox set published_at = now() - interval '3 hours' where id in (select id from outbox order by id limit 100)`);
    const orm = await createOrm({ databaseUrl: t.config.DATABASE_URL, poolMax: 2 });
    orms.push(orm);
    const relay = createOutboxRelay({
      orm,
      js: jetstream(t.nc),
      databaseUrl: t.config.DATABASE_URL,
      logger: createLogger('relay-cleanup', 'warn'),
      metrics: createMetrics(),
      pollMs: 200,
      batchSize: 20,
      retentionHours: 1,
    });
    relay.start();
    try {
      await eventually('old published rows to be deleted', async () => {
        const [old] = await t.sql<{ n: number }>(`select count(*)::int as n from outbox where published_at < now() - interval '1 hour'`);
        return old!.n === 0;
      });
    } finally {
      await relay.stop();
    }
    const [after] = await t.sql<{ n: number }>(`select count(*)::int as n from outbox`);
    expect(after!.n).toBe(all!.n - 100);
  });
});

describe('a batch published but never marked (crash before the relay commits)', () => {
  let t: TestInvites;
  let orm: MikroORM | undefined;
  afterAll(async () => {
    await orm?.close();
    await t?.close();
  });

  it('is published again under the same msgIDs, and JetStream drops the duplicates', async () => {
    t = await startTestInvites('outbox_unmarked', { OUTBOX_RELAY: 'off' });
    const org = await orgWithOwner(t, 100);
    const rows = Array.from({ length: 30 }, () => ({ email: email('unmarked'), role: 'member' as const }));
    await t.client.call('invite.bulk', { orgId: org.orgId, rows }, { accessToken: org.owner.accessToken, timeoutMs: 30_000 });
    const names = natsNames(t.config.NATS_PREFIX);
    const ids = (await t.sql<{ id: string }>(`select id from outbox order by created_at, id`)).map((r) => r.id);
    expect(ids.length).toBeGreaterThan(20);

    orm = await createOrm({ databaseUrl: t.config.DATABASE_URL, poolMax: 2 });
    const relay = createOutboxRelay({
      orm,
      js: jetstream(t.nc),
      databaseUrl: t.config.DATABASE_URL,
      logger: createLogger('relay-unmarked', 'warn'),
      metrics: createMetrics(),
      pollMs: 200,
      batchSize: 20,
      retentionHours: 168,
    });
    // The database refuses to mark rows published: the relay publishes a batch, then its
    // transaction fails, exactly as if the process died between the publish and the commit.
    await t.sql(`create function refuse_outbox_mark() returns trigger language plpgsql as $$
                 begin raise exception 'simulated crash before commit'; end $$`);
    await t.sql(`create trigger refuse_outbox_mark before update on outbox for each statement execute function refuse_outbox_mark()`);
    await expect(relay.flush()).rejects.toThrow(/simulated crash/);
    expect(await streamCount(t.nc, names.inviteStream)).toBe(20);
    const [still] = await t.sql<{ n: number }>(`select count(*)::int as n from outbox where published_at is null`);
    expect(still!.n).toBe(ids.length);

    await t.sql(`drop trigger refuse_outbox_mark on outbox`);
    expect(await relay.flush()).toBe(ids.length);
    expectStreamMatchesOutbox(await readStream(t.nc, names.inviteStream), ids);
  });
});

describe('the relay wakes on commit', () => {
  let t: TestInvites;
  afterAll(() => t?.close());

  it('publishes a new invite event long before its 60 s poll interval', async () => {
    t = await startTestInvites('outbox_wake', { OUTBOX_POLL_MS: '60000' });
    const org = await orgWithOwner(t, 10);
    const created = await t.client.call(
      'invite.create',
      { orgId: org.orgId, invite: { email: email('wake'), role: 'member' } },
      { accessToken: org.owner.accessToken },
    );
    const [row] = await t.sql<{ id: string }>(`select id from outbox where payload->>'inviteId' = ? and payload->>'type' = 'invite.created'`, [
      created.invite.id,
    ]);
    expect(row).toBeDefined();
    const names = natsNames(t.config.NATS_PREFIX);
    const jsm = await jetstreamManager(t.nc);
    // Bounded well below the poll interval: only a NOTIFY can wake the relay in time.
    await eventually(
      'the created event in the stream',
      async () => {
        const last = await jsm.streams.getMessage(names.inviteStream, { last_by_subj: names.inviteEvent('created') });
        return last?.header.get('Nats-Msg-Id') === row!.id;
      },
      10_000,
    );
  });
});
