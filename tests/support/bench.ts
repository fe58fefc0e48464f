import { mkdir, writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { EntityManager } from '@mikro-orm/postgresql';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { createInvitesClient, hashToken, natsNames, newInviteToken, uuidv7, type TokenCipher } from '@invite/contracts';
import { createLogger } from '@invite/telemetry';
import { startInvites } from '../../services/invites/src/app.ts';
import { loadInvitesConfig } from '../../services/invites/src/config.ts';
import { createOrg } from '../../services/invites/src/domain/org.commands.ts';
import { createTestDatabase, testPrefix } from './database.ts';

/**
 * Shared pieces of the benchmarks (`npm run bench`): load generation, percentiles,
 * and the invite-creating SQL transaction issued directly with `pg`, the baseline
 * that the NATS and HTTP paths are compared with.
 */

export function serverUrl(): string {
  const url = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432');
  url.pathname = '';
  return url.toString().replace(/\/$/, '');
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export interface Run {
  count: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

/** Runs `task(i)` for i in [0, n) with `concurrency` in flight; times each call and the whole. */
export async function pool(n: number, concurrency: number, task: (i: number) => Promise<unknown>): Promise<Run> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  let firstError: unknown;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      for (let i = next++; i < n; i = next++) {
        const t0 = performance.now();
        try {
          await task(i);
          latencies.push(performance.now() - t0);
        } catch (error) {
          errors += 1;
          firstError ??= error;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  if (firstError) console.error('first error:', firstError);
  latencies.sort((a, b) => a - b);
  const ok = latencies.length;
  return { count: ok, seconds, perSecond: ok / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), errors };
}

export async function sample(n: number, task: () => Promise<unknown>): Promise<{ samples: number; p50Ms: number; p99Ms: number; meanMs: number }> {
  for (let i = 0; i < 20; i++) await task(); // warm-up
  const latencies: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await task();
    latencies.push(performance.now() - t0);
  }
  latencies.sort((a, b) => a - b);
  return {
    samples: n,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    meanMs: latencies.reduce((a, b) => a + b, 0) / n,
  };
}


export interface RawCreate {
  sqlPool: pg.Pool;
  cipher: TokenCipher;
  orgId: string;
  inviterId: string;
  /** Subject of invites.events.created for this run's NATS prefix. */
  subject: string;
  expiryHours: number;
}

/**
 * One invite created with plain SQL, hand-written as a person would without the
 * service: one transaction that locks the org row and checks its seat counters, then
 * inserts the invite, its audit entry and its outbox event. The schema's triggers (seat
 * and quota counters, membership rule) run as they do for the service.
 */
export async function createInviteWithSql(raw: RawCreate, address: string): Promise<void> {
  const { sqlPool, orgId, inviterId } = raw;
  const id = uuidv7();
  const token = newInviteToken();
  const sealed = raw.cipher.encrypt(token, id);
  const now = new Date();
  const expiresAt = new Date(now.getTime() + raw.expiryHours * 3_600_000);
  const c = await sqlPool.connect();
  try {
    await c.query('begin');
    const org = await c.query<{ name: string }>(
      `select name from orgs where id = $1 and members_count + pending_count < seat_limit for no key update`,
      [orgId],
    );
    if (!org.rows[0]) throw new Error('refused');
    await c.query(
      `insert into invites (id, org_id, email, phone, role, token_hash, sealed_token, expires_at, invited_by, channels, locale, message,
                            created_at, sent_at, email_status, sms_status, email_updated_at, sms_updated_at)
       values ($1, $2, $3, null, 'member', $4, $5, $6, $7, '["email"]', 'en', null, $8, $8, 'queued', 'skipped', $8, $8)`,
      [id, orgId, address, hashToken(token), sealed, expiresAt, inviterId, now],
    );
    await c.query(`insert into audit_log (id, org_id, actor, action, target, data, at) values ($1, $2, $3, 'invite.created', $4, $5, $6)`, [
      uuidv7(),
      orgId,
      `user:${inviterId}`,
      `invite:${id}`,
      JSON.stringify({ email: address, role: 'member', channels: ['email'], expiresAt: expiresAt.toISOString() }),
      now,
    ]);
    const event = {
      id: uuidv7(),
      occurredAt: now.toISOString(),
      orgId,
      inviteId: id,
      type: 'invite.created',
      email: address,
      phone: null,
      role: 'member',
      locale: 'en',
      message: null,
      orgName: org.rows[0].name,
      inviterName: 'Bench Owner',
      expiresAt: expiresAt.toISOString(),
      tokenVersion: 1,
      channels: ['email'],
      encryptedToken: sealed,
    };
    await c.query(`insert into outbox (id, subject, payload, headers, created_at) values ($1, $2, $3, '{}', $4)`, [event.id, raw.subject, JSON.stringify(event), now]);
    await c.query('commit');
  } catch (error) {
    await c.query('rollback').catch(() => {});
    throw error;
  } finally {
    c.release();
  }
}

/** The invites service in this process on a fresh database and NATS prefix, for a benchmark. */
export async function startBenchInvites(label: string, overrides: Record<string, string> = {}) {
  const db = await createTestDatabase(serverUrl(), label);
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    NATS_URL: process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222',
    NATS_PREFIX: testPrefix(label),
    INVITES_HTTP_PORT: '0',
    INVITE_RATE_PER_HOUR: '0',
    RECIPIENT_INVITES_PER_DAY: '0',
    INVITER_INVITES_PER_DAY: '0',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    ...overrides,
  };
  const config = loadInvitesConfig(env);
  const names = natsNames(config.NATS_PREFIX);
  const app = await startInvites(config, createLogger(`${label}-invites`, env.LOG_LEVEL));
  const nc = await connect({ servers: config.NATS_URL, name: label });
  const client = createInvitesClient(nc, names);
  const sqlPool = new pg.Pool({ connectionString: db.url, max: config.DATABASE_POOL_MAX });
  const password = 'correct horse battery staple';

  return {
    env,
    config,
    names,
    app,
    nc,
    client,
    sqlPool,
    /** An org with a large seat limit whose owner accepted the bootstrap invite and signed in. */
    async ownedOrg(name: string) {
      const ownerEmail = `owner.${Date.now()}.${Math.random().toString(36).slice(2, 8)}@bench.example.test`;
      const operator = { domain: app.domain, em: app.domain.orm.em.fork() as EntityManager, actor: { kind: 'operator' as const }, traceparent: undefined };
      const org = await createOrg(operator, { name, seatLimit: 1_000_000, ownerEmail });
      // The operator's link carries the token and the address proof.
      const link = new URLSearchParams(new URL(org.ownerInvite.acceptUrl).hash.slice(1));
      const accepted = await client.call('invite.accept', {
        token: link.get('token')!,
        proof: link.get('proof')!,
        name: 'Bench Owner',
        username: `bench${Date.now()}`,
        password,
      });
      const owner = await client.call('auth.login', { email: ownerEmail, password });
      return { orgId: org.orgId, ownerId: accepted.user.id, accessToken: owner.accessToken };
    },
    /** Another org of `ownerId`, made with SQL (no invites, no events). */
    async sqlOrg(name: string, ownerId: string): Promise<string> {
      const orgId = uuidv7();
      await sqlPool.query(`insert into orgs (id, name, plan, seat_limit) values ($1, $2, 'bench', 1000000)`, [orgId, name]);
      await sqlPool.query(`insert into memberships (id, org_id, user_id, role) values ($1, $2, $3, 'owner')`, [uuidv7(), orgId, ownerId]);
      return orgId;
    },
    async close() {
      await app.stop().catch((error: unknown) => process.stderr.write(`[bench] stop failed: ${String(error)}\n`));
      await sqlPool.end();
      const jsm = await jetstreamManager(nc);
      for (const info of await jsm.streams.list().next()) {
        if (info.config.name.includes(env.NATS_PREFIX!)) await jsm.streams.delete(info.config.name).catch(() => {});
      }
      await nc.drain();
      await db.drop();
    },
  };
}

/**
 * Seeds `rows` pending invites (delivered, a week from expiry, one every 10 ms back in
 * time) into an org with one statement, then analyzes; returns the seconds it took.
 */
export async function seedPendingInvites(sqlPool: pg.Pool, orgId: string, inviterId: string, rows: number): Promise<number> {
  const started = performance.now();
  await sqlPool.query(
    `insert into invites (id, org_id, email, role, status, token_hash, expires_at, invited_by, created_at, sent_at,
                          email_status, sms_status, email_updated_at, sms_updated_at)
     select gen_random_uuid(), $1::uuid, 'seed.' || g || '@bench.example.test', 'member', 'pending', 'seed-' || $1::text || '-' || g,
            now() + interval '7 days', $2, ts, ts, 'sent', 'skipped', ts, ts
       from generate_series(1, $3::int) as g,
            lateral (select date_trunc('milliseconds', now()) - g * interval '10 milliseconds' as ts) as t`,
    [orgId, inviterId, rows],
  );
  await sqlPool.query('analyze invites');
  return (performance.now() - started) / 1000;
}

/** Writes a benchmark's results to artifacts/bench/<name>.json and says where. */
export async function writeResults(name: string, results: unknown): Promise<void> {
  const root = new URL('../../', import.meta.url).pathname;
  await mkdir(`${root}artifacts/bench`, { recursive: true });
  await writeFile(`${root}artifacts/bench/${name}.json`, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`results written to artifacts/bench/${name}.json`);
}
