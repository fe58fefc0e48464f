import { spawn } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv } from '../services/invites/test/harness.ts';
import { repoRoot, run } from './support/processes.ts';

/**
 * The operator CLI as a newcomer meets it: at a terminal (a pseudo-terminal made by
 * util-linux's `script`) it asks for what the flags left out and says what to do next;
 * piped, it prints JSON; a bad flag is one sentence naming the flag.
 */
let env: Record<string, string>;
let db: pg.Client;
let drop: () => Promise<void>;

beforeAll(async () => {
  const isolated = await isolatedEnv('admincli', { APP_BASE_URL: 'http://localhost:3999' });
  env = isolated.env;
  drop = isolated.db.drop;
  db = new pg.Client({ connectionString: env.DATABASE_URL });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await drop?.();
});

/** Runs `command` on a pseudo-terminal, typing `answers` one by one as the prompts appear. */
function atTerminal(command: string, answers: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let asked = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      // Each prompt ends with ': ' and waits: answer it once.
      const prompts = output.match(/(name|e\.g\. 10|email): /g)?.length ?? 0;
      while (asked < prompts && asked < answers.length) child.stdin.write(`${answers[asked++]}\n`);
    });
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('npm run admin -- create-org', () => {
  it('asks at a terminal for the name, seats and owner, creates the org and says what to do next', async () => {
    const owner = `owner.${Date.now()}@admin.test`;
    const { code, output } = await atTerminal(`${process.execPath} services/invites/src/admin.ts create-org`, ['Terminal Org', '7', owner]);
    expect(code, output).toBe(0);
    expect(output).toContain('Organisation name: ');
    expect(output).toContain('Seats (members plus pending invites), e.g. 10: ');
    expect(output).toContain("Owner's email: ");
    expect(output).toMatch(/Created "Terminal Org" with 7 seats \(org id [0-9a-f-]{36}\)\./);
    expect(output).toContain(`Its owner's invite goes to ${owner}; the same link is here:`);
    expect(output).toMatch(/http:\/\/localhost:3999\/invite#token=[A-Za-z0-9_-]{43}/);
    expect(output).toContain("Open it, create the owner's account, then sign in at http://localhost:3999/console");
    const { rows } = await db.query<{ name: string; seat_limit: number }>(`select name, seat_limit from orgs where name = 'Terminal Org'`);
    expect(rows).toEqual([{ name: 'Terminal Org', seat_limit: 7 }]);
  });

  it('prints JSON when piped, and --json does the same at a terminal', async () => {
    const piped = await run('services/invites/src/admin.ts', ['create-org', '--name', 'Piped Org', '--seats', '2', '--owner-email', `p.${Date.now()}@admin.test`], env);
    expect(piped.code, piped.stderr).toBe(0);
    expect(JSON.parse(piped.stdout)).toMatchObject({ orgId: expect.any(String), ownerInvite: { acceptUrl: expect.stringContaining('#token=') } });
    const tty = await atTerminal(`${process.execPath} services/invites/src/admin.ts create-org --name "Json Org" --seats 2 --owner-email j.${Date.now()}@admin.test --json`, []);
    expect(tty.code).toBe(0);
    expect(tty.output.trim()).toMatch(/^\{"orgId":"[0-9a-f-]{36}","ownerInvite":\{/);
  });

  it('refuses bad flags in one sentence each, naming the flag, and creates nothing', async () => {
    const before = (await db.query<{ n: number }>('select count(*)::int as n from orgs')).rows[0]!.n;
    const result = await run('services/invites/src/admin.ts', ['create-org', '--name', 'Bad Org', '--owner-email', 'not-an-address'], env);
    expect(result.code).toBe(65);
    expect(result.stderr).toContain('--seats is required: a whole number of seats from 1 to 1000000 (members plus pending invites).\n');
    expect(result.stderr).toContain("--owner-email is not valid: the first owner's email address, e.g. owner@acme.example.\n");
    expect(result.stderr).not.toMatch(/seatLimit|ownerEmail|must match format/);
    const zero = await run('services/invites/src/admin.ts', ['create-org', '--name', 'Bad Org', '--seats', '0', '--owner-email', 'o@admin.test'], env);
    expect(zero.stderr).toContain('--seats is not valid: a whole number of seats from 1 to 1000000');
    expect((await db.query<{ n: number }>('select count(*)::int as n from orgs')).rows[0]!.n).toBe(before);
  });
});

describe('npm run admin -- set-seats', () => {
  async function org(seats: number): Promise<string> {
    const created = await run('services/invites/src/admin.ts', ['create-org', '--name', 'Seated Org', '--seats', String(seats), '--owner-email', `s.${Date.now()}@admin.test`], env);
    expect(created.code, created.stderr).toBe(0);
    return (JSON.parse(created.stdout) as { orgId: string }).orgId;
  }

  it('changes the seat limit as the operator, audited, and prints the organisation (JSON when piped, a sentence at a terminal)', async () => {
    const orgId = await org(5);
    const piped = await run('scripts/admin.ts', ['set-seats', '--org', orgId, '--seats', '12'], env);
    expect(piped.code, piped.stderr).toBe(0);
    expect(JSON.parse(piped.stdout)).toEqual({ orgId, name: 'Seated Org', plan: 'free', seatLimit: 12, members: 0, pendingInvites: 1, available: 11 });
    const { rows } = await db.query<{ seat_limit: number; actor: string; data: unknown }>(
      `select o.seat_limit, a.actor, a.data from orgs o join audit_log a on a.org_id = o.id and a.action = 'org.seats_changed' where o.id = $1`,
      [orgId],
    );
    expect(rows).toEqual([{ seat_limit: 12, actor: 'operator', data: { from: 5, to: 12 } }]);

    const tty = await atTerminal(`${process.execPath} services/invites/src/admin.ts set-seats --org ${orgId} --seats 3`, []);
    expect(tty.code, tty.output).toBe(0);
    expect(tty.output).toContain('"Seated Org" has 3 seats: 0 members, 1 pending invite, 2 available.');
  });

  it('refuses a limit below the seats in use with the numbers, and bad flags by name, changing nothing', async () => {
    const orgId = await org(4);
    // Two more pending invites beside the owner's: three seats in use.
    for (const who of ['second', 'third']) {
      await db.query(
        `insert into invites select (jsonb_populate_record(null::invites, to_jsonb(i) || jsonb_build_object('id', gen_random_uuid(), 'email', $2::text, 'token_hash', md5(random()::text)))).*
           from invites i where i.org_id = $1 and i.email like 's.%'`,
        [orgId, `${who}.${Date.now()}@admin.test`],
      );
    }
    const below = await run('services/invites/src/admin.ts', ['set-seats', '--org', orgId, '--seats', '2'], env);
    expect(below.code).toBe(65);
    expect(below.stderr).toContain(
      'Seated Org has 3 seats in use (0 members and 3 pending invites), so its seat limit cannot go below 3; asked for 2. Withdraw invites or remove members first.',
    );
    const zero = await run('services/invites/src/admin.ts', ['set-seats', '--org', orgId, '--seats', '0'], env);
    expect(zero.stderr).toContain('--seats is not valid: a whole number of seats from 1 to 1000000');
    const refused = await run('services/invites/src/admin.ts', ['set-seats', '--org', 'acme', '--seats', '2'], env);
    expect(refused.code).toBe(65);
    expect(refused.stderr).toContain("--org is not valid: the organisation's id, as create-org printed it.");
    const missing = await run('services/invites/src/admin.ts', ['set-seats', '--org', orgId], env);
    expect(missing.stderr).toContain('--seats is required');
    const unknown = await run('services/invites/src/admin.ts', ['set-seats', '--org', '0190d5a2-7c1e-7000-8000-000000000001', '--seats', '2'], env);
    expect(unknown.code).toBe(65);
    expect(unknown.stderr).toContain('No such organisation');
    const { rows } = await db.query<{ seat_limit: number }>(`select seat_limit from orgs where id = $1`, [orgId]);
    expect(rows).toEqual([{ seat_limit: 4 }]);
  });
});
