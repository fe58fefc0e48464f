import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { uuidv7 } from '@invite/contracts';
import { createOrm } from '../src/db/orm.ts';
import { createTestDatabase } from '../../../tests/support/database.ts';
import { email, emailedProof, orgWithOwner, password, startTestInvites, tokenOf, type OrgWithOwner, type TestInvites } from './harness.ts';

/**
 * The seat counters on the org row (members_count, pending_count less the org's
 * seat_releases) decide every seat check: they must equal what the rows say, whatever
 * ran concurrently, and the database must keep the seat rule for any writer.
 */

let t: TestInvites;

beforeAll(async () => {
  t = await startTestInvites('counters', { RESEND_COOLDOWN_SECONDS: '0' });
});
afterAll(() => t?.close());

const as = (org: OrgWithOwner) => ({ accessToken: org.owner.accessToken });

/** What the counters say next to what the rows say. */
async function seats(orgId: string) {
  const [row] = await t.sql<{ counted_members: number; counted_pending: number; members: number; pending: number }>(
    `select o.members_count as counted_members,
            o.pending_count - (select count(*)::int from seat_releases r where r.org_id = o.id) as counted_pending,
            (select count(*)::int from memberships m where m.org_id = o.id) as members,
            (select count(*)::int from invites i where i.org_id = o.id and i.status = 'pending') as pending
       from orgs o where o.id = ?`,
    [orgId],
  );
  return row!;
}

function expectCountersTrue(row: Awaited<ReturnType<typeof seats>>) {
  expect({ members: row.counted_members, pending: row.counted_pending }).toEqual({ members: row.members, pending: row.pending });
}

describe('seat counters', () => {
  it('equal the rows after creates, bulk uploads, accepts, declines, withdrawals, resends and sweeps running at once', async () => {
    const org = await orgWithOwner(t, 40, 'Busy');
    const first = await Promise.all(Array.from({ length: 12 }, () => t.client.call('invite.create', { orgId: org.orgId, invite: { email: email('mix'), role: 'member' } }, as(org))));
    // Some overdue, so that the sweeper has work while the rest runs.
    await t.sql(`update invites set expires_at = now() - interval '1 second' where id in (?)`, [first.slice(0, 3).map((c) => c.invite.id)]);

    const work: Promise<unknown>[] = [
      ...Array.from({ length: 20 }, () => t.client.call('invite.create', { orgId: org.orgId, invite: { email: email('more'), role: 'member' } }, as(org))),
      t.client.call('invite.bulk', { orgId: org.orgId, rows: Array.from({ length: 15 }, () => ({ email: email('bulk'), role: 'member' })) }, as(org)),
      ...first.slice(3, 6).map((c) => t.client.call('invite.accept', { token: tokenOf(c.acceptUrl), proof: emailedProof(tokenOf(c.acceptUrl)), name: 'Mia', username: `mia${Math.random().toString(36).slice(2, 9)}`, password })),
      ...first.slice(6, 8).map((c) => t.client.call('invite.decline', { token: tokenOf(c.acceptUrl) })),
      ...first.slice(8, 10).map((c) => t.client.call('invite.withdraw', { orgId: org.orgId, inviteId: c.invite.id }, as(org))),
      ...first.slice(10, 12).map((c) => t.client.call('invite.resend', { orgId: org.orgId, inviteId: c.invite.id }, as(org))),
      t.app.sweeper.sweep(),
    ];
    await Promise.allSettled(work);

    const after = await seats(org.orgId);
    expectCountersTrue(after);
    expect(after.members + after.pending).toBeLessThanOrEqual(40);

    // The sweeper folds what closed since into the org row.
    await t.app.sweeper.sweep();
    const [left] = await t.sql<{ n: number }>(`select count(*)::int as n from seat_releases where org_id = ?`, [org.orgId]);
    expect(left!.n).toBe(0);
    expectCountersTrue(await seats(org.orgId));
  });

  it('holds the seat rule for a pending invite written with plain SQL, and lets overdue invites give their seat', async () => {
    const org = await orgWithOwner(t, 2, 'Tight');
    const created = await t.client.call('invite.create', { orgId: org.orgId, invite: { email: email('sql'), role: 'member' } }, as(org));
    const insert = () =>
      t.sql(
        `insert into invites (id, org_id, email, role, token_hash, expires_at, email_status, sms_status)
         values (?, ?, ?, 'member', ?, now() + interval '1 day', 'queued', 'skipped')`,
        [uuidv7(), org.orgId, email('sql'), `hash-${uuidv7()}`],
      );
    await expect(insert()).rejects.toMatchObject({ constraint: 'orgs_seat_limit' });
    expectCountersTrue(await seats(org.orgId));

    await t.sql(`update invites set expires_at = now() - interval '1 second' where id = ?`, [created.invite.id]);
    await insert();
    expectCountersTrue(await seats(org.orgId));
  });

  it('refuses a pending invite for a member, whoever writes it', async () => {
    const org = await orgWithOwner(t, 5, 'Members');
    await expect(
      t.sql(
        `insert into invites (id, org_id, email, role, token_hash, expires_at, email_status, sms_status)
         values (?, ?, ?, 'member', ?, now() + interval '1 day', 'queued', 'skipped')`,
        [uuidv7(), org.orgId, org.ownerEmail, `hash-${uuidv7()}`],
      ),
    ).rejects.toMatchObject({ constraint: 'invites_not_member' });
    await expect(
      t.client.call('invite.create', { orgId: org.orgId, invite: { email: org.ownerEmail.toUpperCase(), role: 'member' } }, as(org)),
    ).rejects.toMatchObject({ code: 'ALREADY_MEMBER' });
  });
});

describe('the counters migration', () => {
  it('counts the members, pending invites and this hour\'s quota of a database that had rows before it', async () => {
    const db = await createTestDatabase(inject('postgresUrl'), 'counters_migration');
    const orm = await createOrm({ databaseUrl: db.url, poolMax: 2 });
    try {
      await orm.migrator.up({ to: 'Migration20261202000000' });
      const em = orm.em.fork();
      const orgId = uuidv7();
      const users = [uuidv7(), uuidv7()];
      await em.execute(`insert into orgs (id, name, seat_limit) values (?, 'Before', 10)`, [orgId]);
      for (const [i, id] of users.entries()) {
        await em.execute(`insert into users (id, email, username, name, password_hash) values (?, ?, ?, 'U', 'x')`, [id, `u${i}@before.test`, `u${i}before`]);
        await em.execute(`insert into memberships (id, org_id, user_id, role) values (?, ?, ?, 'member')`, [uuidv7(), orgId, id]);
      }
      for (const status of ['pending', 'pending', 'pending', 'accepted', 'withdrawn']) {
        await em.execute(
          `insert into invites (id, org_id, email, role, status, token_hash, expires_at, email_status, sms_status)
           values (?, ?, ?, 'member', ?, ?, now() + interval '1 day', 'sent', 'skipped')`,
          [uuidv7(), orgId, `${status}.${uuidv7()}@before.test`, status, `h-${uuidv7()}`],
        );
      }
      await em.execute(`insert into invite_quota (org_id, window_start, created) values (?, date_trunc('hour', now()), 7)`, [orgId]);

      await orm.migrator.up();
      const [row] = await em.execute<{ members_count: number; pending_count: number; quota_used: number }[]>(
        `select members_count, pending_count, quota_used from orgs where id = ?`,
        [orgId],
      );
      expect(row).toEqual({ members_count: 2, pending_count: 3, quota_used: 7 });
    } finally {
      await orm.close();
      await db.drop();
    }
  });
});
