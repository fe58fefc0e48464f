import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  AcceptInviteReply,
  AuditPage,
  BulkInviteReply,
  InviteLookup,
  InvitePage,
  InviteView,
  InviteWithLink,
  MemberPage,
  MeView,
  TokenPair,
  UsageView,
} from '@invite/contracts';
import { addMember, email, emailedProof, orgWithOwner, password, tokenOf, type OrgWithOwner } from '../../invites/test/harness.ts';
import { startTestGateway, type TestGateway } from './harness.ts';
import { bearer, expectProblem, expectRetryAfter, json, orphanGateway, tableCounts, unknownToken, uuidPattern, type App } from './support.ts';

/**
 * Every route of the design's "HTTP API v1" through the real gateway, the real invites
 * service, PostgreSQL and NATS: success status and body shape, and each error code the
 * design names for the route.
 */

const base = 'https://app.invite.test';
const isoPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

let g: TestGateway;
let app: App;
let a: OrgWithOwner;
let adminA: TokenPair;
let memberA: TokenPair;

beforeAll(async () => {
  const generous = { LOGIN_LIMIT_PER_15MIN: '100000', REFRESH_LIMIT_PER_15MIN: '100000', TOKEN_LIMIT_PER_15MIN: '100000' };
  g = await startTestGateway('gwroutes', { APP_BASE_URL: base, ...generous }, { APP_BASE_URL: base });
  app = g.app;
  a = await orgWithOwner(g.invites, 100, 'Acme Routes');
  adminA = await addMember(g.invites, a, 'admin');
  memberA = await addMember(g.invites, a, 'member');
});

afterAll(async () => {
  await g?.close();
});

// ---------------------------------------------------------------- helpers

function login(emailAddress: string, pw = password) {
  return app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: emailAddress, password: pw } });
}

function me(token: string) {
  return app.inject({ method: 'GET', url: '/v1/me', headers: bearer(token) });
}

function postInvite(token: string, orgId: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url: `/v1/orgs/${orgId}/invites`, headers: { ...bearer(token), ...headers }, payload: body });
}

async function createInvite(orgId: string, body: Record<string, unknown> = {}, token = adminA.accessToken): Promise<InviteWithLink> {
  const res = await postInvite(token, orgId, { email: email('invitee'), role: 'member', ...body });
  expect(res.statusCode, res.body).toBe(201);
  return json<InviteWithLink>(res);
}

function tokenPost(path: 'lookup' | 'accept' | 'decline', body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url: `/v1/invites/${path}`, payload: body, headers });
}

/** A new account's fields, with the address proof of the emailed link. */
function newAccount(token: string) {
  return { token, proof: emailedProof(token), name: 'New Person', username: `u${Math.random().toString(36).slice(2, 12)}`, password: 'a long enough passphrase' };
}

async function inviteRow(id: string) {
  const rows = await g.invites.sql<{ status: string; token_hash: string; token_version: number; org_id: string }>(
    `select status, token_hash, token_version, org_id from invites where id = ?`,
    [id],
  );
  return rows[0]!;
}

function expectInviteView(invite: InviteView) {
  expect(invite.id).toMatch(uuidPattern);
  expect(invite.orgId).toMatch(uuidPattern);
  expect(['pending', 'accepted', 'declined', 'withdrawn', 'expired']).toContain(invite.status);
  expect(['owner', 'admin', 'member']).toContain(invite.role);
  expect(invite.expiresAt).toMatch(isoPattern);
  expect(invite.createdAt).toMatch(isoPattern);
  expect(invite.tokenVersion).toBeGreaterThanOrEqual(1);
  for (const channel of ['email', 'sms'] as const) {
    const d = invite.delivery[channel];
    expect(['queued', 'sent', 'failed', 'dead', 'skipped']).toContain(d.status);
    expect(typeof d.attempts).toBe('number');
  }
  expect(invite).not.toHaveProperty('token');
  expect(invite).not.toHaveProperty('tokenHash');
}

function expectAcceptUrl(acceptUrl: string) {
  expect(acceptUrl.startsWith(`${base}/invite#token=`), acceptUrl).toBe(true);
  expect(tokenOf(acceptUrl)).toMatch(/^[A-Za-z0-9_-]{43}$/);
}

const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');

// ---------------------------------------------------------------- auth

describe('auth', () => {
  it('POST /v1/auth/login → 200 {accessToken, refreshToken, expiresIn, user}', async () => {
    const res = await login(a.ownerEmail.toUpperCase());
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const pair = json<TokenPair>(res);
    expect(Object.keys(pair).sort()).toEqual(['accessToken', 'expiresIn', 'refreshToken', 'user']);
    expect(pair.accessToken.split('.')).toHaveLength(3);
    expect(pair.refreshToken.length).toBeGreaterThanOrEqual(20);
    expect(pair.expiresIn).toBeGreaterThan(0);
    expect(pair.user).toMatchObject({ id: a.owner.user.id, email: a.ownerEmail });
    expect(pair.user).not.toHaveProperty('passwordHash');
    expect((await me(pair.accessToken)).statusCode).toBe(200);
  });

  it('POST /v1/auth/login → 401 INVALID_CREDENTIALS for a wrong password and for an unknown email, alike', async () => {
    const before = await tableCounts(g);
    const wrong = expectProblem(await login(a.ownerEmail, 'not the right password'), 401, 'INVALID_CREDENTIALS');
    const unknown = expectProblem(await login(email('nobody')), 401, 'INVALID_CREDENTIALS');
    expect(wrong.detail).toBe(unknown.detail);
    expect(wrong.title).toBe(unknown.title);
    expect((await tableCounts(g)).refresh_tokens).toBe(before.refresh_tokens);
  });

  it('POST /v1/auth/refresh → 200 rotated pair; reusing the old token → 401 and the whole family is revoked', async () => {
    const first = json<TokenPair>(await login(a.ownerEmail));
    const other = json<TokenPair>(await login(a.ownerEmail)); // another sign-in: another family

    const rotatedRes = await app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: first.refreshToken } });
    expect(rotatedRes.statusCode, rotatedRes.body).toBe(200);
    const rotated = json<TokenPair>(rotatedRes);
    expect(Object.keys(rotated).sort()).toEqual(['accessToken', 'expiresIn', 'refreshToken', 'user']);
    expect(rotated.refreshToken).not.toBe(first.refreshToken);
    expect(rotated.user.id).toBe(a.owner.user.id);
    expect((await me(rotated.accessToken)).statusCode).toBe(200);

    const reuse = await app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: first.refreshToken } });
    expectProblem(reuse, 401, 'REFRESH_TOKEN_REUSED');

    // The family is gone: the rotated refresh token and its access token no longer work.
    const afterReuse = await app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: rotated.refreshToken } });
    const body = expectProblem(afterReuse, 401);
    expect(['REFRESH_TOKEN_REUSED', 'INVALID_REFRESH_TOKEN']).toContain(body.code);
    expectProblem(await me(rotated.accessToken), 401, 'UNAUTHENTICATED');
    expectProblem(await me(first.accessToken), 401, 'UNAUTHENTICATED');

    // Another sign-in of the same user is not touched.
    expect((await me(other.accessToken)).statusCode).toBe(200);
  });

  it('POST /v1/auth/refresh → 401 INVALID_REFRESH_TOKEN for a token never issued', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: unknownToken() } });
    expectProblem(res, 401, 'INVALID_REFRESH_TOKEN');
  });

  it('POST /v1/auth/logout → 204; the access token then gets 401 and the refresh token no longer rotates', async () => {
    const pair = json<TokenPair>(await login(a.ownerEmail));
    expect((await me(pair.accessToken)).statusCode).toBe(200);
    const res = await app.inject({ method: 'POST', url: '/v1/auth/logout', headers: bearer(pair.accessToken) });
    expect(res.statusCode, res.body).toBe(204);
    expect(res.body).toBe('');
    expectProblem(await me(pair.accessToken), 401, 'UNAUTHENTICATED');
    expectProblem(await app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: pair.refreshToken } }), 401);
    // Signing out needs a session.
    expectProblem(await app.inject({ method: 'POST', url: '/v1/auth/logout' }), 401, 'UNAUTHENTICATED');
  });

  it('GET /v1/me → 200 user and memberships; 401 UNAUTHENTICATED without a token or with a bad one', async () => {
    const res = await me(adminA.accessToken);
    expect(res.statusCode, res.body).toBe(200);
    const view = json<MeView>(res);
    expect(view.user).toEqual(adminA.user);
    expect(view.memberships).toEqual([{ orgId: a.orgId, orgName: 'Acme Routes', role: 'admin', createdAt: expect.stringMatching(isoPattern) }]);

    expectProblem(await app.inject({ method: 'GET', url: '/v1/me' }), 401, 'UNAUTHENTICATED');
    expectProblem(await me('not.a.jwt'), 401, 'UNAUTHENTICATED');
    expectProblem(await me(`${adminA.accessToken.slice(0, -4)}AAAA`), 401, 'UNAUTHENTICATED'); // signature broken
    expectProblem(await app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Basic ${adminA.accessToken}` } }), 401, 'UNAUTHENTICATED');
    // A refresh token is not an access token.
    expectProblem(await me(adminA.refreshToken), 401, 'UNAUTHENTICATED');
  });
});

// ---------------------------------------------------------------- create

describe('POST /v1/orgs/:orgId/invites', () => {
  it('201 {invite, acceptUrl}; the link is built from APP_BASE_URL, never from the Host header; no plaintext token at rest', async () => {
    const who = email('Created').replace(/^created/, 'CrEaTeD');
    const res = await postInvite(
      adminA.accessToken,
      a.orgId,
      { email: who, role: 'member', message: 'Welcome aboard', locale: 'de', expiresInHours: 24 },
      { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'http', origin: 'https://evil.example' },
    );
    expect(res.statusCode, res.body).toBe(201);
    const body = json<InviteWithLink>(res);
    expect(Object.keys(body).sort()).toEqual(['acceptUrl', 'invite']);
    expectAcceptUrl(body.acceptUrl);
    expect(body.acceptUrl).not.toContain('evil');
    expectInviteView(body.invite);
    expect(body.invite).toMatchObject({
      orgId: a.orgId,
      email: who.toLowerCase(),
      role: 'member',
      status: 'pending',
      locale: 'de',
      message: 'Welcome aboard',
      invitedBy: adminA.user.id,
      phone: null,
      closedAt: null,
      acceptedUserId: null,
    });
    expect(body.invite.delivery.email.status).toBe('queued');
    expect(body.invite.delivery.sms.status).toBe('skipped');
    const hours = (Date.parse(body.invite.expiresAt) - Date.parse(body.invite.createdAt)) / 3_600_000;
    expect(Math.round(hours)).toBe(24);

    const token = tokenOf(body.acceptUrl);
    const [row] = await g.invites.sql<{ token_hash: string; whole: string }>(`select token_hash, to_jsonb(i)::text as whole from invites i where id = ?`, [body.invite.id]);
    expect(row!.whole).not.toContain(token);
    expect(row!.token_hash).toBe(sha256(token));
    const outbox = await g.invites.sql<{ text: string }>(`select payload::text as text from outbox where payload->>'inviteId' = ?`, [body.invite.id]);
    expect(outbox.length).toBeGreaterThan(0);
    for (const o of outbox) expect(o.text).not.toContain(token);
  });

  it('409 INVITE_ALREADY_PENDING for an email that already has a pending invite (any case)', async () => {
    const who = email('dup');
    await createInvite(a.orgId, { email: who });
    const before = await tableCounts(g);
    expectProblem(await postInvite(adminA.accessToken, a.orgId, { email: who.toUpperCase(), role: 'member' }), 409, 'INVITE_ALREADY_PENDING');
    expect(await tableCounts(g)).toEqual(before);
  });

  it('409 ALREADY_MEMBER for the email of a member', async () => {
    const before = await tableCounts(g);
    expectProblem(await postInvite(adminA.accessToken, a.orgId, { email: memberA.user.email, role: 'member' }), 409, 'ALREADY_MEMBER');
    expect(await tableCounts(g)).toEqual(before);
  });

  it('409 SEAT_LIMIT_REACHED when members + pending invites fill the seats', async () => {
    const small = await orgWithOwner(g.invites, 2, 'Small');
    await createInvite(small.orgId, {}, small.owner.accessToken);
    const before = await tableCounts(g);
    expectProblem(await postInvite(small.owner.accessToken, small.orgId, { email: email('extra'), role: 'member' }), 409, 'SEAT_LIMIT_REACHED');
    expect(await tableCounts(g)).toEqual(before);
  });

  it('403 ROLE_NOT_ALLOWED when an admin invites an owner; 403 FORBIDDEN for a member; 401 without a token', async () => {
    const before = await tableCounts(g);
    expectProblem(await postInvite(adminA.accessToken, a.orgId, { email: email('boss'), role: 'owner' }), 403, 'ROLE_NOT_ALLOWED');
    expectProblem(await postInvite(memberA.accessToken, a.orgId, { email: email('friend'), role: 'member' }), 403, 'FORBIDDEN');
    expectProblem(await app.inject({ method: 'POST', url: `/v1/orgs/${a.orgId}/invites`, payload: { email: email('anon'), role: 'member' } }), 401, 'UNAUTHENTICATED');
    expect(await tableCounts(g)).toEqual(before);
    // The owner may grant owner.
    await createInvite(a.orgId, { role: 'owner' }, a.owner.accessToken);
  });

  it('Idempotency-Key: the same key and body twice → one invite; the replay is identical and marked idempotent-replayed', async () => {
    const who = email('idem');
    const key = `create-${Math.random().toString(36).slice(2)}`;
    const body = { email: who, role: 'member' };
    const first = await postInvite(adminA.accessToken, a.orgId, body, { 'idempotency-key': key });
    expect(first.statusCode, first.body).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const second = await postInvite(adminA.accessToken, a.orgId, body, { 'idempotency-key': key });
    expect(second.statusCode, second.body).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(json(second)).toEqual(json(first));
    const rows = await g.invites.sql<{ n: number }>(`select count(*)::int as n from invites where org_id = ? and email = ?`, [a.orgId, who]);
    expect(rows[0]!.n).toBe(1);

    // The same key and another body → 422, and nothing is created.
    const before = await tableCounts(g);
    const other = await postInvite(adminA.accessToken, a.orgId, { email: email('idem-other'), role: 'member' }, { 'idempotency-key': key });
    expectProblem(other, 422, 'IDEMPOTENCY_KEY_REUSED');
    expect(await tableCounts(g)).toEqual(before);
  });

  it('Idempotency-Key is scoped per caller: another admin with the same key and body is not replayed', async () => {
    const who = email('idem-scope');
    const key = `scope-${Math.random().toString(36).slice(2)}`;
    const first = await postInvite(adminA.accessToken, a.orgId, { email: who, role: 'member' }, { 'idempotency-key': key });
    expect(first.statusCode).toBe(201);
    const other = await postInvite(a.owner.accessToken, a.orgId, { email: who, role: 'member' }, { 'idempotency-key': key });
    expect(other.headers['idempotent-replayed']).toBeUndefined();
    expectProblem(other, 409, 'INVITE_ALREADY_PENDING');
  });

  it('Idempotency-Key: a client error is an answer too, replayed for the same key and body', async () => {
    const key = `err-${Math.random().toString(36).slice(2)}`;
    const body = { email: memberA.user.email, role: 'member' };
    const first = await postInvite(adminA.accessToken, a.orgId, body, { 'idempotency-key': key });
    expectProblem(first, 409, 'ALREADY_MEMBER');
    const second = await postInvite(adminA.accessToken, a.orgId, body, { 'idempotency-key': key });
    expectProblem(second, 409, 'ALREADY_MEMBER');
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(json(second).detail).toBe(json(first).detail);
  });
});

// ---------------------------------------------------------------- bulk

describe('POST /v1/orgs/:orgId/invites/bulk', () => {
  const bulkUrl = () => `/v1/orgs/${a.orgId}/invites/bulk`;

  it('JSON array → 200 with one result per row; a bad row does not stop the others', async () => {
    const first = email('bulk');
    const last = email('bulk');
    const rows = [
      { email: first, role: 'member' },
      { email: 'not an email', role: 'member' },
      { email: first.toUpperCase(), role: 'member' },
      { email: last, role: 'admin', channels: ['email'] },
      { email: memberA.user.email, role: 'member' },
    ];
    const res = await app.inject({ method: 'POST', url: bulkUrl(), headers: bearer(adminA.accessToken), payload: rows });
    expect(res.statusCode, res.body).toBe(200);
    const body = json<BulkInviteReply>(res);
    expect(body.created).toBe(2);
    expect(body.failed).toBe(3);
    expect(body.results.map((r) => [r.row, r.status])).toEqual([
      [0, 'created'],
      [1, 'failed'],
      [2, 'failed'],
      [3, 'created'],
      [4, 'failed'],
    ]);
    expect(body.results[1]!.code).toBe('VALIDATION_FAILED');
    expect(body.results[1]!.errors?.[0]?.path).toBe('/email');
    expect(body.results[2]!.code).toBe('DUPLICATE_ROW');
    expect(body.results[4]!.code).toBe('ALREADY_MEMBER');
    for (const r of [body.results[0]!, body.results[3]!]) {
      expectAcceptUrl(r.acceptUrl!);
      expectInviteView(r.invite!);
      expect(r.invite!.status).toBe('pending');
    }
    const stored = await g.invites.sql<{ email: string; role: string }>(`select email, role from invites where org_id = ? and email in (?, ?) order by role`, [a.orgId, first, last]);
    expect(stored).toEqual([
      { email: last, role: 'admin' },
      { email: first, role: 'member' },
    ]);
  });

  it('text/csv → 200 with per-row results (quoted cells, channels separated by ;)', async () => {
    const one = email('csv');
    const two = email('csv');
    const csv = `email,role,channels,message\n${one},member,email,"Hello, ""friend"""\n${two},admin,,\n`;
    const res = await app.inject({ method: 'POST', url: bulkUrl(), headers: { ...bearer(adminA.accessToken), 'content-type': 'text/csv' }, payload: csv });
    expect(res.statusCode, res.body).toBe(200);
    const body = json<BulkInviteReply>(res);
    expect(body.created).toBe(2);
    expect(body.failed).toBe(0);
    expect(body.results.map((r) => r.invite?.email)).toEqual([one, two]);
    expect(body.results[0]!.invite!.message).toBe('Hello, "friend"');
    expect(body.results[1]!.invite!.role).toBe('admin');
  });

  it('Idempotency-Key on bulk replays the first answer and creates the rows once', async () => {
    const key = `bulk-${Math.random().toString(36).slice(2)}`;
    const rows = [{ email: email('bulkidem'), role: 'member' }];
    const headers = { ...bearer(adminA.accessToken), 'idempotency-key': key };
    const first = await app.inject({ method: 'POST', url: bulkUrl(), headers, payload: rows });
    expect(first.statusCode, first.body).toBe(200);
    const second = await app.inject({ method: 'POST', url: bulkUrl(), headers, payload: rows });
    expect(second.statusCode).toBe(200);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(json(second)).toEqual(json(first));
    const n = await g.invites.sql<{ n: number }>(`select count(*)::int as n from invites where email = ?`, [rows[0]!.email]);
    expect(n[0]!.n).toBe(1);
  });

  it('400 for more than 1000 rows (JSON and CSV), a broken CSV, an unknown CSV column; nothing is created', async () => {
    const before = await tableCounts(g);
    const many = Array.from({ length: 1001 }, (_, i) => ({ email: `many${i}@example.test`, role: 'member' }));
    const tooManyJson = expectProblem(await app.inject({ method: 'POST', url: bulkUrl(), headers: bearer(adminA.accessToken), payload: many }), 400, 'VALIDATION_FAILED');
    expect(tooManyJson.detail).toMatch(/1000/);

    const csvHeaders = { ...bearer(adminA.accessToken), 'content-type': 'text/csv' };
    const manyCsv = `email,role\n${Array.from({ length: 1001 }, (_, i) => `many${i}@example.test,member`).join('\n')}\n`;
    const tooManyCsv = expectProblem(await app.inject({ method: 'POST', url: bulkUrl(), headers: csvHeaders, payload: manyCsv }), 400, 'VALIDATION_FAILED');
    expect(tooManyCsv.detail).toMatch(/1000/);

    const broken = `email,role\n"unterminated@example.test,member\nx@example.test,member\n`;
    expectProblem(await app.inject({ method: 'POST', url: bulkUrl(), headers: csvHeaders, payload: broken }), 400, 'VALIDATION_FAILED');

    const ragged = `email,role\na@example.test,member,extra\n`;
    expectProblem(await app.inject({ method: 'POST', url: bulkUrl(), headers: csvHeaders, payload: ragged }), 400, 'VALIDATION_FAILED');

    const unknownColumn = `email,role,salary\nb@example.test,member,100\n`;
    const unknown = expectProblem(await app.inject({ method: 'POST', url: bulkUrl(), headers: csvHeaders, payload: unknownColumn }), 400, 'VALIDATION_FAILED');
    expect(unknown.detail).toContain('salary');

    const headerOnly = `email,role\n`;
    expectProblem(await app.inject({ method: 'POST', url: bulkUrl(), headers: csvHeaders, payload: headerOnly }), 400, 'VALIDATION_FAILED');

    expect(await tableCounts(g)).toEqual(before);
  });

  it('exactly 1000 rows is accepted', async () => {
    const small = await orgWithOwner(g.invites, 2000, 'Thousand');
    const rows = Array.from({ length: 1000 }, (_, i) => ({ email: `thousand${i}.${small.orgId.slice(0, 8)}@example.test`, role: 'member' }));
    const res = await app.inject({ method: 'POST', url: `/v1/orgs/${small.orgId}/invites/bulk`, headers: bearer(small.owner.accessToken), payload: rows });
    expect(res.statusCode, res.body.slice(0, 500)).toBe(200);
    expect(json<BulkInviteReply>(res).created).toBe(1000);
  });
});

// ---------------------------------------------------------------- list

describe('GET /v1/orgs/:orgId/invites', () => {
  let list: OrgWithOwner;
  let withdrawnId: string;
  const marker = `zq${Math.random().toString(36).slice(2, 8)}`;

  beforeAll(async () => {
    list = await orgWithOwner(g.invites, 100, 'Listing');
    for (let i = 0; i < 5; i++) await createInvite(list.orgId, { email: email(i % 2 === 0 ? `${marker}x` : 'plain') }, list.owner.accessToken);
    const toWithdraw = await createInvite(list.orgId, { email: email('gone') }, list.owner.accessToken);
    withdrawnId = toWithdraw.invite.id;
    const res = await app.inject({ method: 'DELETE', url: `/v1/orgs/${list.orgId}/invites/${withdrawnId}`, headers: bearer(list.owner.accessToken) });
    expect(res.statusCode).toBe(200);
  });

  const get = (query: string) => app.inject({ method: 'GET', url: `/v1/orgs/${list.orgId}/invites${query}`, headers: bearer(list.owner.accessToken) });

  it('keyset pages: limit and cursor walk every invite once, newest first, ending with nextCursor null', async () => {
    const expected = await g.invites.sql<{ id: string }>(`select id from invites where org_id = ? order by created_at desc, id desc`, [list.orgId]);
    expect(expected.length).toBe(7); // bootstrap owner invite + 6
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await get(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode, res.body).toBe(200);
      const page = json<InvitePage>(res);
      expect(Object.keys(page).sort()).toEqual(['items', 'nextCursor']);
      expect(page.items.length).toBeLessThanOrEqual(2);
      page.items.forEach(expectInviteView);
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
      pages += 1;
      expect(pages).toBeLessThan(10);
    } while (cursor);
    expect(seen).toEqual(expected.map((r) => r.id));
    expect(pages).toBe(4);

    const all = json<InvitePage>(await get(''));
    expect(all.items.map((i) => i.id)).toEqual(expected.map((r) => r.id));
    expect(all.nextCursor).toBeNull();
  });

  it('status filter', async () => {
    const withdrawn = json<InvitePage>(await get('?status=withdrawn'));
    expect(withdrawn.items.map((i) => i.id)).toEqual([withdrawnId]);
    expect(withdrawn.items[0]!.status).toBe('withdrawn');
    const pending = json<InvitePage>(await get('?status=pending'));
    const pendingIds = await g.invites.sql<{ id: string }>(`select id from invites where org_id = ? and status = 'pending' order by created_at desc, id desc`, [list.orgId]);
    expect(pending.items.map((i) => i.id)).toEqual(pendingIds.map((r) => r.id));
    expect(pending.items.length).toBe(5);
    expect(pending.items.every((i) => i.status === 'pending')).toBe(true);
    const accepted = json<InvitePage>(await get('?status=accepted'));
    expect(accepted.items.map((i) => i.email)).toEqual([list.ownerEmail]);
  });

  it('q searches the email', async () => {
    const res = await get(`?q=${marker}`);
    expect(res.statusCode).toBe(200);
    const page = json<InvitePage>(res);
    expect(page.items.length).toBe(3);
    expect(page.items.every((i) => i.email.includes(marker))).toBe(true);
    const combined = json<InvitePage>(await get(`?q=${marker}&status=pending&limit=1`));
    expect(combined.items.length).toBe(1);
    expect(combined.nextCursor).not.toBeNull();
    const none = json<InvitePage>(await get(`?q=nomatch${marker}`));
    expect(none).toEqual({ items: [], nextCursor: null });
  });

  it('a member gets 403 FORBIDDEN', async () => {
    expectProblem(await app.inject({ method: 'GET', url: `/v1/orgs/${a.orgId}/invites`, headers: bearer(memberA.accessToken) }), 403, 'FORBIDDEN');
  });
});

// ---------------------------------------------------------------- one invite

describe('one invite: get, resend, withdraw', () => {
  const url = (id: string, suffix = '') => `/v1/orgs/${a.orgId}/invites/${id}${suffix}`;

  it('GET → 200 with per-channel delivery state; 404 NOT_FOUND for an unknown id', async () => {
    const created = await createInvite(a.orgId, { phone: '+447700900123' });
    const res = await app.inject({ method: 'GET', url: url(created.invite.id), headers: bearer(adminA.accessToken) });
    expect(res.statusCode, res.body).toBe(200);
    const view = json<InviteView>(res);
    expectInviteView(view);
    expect(view.id).toBe(created.invite.id);
    expect(view.phone).toBe('+447700900123');
    expect(view.delivery.email.status).toBe('queued');
    expect(view.delivery.sms.status).toBe('queued');
    expect(Object.keys(view.delivery.email).sort()).toEqual(['attempts', 'lastError', 'providerMessageId', 'sentAt', 'status']);
    expect(res.body).not.toContain(tokenOf(created.acceptUrl));

    expectProblem(await app.inject({ method: 'GET', url: url(crypto.randomUUID()), headers: bearer(adminA.accessToken) }), 404, 'NOT_FOUND');
  });

  it('POST …/resend → 200 new link, old link dead, expiry renewed, token version up', async () => {
    const created = await createInvite(a.orgId);
    const res = await app.inject({ method: 'POST', url: url(created.invite.id, '/resend'), headers: bearer(adminA.accessToken) });
    expect(res.statusCode, res.body).toBe(200);
    const resent = json<InviteWithLink>(res);
    expectAcceptUrl(resent.acceptUrl);
    expect(resent.acceptUrl).not.toBe(created.acceptUrl);
    expect(resent.invite.id).toBe(created.invite.id);
    expect(resent.invite.status).toBe('pending');
    expect(resent.invite.tokenVersion).toBe(created.invite.tokenVersion + 1);
    expect(Date.parse(resent.invite.expiresAt)).toBeGreaterThanOrEqual(Date.parse(created.invite.expiresAt));

    expectProblem(await tokenPost('lookup', { token: tokenOf(created.acceptUrl) }), 404, 'INVITE_NOT_FOUND');
    const lookup = await tokenPost('lookup', { token: tokenOf(resent.acceptUrl) });
    expect(lookup.statusCode, lookup.body).toBe(200);
    expect(json<InviteLookup>(lookup).inviteId).toBe(created.invite.id);
  });

  it('DELETE → 200 withdrawn; again → 409 INVITE_NOT_PENDING; resend of it → 409 INVITE_NOT_PENDING; its link → 410', async () => {
    const created = await createInvite(a.orgId);
    const res = await app.inject({ method: 'DELETE', url: url(created.invite.id), headers: bearer(adminA.accessToken) });
    expect(res.statusCode, res.body).toBe(200);
    const view = json<InviteView>(res);
    expectInviteView(view);
    expect(view.status).toBe('withdrawn');
    expect(view.closedAt).toMatch(isoPattern);
    expect((await inviteRow(created.invite.id)).status).toBe('withdrawn');

    expectProblem(await app.inject({ method: 'DELETE', url: url(created.invite.id), headers: bearer(adminA.accessToken) }), 409, 'INVITE_NOT_PENDING');
    expectProblem(await app.inject({ method: 'POST', url: url(created.invite.id, '/resend'), headers: bearer(adminA.accessToken) }), 409, 'INVITE_NOT_PENDING');
    expect((await inviteRow(created.invite.id)).status).toBe('withdrawn');
    expectProblem(await tokenPost('lookup', { token: tokenOf(created.acceptUrl) }), 410, 'INVITE_WITHDRAWN');
    expectProblem(await app.inject({ method: 'DELETE', url: url(crypto.randomUUID()), headers: bearer(adminA.accessToken) }), 404, 'NOT_FOUND');
    expectProblem(await app.inject({ method: 'POST', url: url(crypto.randomUUID(), '/resend'), headers: bearer(adminA.accessToken) }), 404, 'NOT_FOUND');
  });

  it('a member gets 403 FORBIDDEN on get, resend and withdraw, and nothing changes', async () => {
    const created = await createInvite(a.orgId);
    const before = await g.invites.sql(`select to_jsonb(i) as row from invites i where id = ?`, [created.invite.id]);
    expectProblem(await app.inject({ method: 'GET', url: url(created.invite.id), headers: bearer(memberA.accessToken) }), 403, 'FORBIDDEN');
    expectProblem(await app.inject({ method: 'POST', url: url(created.invite.id, '/resend'), headers: bearer(memberA.accessToken) }), 403, 'FORBIDDEN');
    expectProblem(await app.inject({ method: 'DELETE', url: url(created.invite.id), headers: bearer(memberA.accessToken) }), 403, 'FORBIDDEN');
    expect(await g.invites.sql(`select to_jsonb(i) as row from invites i where id = ?`, [created.invite.id])).toEqual(before);
  });
});

// ---------------------------------------------------------------- org views

describe('members, usage, audit', () => {
  it('GET members → 200 page of {user, role, joinedAt}', async () => {
    const res = await app.inject({ method: 'GET', url: `/v1/orgs/${a.orgId}/members`, headers: bearer(adminA.accessToken) });
    expect(res.statusCode, res.body).toBe(200);
    const page = json<MemberPage>(res);
    const db = await g.invites.sql<{ n: number }>(`select count(*)::int as n from memberships where org_id = ?`, [a.orgId]);
    expect(page.items.length).toBe(db[0]!.n);
    const roles = new Map(page.items.map((m) => [m.user.id, m.role]));
    expect(roles.get(a.owner.user.id)).toBe('owner');
    expect(roles.get(adminA.user.id)).toBe('admin');
    expect(roles.get(memberA.user.id)).toBe('member');
    for (const m of page.items) {
      expect(Object.keys(m).sort()).toEqual(['joinedAt', 'role', 'user']);
      expect(Object.keys(m.user).sort()).toEqual(['email', 'id', 'name', 'username']);
    }
    const first = json<MemberPage>(await app.inject({ method: 'GET', url: `/v1/orgs/${a.orgId}/members?limit=1`, headers: bearer(adminA.accessToken) }));
    expect(first.items.length).toBe(1);
    expect(first.items[0]!.user.id).toBe(a.owner.user.id); // oldest first
    expect(first.nextCursor).not.toBeNull();
    const second = json<MemberPage>(await app.inject({ method: 'GET', url: `/v1/orgs/${a.orgId}/members?limit=1&cursor=${first.nextCursor}`, headers: bearer(adminA.accessToken) }));
    expect(second.items[0]!.user.id).not.toBe(a.owner.user.id);
  });

  it('GET usage → 200 {seatLimit, members, pendingInvites, available} as in the database', async () => {
    const res = await app.inject({ method: 'GET', url: `/v1/orgs/${a.orgId}/usage`, headers: bearer(adminA.accessToken) });
    expect(res.statusCode, res.body).toBe(200);
    const usage = json<UsageView>(res);
    const [db] = await g.invites.sql<{ members: number; pending: number }>(
      `select (select count(*)::int from memberships where org_id = ?) as members,
              (select count(*)::int from invites where org_id = ? and status = 'pending' and expires_at > now()) as pending`,
      [a.orgId, a.orgId],
    );
    expect(usage).toEqual({ seatLimit: 100, members: db!.members, pendingInvites: db!.pending, available: 100 - db!.members - db!.pending });
  });

  it('GET audit → 200 page of entries, newest first', async () => {
    const created = await createInvite(a.orgId);
    const res = await app.inject({ method: 'GET', url: `/v1/orgs/${a.orgId}/audit?limit=5`, headers: bearer(adminA.accessToken) });
    expect(res.statusCode, res.body).toBe(200);
    const page = json<AuditPage>(res);
    expect(page.items.length).toBe(5);
    expect(page.nextCursor).not.toBeNull();
    for (const e of page.items) expect(Object.keys(e).sort()).toEqual(['action', 'actor', 'actorName', 'at', 'data', 'id', 'summary', 'target']);
    const times = page.items.map((e) => Date.parse(e.at));
    expect([...times].sort((x, y) => y - x)).toEqual(times);
    expect(page.items[0]).toMatchObject({ action: 'invite.created', target: `invite:${created.invite.id}`, actor: `user:${adminA.user.id}` });
    expect(JSON.stringify(page)).not.toContain(tokenOf(created.acceptUrl));
  });

  it('a member gets 403 FORBIDDEN on members, usage and audit', async () => {
    for (const path of ['members', 'usage', 'audit']) {
      expectProblem(await app.inject({ method: 'GET', url: `/v1/orgs/${a.orgId}/${path}`, headers: bearer(memberA.accessToken) }), 403, 'FORBIDDEN');
    }
  });
});

// ---------------------------------------------------------------- invitee

describe('POST /v1/invites/lookup', () => {
  it('200 with org name, inviter, role, email, expiresAt, accountExists; it changes nothing', async () => {
    const created = await createInvite(a.orgId, { role: 'admin', message: 'Join us' });
    const before = await g.invites.sql(`select to_jsonb(i) as row from invites i where id = ?`, [created.invite.id]);
    const counts = await tableCounts(g);
    const token = tokenOf(created.acceptUrl);
    const res = await tokenPost('lookup', { token, proof: emailedProof(token) });
    expect(res.statusCode, res.body).toBe(200);
    expect(json<InviteLookup>(res)).toEqual({
      inviteId: created.invite.id,
      orgId: a.orgId,
      orgName: 'Acme Routes',
      inviterName: adminA.user.name,
      role: 'admin',
      email: created.invite.email,
      expiresAt: created.invite.expiresAt,
      message: 'Join us',
      accountExists: false,
      addressVerified: true,
    });
    expect(await g.invites.sql(`select to_jsonb(i) as row from invites i where id = ?`, [created.invite.id])).toEqual(before);
    expect(await tableCounts(g)).toEqual(counts);

    const forExisting = await createInvite(a.orgId, { email: (await orgWithOwner(g.invites, 5, 'Elsewhere')).ownerEmail });
    const existingToken = tokenOf(forExisting.acceptUrl);
    expect(json<InviteLookup>(await tokenPost('lookup', { token: existingToken, proof: emailedProof(existingToken) })).accountExists).toBe(true);
    // The inviter's copy (no proof) is not told.
    expect(json<InviteLookup>(await tokenPost('lookup', { token: existingToken }))).toMatchObject({ accountExists: null, addressVerified: false });
  });

  it('404 INVITE_NOT_FOUND; 410 INVITE_EXPIRED, INVITE_WITHDRAWN, INVITE_ALREADY_USED', async () => {
    expectProblem(await tokenPost('lookup', { token: unknownToken() }), 404, 'INVITE_NOT_FOUND');

    const expired = await createInvite(a.orgId);
    await g.invites.sql(`update invites set expires_at = now() - interval '1 minute' where id = ?`, [expired.invite.id]);
    expectProblem(await tokenPost('lookup', { token: tokenOf(expired.acceptUrl) }), 410, 'INVITE_EXPIRED');

    const withdrawn = await createInvite(a.orgId);
    await app.inject({ method: 'DELETE', url: `/v1/orgs/${a.orgId}/invites/${withdrawn.invite.id}`, headers: bearer(adminA.accessToken) });
    expectProblem(await tokenPost('lookup', { token: tokenOf(withdrawn.acceptUrl) }), 410, 'INVITE_WITHDRAWN');

    const declined = await createInvite(a.orgId);
    expect((await tokenPost('decline', { token: tokenOf(declined.acceptUrl) })).statusCode).toBe(200);
    expectProblem(await tokenPost('lookup', { token: tokenOf(declined.acceptUrl) }), 410, 'INVITE_ALREADY_USED');

    const accepted = await createInvite(a.orgId);
    expect((await tokenPost('accept', newAccount(tokenOf(accepted.acceptUrl)))).statusCode).toBe(201);
    expectProblem(await tokenPost('lookup', { token: tokenOf(accepted.acceptUrl) }), 410, 'INVITE_ALREADY_USED');
  });
});

describe('POST /v1/invites/accept', () => {
  it('201 for a new account {user, membership, accessToken, refreshToken, expiresIn}; the session works; the link is then used', async () => {
    const created = await createInvite(a.orgId, { role: 'admin' });
    const body = newAccount(tokenOf(created.acceptUrl));
    const res = await tokenPost('accept', body);
    expect(res.statusCode, res.body).toBe(201);
    const accepted = json<AcceptInviteReply>(res);
    expect(Object.keys(accepted).sort()).toEqual(['accessToken', 'expiresIn', 'membership', 'redirectUrl', 'refreshToken', 'user']);
    // The invite names no redirect: the reply says so rather than leaving the key out.
    expect(accepted.redirectUrl).toBeNull();
    expect(accepted.user).toMatchObject({ email: created.invite.email, username: body.username, name: 'New Person' });
    expect(accepted.membership).toMatchObject({ orgId: a.orgId, orgName: 'Acme Routes', role: 'admin' });
    const view = json<MeView>(await me(accepted.accessToken));
    expect(view.memberships.map((m) => [m.orgId, m.role])).toEqual([[a.orgId, 'admin']]);
    expect((await inviteRow(created.invite.id)).status).toBe('accepted');
    // The new account signs in with its password.
    expect((await login(created.invite.email, body.password)).statusCode).toBe(200);
    // Single use.
    expectProblem(await tokenPost('accept', newAccount(tokenOf(created.acceptUrl))), 410, 'INVITE_ALREADY_USED');
  });

  it('201 for an existing account with its bearer token', async () => {
    const other = await orgWithOwner(g.invites, 5, 'Other');
    const created = await createInvite(a.orgId, { email: other.ownerEmail });
    // Without the bearer an existing account cannot accept.
    expectProblem(await tokenPost('accept', newAccount(tokenOf(created.acceptUrl))), 409, 'ACCOUNT_EXISTS');
    const res = await tokenPost('accept', { token: tokenOf(created.acceptUrl) }, bearer(other.owner.accessToken));
    expect(res.statusCode, res.body).toBe(201);
    const accepted = json<AcceptInviteReply>(res);
    expect(accepted.user.id).toBe(other.owner.user.id);
    expect(accepted.membership).toMatchObject({ orgId: a.orgId, role: 'member' });
    const view = json<MeView>(await me(other.owner.accessToken));
    expect(view.memberships.map((m) => m.orgId).sort()).toEqual([a.orgId, other.orgId].sort());
  });

  it('403 EMAIL_MISMATCH for another account; the invite stays usable by the invited person', async () => {
    const created = await createInvite(a.orgId);
    const counts = await tableCounts(g);
    const res = await tokenPost('accept', { token: tokenOf(created.acceptUrl) }, bearer(memberA.accessToken));
    const problem = expectProblem(res, 403, 'EMAIL_MISMATCH');
    expect(problem.detail).not.toContain(created.invite.email); // masked
    expect((await inviteRow(created.invite.id)).status).toBe('pending');
    expect(await tableCounts(g)).toEqual(counts);
    expect((await tokenPost('lookup', { token: tokenOf(created.acceptUrl) })).statusCode).toBe(200);
    const good = await tokenPost('accept', newAccount(tokenOf(created.acceptUrl)));
    expect(good.statusCode, good.body).toBe(201);
  });

  it('409 SEAT_LIMIT_REACHED when the seats were lowered after the invite was sent; the invite stays pending', async () => {
    const tight = await orgWithOwner(g.invites, 3, 'Tight');
    const one = await createInvite(tight.orgId, {}, tight.owner.accessToken);
    await createInvite(tight.orgId, {}, tight.owner.accessToken);
    await g.invites.sql(`update orgs set seat_limit = 2 where id = ?`, [tight.orgId]);
    const counts = await tableCounts(g);
    expectProblem(await tokenPost('accept', newAccount(tokenOf(one.acceptUrl))), 409, 'SEAT_LIMIT_REACHED');
    expect((await inviteRow(one.invite.id)).status).toBe('pending');
    expect(await tableCounts(g)).toEqual(counts);
  });

  it('404 INVITE_NOT_FOUND; 410 INVITE_WITHDRAWN and INVITE_EXPIRED', async () => {
    expectProblem(await tokenPost('accept', newAccount(unknownToken())), 404, 'INVITE_NOT_FOUND');
    const withdrawn = await createInvite(a.orgId);
    await app.inject({ method: 'DELETE', url: `/v1/orgs/${a.orgId}/invites/${withdrawn.invite.id}`, headers: bearer(adminA.accessToken) });
    expectProblem(await tokenPost('accept', newAccount(tokenOf(withdrawn.acceptUrl))), 410, 'INVITE_WITHDRAWN');
    const expired = await createInvite(a.orgId);
    await g.invites.sql(`update invites set expires_at = now() - interval '1 minute' where id = ?`, [expired.invite.id]);
    const counts = await tableCounts(g);
    expectProblem(await tokenPost('accept', newAccount(tokenOf(expired.acceptUrl))), 410, 'INVITE_EXPIRED');
    expect(await tableCounts(g)).toEqual(counts);
  });
});

describe('POST /v1/invites/decline', () => {
  it('200 {inviteId, status: declined}; the seat is freed', async () => {
    const created = await createInvite(a.orgId);
    const usage = async () => json<UsageView>(await app.inject({ method: 'GET', url: `/v1/orgs/${a.orgId}/usage`, headers: bearer(adminA.accessToken) }));
    const before = await usage();
    const res = await tokenPost('decline', { token: tokenOf(created.acceptUrl) });
    expect(res.statusCode, res.body).toBe(200);
    expect(json(res)).toEqual({ inviteId: created.invite.id, status: 'declined' });
    expect((await inviteRow(created.invite.id)).status).toBe('declined');
    expect((await usage()).pendingInvites).toBe(before.pendingInvites - 1);
    expectProblem(await tokenPost('decline', { token: tokenOf(created.acceptUrl) }), 410, 'INVITE_ALREADY_USED');
  });

  it('404 INVITE_NOT_FOUND; 410 INVITE_WITHDRAWN and INVITE_EXPIRED', async () => {
    expectProblem(await tokenPost('decline', { token: unknownToken() }), 404, 'INVITE_NOT_FOUND');
    const withdrawn = await createInvite(a.orgId);
    await app.inject({ method: 'DELETE', url: `/v1/orgs/${a.orgId}/invites/${withdrawn.invite.id}`, headers: bearer(adminA.accessToken) });
    expectProblem(await tokenPost('decline', { token: tokenOf(withdrawn.acceptUrl) }), 410, 'INVITE_WITHDRAWN');
    const expired = await createInvite(a.orgId);
    await g.invites.sql(`update invites set expires_at = now() - interval '1 minute' where id = ?`, [expired.invite.id]);
    expectProblem(await tokenPost('decline', { token: tokenOf(expired.acceptUrl) }), 410, 'INVITE_EXPIRED');
    expect((await inviteRow(expired.invite.id)).status).not.toBe('declined');
  });
});

// ---------------------------------------------------------------- page and ops

describe('accept page and ops endpoints', () => {
  it('GET /invite → 200 text/html, Referrer-Policy no-referrer, Cache-Control no-store, a CSP without unsafe-inline', async () => {
    const res = await app.inject({ method: 'GET', url: '/invite' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(res.body).toMatch(/<html/i);
    // No inline script: every <script> has a src.
    for (const tag of res.body.match(/<script\b[^>]*>/gi) ?? []) expect(tag).toMatch(/\bsrc=/);
    const js = await app.inject({ method: 'GET', url: '/invite/invite.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
  });

  it('GET /healthz → 200 ok; GET /readyz → 200 ready', async () => {
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    expect(json(health)).toEqual({ status: 'ok' });
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(json(ready)).toEqual({ status: 'ready' });
  });

  it('GET /metrics → Prometheus text with gateway_http_requests_total by route template, never a raw id', async () => {
    await createInvite(a.orgId);
    await app.inject({ method: 'GET', url: `/v1/orgs/${a.orgId}/invites/${crypto.randomUUID()}`, headers: bearer(adminA.accessToken) });
    await app.inject({ method: 'GET', url: `/no/such/${crypto.randomUUID()}` });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toContain('# TYPE gateway_http_requests_total counter');
    expect(res.body).toMatch(/gateway_http_requests_total\{[^}]*route="\/v1\/orgs\/:orgId\/invites"[^}]*status_code="201"[^}]*\} \d+/);
    expect(res.body).toMatch(/gateway_http_requests_total\{[^}]*route="\/v1\/orgs\/:orgId\/invites\/:inviteId"[^}]*status_code="404"[^}]*\}/);
    expect(res.body).toContain('gateway_http_request_duration_seconds_bucket');
    expect(res.body).not.toMatch(uuidPattern);
    expect(res.body).not.toContain(a.orgId);
  });

  it('GET /docs/json → OpenAPI 3 listing every /v1 path', async () => {
    const res = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const doc = json<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(res);
    expect(doc.openapi).toMatch(/^3\./);
    const expected: [string, string][] = [
      ['/v1/auth/login', 'post'],
      ['/v1/auth/refresh', 'post'],
      ['/v1/auth/logout', 'post'],
      ['/v1/me', 'get'],
      ['/v1/orgs/{orgId}/invites', 'post'],
      ['/v1/orgs/{orgId}/invites', 'get'],
      ['/v1/orgs/{orgId}/invites/bulk', 'post'],
      ['/v1/orgs/{orgId}/invites/{inviteId}', 'get'],
      ['/v1/orgs/{orgId}/invites/{inviteId}', 'delete'],
      ['/v1/orgs/{orgId}/invites/{inviteId}/resend', 'post'],
      ['/v1/orgs/{orgId}/members', 'get'],
      ['/v1/orgs/{orgId}/usage', 'get'],
      ['/v1/orgs/{orgId}/audit', 'get'],
      ['/v1/invites/lookup', 'post'],
      ['/v1/invites/accept', 'post'],
      ['/v1/invites/decline', 'post'],
      ['/v1/invites/verify-email', 'post'],
      ['/v1/invites/verify-email/confirm', 'post'],
    ];
    for (const [path, method] of expected) expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    const ui = await app.inject({ method: 'GET', url: '/docs' });
    expect(ui.statusCode).toBeLessThan(400);
  });

  it('an unknown route is a 404 NOT_FOUND problem', async () => {
    expectProblem(await app.inject({ method: 'GET', url: '/v1/nothing-here' }), 404, 'NOT_FOUND');
  });
});

// ---------------------------------------------------------------- separate gateways

describe('503 SERVICE_UNAVAILABLE when no invites service answers', () => {
  it('a gateway whose NATS prefix has no invites service → 503 with Retry-After; /readyz is 503 not ready', async () => {
    const logged: { level: number; code?: string; err?: unknown }[] = [];
    const stream = { write: (line: string) => void logged.push(JSON.parse(line)) };
    const orphan = await orphanGateway(g.invites.env.NATS_URL!, {}, { level: 'info', stream });
    try {
      const res = await orphan.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: a.ownerEmail, password } });
      const body = expectProblem(res, 503, 'SERVICE_UNAVAILABLE');
      expectRetryAfter(res, 60);
      expect(body.detail).not.toMatch(/nats|prefix|subject|\.v1\./i);
      // Authenticated routes too: the token is valid, the service is just not there.
      expectProblem(await orphan.app.inject({ method: 'GET', url: `/v1/orgs/${a.orgId}/usage`, headers: bearer(adminA.accessToken) }), 503, 'SERVICE_UNAVAILABLE');
      const ready = await orphan.app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(json(ready)).toEqual({ status: 'not ready' });
      expect((await orphan.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      // An outage is a warning per request (pino level 40), never an error with a stack trace.
      const outage = logged.filter((l) => l.code === 'SERVICE_UNAVAILABLE');
      expect(outage).toHaveLength(2);
      expect(outage.every((l) => l.level === 40 && l.err === undefined)).toBe(true);
      expect(logged.filter((l) => l.level >= 50)).toEqual([]);
    } finally {
      await orphan.close();
    }
  });
});

describe('resend cool-down (RESEND_COOLDOWN_SECONDS=60)', () => {
  let cg: TestGateway;
  beforeAll(async () => {
    cg = await startTestGateway('gwcooldown', {}, { RESEND_COOLDOWN_SECONDS: '60' });
  });
  afterAll(async () => {
    await cg?.close();
  });

  it('POST …/resend right after sending → 429 RESEND_COOLDOWN with Retry-After; the link is unchanged', async () => {
    const org = await orgWithOwner(cg.invites, 5, 'Cool');
    const res = await cg.app.inject({ method: 'POST', url: `/v1/orgs/${org.orgId}/invites`, headers: bearer(org.owner.accessToken), payload: { email: email('cool'), role: 'member' } });
    expect(res.statusCode).toBe(201);
    const created = json<InviteWithLink>(res);
    const resend = await cg.app.inject({ method: 'POST', url: `/v1/orgs/${org.orgId}/invites/${created.invite.id}/resend`, headers: bearer(org.owner.accessToken) });
    expectProblem(resend, 429, 'RESEND_COOLDOWN');
    expectRetryAfter(resend, 60);
    const [row] = await cg.invites.sql<{ token_version: number }>(`select token_version from invites where id = ?`, [created.invite.id]);
    expect(row!.token_version).toBe(created.invite.tokenVersion);
    expect((await cg.app.inject({ method: 'POST', url: '/v1/invites/lookup', payload: { token: tokenOf(created.acceptUrl) } })).statusCode).toBe(200);
  });
});
