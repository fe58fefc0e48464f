import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InviteTimeline, InviteWithLink, MemberView, OrgView, OwnershipTransferred, TokenPair } from '@invite/contracts';
import { addMember, email, orgWithOwner } from '../../invites/test/harness.ts';
import { startTestGateway, type TestGateway } from './harness.ts';
import { bearer, expectProblem, json } from './support.ts';

/**
 * Managing people over HTTP: the status codes and problem bodies of role changes,
 * removals, ownership transfer, the seat limit and an invite's timeline. The rules
 * themselves are tested in the invites service (services/invites/test/members.test.ts).
 */

let g: TestGateway;

beforeAll(async () => {
  g = await startTestGateway('gwmembers');
});
afterAll(() => g?.close());

function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, who: TokenPair | null, payload?: unknown) {
  return g.app.inject({ method, url, headers: who ? bearer(who.accessToken) : {}, ...(payload === undefined ? {} : { payload: payload as object }) });
}

async function team(seats = 10) {
  const org = await orgWithOwner(g.invites, seats);
  return { org, admin: await addMember(g.invites, org, 'admin'), member: await addMember(g.invites, org, 'member') };
}

describe('PATCH /v1/orgs/:orgId (the seat limit)', () => {
  it('200 with the organisation and its seats for the owner', async () => {
    const { org } = await team();
    const res = await call('PATCH', `/v1/orgs/${org.orgId}`, org.owner, { seatLimit: 12 });
    expect(res.statusCode, res.body).toBe(200);
    expect(json<OrgView>(res)).toEqual({ orgId: org.orgId, name: 'Acme', plan: 'free', seatLimit: 12, members: 3, pendingInvites: 0, available: 9 });
  });

  it('409 SEAT_LIMIT_BELOW_USAGE naming the seats in use; 403 for an admin; 400 for a bad limit; 401 without a token; 404 for a stranger', async () => {
    const { org, admin } = await team();
    const below = expectProblem(await call('PATCH', `/v1/orgs/${org.orgId}`, org.owner, { seatLimit: 2 }), 409, 'SEAT_LIMIT_BELOW_USAGE');
    expect(below.detail).toBe('Acme has 3 seats in use (3 members and 0 pending invites), so its seat limit cannot go below 3; asked for 2. Withdraw invites or remove members first.');
    expect(below.title).toBe('The seat limit cannot go below the seats in use (members plus pending invites)');
    expectProblem(await call('PATCH', `/v1/orgs/${org.orgId}`, admin, { seatLimit: 20 }), 403, 'FORBIDDEN');
    const zero = expectProblem(await call('PATCH', `/v1/orgs/${org.orgId}`, org.owner, { seatLimit: 0 }), 400, 'VALIDATION_FAILED');
    expect(zero.errors!.map((e) => e.path)).toEqual(['/seatLimit']);
    const extra = expectProblem(await call('PATCH', `/v1/orgs/${org.orgId}`, org.owner, { seatLimit: 5, plan: 'gold' }), 400, 'VALIDATION_FAILED');
    expect(extra.errors!.map((e) => e.path)).toEqual(['/plan']);
    expectProblem(await call('PATCH', `/v1/orgs/${org.orgId}`, null, { seatLimit: 20 }), 401, 'UNAUTHENTICATED');
    const stranger = await orgWithOwner(g.invites, 5, 'Other');
    expectProblem(await call('PATCH', `/v1/orgs/${org.orgId}`, stranger.owner, { seatLimit: 20 }), 404, 'NOT_FOUND');
    const [row] = await g.invites.sql<{ seat_limit: number }>(`select seat_limit from orgs where id = ?`, [org.orgId]);
    expect(row!.seat_limit).toBe(10);
  });
});

describe('PATCH /v1/orgs/:orgId/members/:userId (a role)', () => {
  it('200 with the member and the new role', async () => {
    const { org, member } = await team();
    const res = await call('PATCH', `/v1/orgs/${org.orgId}/members/${member.user.id}`, org.owner, { role: 'admin' });
    expect(res.statusCode, res.body).toBe(200);
    expect(json<MemberView>(res)).toMatchObject({ user: { id: member.user.id, email: member.user.email }, role: 'admin' });
  });

  it('403 ROLE_NOT_ALLOWED above the caller, 403 FORBIDDEN on an owner, 409 LAST_OWNER, 404 for a non-member, 400 for a bad role or id', async () => {
    const { org, admin, member } = await team();
    const url = (userId: string) => `/v1/orgs/${org.orgId}/members/${userId}`;
    expectProblem(await call('PATCH', url(member.user.id), admin, { role: 'owner' }), 403, 'ROLE_NOT_ALLOWED');
    const owner = expectProblem(await call('PATCH', url(org.owner.user.id), admin, { role: 'member' }), 403, 'FORBIDDEN');
    expect(owner.detail).toBe('Only an owner can change or remove an owner; Olivia Owner is an owner');
    expectProblem(await call('PATCH', url(admin.user.id), member, { role: 'member' }), 403, 'FORBIDDEN');
    const last = expectProblem(await call('PATCH', url(org.owner.user.id), org.owner, { role: 'admin' }), 409, 'LAST_OWNER');
    expect(last.detail).toBe('You are the only owner of Acme; make another member owner first');
    const other = await orgWithOwner(g.invites, 5, 'Other');
    expectProblem(await call('PATCH', url(other.owner.user.id), org.owner, { role: 'admin' }), 404, 'NOT_FOUND');
    const bad = expectProblem(await call('PATCH', url(member.user.id), org.owner, { role: 'superuser' }), 400, 'VALIDATION_FAILED');
    expect(bad.errors!.map((e) => e.path)).toEqual(['/role']);
    const badId = expectProblem(await call('PATCH', url('me'), org.owner, { role: 'admin' }), 400, 'VALIDATION_FAILED');
    expect(badId.errors!.map((e) => e.path)).toEqual(['/params/userId']);
  });
});

describe('DELETE /v1/orgs/:orgId/members/:userId (remove, or leave)', () => {
  it("204 with no body; the removed admin's next request for the org is a 404, and the seat is free", async () => {
    const { org, admin } = await team(3);
    expect((await call('GET', `/v1/orgs/${org.orgId}/invites`, admin)).statusCode).toBe(200);
    const res = await call('DELETE', `/v1/orgs/${org.orgId}/members/${admin.user.id}`, org.owner);
    expect(res.statusCode, res.body).toBe(204);
    expect(res.body).toBe('');
    expectProblem(await call('GET', `/v1/orgs/${org.orgId}/invites`, admin), 404, 'NOT_FOUND');
    expectProblem(await call('POST', `/v1/orgs/${org.orgId}/invites`, admin, { email: email('gone'), role: 'member' }), 404, 'NOT_FOUND');
    const usage = await call('GET', `/v1/orgs/${org.orgId}/usage`, org.owner);
    expect(json(usage)).toEqual({ seatLimit: 3, members: 2, pendingInvites: 0, available: 1 });
    // The account itself goes on, without this organisation.
    const me = json<{ memberships: { orgId: string }[] }>(await call('GET', '/v1/me', admin));
    expect(me.memberships).toEqual([]);
  });

  it('204 for a member leaving; 409 LAST_OWNER for the last owner; 403 for a member removing someone else', async () => {
    const { org, admin, member } = await team();
    expectProblem(await call('DELETE', `/v1/orgs/${org.orgId}/members/${admin.user.id}`, member), 403, 'FORBIDDEN');
    expectProblem(await call('DELETE', `/v1/orgs/${org.orgId}/members/${org.owner.user.id}`, org.owner), 409, 'LAST_OWNER');
    expect((await call('DELETE', `/v1/orgs/${org.orgId}/members/${member.user.id}`, member)).statusCode).toBe(204);
    const [row] = await g.invites.sql<{ action: string }>(`select action from audit_log where org_id = ? order by at desc, id desc limit 1`, [org.orgId]);
    expect(row!.action).toBe('member.left');
  });
});

describe('live event streams of a removed or demoted admin', () => {
  /** Opens the org's event stream as `who` on a real port; `ended` resolves to its text once the server ends it. */
  async function stream(orgId: string, who: TokenPair) {
    const address = g.app.server.address();
    if (!address || typeof address !== 'object') await g.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = g.app.server.address() as { port: number };
    const res = await fetch(`http://127.0.0.1:${port}/v1/orgs/${orgId}/events`, { headers: bearer(who.accessToken) });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const ended = (async () => {
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += decoder.decode(chunk.value, { stream: true });
      return text;
    })();
    // The stream is attached once its first bytes are out.
    while (!text.includes(': connected')) await new Promise((resolve) => setTimeout(resolve, 20));
    return { ended };
  }

  it('ends at once, not at the periodic re-check (SSE_RECHECK_MS, 60 s here)', async () => {
    const { org, admin } = await team();
    const other = await addMember(g.invites, org, 'admin');
    const removed = await stream(org.orgId, admin);
    const demoted = await stream(org.orgId, other);
    const started = Date.now();
    expect((await call('DELETE', `/v1/orgs/${org.orgId}/members/${admin.user.id}`, org.owner)).statusCode).toBe(204);
    expect((await call('PATCH', `/v1/orgs/${org.orgId}/members/${other.user.id}`, org.owner, { role: 'member' })).statusCode).toBe(200);
    expect(await removed.ended).toContain('event: end\ndata: {"reason":"NOT_FOUND"}');
    expect(await demoted.ended).toContain('event: end\ndata: {"reason":"FORBIDDEN"}');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('POST /v1/orgs/:orgId/transfer-ownership', () => {
  it('200 with both memberships; the former owner then gets 403 on owner routes', async () => {
    const { org, member } = await team();
    const res = await call('POST', `/v1/orgs/${org.orgId}/transfer-ownership`, org.owner, { userId: member.user.id });
    expect(res.statusCode, res.body).toBe(200);
    const body = json<OwnershipTransferred>(res);
    expect(body.previousOwner).toMatchObject({ user: { id: org.owner.user.id }, role: 'admin' });
    expect(body.newOwner).toMatchObject({ user: { id: member.user.id }, role: 'owner' });
    expectProblem(await call('POST', `/v1/orgs/${org.orgId}/transfer-ownership`, org.owner, { userId: member.user.id }), 403, 'FORBIDDEN');
    expectProblem(await call('PATCH', `/v1/orgs/${org.orgId}`, org.owner, { seatLimit: 20 }), 403, 'FORBIDDEN');
    expect((await call('PATCH', `/v1/orgs/${org.orgId}`, member, { seatLimit: 20 })).statusCode).toBe(200);
  });

  it('409 ALREADY_OWNER to yourself, 404 to a stranger, 400 without a user id', async () => {
    const { org } = await team();
    expectProblem(await call('POST', `/v1/orgs/${org.orgId}/transfer-ownership`, org.owner, { userId: org.owner.user.id }), 409, 'ALREADY_OWNER');
    expectProblem(await call('POST', `/v1/orgs/${org.orgId}/transfer-ownership`, org.owner, { userId: crypto.randomUUID() }), 404, 'NOT_FOUND');
    const missing = expectProblem(await call('POST', `/v1/orgs/${org.orgId}/transfer-ownership`, org.owner, {}), 400, 'VALIDATION_FAILED');
    expect(missing.errors!.map((e) => e.path)).toEqual(['/userId']);
  });
});

describe('GET /v1/orgs/:orgId/invites/:inviteId/timeline', () => {
  it('200 with the invite and its entries for an admin; 403 for a member; 404 for an unknown invite', async () => {
    const { org, admin, member } = await team();
    const created = await call('POST', `/v1/orgs/${org.orgId}/invites`, admin, { email: email('timeline'), role: 'member' });
    const invite = json<InviteWithLink>(created).invite;
    const res = await call('GET', `/v1/orgs/${org.orgId}/invites/${invite.id}/timeline`, admin);
    expect(res.statusCode, res.body).toBe(200);
    const timeline = json<InviteTimeline>(res);
    expect(timeline.invite.id).toBe(invite.id);
    expect(timeline.entries.map((e) => [e.action, e.actorName])).toEqual([['invite.created', admin.user.name]]);
    expect(res.headers['cache-control']).toBe('no-store');
    expectProblem(await call('GET', `/v1/orgs/${org.orgId}/invites/${invite.id}/timeline`, member), 403, 'FORBIDDEN');
    expectProblem(await call('GET', `/v1/orgs/${org.orgId}/invites/${crypto.randomUUID()}/timeline`, admin), 404, 'NOT_FOUND');
  });
});

describe('OpenAPI', () => {
  it('documents the routes with their bodies and problem responses', async () => {
    const doc = json<{ paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>> }>(
      await g.app.inject({ method: 'GET', url: '/docs/json' }),
    );
    const expected: [string, string, string[]][] = [
      ['/v1/orgs/{orgId}', 'patch', ['200', '400', '403', '404', '409']],
      ['/v1/orgs/{orgId}/members/{userId}', 'patch', ['200', '400', '403', '404', '409']],
      ['/v1/orgs/{orgId}/members/{userId}', 'delete', ['204', '403', '404', '409']],
      ['/v1/orgs/{orgId}/transfer-ownership', 'post', ['200', '403', '404', '409']],
      ['/v1/orgs/{orgId}/invites/{inviteId}/timeline', 'get', ['200', '403', '404']],
    ];
    for (const [path, method, statuses] of expected) {
      const op = doc.paths[path]?.[method];
      expect(op, `${method} ${path}`).toBeDefined();
      for (const status of statuses) expect(op!.responses[status], `${method} ${path} ${status}`).toBeDefined();
      if (method === 'patch' || method === 'post') expect(op!.requestBody, `${method} ${path} body`).toBeDefined();
    }
  });
});
