import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createAddressProofs,
  CreateInviteRequest,
  DomainError,
  createTokenCipher,
  hashToken,
  natsNames,
  newInviteToken,
  parse,
  parseRequest,
  requestErrors,
  signAccessToken,
  textErrors,
  uuidv7,
  verifyAccessToken,
} from '../src/index.ts';

describe('request validation', () => {
  it('rejects unknown fields, bad formats and missing fields with one error per path', () => {
    const bad = { orgId: 'not-a-uuid', invite: { email: 'nope', role: 'king', extra: true } };
    const error = (() => {
      try {
        parse(CreateInviteRequest, bad);
      } catch (e) {
        return e;
      }
    })() as DomainError;
    expect(error).toBeInstanceOf(DomainError);
    expect(error.code).toBe('VALIDATION_FAILED');
    const paths = Object.fromEntries(error.errors!.map((e) => [e.path, e.message]));
    expect(paths['/orgId']).toMatch(/uuid/i);
    expect(paths['/invite/email']).toMatch(/email/);
    expect(paths['/invite/role']).toBe('must be one of: owner, admin, member');
    expect(paths['/invite/extra']).toBe('is not a known field');
  });

  it('accepts a valid request unchanged', () => {
    const ok = { orgId: uuidv7(), invite: { email: 'a@example.com', role: 'member' } };
    expect(parse(CreateInviteRequest, ok)).toBe(ok);
  });
});

describe('text from outside', () => {
  it('names every string and key holding a NUL or a lone surrogate, at any depth', () => {
    const value = { a: 'ok', b: ['fine', 'x\u0000y'], c: { d: '\uD800', e: 'emoji 🎉 is whole' }, 'k\u0000ey': 1, 'a/b': '\uDC00' };
    expect(textErrors(value, '/body')).toEqual([
      { path: '/body/b/1', message: expect.stringMatching(/NUL/) },
      { path: '/body/c/d', message: expect.stringMatching(/surrogate/) },
      { path: '/body/k\\u0000ey', message: expect.stringMatching(/^is a field name that contains a NUL/) },
      { path: '/body/a~1b', message: expect.stringMatching(/surrogate/) },
    ]);
    expect(textErrors('\uDE00\uD83D')).toEqual([{ path: '/', message: expect.stringMatching(/surrogate/) }]);
    expect(textErrors({ text: 'a\uD83D\uDE00b', n: 5, none: null })).toEqual([]);
  });

  it('walks a deeply nested value without overflowing the stack, and stops at a bound', () => {
    let deep: unknown = 'x\u0000';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(textErrors(deep)).toHaveLength(1);
    expect(textErrors(Array.from({ length: 100 }, () => '\u0000'))).toHaveLength(20);
  });

  it('parseRequest refuses what parse lets through, text errors first', () => {
    const request = { orgId: uuidv7(), invite: { email: 'a@example.com', role: 'member', message: 'hi\u0000' } };
    expect(parse(CreateInviteRequest, request)).toBe(request);
    expect(() => parseRequest(CreateInviteRequest, request)).toThrow(/\/invite\/message contains a NUL/);
    expect(requestErrors(CreateInviteRequest, { ...request, orgId: 'x\u0000' }).map((e) => e.path)).toEqual(['/orgId', '/invite/message']);
    const ok = { orgId: uuidv7(), invite: { email: 'a@example.com', role: 'member', message: 'ça 🎉' } };
    expect(parseRequest(CreateInviteRequest, ok)).toBe(ok);
  });
});

describe('token cipher', () => {
  const cipher = createTokenCipher(Buffer.alloc(32, 7).toString('base64'));

  it('round-trips a token bound to its invite', () => {
    const token = newInviteToken();
    const sealed = cipher.encrypt(token, 'invite-1');
    expect(sealed).not.toContain(token);
    expect(cipher.decrypt(sealed, 'invite-1')).toBe(token);
    expect(() => cipher.decrypt(sealed, 'invite-2')).toThrow();
  });

  it('makes 43-character tokens and 64-character hashes', () => {
    const token = newInviteToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(hashToken(token)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('address proofs', () => {
  const key = Buffer.alloc(32, 7).toString('base64');
  const proofs = createAddressProofs(key);

  it('prove one token under one key, and nothing else', () => {
    const token = newInviteToken();
    const proof = proofs.proofOf(token);
    expect(proof).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(proofs.verify(token, proof)).toBe(true);
    expect(proofs.verify(newInviteToken(), proof)).toBe(false);
    expect(createAddressProofs(Buffer.alloc(32, 8).toString('base64')).verify(token, proof)).toBe(false);
    expect(proofs.verify(token, proof.slice(1))).toBe(false);
    // Not derivable from what the inviter sees: the token, its SHA-256, its sealed form.
    expect([token, hashToken(token)]).not.toContain(proof);
    expect(createTokenCipher(key).encrypt(token, 'invite-1')).not.toContain(proof);
  });
});

describe('access tokens', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const other = generateKeyPairSync('ed25519');

  it('verifies what it signed and refuses forgeries and expired tokens', () => {
    const token = signAccessToken(privateKey, { sub: 'u1', sid: 's1', scope: 'user' }, 60);
    expect(verifyAccessToken(publicKey, token)).toMatchObject({ sub: 'u1', sid: 's1', scope: 'user' });
    expect(() => verifyAccessToken(other.publicKey, token)).toThrow(/signature/);
    const [h, p, s] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), sub: 'u2' })).toString('base64url');
    expect(() => verifyAccessToken(publicKey, `${h}.${forged}.${s}`)).toThrow(/signature/);
    expect(() => verifyAccessToken(publicKey, token, Date.now() + 61_000)).toThrow(/expired/);
  });
});

describe('NATS names', () => {
  it('prefixes subjects and streams for isolation', () => {
    const names = natsNames('t1');
    expect(names.operation('invite.create')).toBe('t1.invites.v1.invite.create');
    expect(names.inviteStream).toBe('t1_INVITES');
    expect(natsNames().inviteEvents).toBe('invites.events.>');
    expect(() => natsNames('a.b')).toThrow();
  });

  it('orders uuidv7 ids by time', () => {
    expect(uuidv7(1000) < uuidv7(2000)).toBe(true);
  });
});
