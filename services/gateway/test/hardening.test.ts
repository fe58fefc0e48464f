import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorCode, InviteWithLink, TokenPair } from '@invite/contracts';
import { addMember, email, orgRowJson, orgWithOwner, tokenOf, type OrgWithOwner } from '../../invites/test/harness.ts';
import { startTestGateway, type TestGateway } from './harness.ts';
import { bearer, expectProblem, json, tableCounts, uuidPattern, type Response } from './support.ts';

/**
 * Invariant 9 at the HTTP edge: bad input of every kind, on every route that takes a
 * body, path parameters or a query, gets a clear 4xx problem and changes nothing.
 */

let g: TestGateway;
let org: OrgWithOwner;
let admin: TokenPair;
let invite: InviteWithLink;

const kib = 1024;
const bodyLimit = 64 * kib;

beforeAll(async () => {
  g = await startTestGateway('gwhardening', { LOGIN_LIMIT_PER_15MIN: '100000', REFRESH_LIMIT_PER_15MIN: '100000', TOKEN_LIMIT_PER_15MIN: '100000' });
  expect(g.config.BODY_LIMIT_BYTES).toBe(bodyLimit);
  org = await orgWithOwner(g.invites, 20, 'Hardened');
  admin = await addMember(g.invites, org, 'admin');
  const res = await g.app.inject({ method: 'POST', url: `/v1/orgs/${org.orgId}/invites`, headers: bearer(admin.accessToken), payload: { email: email('target'), role: 'member' } });
  expect(res.statusCode).toBe(201);
  invite = json<InviteWithLink>(res);
});

afterAll(async () => {
  await g?.close();
});

interface Case {
  name: string;
  method: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH';
  url: string;
  /** An object is sent as JSON; a string is sent as is. */
  body?: unknown;
  contentType?: string;
  auth?: boolean;
  headers?: Record<string, string>;
  status: number | number[];
  code?: ErrorCode;
  /** A path that must be among errors[].path. */
  path?: string;
}

const big = (bytes: number) => 'x'.repeat(bytes);

/** Every bad request, built once the org and invite exist. */
function cases(): Case[] {
  const o = org.orgId;
  const i = invite.invite.id;
  const token = tokenOf(invite.acceptUrl);
  const validInvite = { email: email('valid'), role: 'member' };
  const out: Case[] = [];

  // ---- every JSON body route: malformed, empty, null, array, wrong type, oversize, wrong media type, proto poisoning
  const bodyRoutes: { name: string; url: string; auth: boolean; valid: Record<string, unknown> }[] = [
    { name: 'login', url: '/v1/auth/login', auth: false, valid: { email: org.ownerEmail, password: 'correct horse battery staple' } },
    { name: 'refresh', url: '/v1/auth/refresh', auth: false, valid: { refreshToken: org.owner.refreshToken } },
    { name: 'create', url: `/v1/orgs/${o}/invites`, auth: true, valid: validInvite },
    { name: 'lookup', url: '/v1/invites/lookup', auth: false, valid: { token } },
    { name: 'accept', url: '/v1/invites/accept', auth: false, valid: { token, name: 'N', username: 'valid_user', password: 'long enough password' } },
    { name: 'decline', url: '/v1/invites/decline', auth: false, valid: { token } },
  ];
  for (const r of bodyRoutes) {
    const base = { method: 'POST' as const, url: r.url, auth: r.auth };
    const validJson = JSON.stringify(r.valid);
    out.push(
      { ...base, name: `${r.name}: malformed JSON`, body: validJson.slice(0, -1), contentType: 'application/json', status: 400, code: 'VALIDATION_FAILED' },
      { ...base, name: `${r.name}: trailing garbage`, body: `${validJson}}`, contentType: 'application/json', status: 400, code: 'VALIDATION_FAILED' },
      { ...base, name: `${r.name}: empty JSON body`, body: '', contentType: 'application/json', status: 400, code: 'VALIDATION_FAILED' },
      { ...base, name: `${r.name}: no body at all`, status: 400, code: 'VALIDATION_FAILED' },
      { ...base, name: `${r.name}: JSON null`, body: 'null', contentType: 'application/json', status: 400, code: 'VALIDATION_FAILED' },
      { ...base, name: `${r.name}: JSON array`, body: [r.valid], status: 400, code: 'VALIDATION_FAILED' },
      { ...base, name: `${r.name}: JSON string`, body: '"hello"', contentType: 'application/json', status: 400, code: 'VALIDATION_FAILED' },
      { ...base, name: `${r.name}: unknown field`, body: { ...r.valid, isAdmin: true }, status: 400, code: 'VALIDATION_FAILED', path: '/isAdmin' },
      {
        ...base,
        name: `${r.name}: __proto__ poisoning`,
        body: `{${validJson.slice(1, -1)},"__proto__":{"role":"owner"}}`,
        contentType: 'application/json',
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        ...base,
        name: `${r.name}: constructor.prototype poisoning`,
        body: `{${validJson.slice(1, -1)},"constructor":{"prototype":{"role":"owner"}}}`,
        contentType: 'application/json',
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      { ...base, name: `${r.name}: oversize (> 64 KiB)`, body: { ...r.valid, pad: big(bodyLimit + kib) }, status: 413, code: 'PAYLOAD_TOO_LARGE' },
      { ...base, name: `${r.name}: text/plain`, body: validJson, contentType: 'text/plain', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
      { ...base, name: `${r.name}: application/xml`, body: '<login/>', contentType: 'application/xml', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
      { ...base, name: `${r.name}: form-urlencoded`, body: 'email=a%40b.c&password=x', contentType: 'application/x-www-form-urlencoded', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
      { ...base, name: `${r.name}: multipart`, body: '--x\r\n\r\n--x--', contentType: 'multipart/form-data; boundary=x', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
      // CSV is only a bulk format; anywhere else the body is refused.
      { ...base, name: `${r.name}: text/csv`, body: 'email,role\na@b.c,member\n', contentType: 'text/csv', status: [400, 415] },
    );
  }

  // ---- wrong types and values, per route
  const typed = (name: string, url: string, body: unknown, path: string | undefined, auth = false): Case => ({
    name,
    method: 'POST',
    url,
    body,
    auth,
    status: 400,
    code: 'VALIDATION_FAILED',
    ...(path ? { path } : {}),
  });
  const create = `/v1/orgs/${o}/invites`;
  out.push(
    typed('login: email a number', '/v1/auth/login', { email: 5, password: 'x' }, '/email'),
    typed('login: password an array', '/v1/auth/login', { email: 'a@example.test', password: ['x'] }, '/password'),
    typed('login: no email or username', '/v1/auth/login', { email: '', password: 'x' }, '/email'),
    typed('login: missing password', '/v1/auth/login', { email: 'a@example.test' }, '/password'),
    typed('login: empty password', '/v1/auth/login', { email: 'a@example.test', password: '' }, '/password'),
    typed('login: password over 128', '/v1/auth/login', { email: 'a@example.test', password: big(129) }, '/password'),
    typed('refresh: number', '/v1/auth/refresh', { refreshToken: 123456789012345 }, '/refreshToken'),
    typed('refresh: too short', '/v1/auth/refresh', { refreshToken: 'short' }, '/refreshToken'),
    typed('refresh: too long', '/v1/auth/refresh', { refreshToken: big(201) }, '/refreshToken'),
    typed('create: role superuser', create, { email: email('x'), role: 'superuser' }, '/role', true),
    typed('create: role missing', create, { email: email('x') }, '/role', true),
    typed('create: email missing', create, { role: 'member' }, '/email', true),
    typed('create: not an email', create, { email: 'not-an-email', role: 'member' }, '/email', true),
    typed('create: email with a header injection', create, { email: 'a@example.test\r\nBcc: x@evil.example', role: 'member' }, '/email', true),
    typed('create: email over 254', create, { email: `${big(250)}@example.test`, role: 'member' }, '/email', true),
    typed('create: email an object', create, { email: { $ne: null }, role: 'member' }, '/email', true),
    typed('create: expiresInHours 0', create, { ...validInvite, expiresInHours: 0 }, '/expiresInHours', true),
    typed('create: expiresInHours 721', create, { ...validInvite, expiresInHours: 721 }, '/expiresInHours', true),
    typed('create: expiresInHours a string', create, { ...validInvite, expiresInHours: '24' }, '/expiresInHours', true),
    typed('create: expiresInHours fractional', create, { ...validInvite, expiresInHours: 1.5 }, '/expiresInHours', true),
    typed('create: channels unknown', create, { ...validInvite, channels: ['fax'] }, undefined, true),
    typed('create: channels repeated', create, { ...validInvite, channels: ['email', 'email'] }, '/channels', true),
    typed('create: three channels', create, { ...validInvite, channels: ['email', 'sms', 'email'] }, '/channels', true),
    typed('create: sms without a phone', create, { ...validInvite, channels: ['sms'] }, '/phone', true),
    typed('create: phone not E.164', create, { ...validInvite, phone: '07700 900123' }, '/phone', true),
    typed('create: locale not a tag', create, { ...validInvite, locale: 'english' }, '/locale', true),
    typed('create: message over 500', create, { ...validInvite, message: big(501) }, '/message', true),
    typed('create: message a number', create, { ...validInvite, message: 42 }, '/message', true),
    typed('create: orgId smuggled in the body', create, { ...validInvite, orgId: crypto.randomUUID() }, '/orgId', true),
    typed('create: status smuggled in the body', create, { ...validInvite, status: 'accepted' }, '/status', true),
    typed('lookup: token too short', '/v1/invites/lookup', { token: token.slice(1) }, '/token'),
    typed('lookup: token too long', '/v1/invites/lookup', { token: `${token}A` }, '/token'),
    typed('lookup: token bad alphabet', '/v1/invites/lookup', { token: `${token.slice(0, 42)}=` }, '/token'),
    typed('lookup: token a number', '/v1/invites/lookup', { token: 1 }, '/token'),
    typed('accept: password under 12', '/v1/invites/accept', { token, name: 'N', username: 'okname', password: 'short' }, '/password'),
    typed('accept: username with spaces', '/v1/invites/accept', { token, name: 'N', username: 'bad name', password: 'long enough password' }, '/username'),
    typed('accept: username too short', '/v1/invites/accept', { token, name: 'N', username: 'ab', password: 'long enough password' }, '/username'),
    typed('accept: name empty', '/v1/invites/accept', { token, name: '', username: 'okname', password: 'long enough password' }, '/name'),
    typed('accept: name over 100', '/v1/invites/accept', { token, name: big(101), username: 'okname', password: 'long enough password' }, '/name'),
    typed('accept: role smuggled in', '/v1/invites/accept', { token, name: 'N', username: 'okname', password: 'long enough password', role: 'owner' }, '/role'),
    typed('accept: missing token', '/v1/invites/accept', { name: 'N', username: 'okname', password: 'long enough password' }, '/token'),
    typed('accept: account fields missing', '/v1/invites/accept', { token }, undefined),
    typed('decline: token null', '/v1/invites/decline', { token: null }, '/token'),
  );

  // ---- bulk: its own shapes and its own (larger) limit
  const bulk = `/v1/orgs/${o}/invites/bulk`;
  const bulkLimit = g.config.BULK_BODY_LIMIT_BYTES;
  out.push(
    { name: 'bulk: an object, not an array', method: 'POST', url: bulk, auth: true, body: { rows: [validInvite] }, status: 400, code: 'VALIDATION_FAILED' },
    { name: 'bulk: an empty array', method: 'POST', url: bulk, auth: true, body: [], status: 400, code: 'VALIDATION_FAILED' },
    { name: 'bulk: malformed JSON', method: 'POST', url: bulk, auth: true, body: '[{"email":', contentType: 'application/json', status: 400, code: 'VALIDATION_FAILED' },
    { name: 'bulk: empty JSON body', method: 'POST', url: bulk, auth: true, body: '', contentType: 'application/json', status: 400, code: 'VALIDATION_FAILED' },
    { name: 'bulk: empty CSV', method: 'POST', url: bulk, auth: true, body: '', contentType: 'text/csv', status: 400, code: 'VALIDATION_FAILED' },
    { name: 'bulk: CSV unbalanced quote', method: 'POST', url: bulk, auth: true, body: 'email,role\n"a@example.test,member\n', contentType: 'text/csv', status: 400, code: 'VALIDATION_FAILED' },
    { name: 'bulk: CSV unknown column', method: 'POST', url: bulk, auth: true, body: 'email,role,isAdmin\na@example.test,member,true\n', contentType: 'text/csv', status: 400, code: 'VALIDATION_FAILED' },
    { name: 'bulk: CSV only a header', method: 'POST', url: bulk, auth: true, body: 'email,role\n', contentType: 'text/csv', status: 400, code: 'VALIDATION_FAILED' },
    {
      name: 'bulk: JSON above the bulk limit',
      method: 'POST',
      url: bulk,
      auth: true,
      body: [{ ...validInvite, message: big(bulkLimit) }],
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    },
    {
      name: 'bulk: CSV above the bulk limit',
      method: 'POST',
      url: bulk,
      auth: true,
      body: `email,role,message\n${Array.from({ length: 600 }, (_, n) => `bulk${n}@example.test,member,${big(2000)}`).join('\n')}\n`,
      contentType: 'text/csv',
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    },
    { name: 'bulk: application/xml', method: 'POST', url: bulk, auth: true, body: '<rows/>', contentType: 'application/xml', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    { name: 'bulk: text/plain', method: 'POST', url: bulk, auth: true, body: 'email,role\n', contentType: 'text/plain', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    { name: 'bulk: bad orgId', method: 'POST', url: '/v1/orgs/nope/invites/bulk', auth: true, body: [validInvite], status: 400, code: 'VALIDATION_FAILED', path: '/params/orgId' },
  );

  // ---- path parameters
  const badIds = ['not-a-uuid', '1', "1' or '1'='1", '00000000-0000-0000-0000-00000000000g', `${crypto.randomUUID()}x`, '..%2F..%2Fetc%2Fpasswd', '%00'];
  for (const bad of badIds) {
    const badOrg = (suffix: string, method: Case['method'] = 'GET', body?: unknown): Case => ({
      name: `${method} ${suffix} with orgId ${bad}`,
      method,
      url: `/v1/orgs/${encodeURI(bad).replaceAll("'", '%27')}${suffix}`,
      auth: true,
      ...(body === undefined ? {} : { body }),
      status: 400,
      code: 'VALIDATION_FAILED',
    });
    out.push(
      badOrg('/invites'),
      badOrg('/invites', 'POST', validInvite),
      badOrg('/members'),
      badOrg('/usage'),
      badOrg('/audit'),
      badOrg(`/invites/${i}`),
      badOrg(`/invites/${i}/resend`, 'POST'),
      badOrg(`/invites/${i}`, 'DELETE'),
    );
    for (const [method, suffix] of [
      ['GET', ''],
      ['POST', '/resend'],
      ['DELETE', ''],
    ] as const) {
      out.push({
        name: `${method} invite${suffix} with inviteId ${bad}`,
        method,
        url: `/v1/orgs/${o}/invites/${encodeURI(bad).replaceAll("'", '%27')}${suffix}`,
        auth: true,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
    }
  }
  out.push({ name: 'orgId error names its parameter', method: 'GET', url: '/v1/orgs/nope/usage', auth: true, status: 400, code: 'VALIDATION_FAILED', path: '/params/orgId' });
  out.push({ name: 'inviteId error names its parameter', method: 'GET', url: `/v1/orgs/${o}/invites/nope`, auth: true, status: 400, code: 'VALIDATION_FAILED', path: '/params/inviteId' });

  // ---- query strings
  const badQueries: [string, string | undefined][] = [
    ['limit=0', '/query/limit'],
    ['limit=101', '/query/limit'],
    ['limit=-1', '/query/limit'],
    ['limit=abc', '/query/limit'],
    ['limit=', '/query/limit'],
    ['cursor=%21%21', '/query/cursor'],
    [`cursor=${big(600)}`, '/query/cursor'],
    ['cursor=abc', '/cursor'], // well-formed but not one this API issued
    ['cursor=WyJub3QgYSBkYXRlIiwxXQ', '/cursor'],
    ['unknown=1', undefined],
    ['limit=5&limit=6', undefined],
  ];
  for (const path of ['invites', 'members', 'audit']) {
    for (const [query, errorPath] of badQueries) {
      out.push({ name: `GET ${path}?${query.slice(0, 40)}`, method: 'GET', url: `/v1/orgs/${o}/${path}?${query}`, auth: true, status: 400, code: 'VALIDATION_FAILED', ...(errorPath ? { path: errorPath } : {}) });
    }
  }
  for (const [query, errorPath] of [
    ['status=bogus', '/query/status'],
    ['status=PENDING', '/query/status'],
    ['q=', '/query/q'],
    [`q=${big(255)}`, '/query/q'],
  ] as const) {
    out.push({ name: `GET invites?${query.slice(0, 40)}`, method: 'GET', url: `/v1/orgs/${o}/invites?${query}`, auth: true, status: 400, code: 'VALIDATION_FAILED', path: errorPath });
  }

  // ---- headers and methods
  out.push(
    { name: 'create: Idempotency-Key too long', method: 'POST', url: create, auth: true, body: validInvite, headers: { 'idempotency-key': big(256) }, status: 400, code: 'VALIDATION_FAILED', path: '/headers/idempotency-key' },
    { name: 'create: Idempotency-Key with a space', method: 'POST', url: create, auth: true, body: validInvite, headers: { 'idempotency-key': 'a b' }, status: 400, code: 'VALIDATION_FAILED' },
    { name: 'bulk: Idempotency-Key non-ASCII', method: 'POST', url: bulk, auth: true, body: [validInvite], headers: { 'idempotency-key': 'clé' }, status: 400, code: 'VALIDATION_FAILED' },
    { name: 'logout: malformed JSON body', method: 'POST', url: '/v1/auth/logout', auth: true, body: '{', contentType: 'application/json', status: 400, code: 'VALIDATION_FAILED' },
    { name: 'create without a token', method: 'POST', url: create, body: validInvite, status: 401, code: 'UNAUTHENTICATED' },
    { name: 'create with a malformed bearer', method: 'POST', url: create, body: validInvite, headers: { authorization: 'Bearer' }, status: 401, code: 'UNAUTHENTICATED' },
    { name: 'PUT on an invite', method: 'PUT', url: `/v1/orgs/${o}/invites/${i}`, auth: true, body: { status: 'accepted' }, status: [404, 405] },
    { name: 'PATCH on an invite', method: 'PATCH', url: `/v1/orgs/${o}/invites/${i}`, auth: true, body: { role: 'owner' }, status: [404, 405] },
    { name: 'DELETE a whole org', method: 'DELETE', url: `/v1/orgs/${o}`, auth: true, status: [404, 405] },
    { name: 'GET accept (link scanner)', method: 'GET', url: `/v1/invites/accept?token=${token}`, status: [404, 405] },
  );
  return out;
}

async function run(c: Case): Promise<Response> {
  const headers: Record<string, string> = { ...(c.auth ? bearer(admin.accessToken) : {}), ...(c.headers ?? {}) };
  let payload: string | undefined;
  if (typeof c.body === 'string') {
    payload = c.body;
    if (c.contentType) headers['content-type'] = c.contentType;
  } else if (c.body !== undefined) {
    payload = JSON.stringify(c.body);
    headers['content-type'] = c.contentType ?? 'application/json';
  }
  return g.app.inject({ method: c.method, url: c.url, headers, ...(payload === undefined ? {} : { payload }) });
}

/** Everything a bad request could have touched. */
async function state() {
  return {
    counts: await tableCounts(g),
    invites: await g.invites.sql(`select id, org_id, email, role, status, token_hash, token_version, expires_at from invites order by id`),
    revokedSessions: await g.invites.sql(`select hash from refresh_tokens where revoked_at is not null order by hash`),
    users: await g.invites.sql(`select id, email, username, name, password_hash from users order by id`),
    orgs: await g.invites.sql(`select ${orgRowJson} from orgs o order by id`),
  };
}

describe('bad input → a 4xx problem and no change', () => {
  it('every bad request of the batch is a 4xx problem+json, and the database is unchanged afterwards', async () => {
    const all = cases();
    expect(all.length).toBeGreaterThan(250);
    const before = await state();
    const failures: string[] = [];
    for (const c of all) {
      const res = await run(c);
      const statuses = Array.isArray(c.status) ? c.status : [c.status];
      try {
        expect(statuses, `${c.name}: got ${res.statusCode} ${res.body.slice(0, 300)}`).toContain(res.statusCode);
        const body = expectProblem(res, res.statusCode, c.code);
        if (c.path) expect(body.errors?.map((e) => e.path), `${c.name}: ${res.body.slice(0, 300)}`).toContain(c.path);
        expect(res.headers['x-content-type-options'], c.name).toBe('nosniff');
      } catch (error) {
        failures.push(`${c.name}: ${(error as Error).message.split('\n')[0]}`);
      }
    }
    expect(failures, failures.join('\n')).toEqual([]);
    expect(await state()).toEqual(before);
    // The session used for the batch still works (the malformed logout did not end it).
    expect((await g.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(admin.accessToken) })).statusCode).toBe(200);
  });

  it('a 400 names each bad field in errors[] with a message for a person', async () => {
    const res = await g.app.inject({
      method: 'POST',
      url: `/v1/orgs/${org.orgId}/invites`,
      headers: bearer(admin.accessToken),
      payload: { email: 'nope', role: 'king', expiresInHours: 0, extra: 1 },
    });
    const body = expectProblem(res, 400, 'VALIDATION_FAILED');
    const paths = body.errors!.map((e) => e.path).sort();
    expect(paths).toEqual(['/email', '/expiresInHours', '/extra', '/role']);
    expect(body.errors!.find((e) => e.path === '/role')!.message).toContain('owner, admin, member');
    expect(body.errors!.find((e) => e.path === '/extra')!.message).toMatch(/not a known field/);
    expect(body.detail).toMatch(/^The request is not valid/);
  });

  it('limits are boundaries, not guesses: a 63 KiB body is validated (400), a 65 KiB one is refused (413); bulk takes more than 64 KiB', async () => {
    const before = await tableCounts(g);
    const create = (pad: number) =>
      g.app.inject({
        method: 'POST',
        url: `/v1/orgs/${org.orgId}/invites`,
        headers: { ...bearer(admin.accessToken), 'content-type': 'application/json' },
        payload: JSON.stringify({ email: email('edge'), role: 'member', message: big(pad) }),
      });
    expectProblem(await create(63 * kib), 400, 'VALIDATION_FAILED'); // reached the schema: message > 500
    expectProblem(await create(65 * kib), 413, 'PAYLOAD_TOO_LARGE');

    // 300 invalid rows of ~400 bytes: ~120 KiB, above the JSON limit and below the bulk one.
    const rows = Array.from({ length: 300 }, (_, n) => ({ email: `not-an-email-${n}`, role: 'member', message: big(380) }));
    const payload = JSON.stringify(rows);
    expect(payload.length).toBeGreaterThan(bodyLimit);
    const bulk = await g.app.inject({ method: 'POST', url: `/v1/orgs/${org.orgId}/invites/bulk`, headers: { ...bearer(admin.accessToken), 'content-type': 'application/json' }, payload });
    expect(bulk.statusCode, bulk.body.slice(0, 300)).toBe(200);
    expect(json(bulk)).toMatchObject({ created: 0, failed: 300 });
    expect(await tableCounts(g)).toEqual(before);
  });
});

describe('headers', () => {
  it('security headers on API responses, success and error alike', async () => {
    const responses = {
      me: await g.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(admin.accessToken) }),
      unauthenticated: await g.app.inject({ method: 'GET', url: '/v1/me' }),
      invalid: await g.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: 1 } }),
      notFound: await g.app.inject({ method: 'GET', url: '/v1/unknown' }),
      list: await g.app.inject({ method: 'GET', url: `/v1/orgs/${org.orgId}/invites`, headers: bearer(admin.accessToken) }),
      lookup: await g.app.inject({ method: 'POST', url: '/v1/invites/lookup', payload: { token: tokenOf(invite.acceptUrl) } }),
      health: await g.app.inject({ method: 'GET', url: '/healthz' }),
    };
    expect(responses.me.statusCode).toBe(200);
    expect(responses.list.statusCode).toBe(200);
    expect(responses.lookup.statusCode).toBe(200);
    for (const [name, res] of Object.entries(responses)) {
      expect(res.headers['x-content-type-options'], name).toBe('nosniff');
      expect(res.headers['referrer-policy'], name).toBe('no-referrer');
      const csp = String(res.headers['content-security-policy'] ?? '');
      expect(csp, name).toMatch(/default-src 'none'/);
      expect(csp, name).toMatch(/frame-ancestors 'none'/);
      const scriptSrc = /script-src ([^;]*)/.exec(csp)?.[1] ?? "'none'";
      expect(scriptSrc, name).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
      expect(res.headers['x-powered-by'], name).toBeUndefined();
      expect(res.headers['x-request-id'], name).toBeDefined();
    }
    expect(responses.me.headers['content-type']).toMatch(/^application\/json/);
    expect(responses.unauthenticated.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('x-request-id: generated when absent, a valid incoming one kept (and used as the problem instance), an invalid one replaced', async () => {
    const generated = await g.app.inject({ method: 'GET', url: '/healthz' });
    expect(String(generated.headers['x-request-id'])).toMatch(uuidPattern);
    const another = await g.app.inject({ method: 'GET', url: '/healthz' });
    expect(another.headers['x-request-id']).not.toBe(generated.headers['x-request-id']);

    const kept = await g.app.inject({ method: 'GET', url: '/v1/me', headers: { 'x-request-id': 'client-req_42.A' } });
    expect(kept.headers['x-request-id']).toBe('client-req_42.A');
    expect(expectProblem(kept, 401, 'UNAUTHENTICATED').instance).toBe('urn:request:client-req_42.A');

    for (const bad of ['has spaces in it', '<script>alert(1)</script>', big(129), 'line\u00e9break']) {
      const res = await g.app.inject({ method: 'GET', url: '/v1/me', headers: { 'x-request-id': bad } });
      const echoed = String(res.headers['x-request-id']);
      expect(echoed, bad).not.toBe(bad);
      expect(echoed, bad).toMatch(uuidPattern);
      expect(json(res).instance).toBe(`urn:request:${echoed}`);
    }
  });

  it('an unsupported content type is 415 UNSUPPORTED_MEDIA_TYPE and creates nothing', async () => {
    const before = await tableCounts(g);
    for (const type of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'image/png']) {
      const res = await g.app.inject({
        method: 'POST',
        url: `/v1/orgs/${org.orgId}/invites`,
        headers: { ...bearer(admin.accessToken), 'content-type': type },
        payload: JSON.stringify({ email: email('ct'), role: 'member' }),
      });
      expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    }
    expect(await tableCounts(g)).toEqual(before);
    // The control: the same body as JSON works.
    const ok = await g.app.inject({
      method: 'POST',
      url: `/v1/orgs/${org.orgId}/invites`,
      headers: { ...bearer(admin.accessToken), 'content-type': 'application/json; charset=utf-8' },
      payload: JSON.stringify({ email: email('ct'), role: 'member' }),
    });
    expect(ok.statusCode, ok.body).toBe(201);
  });
});
