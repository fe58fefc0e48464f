import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError, hashToken, InviteEvent, matches, type InviteEventType } from '@invite/contracts';
import { email, emailedProof, orgWithOwner, password, startTestInvites, tokenOf, type OrgWithOwner, type TestInvites } from './harness.ts';

let t: TestInvites;
let org: OrgWithOwner;

beforeAll(async () => {
  // The relay stays off so that outbox rows keep the transaction id (xmin) of the
  // command that wrote them; the tests sweep expired invites themselves. The late
  // failures below are logged as errors by design, so only fatal logs are shown.
  t = await startTestInvites('atomicity', { OUTBOX_RELAY: 'off', LOG_LEVEL: 'fatal' });
  await t.app.sweeper.stop();
  org = await orgWithOwner(t, 100);
});
afterAll(() => t?.close());

async function failure(call: Promise<unknown>): Promise<DomainError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

const owner = () => ({ accessToken: org.owner.accessToken });
const create = (address: string) => t.client.call('invite.create', { orgId: org.orgId, invite: { email: address, role: 'member' } }, owner());
const newAccount = (token: string) => ({ token, proof: emailedProof(token), name: 'Ada Atomic', username: `ada${Math.random().toString(36).slice(2, 10)}`, password });

interface Counts {
  invites: number;
  audit: number;
  outbox: number;
  users: number;
  memberships: number;
  refresh: number;
}

async function counts(): Promise<Counts> {
  const [row] = await t.sql<Counts>(
    `select (select count(*) from invites)::int as invites, (select count(*) from audit_log)::int as audit,
            (select count(*) from outbox)::int as outbox, (select count(*) from users)::int as users,
            (select count(*) from memberships)::int as memberships, (select count(*) from refresh_tokens)::int as refresh`,
  );
  return row!;
}

interface Trail {
  audit: { action: string; actor: string; tx: string }[];
  events: { subject: string; type: string; tx: string; payload: Record<string, unknown> }[];
  invite: { status: string; tx: string } | undefined;
}

/** Audit entries, outbox events and the row of one invite, each with the id of the transaction that wrote it. */
async function trail(inviteId: string): Promise<Trail> {
  return {
    audit: await t.sql(`select action, actor, xmin::text as tx from audit_log where target = ? order by at, id`, [`invite:${inviteId}`]),
    events: await t.sql(
      `select subject, payload->>'type' as type, xmin::text as tx, payload from outbox where payload->>'inviteId' = ? order by created_at, id`,
      [inviteId],
    ),
    invite: (await t.sql<{ status: string; tx: string }>(`select status, xmin::text as tx from invites where id = ?`, [inviteId]))[0],
  };
}

/**
 * Runs one state change and checks its trail: exactly one more audit entry for the
 * invite (`action`), exactly one more outbox row, on the subject of `type`, and both
 * written by the transaction that changed the invite row.
 */
async function expectOneChange(inviteId: string, type: InviteEventType, status: string, change: () => Promise<unknown>, extraAudit = 0) {
  const before = await trail(inviteId);
  const totalsBefore = await counts();
  await change();
  const after = await trail(inviteId);
  const totalsAfter = await counts();

  expect(totalsAfter.audit - totalsBefore.audit).toBe(1 + extraAudit);
  expect(totalsAfter.outbox - totalsBefore.outbox).toBe(1);
  expect(after.audit).toHaveLength(before.audit.length + 1);
  expect(after.events).toHaveLength(before.events.length + 1);
  const entry = after.audit.at(-1)!;
  const event = after.events.at(-1)!;
  expect(entry.action).toBe(`invite.${type}`);
  expect(event.subject).toBe(t.app.domain.names.inviteEvent(type));
  expect(event.type).toBe(`invite.${type}`);
  expect(matches(InviteEvent, event.payload)).toBe(true);
  expect(after.invite!.status).toBe(status);
  // One transaction: the invite row, its audit entry and its event share the writer's xid.
  expect(entry.tx).toBe(after.invite!.tx);
  expect(event.tx).toBe(after.invite!.tx);
  return { entry, event, tx: after.invite!.tx };
}

describe('invariant 7: each state change writes its audit entry and outbox event in the same transaction', () => {
  it('create, resend and withdraw each write one audit entry and one event on their subject', async () => {
    let inviteId = '';
    const before = await counts();
    const created = await create(email('create'));
    inviteId = created.invite.id;
    const first = await trail(inviteId);
    expect(first.audit.map((a) => a.action)).toEqual(['invite.created']);
    expect(first.events.map((e) => e.subject)).toEqual([t.app.domain.names.inviteEvent('created')]);
    expect(first.audit[0]!.tx).toBe(first.invite!.tx);
    expect(first.events[0]!.tx).toBe(first.invite!.tx);
    const after = await counts();
    expect([after.invites - before.invites, after.audit - before.audit, after.outbox - before.outbox]).toEqual([1, 1, 1]);

    await expectOneChange(inviteId, 'resent', 'pending', () =>
      t.client.call('invite.resend', { orgId: org.orgId, inviteId }, owner()),
    );
    const { entry } = await expectOneChange(inviteId, 'withdrawn', 'withdrawn', () =>
      t.client.call('invite.withdraw', { orgId: org.orgId, inviteId }, owner()),
    );
    expect(entry.actor).toBe(`user:${org.owner.user.id}`);
  });

  it('accept writes one invite.accepted entry (plus member.added) and one event, with the account and membership, in one transaction', async () => {
    const who = email('accept');
    const created = await create(who);
    const { tx } = await expectOneChange(
      created.invite.id,
      'accepted',
      'accepted',
      () => t.client.call('invite.accept', newAccount(tokenOf(created.acceptUrl))),
      1,
    );
    const [user] = await t.sql<{ id: string; tx: string }>(`select id, xmin::text as tx from users where email = ?`, [who]);
    expect(user!.tx).toBe(tx);
    const membership = await t.sql<{ tx: string }>(`select xmin::text as tx from memberships where user_id = ? and org_id = ?`, [user!.id, org.orgId]);
    expect(membership).toEqual([{ tx }]);
    const added = await t.sql<{ tx: string }>(`select xmin::text as tx from audit_log where action = 'member.added' and target = ?`, [`user:${user!.id}`]);
    expect(added).toEqual([{ tx }]);
  });

  it('decline writes one audit entry and one event in one transaction', async () => {
    const created = await create(email('decline'));
    const { entry } = await expectOneChange(created.invite.id, 'declined', 'declined', () =>
      t.client.call('invite.decline', { token: tokenOf(created.acceptUrl) }),
    );
    expect(entry.actor).toBe('invitee');
  });

  it('expiry writes one audit entry and one event in one transaction', async () => {
    const created = await create(email('expire'));
    await t.sql(`update invites set expires_at = now() - interval '1 minute' where id = ?`, [created.invite.id]);
    const { entry } = await expectOneChange(created.invite.id, 'expired', 'expired', async () => {
      expect(await t.app.sweeper.sweep()).toBe(1);
    });
    expect(entry.actor).toMatch(/^system/);
  });
});

describe('invariant 7: a transaction that fails late leaves nothing behind', () => {
  beforeAll(async () => {
    // Refuses outbox rows about marked emails or invites: the failure comes at the very
    // end of the command, after the invite and audit rows were written in the same transaction.
    await t.sql(`create table test_refused_outbox (value text primary key)`);
    await t.sql(`
      create function test_refuse_outbox() returns trigger language plpgsql as $$
      begin
        if exists (select 1 from test_refused_outbox where value in (new.payload->>'email', new.payload->>'inviteId')) then
          raise exception 'outbox row refused by the test';
        end if;
        return new;
      end $$`);
    await t.sql(`create trigger test_refuse_outbox before insert on outbox for each row execute function test_refuse_outbox()`);
  });
  afterAll(async () => {
    await t.sql(`drop trigger if exists test_refuse_outbox on outbox`);
  });

  const refuse = (value: string) => t.sql(`insert into test_refused_outbox (value) values (?)`, [value]);
  const allow = (value: string) => t.sql(`delete from test_refused_outbox where value = ?`, [value]);

  it('rolls back a create whose outbox insert fails: no invite, no audit entry, no event; later creates work', async () => {
    const marker = email('marker');
    await refuse(marker);
    const before = await counts();
    const error = await failure(create(marker));
    expect(error.code).toBe('INTERNAL');
    expect(error.detail).not.toContain('refused'); // no internals leak

    expect(await counts()).toEqual(before);
    expect(await t.sql(`select id from invites where email = ?`, [marker])).toEqual([]);
    expect(await t.sql(`select id from audit_log where data->>'email' = ?`, [marker])).toEqual([]);
    expect(await t.sql(`select id from outbox where payload->>'email' = ?`, [marker])).toEqual([]);
    const usage = await t.client.call('org.usage', { orgId: org.orgId }, owner());

    const normal = await create(email('normal'));
    expect(normal.invite.status).toBe('pending');
    expect(await t.sql(`select id from audit_log where target = ?`, [`invite:${normal.invite.id}`])).toHaveLength(1);

    // Nothing of the failed attempt holds the email's pending slot or a seat.
    await allow(marker);
    const retried = await create(marker);
    expect(retried.invite.email).toBe(marker);
    const usageAfter = await t.client.call('org.usage', { orgId: org.orgId }, owner());
    expect(usageAfter.pendingInvites).toBe(usage.pendingInvites + 2);
  });

  it('rolls back a whole bulk upload when one row fails late', async () => {
    const marker = email('bulk-marker');
    const others = [email('bulk-ok'), email('bulk-ok')];
    await refuse(marker);
    const before = await counts();
    const error = await failure(
      t.client.call('invite.bulk', { orgId: org.orgId, rows: [...others, marker].map((e) => ({ email: e, role: 'member' })) }, owner()),
    );
    expect(error.code).toBe('INTERNAL');
    expect(await counts()).toEqual(before);
    expect(await t.sql(`select id from invites where email in (?)`, [[...others, marker]])).toEqual([]);
    await allow(marker);
  });

  it('rolls back a withdraw, an accept and an expiry whose event cannot be written: the invite stays pending', async () => {
    const who = email('stays');
    const created = await create(who);
    const inviteId = created.invite.id;
    const token = tokenOf(created.acceptUrl);
    await refuse(inviteId);
    const before = await counts();
    const original = await t.sql(`select row_to_json(i)::text as row from invites i where id = ?`, [inviteId]);

    expect((await failure(t.client.call('invite.withdraw', { orgId: org.orgId, inviteId }, owner()))).code).toBe('INTERNAL');
    expect((await failure(t.client.call('invite.resend', { orgId: org.orgId, inviteId }, owner()))).code).toBe('INTERNAL');
    expect((await failure(t.client.call('invite.accept', newAccount(token)))).code).toBe('INTERNAL');
    expect((await failure(t.client.call('invite.decline', { token }))).code).toBe('INTERNAL');
    await t.sql(`update invites set expires_at = now() - interval '1 minute' where id = ?`, [inviteId]);
    await expect(t.app.sweeper.sweep()).rejects.toThrow();
    await t.sql(`update invites set expires_at = ? where id = ?`, [created.invite.expiresAt, inviteId]);

    expect(await counts()).toEqual(before);
    expect(await t.sql(`select row_to_json(i)::text as row from invites i where id = ?`, [inviteId])).toEqual(original);
    expect(await t.sql(`select id from users where email = ?`, [who])).toEqual([]);
    expect((await trail(inviteId)).audit.map((a) => a.action)).toEqual(['invite.created']);

    // The same link still works once events can be written again.
    await allow(inviteId);
    const accepted = await t.client.call('invite.accept', newAccount(token));
    expect(accepted.user.email).toBe(who);
    expect((await trail(inviteId)).audit.map((a) => a.action)).toEqual(['invite.created', 'invite.accepted']);
  });
});

describe('the accept token in events', () => {
  it('never appears in plaintext in the outbox, the audit log or the invite row; the event carries it encrypted for this invite', async () => {
    const created = await create(email('secret'));
    const inviteId = created.invite.id;
    const token = tokenOf(created.acceptUrl);
    const resent = await t.client.call('invite.resend', { orgId: org.orgId, inviteId }, owner());
    const newToken = tokenOf(resent.acceptUrl);

    for (const secret of [token, newToken]) {
      expect(await t.sql(`select id from outbox o where o::text like ?`, [`%${secret}%`])).toEqual([]);
      expect(await t.sql(`select id from audit_log a where a::text like ?`, [`%${secret}%`])).toEqual([]);
      expect(await t.sql(`select id from invites i where i::text like ?`, [`%${secret}%`])).toEqual([]);
    }
    const [row] = await t.sql<{ token_hash: string }>(`select token_hash from invites where id = ?`, [inviteId]);
    expect(row!.token_hash).toBe(hashToken(newToken));

    const events = (await trail(inviteId)).events;
    expect(events.map((e) => e.type)).toEqual(['invite.created', 'invite.resent']);
    const [createdEvent, resentEvent] = events.map((e) => e.payload as { encryptedToken: string; tokenVersion: number });
    expect(createdEvent!.encryptedToken).toMatch(/^v1\./);
    expect(t.app.domain.cipher.decrypt(createdEvent!.encryptedToken, inviteId)).toBe(token);
    expect(t.app.domain.cipher.decrypt(resentEvent!.encryptedToken, inviteId)).toBe(newToken);
    expect([createdEvent!.tokenVersion, resentEvent!.tokenVersion]).toEqual([1, 2]);
    // Bound to its invite: the ciphertext does not open for another invite id.
    expect(() => t.app.domain.cipher.decrypt(createdEvent!.encryptedToken, org.orgId)).toThrow();
  });
});
