import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken, uuidv7, type JoinLinkList, type JoinLinkView, type JoinLinkWithUrl, type JoinLookup, type TokenPair, type WebhookWithSecret } from '@invite/contracts';
import { createLogger } from '@invite/telemetry';
import { addMember, email, orgWithOwner, password, type OrgWithOwner } from '../../invites/test/harness.ts';
import { startWebhooks, type WebhooksApp } from '../../invites/src/webhooks/app.ts';
import { loadWebhooksConfig } from '../../invites/src/webhooks/webhooks.config.ts';
import { startTestGateway, type TestGateway } from './harness.ts';
import { bearer, expectProblem, expectRetryAfter, json, send, unknownToken, type App } from './support.ts';
import { receiverVerifies, startReceiver, type Receiver } from './webhook-receiver.ts';

/**
 * Join links over HTTP: the admin routes (status codes, problem+json, the token shown
 * once and never stored in plain text), the holder's routes (joining signed in, the
 * refusals a holder can meet), their rate limit (the invite tokens' budget, shared),
 * the join page, and the `member.joined` webhook a join delivers.
 */
const tokenLimit = 6;

let g: TestGateway;
let dispatcher: WebhooksApp;
let receiver: Receiver;
let org: OrgWithOwner;
let admin: TokenPair;
let member: TokenPair;
let ip = 0;
/** A client address of its own for each request sequence, so that rate limits never mix. */
const nextIp = () => `203.0.113.${++ip}`;

beforeAll(async () => {
  g = await startTestGateway('gwjoinlinks', { TOKEN_LIMIT_PER_15MIN: String(tokenLimit) }, { WEBHOOKS_ALLOW_PRIVATE: 'true' });
  dispatcher = await startWebhooks(
    loadWebhooksConfig({ ...g.invites.env, WEBHOOKS_ALLOW_PRIVATE: 'true', WEBHOOKS_POLL_MS: '50', WEBHOOKS_BACKOFF_BASE_MS: '50', WEBHOOKS_BACKOFF_MAX_MS: '200' }),
    createLogger('webhooks-joinlinks', 'warn'),
  );
  receiver = await startReceiver();
  org = await orgWithOwner(g.invites, 10, 'Acme');
  admin = await addMember(g.invites, org, 'admin');
  member = await addMember(g.invites, org, 'member');
});

afterAll(async () => {
  await dispatcher?.stop();
  await receiver?.close();
  await g?.close();
});

const tokenOfJoin = (url: string) => new URLSearchParams(new URL(url).hash.slice(1)).get('token') ?? '';

async function createLink(body: Record<string, unknown>, session: TokenPair = admin, target = org): Promise<JoinLinkWithUrl> {
  const res = await send(g.app, 'POST', `/v1/orgs/${target.orgId}/join-links`, body, bearer(session.accessToken));
  expect(res.statusCode, res.body).toBe(201);
  return json<JoinLinkWithUrl>(res);
}

function holder(app: App, path: string, body: Record<string, unknown>, headers: Record<string, string> = {}, remoteAddress = nextIp()) {
  return app.inject({ method: 'POST', url: `/v1/join-links/${path}`, payload: body, headers, remoteAddress });
}

/** A signed-in account of another org, not a member of `org`. */
async function outsider(): Promise<TokenPair> {
  return (await orgWithOwner(g.invites, 2, 'Elsewhere')).owner;
}

describe('admin routes', () => {
  it('create is 201 with the URL once; the list and the database never hold the token', async () => {
    const created = await createLink({ role: 'member', label: 'Onboarding', maxUses: 3, allowedDomains: ['Example.test'] });
    expect(created.url).toMatch(/\/join#token=[A-Za-z0-9_-]{43}$/);
    expect(created.joinLink).toMatchObject({ role: 'member', label: 'Onboarding', state: 'active', uses: 0, maxUses: 3, allowedDomains: ['example.test'] });
    const token = tokenOfJoin(created.url);

    const list = await send(g.app, 'GET', `/v1/orgs/${org.orgId}/join-links`, undefined, bearer(org.owner.accessToken));
    expect(list.statusCode).toBe(200);
    expect(list.headers['cache-control']).toBe('no-store');
    expect(json<JoinLinkList>(list).items.map((l) => l.id)).toContain(created.joinLink.id);
    expect(list.body).not.toContain(token);
    const one = await send(g.app, 'GET', `/v1/orgs/${org.orgId}/join-links/${created.joinLink.id}`, undefined, bearer(admin.accessToken));
    expect(one.statusCode).toBe(200);
    expect(one.body).not.toContain(token);

    // The database: the SHA-256 only, in no table in plain text.
    const [row] = await g.invites.sql<{ token_hash: string }>(`select token_hash from join_links where id = ?`, [created.joinLink.id]);
    expect(row!.token_hash).toBe(hashToken(token));
    for (const table of ['join_links', 'audit_log', 'outbox']) {
      const dump = await g.invites.sql<{ t: string }>(`select coalesce(string_agg(to_jsonb(x)::text, ''), '') as t from ${table} x`);
      expect(dump[0]!.t, table).not.toContain(token);
    }
  });

  it('refusals are problems: 401 without a session, 403 for a member, 404 for another org, 400 for an owner link', async () => {
    expectProblem(await send(g.app, 'POST', `/v1/orgs/${org.orgId}/join-links`, { role: 'member' }), 401, 'UNAUTHENTICATED');
    expectProblem(await send(g.app, 'POST', `/v1/orgs/${org.orgId}/join-links`, { role: 'member' }, bearer(member.accessToken)), 403, 'FORBIDDEN');
    expectProblem(await send(g.app, 'GET', `/v1/orgs/${org.orgId}/join-links`, undefined, bearer(member.accessToken)), 403, 'FORBIDDEN');
    const stranger = await outsider();
    expectProblem(await send(g.app, 'GET', `/v1/orgs/${org.orgId}/join-links`, undefined, bearer(stranger.accessToken)), 404, 'NOT_FOUND');
    const owner = expectProblem(await send(g.app, 'POST', `/v1/orgs/${org.orgId}/join-links`, { role: 'owner' }, bearer(org.owner.accessToken)), 400, 'VALIDATION_FAILED');
    expect(owner.errors!.map((e) => e.path)).toContain('/role');
    expectProblem(await send(g.app, 'POST', `/v1/orgs/${org.orgId}/join-links`, { role: 'member', maxUses: 100_001 }, bearer(admin.accessToken)), 400, 'VALIDATION_FAILED');
    expectProblem(await send(g.app, 'POST', `/v1/orgs/${org.orgId}/join-links`, { role: 'member', allowedDomains: ['not a domain'] }, bearer(admin.accessToken)), 400, 'VALIDATION_FAILED');
    expectProblem(await send(g.app, 'GET', `/v1/orgs/${org.orgId}/join-links/${uuidv7()}`, undefined, bearer(admin.accessToken)), 404, 'NOT_FOUND');
  });

  it('create with an Idempotency-Key: a retry replays the first link (same URL, one row); the key with another body is 422; a demoted caller gets 403, not the URL', async () => {
    const headers = { ...bearer(admin.accessToken), 'idempotency-key': `jl-${uuidv7()}` };
    const body = { role: 'member', label: 'Retried' };
    const first = await send(g.app, 'POST', `/v1/orgs/${org.orgId}/join-links`, body, headers);
    expect(first.statusCode, first.body).toBe(201);
    const again = await send(g.app, 'POST', `/v1/orgs/${org.orgId}/join-links`, body, headers);
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(json<JoinLinkWithUrl>(again).url).toBe(json<JoinLinkWithUrl>(first).url);
    expect(await g.invites.sql(`select 1 from join_links where org_id = ? and label = 'Retried'`, [org.orgId])).toHaveLength(1);
    expectProblem(await send(g.app, 'POST', `/v1/orgs/${org.orgId}/join-links`, { ...body, maxUses: 2 }, headers), 422, 'IDEMPOTENCY_KEY_REUSED');

    // The stored answer holds a working link: only a caller who may still create links gets it.
    const demoted = await addMember(g.invites, org, 'admin');
    const demotedHeaders = { ...bearer(demoted.accessToken), 'idempotency-key': `jl-${uuidv7()}` };
    expect((await send(g.app, 'POST', `/v1/orgs/${org.orgId}/join-links`, body, demotedHeaders)).statusCode).toBe(201);
    await g.invites.sql(`update memberships set role = 'member' where org_id = ? and user_id = ?`, [org.orgId, demoted.user.id]);
    const replay = expectProblem(await send(g.app, 'POST', `/v1/orgs/${org.orgId}/join-links`, body, demotedHeaders), 403, 'FORBIDDEN');
    expect(JSON.stringify(replay)).not.toContain('/join#token=');
  });

  it('PATCH pauses and resumes, DELETE revokes for good; the holder hears 409 then 410', async () => {
    const { joinLink, url } = await createLink({ role: 'member' });
    const token = tokenOfJoin(url);
    const base = `/v1/orgs/${org.orgId}/join-links/${joinLink.id}`;
    const paused = await send(g.app, 'PATCH', base, { paused: true }, bearer(admin.accessToken));
    expect(paused.statusCode, paused.body).toBe(200);
    expect(json<JoinLinkView>(paused).state).toBe('paused');
    const joiner = await outsider();
    expectProblem(await holder(g.app, 'join', { token }, bearer(joiner.accessToken)), 409, 'JOIN_LINK_PAUSED');

    expect(json<JoinLinkView>(await send(g.app, 'PATCH', base, { paused: false }, bearer(admin.accessToken))).state).toBe('active');
    const revoked = await send(g.app, 'DELETE', base, undefined, bearer(admin.accessToken));
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect(json<JoinLinkView>(revoked)).toMatchObject({ state: 'revoked' });
    const gone = expectProblem(await holder(g.app, 'join', { token }, bearer(joiner.accessToken)), 410, 'JOIN_LINK_REVOKED');
    expect(gone.detail).toMatch(/revoked/);
    expectProblem(await send(g.app, 'PATCH', base, { paused: false }, bearer(admin.accessToken)), 409, 'JOIN_LINK_ALREADY_REVOKED');
    expectProblem(await send(g.app, 'DELETE', base, undefined, bearer(admin.accessToken)), 409, 'JOIN_LINK_ALREADY_REVOKED');
    const lookup = json<JoinLookup>(await holder(g.app, 'lookup', { token }));
    expect(lookup).toMatchObject({ usable: false, unusableCode: 'JOIN_LINK_REVOKED', orgName: 'Acme' });
  });
});

describe('holder routes', () => {
  it('a signed-in account joins: 201 with the membership; again is 409 ALREADY_MEMBER', async () => {
    const { url } = await createLink({ role: 'admin', label: 'Leads' });
    const token = tokenOfJoin(url);
    const joiner = await outsider();
    const lookup = await holder(g.app, 'lookup', { token }, bearer(joiner.accessToken));
    expect(lookup.statusCode, lookup.body).toBe(200);
    expect(json<JoinLookup>(lookup)).toMatchObject({ orgName: 'Acme', role: 'admin', label: 'Leads', usable: true, you: { alreadyMember: false, domainAllowed: true } });
    const joined = await holder(g.app, 'join', { token }, bearer(joiner.accessToken));
    expect(joined.statusCode, joined.body).toBe(201);
    expect(json(joined)).toMatchObject({ membership: { orgId: org.orgId, role: 'admin', orgName: 'Acme' } });
    expectProblem(await holder(g.app, 'join', { token }, bearer(joiner.accessToken)), 409, 'ALREADY_MEMBER');
  });

  it('an address at another domain is 403 naming the allowed ones; an unknown token 404; used up 410; no seat 409', async () => {
    const { url } = await createLink({ role: 'member', allowedDomains: ['corp.test', 'corp.example'] });
    const refused = expectProblem(await holder(g.app, 'join', { token: tokenOfJoin(url) }, bearer((await outsider()).accessToken)), 403, 'EMAIL_DOMAIN_NOT_ALLOWED');
    expect(refused.detail).toContain('corp.test or corp.example');
    expectProblem(await holder(g.app, 'lookup', { token: unknownToken() }), 404, 'JOIN_LINK_NOT_FOUND');
    expectProblem(await holder(g.app, 'lookup', { token: 'short' }), 400, 'VALIDATION_FAILED');

    const once = await createLink({ role: 'member', maxUses: 1 });
    expect((await holder(g.app, 'join', { token: tokenOfJoin(once.url) }, bearer((await outsider()).accessToken))).statusCode).toBe(201);
    expectProblem(await holder(g.app, 'join', { token: tokenOfJoin(once.url) }, bearer((await outsider()).accessToken)), 410, 'JOIN_LINK_USED_UP');

    const small = await orgWithOwner(g.invites, 1, 'Tiny');
    const tiny = await createLink({ role: 'member' }, small.owner, small);
    const full = expectProblem(await holder(g.app, 'join', { token: tokenOfJoin(tiny.url) }, bearer((await outsider()).accessToken)), 409, 'SEAT_LIMIT_REACHED');
    expect(full.detail).toContain('The only seat is taken');
  });

  it('without a session, creating an account needs a proven address: 403 ADDRESS_NOT_VERIFIED, and the page can ask for a code', async () => {
    const { url } = await createLink({ role: 'member' });
    const token = tokenOfJoin(url);
    const res = await holder(g.app, 'join', { token, email: email('anon'), name: 'Anon', username: `anon${Date.now()}`, password });
    expectProblem(res, 403, 'ADDRESS_NOT_VERIFIED');
    const sent = await holder(g.app, 'verify-email', { token, email: email('anon') });
    expect(sent.statusCode, sent.body).toBe(202);
  });

  it('lookups and joins share the invite tokens\' budget per client: 429 with Retry-After', async () => {
    const { url } = await createLink({ role: 'member' });
    const token = tokenOfJoin(url);
    const client = nextIp();
    for (let n = 0; n < tokenLimit / 2; n++) {
      expectProblem(await g.app.inject({ method: 'POST', url: '/v1/invites/lookup', payload: { token: unknownToken() }, remoteAddress: client }), 404, 'INVITE_NOT_FOUND');
    }
    for (let n = 0; n < tokenLimit / 2; n++) expect((await holder(g.app, 'lookup', { token }, {}, client)).statusCode).toBe(200);
    const limited = await holder(g.app, 'lookup', { token }, {}, client);
    expectProblem(limited, 429, 'RATE_LIMITED');
    expectRetryAfter(limited, 15 * 60);
    expectProblem(await holder(g.app, 'join', { token }, {}, client), 429, 'RATE_LIMITED');
    expectProblem(await g.app.inject({ method: 'POST', url: '/v1/invites/lookup', payload: { token: unknownToken() }, remoteAddress: client }), 429, 'RATE_LIMITED');
    expect((await holder(g.app, 'lookup', { token }, {}, nextIp())).statusCode).toBe(200);
  });

  it('the join page is served with the accept page\'s policies; the token stays in the fragment', async () => {
    const page = await g.app.inject({ method: 'GET', url: '/join' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(String(page.headers['content-security-policy'])).toContain("script-src 'self'");
    expect(page.body).toContain('/join/join.js');
    expect((await g.app.inject({ method: 'GET', url: '/join/join.js' })).statusCode).toBe(200);
    expect((await g.app.inject({ method: 'GET', url: '/join/join.css' })).statusCode).toBe(200);
  });

  it('the module the page scripts share is served as JavaScript with the pages\' policies', async () => {
    const common = await g.app.inject({ method: 'GET', url: '/page/page-common.js' });
    expect(common.statusCode).toBe(200);
    expect(common.headers['content-type']).toMatch(/^text\/javascript/);
    expect(common.headers['cache-control']).toBe('no-store');
    expect(common.headers['referrer-policy']).toBe('no-referrer');
    expect(common.headers['x-content-type-options']).toBe('nosniff');
    expect(String(common.headers['content-security-policy'])).toContain("script-src 'self'");
    for (const script of ['/invite/invite.js', '/join/join.js', '/reset-password/reset.js']) {
      expect((await g.app.inject({ method: 'GET', url: script })).body).toContain("from '/page/page-common.js'");
    }
  });
});

describe('webhooks', () => {
  it('a join through a link delivers member.joined with joinLinkId, signed, without the token or the address', async () => {
    const hooked = await orgWithOwner(g.invites, 10, 'Hooked');
    const hook = `/hooks/${uuidv7()}`;
    const res = await send(g.app, 'POST', `/v1/orgs/${hooked.orgId}/webhooks`, { url: receiver.url(hook), eventTypes: ['member.joined'] }, bearer(hooked.owner.accessToken));
    expect(res.statusCode, res.body).toBe(201);
    const { secret } = json<WebhookWithSecret>(res);
    const { joinLink, url } = await createLink({ role: 'member' }, hooked.owner, hooked);
    const joiner = await outsider();
    const joined = await holder(g.app, 'join', { token: tokenOfJoin(url) }, bearer(joiner.accessToken));
    expect(joined.statusCode, joined.body).toBe(201);

    const [delivery] = await receiver.waitFor(hook, 1);
    expect(receiverVerifies(secret, delivery!)).toBe(true);
    const body = JSON.parse(delivery!.body) as { type: string; data: Record<string, unknown> };
    expect(body.type).toBe('member.joined');
    expect(body.data).toEqual({ orgId: hooked.orgId, userId: joiner.user.id, role: 'member', joinLinkId: joinLink.id });
    expect(delivery!.body).not.toContain(tokenOfJoin(url));
    expect(delivery!.body).not.toContain(joiner.user.email);
  });
});
