import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeclineInviteReply, InboxAcceptReply, InboxPage, InviteWithLink, OrgSettings, TokenPair } from '@invite/contracts';
import { email, orgWithOwner, type OrgWithOwner } from '../../invites/test/harness.ts';
import { startTestGateway, type TestGateway } from './harness.ts';
import { bearer, expectProblem, json } from './support.ts';

/**
 * The invitee's inbox over HTTP: status codes and problem bodies of GET /v1/me/invites
 * and of accepting and declining from it. The rules are tested in the invites service
 * (services/invites/test/inbox.test.ts).
 */

let g: TestGateway;
let invitee: OrgWithOwner;

beforeAll(async () => {
  g = await startTestGateway('gwinbox');
  invitee = await orgWithOwner(g.invites, 5, 'Home');
});
afterAll(() => g?.close());

function call(method: 'GET' | 'POST' | 'PATCH', url: string, who: TokenPair | null, payload?: unknown) {
  return g.app.inject({ method, url, headers: who ? bearer(who.accessToken) : {}, ...(payload === undefined ? {} : { payload: payload as object }) });
}

async function inviteFrom(name: string, to = invitee.ownerEmail): Promise<{ org: OrgWithOwner; created: InviteWithLink }> {
  const org = await orgWithOwner(g.invites, 5, name);
  const res = await call('POST', `/v1/orgs/${org.orgId}/invites`, org.owner, { email: to, role: 'member', message: `From ${name}` });
  expect(res.statusCode, res.body).toBe(201);
  return { org, created: json<InviteWithLink>(res) };
}

describe('GET /v1/me/invites', () => {
  it('200 with the pending invites to the account email, newest first, and a cursor that pages', async () => {
    const a = await inviteFrom('Acme');
    const b = await inviteFrom('Globex');
    const res = await call('GET', '/v1/me/invites?limit=1', invitee.owner);
    expect(res.statusCode, res.body).toBe(200);
    const page = json<InboxPage>(res);
    expect(page.items).toEqual([expect.objectContaining({ id: b.created.invite.id, org: { id: b.org.orgId, name: 'Globex', logoUrl: null }, message: 'From Globex' })]);
    const next = await call('GET', `/v1/me/invites?limit=1&cursor=${page.nextCursor}`, invitee.owner);
    expect(json<InboxPage>(next).items.map((i) => i.id)).toEqual([a.created.invite.id]);
    expect(res.body).not.toContain('acceptUrl');
  });

  it('401 without a token; 400 for a bad limit or cursor', async () => {
    expectProblem(await call('GET', '/v1/me/invites', null), 401, 'UNAUTHENTICATED');
    expectProblem(await call('GET', '/v1/me/invites?limit=0', invitee.owner), 400, 'VALIDATION_FAILED');
    expectProblem(await call('GET', '/v1/me/invites?cursor=abc', invitee.owner), 400, 'VALIDATION_FAILED');
  });
});

describe('POST /v1/me/invites/:inviteId/accept and /decline', () => {
  it('200 with the membership on accept; 410 INVITE_ALREADY_USED after', async () => {
    const { org, created } = await inviteFrom('Joinable');
    const res = await call('POST', `/v1/me/invites/${created.invite.id}/accept`, invitee.owner, {});
    expect(res.statusCode, res.body).toBe(200);
    expect(json<InboxAcceptReply>(res)).toEqual({ inviteId: created.invite.id, membership: { orgId: org.orgId, orgName: 'Joinable', role: 'member', createdAt: expect.any(String) }, redirectUrl: null });
    const again = expectProblem(await call('POST', `/v1/me/invites/${created.invite.id}/accept`, invitee.owner, {}), 410, 'INVITE_ALREADY_USED');
    expect(again.detail).toBe('This invite was already accepted');
  });

  it('200 declined on decline; 410 once declined', async () => {
    const { created } = await inviteFrom('Declinable');
    const res = await call('POST', `/v1/me/invites/${created.invite.id}/decline`, invitee.owner);
    expect(res.statusCode, res.body).toBe(200);
    expect(json<DeclineInviteReply>(res)).toEqual({ inviteId: created.invite.id, status: 'declined' });
    expectProblem(await call('POST', `/v1/me/invites/${created.invite.id}/decline`, invitee.owner), 410, 'INVITE_ALREADY_USED');
  });

  it('404 alike for an invite to someone else and for none at all; 400 for a bad id; 401 without a token', async () => {
    const { created } = await inviteFrom('Elsewhere', email('someone'));
    const notMine = expectProblem(await call('POST', `/v1/me/invites/${created.invite.id}/accept`, invitee.owner, {}), 404, 'NOT_FOUND');
    const none = expectProblem(await call('POST', '/v1/me/invites/01900000-0000-7000-8000-000000000000/accept', invitee.owner, {}), 404, 'NOT_FOUND');
    expect(notMine.detail).toBe(none.detail);
    expect(notMine.title).toBe(none.title);
    expectProblem(await call('POST', `/v1/me/invites/${created.invite.id}/decline`, invitee.owner), 404, 'NOT_FOUND');
    expectProblem(await call('POST', '/v1/me/invites/not-a-uuid/accept', invitee.owner, {}), 400, 'VALIDATION_FAILED');
    expectProblem(await call('POST', `/v1/me/invites/${created.invite.id}/accept`, null, {}), 401, 'UNAUTHENTICATED');
    const listed = json<InboxPage>(await call('GET', '/v1/me/invites', invitee.owner));
    expect(listed.items.map((i) => i.id)).not.toContain(created.invite.id);
  });
});

describe('redirectOrigins and redirectUrl', () => {
  it('PATCH settings 200 with the origins; 400 problems naming the bad origin, too many or a path', async () => {
    const org = await orgWithOwner(g.invites, 5, 'Redirecting');
    const saved = await call('PATCH', `/v1/orgs/${org.orgId}/settings`, org.owner, { redirectOrigins: ['https://App.example.com:443'] });
    expect(saved.statusCode, saved.body).toBe(200);
    expect(json<OrgSettings>(saved).redirectOrigins).toEqual(['https://app.example.com']);
    const withPath = expectProblem(await call('PATCH', `/v1/orgs/${org.orgId}/settings`, org.owner, { redirectOrigins: ['https://app.example.com/x'] }), 400, 'VALIDATION_FAILED');
    expect(withPath.errors![0]!.path).toBe('/redirectOrigins/0');
    const many = Array.from({ length: 21 }, (_, i) => `https://h${i}.example.com`);
    expectProblem(await call('PATCH', `/v1/orgs/${org.orgId}/settings`, org.owner, { redirectOrigins: many }), 400, 'VALIDATION_FAILED');
    const http = expectProblem(await call('PATCH', `/v1/orgs/${org.orgId}/settings`, org.owner, { redirectOrigins: ['http://app.example.com'] }), 400, 'VALIDATION_FAILED');
    expect(http.detail).toContain('must use https');
    expect(http.errors).toEqual([{ path: '/settings/redirectOrigins/0', message: expect.stringContaining('https') }]);
  });

  it('create-invite 201 with redirectUrl on an allowed origin; 400 at /redirectUrl naming the origin otherwise', async () => {
    const org = await orgWithOwner(g.invites, 5, 'Redirecting');
    await call('PATCH', `/v1/orgs/${org.orgId}/settings`, org.owner, { redirectOrigins: ['https://app.example.com'] });
    const ok = await call('POST', `/v1/orgs/${org.orgId}/invites`, org.owner, { email: email('r'), role: 'member', redirectUrl: 'https://app.example.com/welcome' });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(json<InviteWithLink>(ok).invite.redirectUrl).toBe('https://app.example.com/welcome');
    const refused = expectProblem(
      await call('POST', `/v1/orgs/${org.orgId}/invites`, org.owner, { email: email('r'), role: 'member', redirectUrl: 'https://elsewhere.example.net/' }),
      400,
      'VALIDATION_FAILED',
    );
    expect(refused.detail).toContain('https://elsewhere.example.net');
    expect(refused.errors).toEqual([{ path: '/redirectUrl', message: expect.any(String) }]);
    const script = expectProblem(
      await call('POST', `/v1/orgs/${org.orgId}/invites`, org.owner, { email: email('r'), role: 'member', redirectUrl: 'javascript:alert(document.domain)' }),
      400,
      'VALIDATION_FAILED',
    );
    expect(script.errors![0]!.path).toBe('/redirectUrl');
    const long = expectProblem(
      await call('POST', `/v1/orgs/${org.orgId}/invites`, org.owner, { email: email('r'), role: 'member', redirectUrl: `https://app.example.com/${'a'.repeat(2000)}` }),
      400,
      'VALIDATION_FAILED',
    );
    expect(long.errors![0]!.path).toBe('/redirectUrl');
  });
});
