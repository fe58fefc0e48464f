import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InviteWithLink, TokenPair } from '@invite/contracts';
import { addMember, email, emailedProof, orgWithOwner, password, tokenOf, type OrgWithOwner } from '../../invites/test/harness.ts';
import { startTestGateway, type TestGateway } from './harness.ts';
import { bearer, json, type Response } from './support.ts';

/**
 * A reply that carries a token or an accept link must never be kept by a browser or a
 * shared cache: every /v1 reply is `Cache-Control: no-store`, errors included. The
 * console's hashed assets keep their long cache.
 */

let g: TestGateway;
let org: OrgWithOwner;
let admin: TokenPair;

beforeAll(async () => {
  g = await startTestGateway('gwcache', { LOGIN_LIMIT_PER_15MIN: '100000', REFRESH_LIMIT_PER_15MIN: '100000', TOKEN_LIMIT_PER_15MIN: '100000' });
  org = await orgWithOwner(g.invites, 50, 'Cache Org');
  admin = await addMember(g.invites, org, 'admin');
});

afterAll(async () => {
  await g?.close();
});

function expectNoStore(res: Response, what: string) {
  expect(res.headers['cache-control'], `${what}: ${res.statusCode} ${res.body.slice(0, 200)}`).toBe('no-store');
}

function post(url: string, payload: unknown, token?: string) {
  return g.app.inject({ method: 'POST', url, payload: payload as object, headers: token ? bearer(token) : {} });
}

async function createInvite(): Promise<InviteWithLink> {
  const res = await post(`/v1/orgs/${org.orgId}/invites`, { email: email('cached'), role: 'member' }, admin.accessToken);
  expectNoStore(res, 'create');
  expect(res.statusCode, res.body).toBe(201);
  return json<InviteWithLink>(res);
}

describe('Cache-Control: no-store on replies that carry tokens or links', () => {
  it('login, refresh, create, resend, bulk and accept', async () => {
    const login = await post('/v1/auth/login', { email: org.ownerEmail, password });
    expect(login.statusCode, login.body).toBe(200);
    expectNoStore(login, 'login');

    const refresh = await post('/v1/auth/refresh', { refreshToken: json<TokenPair>(login).refreshToken });
    expect(refresh.statusCode, refresh.body).toBe(200);
    expectNoStore(refresh, 'refresh');

    const created = await createInvite();

    const resend = await post(`/v1/orgs/${org.orgId}/invites/${created.invite.id}/resend`, undefined, admin.accessToken);
    expect(resend.statusCode, resend.body).toBe(200);
    expectNoStore(resend, 'resend');

    const bulk = await post(`/v1/orgs/${org.orgId}/invites/bulk`, [{ email: email('cached-bulk'), role: 'member' }], admin.accessToken);
    expect(bulk.statusCode, bulk.body).toBe(200);
    expectNoStore(bulk, 'bulk');

    const token = tokenOf(json<InviteWithLink>(resend).acceptUrl);
    const lookup = await post('/v1/invites/lookup', { token });
    expect(lookup.statusCode, lookup.body).toBe(200);
    expectNoStore(lookup, 'lookup');

    const accept = await post('/v1/invites/accept', { token, proof: emailedProof(token), name: 'Cached Person', username: `cached${Date.now()}`, password: 'plum orchard under snow' });
    expect(accept.statusCode, accept.body).toBe(201);
    expectNoStore(accept, 'accept');
  });

  it('a replayed create and the other API replies, errors included', async () => {
    const headers = { ...bearer(admin.accessToken), 'idempotency-key': `cache-${Date.now()}` };
    const body = { email: email('cached-replay'), role: 'member' };
    const url = `/v1/orgs/${org.orgId}/invites`;
    await g.app.inject({ method: 'POST', url, headers, payload: body });
    const replay = await g.app.inject({ method: 'POST', url, headers, payload: body });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expectNoStore(replay, 'replayed create');

    const created = await createInvite();
    const gets = ['/v1/me', `/v1/orgs/${org.orgId}/invites`, `/v1/orgs/${org.orgId}/invites/${created.invite.id}`, `/v1/orgs/${org.orgId}/members`, `/v1/orgs/${org.orgId}/usage`];
    for (const url of gets) {
      const res = await g.app.inject({ method: 'GET', url, headers: bearer(admin.accessToken) });
      expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
      expectNoStore(res, url);
    }
    expectNoStore(await post('/v1/auth/login', { email: org.ownerEmail, password: 'not the password at all' }), 'failed login');
    expectNoStore(await post('/v1/invites/accept', { token: 'x' }), 'bad accept');
    expectNoStore(await g.app.inject({ method: 'GET', url: '/v1/no-such-route' }), 'unknown /v1 route');
    expectNoStore(await g.app.inject({ method: 'GET', url: '/v1/me' }), 'unauthenticated');
  });

  it('leaves the console assets their long cache', async () => {
    const page = await g.app.inject({ method: 'GET', url: '/console' });
    const asset = /src="\/console\/assets\/([^"]+\.js)"/.exec(page.body)?.[1];
    expect(asset, page.body.slice(0, 500)).toBeDefined();
    const res = await g.app.inject({ method: 'GET', url: `/console/assets/${asset}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });
});
