import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';

/**
 * The raw-SQL baseline of the topology benchmark: what one invite create must write,
 * hand-written as pgbench transactions, so the HTTP figures can be read against what
 * PostgreSQL alone does on the same machine.
 */

/** Columns the counters migration adds to orgs; the raw transaction needs all of them. */
export const counterColumns = ['pending_count', 'members_count', 'quota_window', 'quota_used'] as const;

export async function missingCounterColumns(db: pg.Pool): Promise<string[]> {
  const { rows } = await db.query<{ column_name: string }>(
    `select column_name from information_schema.columns where table_schema = current_schema() and table_name = 'orgs' and column_name = any($1)`,
    [counterColumns],
  );
  const present = new Set(rows.map((r) => r.column_name));
  return counterColumns.filter((c) => !present.has(c));
}

// pgbench can pick a number at random but not a string: the raw orgs' ids are derived
// from their number k (1…16), in the benchmark and in the script alike.
export const rawOrgId = (k: number) => `00000000-0000-4000-8000-${String(k).padStart(12, '0')}`;
const orgExpr = `('00000000-0000-4000-8000-' || lpad(:k::text, 12, '0'))::uuid`;
// About as long as a real AES-GCM envelope (v1.<iv>.<ciphertext>.<tag>).
const sealed = `'v1.' || md5(random()::text) || '.' || md5(random()::text) || md5(random()::text)`;

/** Orgs 1…count for the raw runs, each with `inviterId` as its owner; none of them is used over HTTP. */
export async function seedRawOrgs(db: pg.Pool, count: number, inviterId: string): Promise<void> {
  await db.query(
    `insert into orgs (id, name, plan, seat_limit)
     select ('00000000-0000-4000-8000-' || lpad(k::text, 12, '0'))::uuid, 'Raw ' || k, 'bench', 1000000 from generate_series(1, $1::int) as k`,
    [count],
  );
  await db.query(
    `insert into memberships (id, org_id, user_id, role)
     select gen_random_uuid(), ('00000000-0000-4000-8000-' || lpad(k::text, 12, '0'))::uuid, $2, 'owner' from generate_series(1, $1::int) as k`,
    [count, inviterId],
  );
}

/**
 * One create written by hand in one transaction: the org row locked with its seat
 * check (the schema's triggers keep the seat and quota counters), then the invite, its
 * audit entry and its outbox event. Variables (-D):
 * orgs (how many raw orgs to spread over), inviter, subject.
 *
 * The outbox row is written already published (published_at = now()): the relay,
 * woken by the table's NOTIFY trigger, skips it, so these rows never reach JetStream
 * and no email goes out for them, while the row and its index entries cost what a
 * real one costs. The subject is the run's real one.
 */
export const rawCreateScript = `\\set k random(1, :orgs)
begin;
select 1 from orgs where id = ${orgExpr} and members_count + pending_count < seat_limit for no key update;
insert into invites (id, org_id, email, role, status, token_hash, sealed_token, expires_at, invited_by, channels, locale, created_at, sent_at, email_status, sms_status, email_updated_at, sms_updated_at) values (gen_random_uuid(), ${orgExpr}, 'raw.' || gen_random_uuid() || '@bench.example.test', 'member', 'pending', rtrim(translate(encode(sha256(gen_random_uuid()::text::bytea), 'base64'), '+/', '-_'), '='), ${sealed}, now() + interval '48 hours', ':inviter', '["email"]', 'en', now(), now(), 'queued', 'skipped', now(), now()) returning id as invite, email \\gset
insert into audit_log (id, org_id, actor, action, target, data, at) values (gen_random_uuid(), ${orgExpr}, 'user:' || ':inviter', 'invite.created', 'invite:' || ':invite', jsonb_build_object('email', ':email', 'role', 'member', 'channels', jsonb_build_array('email'), 'expiresAt', now() + interval '48 hours'), now());
insert into outbox (id, subject, payload, headers, created_at, published_at) select e.id, ':subject', jsonb_build_object('id', e.id, 'type', 'invite.created', 'occurredAt', now(), 'orgId', ${orgExpr}, 'inviteId', ':invite', 'email', ':email', 'phone', null, 'role', 'member', 'locale', 'en', 'message', null, 'orgName', 'Raw ' || :k, 'inviterName', 'Bench Owner', 'expiresAt', now() + interval '48 hours', 'tokenVersion', 1, 'channels', jsonb_build_array('email'), 'encryptedToken', ${sealed}), jsonb_build_object('traceparent', '00-' || md5(random()::text) || '-' || left(md5(random()::text), 16) || '-01'), now(), now() from (select gen_random_uuid() as id) as e;
commit;
`;

export interface PgbenchResult {
  clients: number;
  seconds: number;
  orgs: number;
  transactions: number;
  failed: number;
  tps: number;
  latencyAvgMs: number;
}

/** Runs the raw create script against `databaseUrl` and parses pgbench's summary. */
export async function runRawCreates(
  databaseUrl: string,
  options: { clients: number; threads: number; seconds: number; orgs: number; inviterId: string; subject: string },
): Promise<PgbenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'topology-pgbench-'));
  const script = join(dir, 'raw-create.sql');
  await writeFile(script, rawCreateScript);
  const args = ['-n', '-c', String(options.clients), '-j', String(options.threads), '-T', String(options.seconds), '-f', script];
  for (const [name, value] of Object.entries({ orgs: options.orgs, inviter: options.inviterId, subject: options.subject })) args.push('-D', `${name}=${value}`);
  args.push(databaseUrl);
  try {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.env.PGBENCH ?? 'pgbench', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      child.once('error', reject);
      child.once('exit', (exitCode) => resolve({ code: exitCode, stdout: out, stderr: err }));
    });
    const number = (pattern: RegExp) => Number(pattern.exec(stdout)?.[1] ?? NaN);
    const result: PgbenchResult = {
      clients: options.clients,
      seconds: options.seconds,
      orgs: options.orgs,
      transactions: number(/number of transactions actually processed: (\d+)/),
      failed: number(/number of failed transactions: (\d+)/),
      tps: number(/tps = ([\d.]+)/),
      latencyAvgMs: number(/latency average = ([\d.]+) ms/),
    };
    if (code !== 0 || !Number.isFinite(result.tps)) throw new Error(`pgbench failed (exit ${code}):\n${stderr.slice(-2000)}${stdout.slice(-1000)}`);
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
