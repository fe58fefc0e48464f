import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError, type AcceptInviteRequest, type TokenPair } from '@invite/contracts';
import { email, emailedProof, orgWithOwner, password, startTestInvites, tokenOf, type OrgWithOwner, type TestInvites } from './harness.ts';

/**
 * Invariant 4: a token is single-use; accept races with accept, withdraw, resend and
 * expiry have exactly one winner, and the audit log (and the outbox) agree with the
 * final state.
 *
 * Besides free-running races, some tests force an interleaving: a transaction of the
 * test holds a row lock, the contenders are started one by one and the test waits
 * (on pg_stat_activity, not on a clock) until each is blocked on a lock, then lets go.
 */

let t: TestInvites;
let org: OrgWithOwner;

beforeAll(async () => {
  t = await startTestInvites('races');
  org = await orgWithOwner(t, 1000, 'Race Org');
});
afterAll(() => t?.close());

const owner = () => ({ accessToken: org.owner.accessToken });

function invite(who: string) {
  return t.client.call('invite.create', { orgId: org.orgId, invite: { email: who, role: 'member' } }, owner());
}

let usernames = 0;
function newAccount(token: string): AcceptInviteRequest {
  usernames += 1;
  return { token, proof: emailedProof(token), name: 'Racer', username: `racer${usernames}_${Math.random().toString(36).slice(2, 8)}`, password };
}

/** An account of its own (owner of another org), not yet a member of the race org. */
async function existingAccount(): Promise<{ email: string; session: TokenPair }> {
  const home = await orgWithOwner(t, 5, 'Home');
  return { email: home.ownerEmail, session: home.owner };
}

/** Everything that tells how an invite ended: row, audit entries, outbox events, membership. */
async function fate(inviteId: string) {
  const [row] = await t.sql<{ status: string; token_version: number; email: string; accepted_user_id: string | null }>(
    `select status, token_version, email, accepted_user_id from invites where id = ?`,
    [inviteId],
  );
  const audit = (
    await t.sql<{ action: string }>(`select action from audit_log where target = ? and action <> 'invite.created' order by at, id`, [`invite:${inviteId}`])
  ).map((r) => r.action);
  const events = (
    await t.sql<{ type: string }>(`select payload->>'type' as type from outbox where payload->>'inviteId' = ? and payload->>'type' <> 'invite.created' order by created_at, id`, [
      inviteId,
    ])
  ).map((r) => r.type);
  const [members] = await t.sql<{ n: number }>(
    `select count(*)::int as n from memberships m join users u on u.id = m.user_id where m.org_id = ? and u.email = ?`,
    [org.orgId, row!.email],
  );
  return { status: row!.status, tokenVersion: row!.token_version, acceptedUserId: row!.accepted_user_id, audit, events, memberships: members!.n };
}

/** The code of a rejected call; anything that is not a 4xx DomainError fails the test. */
function loserCode(reason: unknown): string {
  if (!(reason instanceof DomainError)) return `not a DomainError: ${String(reason)}`;
  if (reason.status < 400 || reason.status >= 500) return `${reason.code} (status ${reason.status})`;
  return reason.code;
}

async function settle<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; code: string }> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, code: loserCode(error) };
  }
}

/**
 * Runs `body` while a transaction of the test holds a row lock, then lets go, even when
 * `body` throws. `body` starts the contenders and returns their (never rejecting) replies.
 */
async function whileLocked<T>(query: string, params: unknown[], body: () => Promise<T>): Promise<T> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let acquired!: () => void;
  const locked = new Promise<void>((resolve) => (acquired = resolve));
  const done = t.em().transactional(async (em) => {
    const rows = await em.execute(query, params);
    if (rows.length !== 1) throw new Error(`expected to lock one row, locked ${rows.length}`);
    acquired();
    await released;
  });
  await Promise.race([locked, done]);
  try {
    return await body();
  } finally {
    release();
    await done;
  }
}

/** The seat lock, as lockSeats takes it (FOR NO KEY UPDATE leaves foreign-key checks free). */
const orgLocked = <T>(body: () => Promise<T>) => whileLocked(`select id from orgs where id = ? for no key update`, [org.orgId], body);
const inviteLocked = <T>(inviteId: string, body: () => Promise<T>) =>
  whileLocked(`select id from invites where id = ? for update`, [inviteId], body);

/** Waits until `n` transactions of this test's database are blocked on a lock. */
async function lockWaiters(n: number): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    const [row] = await t.sql<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
    );
    if (row!.n >= n) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`${n} transaction(s) never blocked on a lock`);
}

describe('accept racing accept', () => {
  it('lets exactly one of 20 concurrent accepts of one token win; one account, one membership, one audit entry, one event', async () => {
    const who = email('contested');
    const created = await invite(who);
    const token = tokenOf(created.acceptUrl);

    const results = await Promise.allSettled(Array.from({ length: 20 }, () => t.client.call('invite.accept', newAccount(token))));
    const winners = results.filter((r) => r.status === 'fulfilled');
    expect(winners).toHaveLength(1);
    const losers = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => loserCode(r.reason));
    expect(losers).toHaveLength(19);
    for (const code of losers) expect(['INVITE_ALREADY_USED', 'ACCOUNT_EXISTS', 'INVITE_NOT_FOUND']).toContain(code);

    const users = await t.sql<{ id: string }>(`select id from users where email = ?`, [who]);
    expect(users).toHaveLength(1);
    const memberships = await t.sql(`select id from memberships where org_id = ? and user_id = ?`, [org.orgId, users[0]!.id]);
    expect(memberships).toHaveLength(1);
    expect(winners[0]!.value.user.id).toBe(users[0]!.id);

    expect(await fate(created.invite.id)).toEqual({
      status: 'accepted',
      tokenVersion: 1,
      acceptedUserId: users[0]!.id,
      audit: ['invite.accepted'],
      events: ['invite.accepted'],
      memberships: 1,
    });
    const [added] = await t.sql<{ n: number }>(`select count(*)::int as n from audit_log where org_id = ? and action = 'member.added' and target = ?`, [
      org.orgId,
      `user:${users[0]!.id}`,
    ]);
    expect(added!.n).toBe(1);

    // The token is spent for good.
    await expect(t.client.call('invite.accept', newAccount(token))).rejects.toMatchObject({ code: 'INVITE_ALREADY_USED' });
  });

  it('lets exactly one of 10 concurrent accepts of one token by the invited, signed-in account win', async () => {
    const account = await existingAccount();
    const created = await invite(account.email);
    const token = tokenOf(created.acceptUrl);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => settle(t.client.call('invite.accept', { token }, { accessToken: account.session.accessToken }))),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    for (const r of results.filter((x) => !x.ok)) expect(['INVITE_ALREADY_USED', 'ALREADY_MEMBER']).toContain((r as { code: string }).code);
    expect(await fate(created.invite.id)).toMatchObject({ status: 'accepted', audit: ['invite.accepted'], events: ['invite.accepted'], memberships: 1 });
  });
});

describe('accept racing withdraw', () => {
  /** The final state, the audit log, the outbox and the two replies all name the same winner. */
  async function expectOneWinner(inviteId: string, accept: Awaited<ReturnType<typeof settle>>, withdraw: Awaited<ReturnType<typeof settle>>) {
    const f = await fate(inviteId);
    expect(accept.ok !== withdraw.ok, `exactly one wins (accept ${JSON.stringify(accept)}, withdraw ${JSON.stringify(withdraw)})`).toBe(true);
    if (accept.ok) {
      expect(withdraw).toEqual({ ok: false, code: 'INVITE_NOT_PENDING' });
      expect(f).toMatchObject({ status: 'accepted', audit: ['invite.accepted'], events: ['invite.accepted'], memberships: 1 });
    } else {
      expect(accept).toEqual({ ok: false, code: 'INVITE_WITHDRAWN' });
      expect(f).toMatchObject({ status: 'withdrawn', audit: ['invite.withdrawn'], events: ['invite.withdrawn'], memberships: 0, acceptedUserId: null });
    }
    return accept.ok ? 'accept' : 'withdraw';
  }

  it('has exactly one winner in 10 free-running races, and the audit log and outbox match the final status', async () => {
    const winners: string[] = [];
    for (let i = 0; i < 10; i++) {
      // Half the accepts sign in (no password hashing, so they reach the database sooner).
      const account = i % 2 === 0 ? await existingAccount() : undefined;
      const created = await invite(account?.email ?? email('vs-withdraw'));
      const token = tokenOf(created.acceptUrl);
      const [accept, withdraw] = await Promise.all([
        settle(
          account
            ? t.client.call('invite.accept', { token }, { accessToken: account.session.accessToken })
            : t.client.call('invite.accept', newAccount(token)),
        ),
        settle(t.client.call('invite.withdraw', { orgId: org.orgId, inviteId: created.invite.id }, owner())),
      ]);
      winners.push(await expectOneWinner(created.invite.id, accept, withdraw));
    }
    expect(winners).toHaveLength(10);
  });

  it('lets a withdrawal that commits while the accept waits win: the accept gets INVITE_WITHDRAWN and no account is created', async () => {
    const who = email('withdrawn-first');
    const created = await invite(who);
    const { accept, withdraw } = await orgLocked(async () => {
      const accept = settle(t.client.call('invite.accept', newAccount(tokenOf(created.acceptUrl))));
      await lockWaiters(1); // the accept holds a valid token and waits for the seat lock
      const withdraw = await settle(t.client.call('invite.withdraw', { orgId: org.orgId, inviteId: created.invite.id }, owner()));
      expect(withdraw.ok).toBe(true);
      return { accept, withdraw };
    });
    expect(await expectOneWinner(created.invite.id, await accept, withdraw)).toBe('withdraw');
    expect(await t.sql(`select id from users where email = ?`, [who])).toEqual([]);
  });

  it('lets an accept that reaches the invite first win: the withdrawal gets INVITE_NOT_PENDING', async () => {
    const account = await existingAccount();
    const created = await invite(account.email);
    const { accept, withdraw } = await inviteLocked(created.invite.id, async () => {
      const accept = settle(t.client.call('invite.accept', { token: tokenOf(created.acceptUrl) }, { accessToken: account.session.accessToken }));
      await lockWaiters(1);
      const withdraw = settle(t.client.call('invite.withdraw', { orgId: org.orgId, inviteId: created.invite.id }, owner()));
      await lockWaiters(2);
      return { accept, withdraw };
    });
    expect(await expectOneWinner(created.invite.id, await accept, await withdraw)).toBe('accept');
  });

  it('lets a withdrawal queued before an accept on the invite row win, without a deadlock on the seat lock', async () => {
    // The accept takes the seat lock, then waits for the invite row behind the withdrawal;
    // the withdrawal's audit entry references the org, so its foreign-key check must not
    // wait for the accept's seat lock.
    const account = await existingAccount();
    const created = await invite(account.email);
    const { accept, withdraw } = await inviteLocked(created.invite.id, async () => {
      const withdraw = settle(t.client.call('invite.withdraw', { orgId: org.orgId, inviteId: created.invite.id }, owner()));
      await lockWaiters(1);
      const accept = settle(t.client.call('invite.accept', { token: tokenOf(created.acceptUrl) }, { accessToken: account.session.accessToken }));
      await lockWaiters(2);
      return { accept, withdraw };
    });
    expect(await expectOneWinner(created.invite.id, await accept, await withdraw)).toBe('withdraw');
  });
});

describe('accept racing resend', () => {
  async function expectOneWinner(inviteId: string, accept: Awaited<ReturnType<typeof settle>>, resend: Awaited<ReturnType<typeof settle>>) {
    const f = await fate(inviteId);
    expect(accept.ok !== resend.ok, `exactly one wins (accept ${JSON.stringify(accept)}, resend ${JSON.stringify(resend)})`).toBe(true);
    if (accept.ok) {
      expect(resend).toEqual({ ok: false, code: 'INVITE_NOT_PENDING' });
      expect(f).toMatchObject({ status: 'accepted', tokenVersion: 1, audit: ['invite.accepted'], events: ['invite.accepted'], memberships: 1 });
    } else {
      expect(accept).toEqual({ ok: false, code: 'INVITE_NOT_FOUND' });
      expect(f).toMatchObject({ status: 'pending', tokenVersion: 2, audit: ['invite.resent'], events: ['invite.resent'], memberships: 0 });
    }
    return accept.ok ? 'accept' : 'resend';
  }

  it('has exactly one winner in 10 free-running races: accepted with the resend refused, or re-sent with the old token dead', async () => {
    for (let i = 0; i < 10; i++) {
      const account = await existingAccount();
      const created = await invite(account.email);
      const [accept, resend] = await Promise.all([
        settle(t.client.call('invite.accept', { token: tokenOf(created.acceptUrl) }, { accessToken: account.session.accessToken })),
        settle(t.client.call('invite.resend', { orgId: org.orgId, inviteId: created.invite.id }, owner())),
      ]);
      const winner = await expectOneWinner(created.invite.id, accept, resend);
      if (winner === 'resend' && resend.ok) {
        // The new link works.
        const link = (resend.value as { acceptUrl: string }).acceptUrl;
        await t.client.call('invite.accept', { token: tokenOf(link) }, { accessToken: account.session.accessToken });
        expect((await fate(created.invite.id)).status).toBe('accepted');
      }
    }
  });

  it('lets an accept queued before a resend on the seat lock win, without a deadlock', async () => {
    const account = await existingAccount();
    const created = await invite(account.email);
    const { accept, resend } = await orgLocked(async () => {
      const accept = settle(t.client.call('invite.accept', { token: tokenOf(created.acceptUrl) }, { accessToken: account.session.accessToken }));
      await lockWaiters(1);
      const resend = settle(t.client.call('invite.resend', { orgId: org.orgId, inviteId: created.invite.id }, owner()));
      await lockWaiters(2);
      return { accept, resend };
    });
    expect(await expectOneWinner(created.invite.id, await accept, await resend)).toBe('accept');
  });

  it('lets a resend queued before an accept on the invite row win, without a deadlock', async () => {
    const account = await existingAccount();
    const created = await invite(account.email);
    const { accept, resend } = await inviteLocked(created.invite.id, async () => {
      const resend = settle(t.client.call('invite.resend', { orgId: org.orgId, inviteId: created.invite.id }, owner()));
      await lockWaiters(1);
      const accept = settle(t.client.call('invite.accept', { token: tokenOf(created.acceptUrl) }, { accessToken: account.session.accessToken }));
      await lockWaiters(2);
      return { accept, resend };
    });
    expect(await expectOneWinner(created.invite.id, await accept, await resend)).toBe('resend');
  });
});

describe('accept racing expiry', () => {
  it('refuses an accept after expires_at has passed with INVITE_EXPIRED, creates nothing, and the sweeper then expires it once', async () => {
    const who = email('overdue');
    const created = await invite(who);
    await t.sql(`update invites set expires_at = now() - interval '1 second' where id = ?`, [created.invite.id]);
    await expect(t.client.call('invite.accept', newAccount(tokenOf(created.acceptUrl)))).rejects.toMatchObject({ code: 'INVITE_EXPIRED' });
    expect(await t.sql(`select id from users where email = ?`, [who])).toEqual([]);
    expect(await fate(created.invite.id)).toMatchObject({ status: 'pending', audit: [], events: [], memberships: 0 });

    await t.app.sweeper.sweep();
    await t.app.sweeper.sweep();
    expect(await fate(created.invite.id)).toMatchObject({ status: 'expired', audit: ['invite.expired'], events: ['invite.expired'], memberships: 0 });
    await expect(t.client.call('invite.accept', newAccount(tokenOf(created.acceptUrl)))).rejects.toMatchObject({ code: 'INVITE_EXPIRED' });
  });

  it('lets an accept win over a concurrent sweep while the invite is still valid, and a later sweep never expires the accepted invite', async () => {
    const created = await invite(email('in-time'));
    await t.sql(`update invites set expires_at = now() + interval '1 second' where id = ?`, [created.invite.id]);
    const [accept] = await Promise.all([settle(t.client.call('invite.accept', newAccount(tokenOf(created.acceptUrl)))), t.app.sweeper.sweep()]);
    expect(accept.ok).toBe(true);
    // Even once its expiry has passed, an accepted invite is not the sweeper's.
    await t.sql(`update invites set expires_at = now() - interval '1 hour' where id = ?`, [created.invite.id]);
    await t.app.sweeper.sweep();
    expect(await fate(created.invite.id)).toMatchObject({ status: 'accepted', audit: ['invite.accepted'], events: ['invite.accepted'], memberships: 1 });
  });

  it('lets a sweep that commits while the accept waits win: the accept gets INVITE_EXPIRED and no account is created', async () => {
    const who = email('swept');
    const created = await invite(who);
    const accept = await orgLocked(async () => {
      const accept = settle(t.client.call('invite.accept', newAccount(tokenOf(created.acceptUrl))));
      await lockWaiters(1); // the token was valid when the accept started; it now waits for the seat lock
      await t.sql(`update invites set expires_at = now() - interval '1 second' where id = ?`, [created.invite.id]);
      expect(await t.app.sweeper.sweep()).toBeGreaterThanOrEqual(1);
      return { accept };
    }).then((r) => r.accept);
    expect(await accept).toEqual({ ok: false, code: 'INVITE_EXPIRED' });
    expect(await fate(created.invite.id)).toMatchObject({ status: 'expired', audit: ['invite.expired'], events: ['invite.expired'], memberships: 0 });
    expect(await t.sql(`select id from users where email = ?`, [who])).toEqual([]);
  });

  it('ends every invite expiring around the moment of a concurrent accept and sweep with one fate that the audit log agrees with', async () => {
    for (let i = 0; i < 10; i++) {
      const created = await invite(email('edge'));
      // From just past to just ahead: some accepts are too late, some sweeps too early.
      const offsetMs = (i - 5) * 40;
      await t.sql(`update invites set expires_at = now() + (? * interval '1 millisecond') where id = ?`, [offsetMs, created.invite.id]);
      const [accept] = await Promise.all([settle(t.client.call('invite.accept', newAccount(tokenOf(created.acceptUrl)))), t.app.sweeper.sweep()]);
      if (!accept.ok) expect(accept.code).toBe('INVITE_EXPIRED');
      // Whatever the sweep left pending is past its expiry by now or was accepted.
      await t.sql(`update invites set expires_at = least(expires_at, now() - interval '1 millisecond') where id = ? and status = 'pending'`, [
        created.invite.id,
      ]);
      await t.app.sweeper.sweep();
      const f = await fate(created.invite.id);
      if (accept.ok) {
        expect(f).toMatchObject({ status: 'accepted', audit: ['invite.accepted'], events: ['invite.accepted'], memberships: 1 });
      } else {
        expect(f).toMatchObject({ status: 'expired', audit: ['invite.expired'], events: ['invite.expired'], memberships: 0 });
      }
    }
  });
});
