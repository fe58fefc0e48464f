import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError, signAccessToken, type AccessClaims, type TokenPair } from '@invite/contracts';
import { hashPassword, passwordHashOptions, verifyPassword } from '../src/domain/passwords.ts';
import { email, orgWithOwner, password, startTestInvites, type OrgWithOwner, type TestInvites } from './harness.ts';

let t: TestInvites;
let org: OrgWithOwner;

beforeAll(async () => {
  t = await startTestInvites('auth');
  org = await orgWithOwner(t, 10);
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

const login = () => t.client.call('auth.login', { email: org.ownerEmail, password });
const me = (pair: Pick<TokenPair, 'accessToken'>) => t.client.call('auth.me', {}, { accessToken: pair.accessToken });
const refresh = (refreshToken: string) => t.client.call('auth.refresh', { refreshToken });

/** The claims of an access token, read without verifying (the test only needs sub and sid). */
function claimsOf(accessToken: string): AccessClaims {
  return JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString('utf8')) as AccessClaims;
}

describe('signing in', () => {
  it('answers a wrong password and an unknown email alike with INVALID_CREDENTIALS', async () => {
    const wrong = await failure(t.client.call('auth.login', { email: org.ownerEmail, password: 'not the right password' }));
    const unknown = await failure(t.client.call('auth.login', { email: email('nobody'), password }));
    expect(wrong.code).toBe('INVALID_CREDENTIALS');
    expect(unknown.code).toBe('INVALID_CREDENTIALS');
    expect(unknown.detail).toBe(wrong.detail);
    // The right password in any letter case of the email works.
    const ok = await t.client.call('auth.login', { email: org.ownerEmail.toUpperCase(), password });
    expect(ok.user.email).toBe(org.ownerEmail);
  });

  it('signs in with the username chosen at sign-up too, in any letter case', async () => {
    const username = org.owner.user.username;
    const pair = await t.client.call('auth.login', { email: username.toUpperCase(), password });
    expect(pair.user.id).toBe(org.owner.user.id);
    await expect(t.client.call('auth.login', { email: username, password: 'not the password 123' })).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    await expect(t.client.call('auth.login', { email: `${username}-nobody`, password })).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
  });

  it('does not create a session for a failed sign-in', async () => {
    const [before] = await t.sql<{ n: number }>(`select count(*)::int as n from refresh_tokens`);
    await failure(t.client.call('auth.login', { email: org.ownerEmail, password: 'not the right password' }));
    const [after] = await t.sql<{ n: number }>(`select count(*)::int as n from refresh_tokens`);
    expect(after!.n).toBe(before!.n);
  });
});

describe('refresh tokens', () => {
  it('returns a rotated pair whose new refresh token works in turn', async () => {
    const first = await login();
    const second = await refresh(first.refreshToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.user.id).toBe(first.user.id);
    expect(claimsOf(second.accessToken).sid).toBe(claimsOf(first.accessToken).sid);
    expect((await me(second)).user.id).toBe(first.user.id);

    const third = await refresh(second.refreshToken);
    expect(third.refreshToken).not.toBe(second.refreshToken);
    expect((await me(third)).user.email).toBe(org.ownerEmail);
  });

  it('refuses a rotated refresh token with REFRESH_TOKEN_REUSED and revokes the whole family', async () => {
    const other = await login(); // another session of the same user
    const first = await login();
    const second = await refresh(first.refreshToken);
    const third = await refresh(second.refreshToken);

    const reused = await failure(refresh(first.refreshToken));
    expect(reused.code).toBe('REFRESH_TOKEN_REUSED');

    // The newest refresh token of the family is dead too…
    const newest = await failure(refresh(third.refreshToken));
    expect(['REFRESH_TOKEN_REUSED', 'INVALID_REFRESH_TOKEN']).toContain(newest.code);
    // …and so are the family's access tokens, before their own expiry.
    expect((await failure(me(third))).code).toBe('UNAUTHENTICATED');
    expect((await failure(me(first))).code).toBe('UNAUTHENTICATED');

    const family = claimsOf(first.accessToken).sid;
    const live = await t.sql(`select hash from refresh_tokens where family = ? and revoked_at is null`, [family]);
    expect(live).toEqual([]);

    // Another sign-in of the same user is a different family and keeps working.
    expect((await me(other)).user.id).toBe(first.user.id);
    const otherRotated = await refresh(other.refreshToken);
    expect((await me(otherRotated)).user.id).toBe(first.user.id);
  });

  it('refuses an unknown refresh token with INVALID_REFRESH_TOKEN', async () => {
    const error = await failure(refresh('x'.repeat(43)));
    expect(error.code).toBe('INVALID_REFRESH_TOKEN');
  });
});

describe('logout', () => {
  it("ends that session's access token at once while another session of the same user keeps working", async () => {
    const kept = await login();
    const ended = await login();
    expect((await me(ended)).user.email).toBe(org.ownerEmail);

    await t.client.call('auth.logout', {}, { accessToken: ended.accessToken });
    expect((await failure(me(ended))).code).toBe('UNAUTHENTICATED');
    expect((await failure(refresh(ended.refreshToken))).status).toBe(401);

    expect((await me(kept)).user.email).toBe(org.ownerEmail);
    const rotated = await refresh(kept.refreshToken);
    expect((await me(rotated)).user.email).toBe(org.ownerEmail);
  });
});

describe('auth.check', () => {
  const check = (pair: Pick<TokenPair, 'accessToken'>, minimumRole: 'owner' | 'admin' | 'member') =>
    t.client.call('auth.check', { orgId: org.orgId, minimumRole }, { accessToken: pair.accessToken });

  it('passes a live session holding the role, refuses a lower role with FORBIDDEN and an ended session with UNAUTHENTICATED', async () => {
    const session = await login();
    expect(await check(session, 'admin')).toEqual({ userId: org.owner.user.id, orgId: org.orgId, role: 'owner' });
    expect(await check(session, 'owner')).toMatchObject({ role: 'owner' });

    await t.sql(`update memberships set role = 'admin' where org_id = ? and user_id = ?`, [org.orgId, org.owner.user.id]);
    try {
      expect((await failure(check(session, 'owner'))).code).toBe('FORBIDDEN');
      expect(await check(session, 'member')).toMatchObject({ role: 'admin' });
    } finally {
      await t.sql(`update memberships set role = 'owner' where org_id = ? and user_id = ?`, [org.orgId, org.owner.user.id]);
    }

    await t.client.call('auth.logout', {}, { accessToken: session.accessToken });
    expect((await failure(check(session, 'member'))).code).toBe('UNAUTHENTICATED');
  });
});

describe('access tokens', () => {
  it('refuses a token signed with another Ed25519 key with UNAUTHENTICATED', async () => {
    const session = await login();
    const claims = claimsOf(session.accessToken);
    const ours = signAccessToken(t.app.domain.signingKey, { sub: claims.sub, sid: claims.sid!, scope: 'user' }, 300);
    expect((await me({ accessToken: ours })).user.id).toBe(claims.sub); // control: the same claims, our key

    const { privateKey } = generateKeyPairSync('ed25519');
    const forged = signAccessToken(privateKey, { sub: claims.sub, sid: claims.sid!, scope: 'user' }, 300);
    expect((await failure(me({ accessToken: forged }))).code).toBe('UNAUTHENTICATED');
    const forgedOperator = signAccessToken(privateKey, { sub: 'operator', scope: 'operator' }, 300);
    expect((await failure(t.client.call('org.usage', { orgId: org.orgId }, { accessToken: forgedOperator }))).code).toBe('UNAUTHENTICATED');
  });

  it('refuses an expired access token with UNAUTHENTICATED', async () => {
    const session = await login();
    const claims = claimsOf(session.accessToken);
    const anHourAgo = Date.now() - 3_600_000;
    const expired = signAccessToken(t.app.domain.signingKey, { sub: claims.sub, sid: claims.sid!, scope: 'user' }, 60, anHourAgo);
    expect((await failure(me({ accessToken: expired }))).code).toBe('UNAUTHENTICATED');
    expect((await failure(t.client.call('org.usage', { orgId: org.orgId }, { accessToken: expired }))).code).toBe('UNAUTHENTICATED');
    expect((await me(session)).user.id).toBe(claims.sub); // the session itself is alive
  });

  it('refuses a request needing a user without a token, and a malformed token', async () => {
    expect((await failure(t.client.call('auth.me', {}))).code).toBe('UNAUTHENTICATED');
    expect((await failure(me({ accessToken: 'not.a.token' }))).code).toBe('UNAUTHENTICATED');
  });
});

describe('invariant 10: passwords', () => {
  it("stores argon2id with at least OWASP's parameters (m=19456, t=2, p=1)", async () => {
    const rows = await t.sql<{ password_hash: string }>(`select password_hash from users where email = ?`, [org.ownerEmail]);
    const hash = rows[0]!.password_hash;
    // The argon2 package writes the PHC parameters as m,p,t; read them in any order.
    const match = /^\$argon2id\$v=19\$([a-z]=\d+(?:,[a-z]=\d+)*)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/.exec(hash);
    expect(match, hash).not.toBeNull();
    const params = Object.fromEntries(match![1]!.split(',').map((kv) => [kv[0]!, Number(kv.slice(2))]));
    expect(params.m).toBeGreaterThanOrEqual(19_456);
    expect(params.t).toBeGreaterThanOrEqual(2);
    expect(params.p).toBeGreaterThanOrEqual(1);
    expect(hash).not.toContain(password);
    expect(passwordHashOptions.memoryCost).toBeGreaterThanOrEqual(19_456);
  });

  it('hashes off the event loop: timers keep firing while four hashes are in flight', async () => {
    let ticks = 0;
    const timer = setInterval(() => {
      ticks += 1;
    }, 1);
    try {
      await Promise.all([1, 2, 3, 4].map((i) => hashPassword(`a password number ${i}`)));
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThanOrEqual(5);
  });

  it('verifies passwords off the event loop: immediates keep running while four sign-in checks are in flight', async () => {
    const [row] = await t.sql<{ password_hash: string }>(`select password_hash from users where email = ?`, [org.ownerEmail]);
    let ticks = 0;
    let spinning = true;
    const tick = () => {
      ticks += 1;
      if (spinning) setImmediate(tick);
    };
    setImmediate(tick);
    let results: boolean[];
    try {
      results = await Promise.all([password, password, 'wrong password 1', 'wrong password 2'].map((p) => verifyPassword(row!.password_hash, p)));
    } finally {
      spinning = false;
    }
    expect(results).toEqual([true, true, false, false]);
    expect(ticks).toBeGreaterThanOrEqual(5);
  });
});
