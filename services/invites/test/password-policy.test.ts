import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError, passwordMinLength } from '@invite/contracts';
import { loadCommonPasswords, sortedList, weakPasswordReason } from '../src/domain/password-policy.ts';
import { email, orgWithOwner, tokenOf, startTestInvites, type OrgWithOwner, type TestInvites } from './harness.ts';

/** ASVS 6.2: an account's password is not common, repetitive or the account's own name. */

const context = { email: 'jane.doe@example.test', username: 'janedoe' };

describe('weakPasswordReason', () => {
  it.each([
    ['password1234', /commonly used/],
    ['PassWord1234', /commonly used/],
    ['qwertyuiopasdfgh', /commonly used/],
    ['iloveyou1234', /commonly used/],
    ['aaaaaaaaaaaa', /repeated/],
    ['ZZZZZZZZZZZZZZZZZZZZ', /repeated/],
    ['abcabcabcabc', /repeated/],
    ['1234123412341234', /repeated/],
    ['tiger!tiger!tiger!', /repeated/],
    ['abcdefghijklmnop', /consecutive/],
    ['1234567890123', /consecutive/],
    ['zyxwvutsrqponm', /consecutive/],
    ['aaaaaaaaaaab', /fewer than 5 different characters/],
    ['1212121212123', /fewer than 5 different characters/],
    ['my janedoe secret', /username/],
    ['MY-JANEDOE-SECRET', /username/],
    ['jane.doe rides at dawn', /email address/],
  ])('refuses %j (%s)', (password, reason) => {
    expect(weakPasswordReason(password, context)).toMatch(reason);
  });

  it.each(['correct horse battery staple', 'plum orchard under snow', 'Tr0ub4dor&3-xk!q', 'jane rides a blue bike'])('accepts %j', (password) => {
    expect(weakPasswordReason(password, context)).toBeUndefined();
  });

  it('ships the list with the code: tens of thousands of entries, each long enough to pass the length rule', () => {
    const common = loadCommonPasswords();
    expect(common.size).toBeGreaterThan(40_000);
    const entries = [...common];
    expect(entries.filter((entry) => Buffer.byteLength(entry) < passwordMinLength)).toEqual([]);
    expect(entries.filter((entry) => entry !== entry.toLowerCase())).toEqual([]);
    expect(common.has('password1234')).toBe(true);
  });

  it('finds exactly the listed entries: first, last, repeated, non-ASCII, prefixes and neighbours of entries', () => {
    const entries = ['mango', 'apple', 'kiwi', 'apple', 'zebra', 'éclair', 'a😀b', 'appl', 'applesauce', 'b'];
    const list = sortedList(entries);
    expect(list.size).toBe(9);
    for (const entry of entries) expect(list.has(entry)).toBe(true);
    for (const absent of ['', 'a', 'ap', 'apples', 'applf', 'kiwis', 'zebr', 'zz', 'eclair', 'a😀', 'a😁b', 'B']) expect(list.has(absent)).toBe(false);
    expect([...list]).toEqual([...new Set(entries)].sort());
    expect(sortedList([]).has('anything')).toBe(false);
  });
});

describe('invite.accept refuses a weak password for a new account', () => {
  let t: TestInvites;
  let org: OrgWithOwner;

  beforeAll(async () => {
    t = await startTestInvites('pwpolicy');
    org = await orgWithOwner(t, 10, 'Password Org');
  });
  afterAll(() => t?.close());

  it('with VALIDATION_FAILED naming /password and why, creating no account and leaving the invite pending', async () => {
    const who = email('weakpw');
    const created = await t.client.call('invite.create', { orgId: org.orgId, invite: { email: who, role: 'member' } }, { accessToken: org.owner.accessToken });
    const token = tokenOf(created.acceptUrl);
    const username = `weak${Math.random().toString(36).slice(2, 8)}`;
    const local = who.split('@')[0]!;
    const cases = [
      { password: 'Password1234', reason: /^This password is on a list of commonly used passwords; choose another$/ },
      { password: 'xxxxxxxxxxxxxxxx', reason: /repeated/ },
      { password: `${username}-is-me`, reason: /username/ },
      { password: `${local}!!`, reason: /email address/ },
    ];
    for (const { password, reason } of cases) {
      const error = await t.client.call('invite.accept', { token, name: 'Weak Person', username, password }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, password).toBeInstanceOf(DomainError);
      const refused = error as DomainError;
      expect(refused.code, password).toBe('VALIDATION_FAILED');
      expect(refused.status).toBe(400);
      expect(refused.detail).toMatch(reason);
      expect(refused.errors).toEqual([{ path: '/password', message: refused.detail.replace(/^This password /, '') }]);
    }
    expect(await t.sql(`select id from users where email = ?`, [who])).toEqual([]);
    expect(await t.sql(`select status from invites where id = ?`, [created.invite.id])).toEqual([{ status: 'pending' }]);
  });
});
