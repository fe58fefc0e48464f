import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { email, orgWithOwner, password, resetTokenSentTo, type OrgWithOwner } from '../../invites/test/harness.ts';
import { startTestGateway, type TestGateway } from './harness.ts';
import { expectProblem, expectRetryAfter, json } from './support.ts';

/**
 * Password reset over HTTP: POST /v1/auth/password-reset answers 202 with one body for
 * every address and is limited per address and per client alike; POST …/confirm sets
 * the password once; GET /reset-password is the page of the emailed link.
 */
let g: TestGateway;
let org: OrgWithOwner;

beforeAll(async () => {
  g = await startTestGateway('gwpwreset', { PASSWORD_RESET_LIMIT_PER_15MIN: '8', PASSWORD_RESET_LIMIT_PER_ADDRESS_PER_HOUR: '2', LOGIN_LIMIT_PER_15MIN: '1000' });
  org = await orgWithOwner(g.invites, 3, 'Reset Gateway');
});
afterAll(async () => {
  await g?.close();
});

function post(url: string, payload: Record<string, unknown>, ip = '203.0.113.50') {
  return g.app.inject({ method: 'POST', url, payload, remoteAddress: ip });
}

describe('POST /v1/auth/password-reset', () => {
  it('202 with the same body for an address with an account and one without; 429 per address past the limit, for both alike', async () => {
    const known = await post('/v1/auth/password-reset', { email: org.ownerEmail }, '203.0.113.51');
    const unknown = await post('/v1/auth/password-reset', { email: email('nobody') }, '203.0.113.51');
    expect(known.statusCode, known.body).toBe(202);
    expect(unknown.statusCode).toBe(202);
    expect(known.body).toBe(unknown.body);
    expect(json(known)).toEqual({ linkValidMinutes: 30 });
    expect(String(known.headers['cache-control'])).toContain('no-store');

    const nobody = email('nobody');
    for (const address of [org.ownerEmail, nobody]) {
      // The known address has one request counted already; the unknown one gets the same treatment.
      if (address === nobody) await post('/v1/auth/password-reset', { email: address }, '203.0.113.52');
      expect((await post('/v1/auth/password-reset', { email: address }, '203.0.113.52')).statusCode).toBe(202);
      const limited = await post('/v1/auth/password-reset', { email: address.toUpperCase() }, '203.0.113.53');
      const problem = expectProblem(limited, 429, 'RATE_LIMITED');
      expect(problem.detail).toContain('this address');
      expectRetryAfter(limited, 3600);
    }
  });

  it('429 per client past PASSWORD_RESET_LIMIT_PER_15MIN, whatever the addresses', async () => {
    const ip = '198.51.100.77';
    for (let i = 0; i < 8; i++) expect((await post('/v1/auth/password-reset', { email: email('spray') }, ip)).statusCode).toBe(202);
    expectProblem(await post('/v1/auth/password-reset', { email: email('spray') }, ip), 429, 'RATE_LIMITED');
  });

  it('400 naming the field for an address that is not one', async () => {
    const bad = expectProblem(await post('/v1/auth/password-reset', { email: 'not an address' }, '203.0.113.60'), 400, 'VALIDATION_FAILED');
    expect(bad.errors?.map((e) => e.path)).toEqual(['/email']);
  });
});

describe('POST /v1/auth/password-reset/confirm', () => {
  it('204 sets the password once; then 410 PASSWORD_RESET_LINK_INVALID; 400 for a weak password', async () => {
    const account = await orgWithOwner(g.invites, 2, 'Confirm Co');
    expect((await post('/v1/auth/password-reset', { email: account.ownerEmail }, '203.0.113.70')).statusCode).toBe(202);
    const token = await resetTokenSentTo(g.invites, account.ownerEmail);

    const weak = expectProblem(await post('/v1/auth/password-reset/confirm', { token, password: 'iloveyou1234' }, '203.0.113.70'), 400, 'VALIDATION_FAILED');
    expect(weak.errors?.map((e) => e.path)).toEqual(['/password']);

    const done = await post('/v1/auth/password-reset/confirm', { token, password: 'lantern over the quiet harbour' }, '203.0.113.70');
    expect(done.statusCode, done.body).toBe(204);
    expectProblem(await post('/v1/auth/password-reset/confirm', { token, password: 'lantern over the quiet harbour' }, '203.0.113.70'), 410, 'PASSWORD_RESET_LINK_INVALID');

    expectProblem(await post('/v1/auth/login', { email: account.ownerEmail, password }), 401, 'INVALID_CREDENTIALS');
    expect((await post('/v1/auth/login', { email: account.ownerEmail, password: 'lantern over the quiet harbour' })).statusCode).toBe(200);
    expectProblem(await g.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${account.owner.accessToken}` } }), 401, 'UNAUTHENTICATED');
  });
});

describe('GET /reset-password', () => {
  it('serves the page with no-store, no referrer and a CSP allowing only its own script and style; both routes are in the OpenAPI document', async () => {
    const page = await g.app.inject({ method: 'GET', url: '/reset-password' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(String(page.headers['content-security-policy'])).toContain("default-src 'none'");
    expect(page.body).toContain('/reset-password/reset.js');
    expect((await g.app.inject({ method: 'GET', url: '/reset-password/reset.js' })).statusCode).toBe(200);

    const doc = json<{ paths: Record<string, Record<string, unknown>> }>(await g.app.inject({ method: 'GET', url: '/docs/json' }));
    expect(doc.paths['/v1/auth/password-reset']?.post).toBeDefined();
    expect(doc.paths['/v1/auth/password-reset/confirm']?.post).toBeDefined();
  });
});
