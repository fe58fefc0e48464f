import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError, hashToken } from '@invite/contracts';
import { email, orgWithOwner, password, resetTokenSentTo, startTestInvites, type OrgWithOwner, type TestInvites } from './harness.ts';

/**
 * Password reset by email (issue 14, item 3): a link to the account's address, single
 * use, stored hashed, sealed in the outbox; asking tells nothing about which addresses
 * have accounts; setting the password ends every session.
 */
let t: TestInvites;

beforeAll(async () => {
  t = await startTestInvites('pwreset', { PASSWORD_RESETS_PER_HOUR: '3' });
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

async function counts() {
  const [row] = await t.sql<Record<string, number>>(
    `select (select count(*) from password_resets)::int as resets, (select count(*) from outbox)::int as outbox,
            (select count(*) from audit_log)::int as audit, (select count(*) from users)::int as users`,
  );
  return row!;
}

const newPassword = 'lantern over the quiet harbour';

describe('asking for a link', () => {
  let account: OrgWithOwner;
  beforeAll(async () => {
    account = await orgWithOwner(t, 3, 'Reset Co');
  });

  it('answers the same for an address with an account and one without, and writes nothing for the latter', async () => {
    const before = await counts();
    const unknown = await t.client.call('auth.password-reset.request', { email: email('nobody') });
    expect(await counts()).toEqual(before);
    const known = await t.client.call('auth.password-reset.request', { email: account.ownerEmail.toUpperCase() });
    expect(known).toEqual(unknown);
    expect(known).toEqual({ linkValidMinutes: 30 });
    const after = await counts();
    expect(after).toMatchObject({ resets: before.resets! + 1, outbox: before.outbox! + 1, audit: before.audit! + 1 });
  });

  it('stores the token only as SHA-256 and sends it sealed through the outbox, audited without an organisation', async () => {
    await t.client.call('auth.password-reset.request', { email: account.ownerEmail, locale: 'de' });
    const token = await resetTokenSentTo(t, account.ownerEmail);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const [event] = await t.sql<{ subject: string; payload: string }>(
      `select subject, payload::text as payload from outbox where payload->>'type' = 'account.password-reset' order by created_at desc limit 1`,
    );
    expect(event!.subject).toBe(t.app.domain.names.accountEmail('password-reset'));
    expect(event!.payload).not.toContain(token);
    expect(JSON.parse(event!.payload)).toMatchObject({ email: account.ownerEmail, locale: 'de', userId: account.owner.user.id });
    expect(await t.sql(`select token_hash from password_resets where token_hash = ?`, [hashToken(token)])).toHaveLength(1);
    expect(await t.sql(`select 1 from password_resets where token_hash = ?`, [token])).toEqual([]);
    const [audit] = await t.sql<{ org_id: string | null; actor: string; target: string }>(
      `select org_id, actor, target from audit_log where action = 'account.password_reset_requested' order by at desc limit 1`,
    );
    expect(audit).toEqual({ org_id: null, actor: 'anonymous', target: `user:${account.owner.user.id}` });
  });

  it('sends an account at most PASSWORD_RESETS_PER_HOUR links an hour, answering the same beyond', async () => {
    const other = await orgWithOwner(t, 2, 'Capped');
    for (let i = 0; i < 3; i++) await t.client.call('auth.password-reset.request', { email: other.ownerEmail });
    const before = await counts();
    expect(await t.client.call('auth.password-reset.request', { email: other.ownerEmail })).toEqual({ linkValidMinutes: 30 });
    expect(await counts()).toEqual(before);
  });
});

describe('setting the new password with the link', () => {
  it('changes the password, ends every session of the account, kills its other links, is audited, and works once', async () => {
    const account = await orgWithOwner(t, 3, 'Sessions Co');
    const second = await t.client.call('auth.login', { email: account.ownerEmail, password });
    await t.client.call('auth.password-reset.request', { email: account.ownerEmail });
    const older = await resetTokenSentTo(t, account.ownerEmail);
    await t.client.call('auth.password-reset.request', { email: account.ownerEmail });
    const token = await resetTokenSentTo(t, account.ownerEmail);
    expect(token).not.toBe(older);

    expect(await t.client.call('auth.password-reset.confirm', { token, password: newPassword })).toEqual({});

    for (const session of [account.owner, second]) {
      expect((await failure(t.client.call('auth.me', {}, { accessToken: session.accessToken }))).code).toBe('UNAUTHENTICATED');
      expect((await failure(t.client.call('auth.refresh', { refreshToken: session.refreshToken }))).status).toBe(401);
    }
    expect((await failure(t.client.call('auth.login', { email: account.ownerEmail, password }))).code).toBe('INVALID_CREDENTIALS');
    const fresh = await t.client.call('auth.login', { email: account.ownerEmail, password: newPassword });
    expect(fresh.user.id).toBe(account.owner.user.id);

    for (const used of [token, older]) {
      expect((await failure(t.client.call('auth.password-reset.confirm', { token: used, password: 'another long passphrase' }))).code).toBe('PASSWORD_RESET_LINK_INVALID');
    }
    const [audit] = await t.sql<{ org_id: string | null; actor: string }>(`select org_id, actor from audit_log where action = 'account.password_reset' and target = ?`, [
      `user:${account.owner.user.id}`,
    ]);
    expect(audit).toEqual({ org_id: null, actor: `user:${account.owner.user.id}` });
  });

  it('refuses a weak password (400 naming /password) and keeps the link usable; refuses an expired or unknown link (410)', async () => {
    const account = await orgWithOwner(t, 3, 'Weak Co');
    await t.client.call('auth.password-reset.request', { email: account.ownerEmail });
    const token = await resetTokenSentTo(t, account.ownerEmail);
    const weak = await failure(t.client.call('auth.password-reset.confirm', { token, password: 'Password1234' }));
    expect(weak.code).toBe('VALIDATION_FAILED');
    expect(weak.errors?.map((e) => e.path)).toEqual(['/password']);
    expect(await t.client.call('auth.login', { email: account.ownerEmail, password })).toMatchObject({ user: { id: account.owner.user.id } });

    await t.sql(`update password_resets set expires_at = now() - interval '1 second' where token_hash = ?`, [hashToken(token)]);
    expect((await failure(t.client.call('auth.password-reset.confirm', { token, password: newPassword }))).code).toBe('PASSWORD_RESET_LINK_INVALID');
    expect((await failure(t.client.call('auth.password-reset.confirm', { token: 'A'.repeat(43), password: newPassword }))).status).toBe(410);
    expect(await t.client.call('auth.login', { email: account.ownerEmail, password })).toMatchObject({ user: { id: account.owner.user.id } });
  });

  it('lets one of two concurrent confirmations win', async () => {
    const account = await orgWithOwner(t, 3, 'Race Co');
    await t.client.call('auth.password-reset.request', { email: account.ownerEmail });
    const token = await resetTokenSentTo(t, account.ownerEmail);
    const outcomes = await Promise.allSettled([
      t.client.call('auth.password-reset.confirm', { token, password: newPassword }),
      t.client.call('auth.password-reset.confirm', { token, password: 'a different long passphrase' }),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const loser = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(loser.reason).toMatchObject({ code: 'PASSWORD_RESET_LINK_INVALID' });
    const [row] = await t.sql<{ n: number }>(`select count(*)::int as n from audit_log where action = 'account.password_reset' and target = ?`, [`user:${account.owner.user.id}`]);
    expect(row!.n).toBe(1);
  });
});
