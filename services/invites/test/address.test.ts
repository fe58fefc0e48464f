import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError, type InviteWithLink } from '@invite/contracts';
import { createOrg } from '../src/domain/org.commands.ts';
import { codeSentFor as codeSent, email, emailedProof, operatorContext, orgWithOwner, password, startTestInvites, tokenOf, type OrgWithOwner, type TestInvites } from './harness.ts';

/**
 * Address squatting and the account existence leak (issue 14, items 3 and 5): an
 * inviter holds a copy of the link (the create and resend replies carry it). That copy
 * must neither create an account for the invited address nor tell whether the address
 * has one. Only the emailed link (its address proof) or a code emailed to the address
 * does both.
 */
let t: TestInvites;
let org: OrgWithOwner;

beforeAll(async () => {
  t = await startTestInvites('address', { ADDRESS_CODE_COOLDOWN_SECONDS: '0', ADDRESS_CODES_PER_DAY: '3', ADDRESS_CODE_MAX_ATTEMPTS: '3' });
  org = await orgWithOwner(t, 50, 'Squat Co');
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

function invite(who = email('invitee')): Promise<InviteWithLink> {
  return t.client.call('invite.create', { orgId: org.orgId, invite: { email: who, role: 'member' } }, { accessToken: org.owner.accessToken });
}

/** Someone with an account already: the owner of another org. */
function existingAccount(): Promise<OrgWithOwner> {
  return orgWithOwner(t, 5, 'Elsewhere');
}

function newAccount(token: string, proof?: string) {
  return { token, ...(proof ? { proof } : {}), name: 'Mallory', username: `u${Math.random().toString(36).slice(2, 10)}`, password };
}

/** The code of the newest address-code email of an invite. */
function codeSentFor(inviteId: string): Promise<string> {
  return codeSent(t, inviteId);
}

async function accountsFor(address: string): Promise<number> {
  const [row] = await t.sql<{ n: number }>(`select count(*)::int as n from users where email = ?`, [address.toLowerCase()]);
  return row!.n;
}

describe("the inviter's copy of the link", () => {
  it('regression: lookup no longer tells whether the address has an account', async () => {
    const existing = await existingAccount();
    const fresh = await invite();
    const taken = await invite(existing.ownerEmail);
    const a = await t.client.call('invite.lookup', { token: tokenOf(fresh.acceptUrl) });
    const b = await t.client.call('invite.lookup', { token: tokenOf(taken.acceptUrl) });
    expect(a).toMatchObject({ accountExists: null, addressVerified: false });
    expect(b).toMatchObject({ accountExists: null, addressVerified: false });
    expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  });

  it('regression: cannot create an account for the invited address (403 ADDRESS_NOT_VERIFIED), and changes nothing', async () => {
    const victim = email('victim');
    const created = await invite(victim);
    const error = await failure(t.client.call('invite.accept', newAccount(tokenOf(created.acceptUrl))));
    expect(error.code).toBe('ADDRESS_NOT_VERIFIED');
    expect(error.status).toBe(403);
    expect(await accountsFor(victim)).toBe(0);
    const [row] = await t.sql<{ status: string }>(`select status from invites where id = ?`, [created.invite.id]);
    expect(row!.status).toBe('pending');
  });

  it('gets the same answer whether or not the address has an account', async () => {
    const existing = await existingAccount();
    const fresh = await invite();
    const taken = await invite(existing.ownerEmail);
    for (const body of [(token: string) => newAccount(token), (token: string) => ({ token })]) {
      const a = await failure(t.client.call('invite.accept', body(tokenOf(fresh.acceptUrl))));
      const b = await failure(t.client.call('invite.accept', body(tokenOf(taken.acceptUrl))));
      expect([a.code, a.detail]).toEqual([b.code, b.detail]);
      expect(a.code).not.toBe('ACCOUNT_EXISTS');
    }
  });

  it('still accepts for an existing account whose owner signs in (the password proves the person)', async () => {
    const existing = await existingAccount();
    const created = await invite(existing.ownerEmail);
    const accepted = await t.client.call('invite.accept', { token: tokenOf(created.acceptUrl) }, { accessToken: existing.owner.accessToken });
    expect(accepted.user.email).toBe(existing.ownerEmail);
  });

  it('a proof of another link does not count', async () => {
    const one = await invite();
    const other = await invite();
    const token = tokenOf(one.acceptUrl);
    const wrong = emailedProof(tokenOf(other.acceptUrl));
    expect(await t.client.call('invite.lookup', { token, proof: wrong })).toMatchObject({ accountExists: null, addressVerified: false });
    expect((await failure(t.client.call('invite.accept', newAccount(token, wrong)))).code).toBe('ADDRESS_NOT_VERIFIED');
  });
});

describe('the emailed link (token and address proof)', () => {
  it('tells the holder whether to sign in or create an account, and creates the account', async () => {
    const existing = await existingAccount();
    const fresh = await invite();
    const token = tokenOf(fresh.acceptUrl);
    expect(await t.client.call('invite.lookup', { token, proof: emailedProof(token) })).toMatchObject({ accountExists: false, addressVerified: true });
    const taken = await invite(existing.ownerEmail);
    const takenToken = tokenOf(taken.acceptUrl);
    expect(await t.client.call('invite.lookup', { token: takenToken, proof: emailedProof(takenToken) })).toMatchObject({ accountExists: true, addressVerified: true });
    expect((await failure(t.client.call('invite.accept', newAccount(takenToken, emailedProof(takenToken))))).code).toBe('ACCOUNT_EXISTS');

    const accepted = await t.client.call('invite.accept', newAccount(token, emailedProof(token)));
    expect(accepted.user.email).toBe(fresh.invite.email);
  });

  it('dies with its token: after a resend the old proof proves nothing', async () => {
    const created = await invite();
    const oldProof = emailedProof(tokenOf(created.acceptUrl));
    const resent = await t.client.call('invite.resend', { orgId: org.orgId, inviteId: created.invite.id }, { accessToken: org.owner.accessToken });
    const token = tokenOf(resent.acceptUrl);
    expect((await failure(t.client.call('invite.accept', newAccount(token, oldProof)))).code).toBe('ADDRESS_NOT_VERIFIED');
    expect((await t.client.call('invite.accept', newAccount(token, emailedProof(token)))).user.email).toBe(created.invite.email);
  });

  it("is what the operator's bootstrap link is: the operator vouches for the owner's address", async () => {
    const ownerEmail = email('boot');
    const created = await createOrg(operatorContext(t), { name: 'Booted', seatLimit: 3, ownerEmail });
    const link = new URLSearchParams(new URL(created.ownerInvite.acceptUrl).hash.slice(1));
    expect(link.get('proof')).toBe(emailedProof(link.get('token')!));
  });
});

describe('a code emailed to the address', () => {
  it('is queued sealed in the outbox, audited, and once typed back buys the proof that creates the account', async () => {
    const created = await invite();
    const token = tokenOf(created.acceptUrl);
    const sent = await t.client.call('invite.address.send-code', { token });
    expect(sent.email).toBe(created.invite.email);
    expect(Date.parse(sent.expiresAt) - Date.now()).toBeGreaterThan(9 * 60_000);

    const code = await codeSentFor(created.invite.id);
    expect(code).toMatch(/^[0-9]{6}$/);
    const [stored] = await t.sql<{ payload: string; hash: string }>(
      `select o.payload::text as payload, c.code_hash as hash from outbox o, address_codes c
        where o.payload->>'inviteId' = ? and o.payload->>'type' = 'invite.address-code' and c.invite_id = ?`,
      [created.invite.id, created.invite.id],
    );
    expect(stored!.payload).not.toContain(code);
    expect(stored!.hash).not.toContain(code);

    const wrong = code === '000000' ? '000001' : '000000';
    const miss = await failure(t.client.call('invite.address.confirm', { token, code: wrong }));
    expect(miss).toMatchObject({ code: 'VERIFICATION_CODE_INVALID', status: 403 });
    expect(miss.detail).toContain('2 tries left');

    const confirmed = await t.client.call('invite.address.confirm', { token, code });
    expect(confirmed).toEqual({ proof: emailedProof(token), accountExists: false });
    // Used once.
    expect((await failure(t.client.call('invite.address.confirm', { token, code }))).code).toBe('VERIFICATION_CODE_EXPIRED');

    const accepted = await t.client.call('invite.accept', newAccount(token, confirmed.proof));
    expect(accepted.user.email).toBe(created.invite.email);
    const audit = await t.sql<{ action: string; actor: string }>(`select action, actor from audit_log where target = ? order by at, id`, [`invite:${created.invite.id}`]);
    expect(audit.map((a) => a.action)).toEqual([
      'invite.created',
      'invite.address_code_sent',
      'invite.address_code_failed',
      'invite.address_verified',
      'invite.accepted',
    ]);
    expect(audit[1]!.actor).toBe('invitee');
  });

  it('tells a proven holder that the address has an account', async () => {
    const existing = await existingAccount();
    const created = await invite(existing.ownerEmail);
    const token = tokenOf(created.acceptUrl);
    await t.client.call('invite.address.send-code', { token });
    expect(await t.client.call('invite.address.confirm', { token, code: await codeSentFor(created.invite.id) })).toMatchObject({ accountExists: true });
  });

  it('stops working after the allowed wrong tries, after its expiry, and after a resend', async () => {
    const created = await invite();
    const token = tokenOf(created.acceptUrl);
    await t.client.call('invite.address.send-code', { token });
    const code = await codeSentFor(created.invite.id);
    const wrong = code === '111111' ? '222222' : '111111';
    for (let i = 0; i < 3; i++) expect((await failure(t.client.call('invite.address.confirm', { token, code: wrong }))).code).toBe('VERIFICATION_CODE_INVALID');
    expect((await failure(t.client.call('invite.address.confirm', { token, code }))).code).toBe('VERIFICATION_CODE_EXPIRED');

    await t.client.call('invite.address.send-code', { token });
    await t.sql(`update address_codes set expires_at = now() - interval '1 second' where invite_id = ?`, [created.invite.id]);
    expect((await failure(t.client.call('invite.address.confirm', { token, code: await codeSentFor(created.invite.id) }))).code).toBe('VERIFICATION_CODE_EXPIRED');

    const other = await invite();
    const otherToken = tokenOf(other.acceptUrl);
    await t.client.call('invite.address.send-code', { token: otherToken });
    const beforeResend = await codeSentFor(other.invite.id);
    const resent = await t.client.call('invite.resend', { orgId: org.orgId, inviteId: other.invite.id }, { accessToken: org.owner.accessToken });
    expect((await failure(t.client.call('invite.address.confirm', { token: otherToken, code: beforeResend }))).code).toBe('INVITE_NOT_FOUND');
    expect((await failure(t.client.call('invite.address.confirm', { token: tokenOf(resent.acceptUrl), code: beforeResend }))).code).toBe('VERIFICATION_CODE_EXPIRED');
  });

  it('is sent at most ADDRESS_CODES_PER_DAY times per invite (429 with a retry time), and never for a closed invite', async () => {
    const created = await invite();
    const token = tokenOf(created.acceptUrl);
    for (let i = 0; i < 3; i++) await t.client.call('invite.address.send-code', { token });
    const limited = await failure(t.client.call('invite.address.send-code', { token }));
    expect(limited.code).toBe('RATE_LIMITED');
    expect(limited.retryAfter).toBeGreaterThan(23 * 3600);
    const [count] = await t.sql<{ n: number }>(`select count(*)::int as n from outbox where payload->>'inviteId' = ? and payload->>'type' = 'invite.address-code'`, [created.invite.id]);
    expect(count!.n).toBe(3);

    const declined = await invite();
    await t.client.call('invite.decline', { token: tokenOf(declined.acceptUrl) });
    expect((await failure(t.client.call('invite.address.send-code', { token: tokenOf(declined.acceptUrl) }))).code).toBe('INVITE_ALREADY_USED');
  });

  it('waits ADDRESS_CODE_COOLDOWN_SECONDS between two codes', async () => {
    const slow = await startTestInvites('addresscool', { ADDRESS_CODE_COOLDOWN_SECONDS: '60' });
    try {
      const o = await orgWithOwner(slow, 5);
      const created = await slow.client.call('invite.create', { orgId: o.orgId, invite: { email: email('cool'), role: 'member' } }, { accessToken: o.owner.accessToken });
      await slow.client.call('invite.address.send-code', { token: tokenOf(created.acceptUrl) });
      const error = await failure(slow.client.call('invite.address.send-code', { token: tokenOf(created.acceptUrl) }));
      expect(error.code).toBe('RATE_LIMITED');
      expect(error.retryAfter).toBeGreaterThan(50);
    } finally {
      await slow.close();
    }
  });
});
