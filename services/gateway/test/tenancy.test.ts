import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InviteWithLink, TokenPair } from '@invite/contracts';
import { addMember, email, orgWithOwner, tokenOf, type OrgWithOwner } from '../../invites/test/harness.ts';
import { startTestGateway, type TestGateway } from './harness.ts';
import { bearer, expectProblem, json, orgSnapshot, tableCounts } from './support.ts';

/**
 * Invariant 1 at the HTTP edge: an admin (or owner) of org A gets 404 NOT_FOUND on every
 * org-B route, and on org-A routes naming a B invite, with an answer that is the same
 * as for an org that does not exist; and none of org B's rows change.
 */

let g: TestGateway;
let a: OrgWithOwner;
let b: OrgWithOwner;
let adminA: TokenPair;
let inviteA: InviteWithLink;
let inviteB: InviteWithLink;
let withdrawnB: InviteWithLink;
/** B's admin: whom the member routes aim at. */
let adminB: TokenPair;

interface Attempt {
  name: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: (orgId: string, inviteId: string) => string;
  payload?: () => unknown;
  headers?: Record<string, string>;
}

/** Every org-scoped route of the API with a valid request. */
const routes: Attempt[] = [
  { name: 'list invites', method: 'GET', url: (o) => `/v1/orgs/${o}/invites` },
  { name: 'list invites filtered', method: 'GET', url: (o) => `/v1/orgs/${o}/invites?status=pending&limit=5&q=example` },
  { name: 'create invite', method: 'POST', url: (o) => `/v1/orgs/${o}/invites`, payload: () => ({ email: email('cross'), role: 'member' }) },
  {
    name: 'create invite with Idempotency-Key',
    method: 'POST',
    url: (o) => `/v1/orgs/${o}/invites`,
    payload: () => ({ email: email('cross'), role: 'member' }),
    headers: { 'idempotency-key': `tenancy-${Math.random().toString(36).slice(2)}` },
  },
  {
    name: 'bulk JSON',
    method: 'POST',
    url: (o) => `/v1/orgs/${o}/invites/bulk`,
    payload: () => [
      { email: email('cross'), role: 'member' },
      { email: email('cross'), role: 'admin' },
    ],
  },
  {
    name: 'bulk CSV',
    method: 'POST',
    url: (o) => `/v1/orgs/${o}/invites/bulk`,
    payload: () => `email,role\n${email('cross')},member\n`,
    headers: { 'content-type': 'text/csv' },
  },
  { name: 'get invite', method: 'GET', url: (o, i) => `/v1/orgs/${o}/invites/${i}` },
  { name: 'resend invite', method: 'POST', url: (o, i) => `/v1/orgs/${o}/invites/${i}/resend` },
  { name: 'withdraw invite', method: 'DELETE', url: (o, i) => `/v1/orgs/${o}/invites/${i}` },
  { name: 'members', method: 'GET', url: (o) => `/v1/orgs/${o}/members` },
  { name: 'members page', method: 'GET', url: (o) => `/v1/orgs/${o}/members?limit=1` },
  { name: 'usage', method: 'GET', url: (o) => `/v1/orgs/${o}/usage` },
  { name: 'audit', method: 'GET', url: (o) => `/v1/orgs/${o}/audit` },
  { name: 'invite timeline', method: 'GET', url: (o, i) => `/v1/orgs/${o}/invites/${i}/timeline` },
  { name: 'seat limit', method: 'PATCH', url: (o) => `/v1/orgs/${o}`, payload: () => ({ seatLimit: 5 }) },
  { name: 'member role', method: 'PATCH', url: (o) => `/v1/orgs/${o}/members/${adminB?.user.id}`, payload: () => ({ role: 'member' }) },
  { name: 'remove member', method: 'DELETE', url: (o) => `/v1/orgs/${o}/members/${adminB?.user.id}` },
  { name: 'transfer ownership', method: 'POST', url: (o) => `/v1/orgs/${o}/transfer-ownership`, payload: () => ({ userId: adminB?.user.id }) },
];
const inviteRoutes = routes.filter((r) => r.url('O', 'I').includes('/I'));

function attempt(route: Attempt, token: string, orgId: string, inviteId: string) {
  const payload = route.payload?.();
  return g.app.inject({
    method: route.method,
    url: route.url(orgId, inviteId),
    headers: { ...bearer(token), ...(route.headers ?? {}) },
    ...(payload === undefined ? {} : { payload: payload as string }),
  });
}

/** What a caller may compare between two 404s: everything but the request id. */
function comparable(body: Record<string, unknown>) {
  const { instance: _instance, ...rest } = body;
  return rest;
}

beforeAll(async () => {
  g = await startTestGateway('gwtenancy');
  a = await orgWithOwner(g.invites, 50, 'Org A');
  b = await orgWithOwner(g.invites, 50, 'Org B');
  adminA = await addMember(g.invites, a, 'admin');
  adminB = await addMember(g.invites, b, 'admin');
  await addMember(g.invites, b, 'member');
  const create = async (org: OrgWithOwner) => {
    const res = await g.app.inject({ method: 'POST', url: `/v1/orgs/${org.orgId}/invites`, headers: bearer(org.owner.accessToken), payload: { email: email('own'), role: 'member' } });
    expect(res.statusCode, res.body).toBe(201);
    return json<InviteWithLink>(res);
  };
  inviteA = await create(a);
  inviteB = await create(b);
  withdrawnB = await create(b);
  const res = await g.app.inject({ method: 'DELETE', url: `/v1/orgs/${b.orgId}/invites/${withdrawnB.invite.id}`, headers: bearer(b.owner.accessToken) });
  expect(res.statusCode).toBe(200);
});

afterAll(async () => {
  await g?.close();
});

describe('an admin or owner of org A against org B', () => {
  for (const who of ['admin', 'owner'] as const) {
    const token = () => (who === 'admin' ? adminA.accessToken : a.owner.accessToken);

    it(`${who} of A: every org-B route → 404 NOT_FOUND, like an org that does not exist; B's rows unchanged`, async () => {
      const beforeB = await orgSnapshot(g, b.orgId);
      const beforeCounts = await tableCounts(g);
      const missingOrg = crypto.randomUUID();
      for (const route of routes) {
        const res = await attempt(route, token(), b.orgId, inviteB.invite.id);
        const body = expectProblem(res, 404, 'NOT_FOUND');
        expect(res.body, route.name).not.toContain('Org B');
        expect(res.body, route.name).not.toContain(b.ownerEmail);
        const control = await attempt(route, token(), missingOrg, crypto.randomUUID());
        expectProblem(control, 404, 'NOT_FOUND');
        expect(comparable(body as unknown as Record<string, unknown>), `${route.name}: differs from an unknown org`).toEqual(
          comparable(json(control)),
        );
      }
      // A withdrawn B invite is no more visible than a pending one.
      for (const route of inviteRoutes) expectProblem(await attempt(route, token(), b.orgId, withdrawnB.invite.id), 404, 'NOT_FOUND');
      expect(await orgSnapshot(g, b.orgId)).toEqual(beforeB);
      expect(await tableCounts(g)).toEqual(beforeCounts);
    });

    it(`${who} of A: org-A paths naming a B invite (get, resend, withdraw, timeline) → 404 NOT_FOUND, like an unknown invite; B's rows unchanged`, async () => {
      const beforeB = await orgSnapshot(g, b.orgId);
      const beforeCounts = await tableCounts(g);
      for (const route of inviteRoutes) {
        for (const target of [inviteB, withdrawnB]) {
          const res = await attempt(route, token(), a.orgId, target.invite.id);
          const body = expectProblem(res, 404, 'NOT_FOUND');
          expect(res.body, route.name).not.toContain(target.invite.email);
          const control = expectProblem(await attempt(route, token(), a.orgId, crypto.randomUUID()), 404, 'NOT_FOUND');
          expect(comparable(body as unknown as Record<string, unknown>), route.name).toEqual(comparable(control as unknown as Record<string, unknown>));
        }
      }
      expect(await orgSnapshot(g, b.orgId)).toEqual(beforeB);
      expect(await tableCounts(g)).toEqual(beforeCounts);
    });
  }

  it("org B's invite still works for B and for its invitee afterwards (the 404s were not a side effect)", async () => {
    const get = await g.app.inject({ method: 'GET', url: `/v1/orgs/${b.orgId}/invites/${inviteB.invite.id}`, headers: bearer(b.owner.accessToken) });
    expect(get.statusCode).toBe(200);
    expect(json(get)).toEqual({ ...inviteB.invite, delivery: json<InviteWithLink['invite']>(get).delivery });
    const lookup = await g.app.inject({ method: 'POST', url: '/v1/invites/lookup', payload: { token: tokenOf(inviteB.acceptUrl) } });
    expect(lookup.statusCode).toBe(200);
  });

  it('the controls: the same requests on org A succeed for its admin, so the 404s above are about tenancy', async () => {
    const ok: Record<string, number> = {
      'list invites': 200,
      'list invites filtered': 200,
      'create invite': 201,
      'create invite with Idempotency-Key': 201,
      'bulk JSON': 200,
      'bulk CSV': 200,
      'get invite': 200,
      'resend invite': 200,
      'withdraw invite': 200,
      members: 200,
      'members page': 200,
      usage: 200,
      audit: 200,
      'invite timeline': 200,
      // The owner's alone (403 for an admin of A, not a 404).
      'seat limit': 403,
      'transfer ownership': 403,
      // These name B's admin, who is not a member of A: 404 for the person, not the org.
      'member role': 404,
      'remove member': 404,
    };
    for (const route of routes) {
      const res = await attempt(route, adminA.accessToken, a.orgId, inviteA.invite.id);
      expect(res.statusCode, `${route.name}: ${res.body}`).toBe(ok[route.name]);
    }
  });

  it("an org-B member and a user with no membership get 404 on org A's routes, and A's rows are unchanged", async () => {
    const memberB = await addMember(g.invites, b, 'member');
    const outsider = await addMember(g.invites, await orgWithOwner(g.invites, 5, 'Org C'), 'admin');
    const beforeA = await orgSnapshot(g, a.orgId);
    for (const token of [memberB.accessToken, outsider.accessToken, b.owner.accessToken]) {
      for (const route of routes) {
        expectProblem(await attempt(route, token, a.orgId, inviteA.invite.id), 404, 'NOT_FOUND');
      }
    }
    expect(await orgSnapshot(g, a.orgId)).toEqual(beforeA);
  });
});
