import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenPair } from '@invite/contracts';
import { addMember, email, orgWithOwner, tokenOf, type OrgWithOwner } from '../../invites/test/harness.ts';
import { startTestGateway, type TestGateway } from './harness.ts';
import { bearer, expectProblem, orgSnapshot, tableCounts, type Response } from './support.ts';

/**
 * Invariant 9 for text that PostgreSQL or a JSON encoder cannot take as it is: NUL
 * characters, lone UTF-16 surrogates, forged list cursors and calendar days at the
 * edges of what a date can hold. Each was a 500; each is a 400 naming the field.
 */

let g: TestGateway;
let org: OrgWithOwner;
let admin: TokenPair;
let token: string;

beforeAll(async () => {
  g = await startTestGateway('gwbadtext', { TOKEN_LIMIT_PER_15MIN: '100000', LOGIN_LIMIT_PER_15MIN: '100000' });
  org = await orgWithOwner(g.invites, 20, 'Bad Text');
  admin = await addMember(g.invites, org, 'admin');
  const created = await g.app.inject({ method: 'POST', url: `/v1/orgs/${org.orgId}/invites`, headers: bearer(admin.accessToken), payload: { email: email('held'), role: 'member' } });
  expect(created.statusCode, created.body).toBe(201);
  token = tokenOf(created.json<{ acceptUrl: string }>().acceptUrl);
});
afterAll(() => g?.close());

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JSON body with `text` inside a string, escaped as JSON allows (\u0000, \ud800). */
function jsonWith(body: Record<string, unknown>): string {
  return JSON.stringify(body);
}

interface Case {
  name: string;
  method: 'GET' | 'POST' | 'PATCH';
  url: string;
  body?: Record<string, unknown>;
  auth?: boolean;
  /** The path errors[] must name. */
  path: string;
}

function cases(): Case[] {
  const o = org.orgId;
  const out: Case[] = [];
  for (const [what, bad] of [
    ['NUL', 'a\u0000b'],
    ['a lone high surrogate', 'a\uD800b'],
    ['a lone low surrogate', '\uDC00'],
    ['a reversed surrogate pair', '\uDE00\uD83D'],
  ] as const) {
    out.push(
      { name: `login email with ${what}`, method: 'POST', url: '/v1/auth/login', body: { email: `x${bad}@example.test`, password: 'long enough password' }, path: '/email' },
      { name: `login password with ${what}`, method: 'POST', url: '/v1/auth/login', body: { email: org.ownerEmail, password: `pass${bad}word` }, path: '/password' },
      { name: `create message with ${what}`, method: 'POST', url: `/v1/orgs/${o}/invites`, auth: true, body: { email: email('m'), role: 'member', message: `hello ${bad}` }, path: '/message' },
      { name: `create email with ${what}`, method: 'POST', url: `/v1/orgs/${o}/invites`, auth: true, body: { email: `m${bad}@example.test`, role: 'member' }, path: '/email' },
      {
        name: `accept name with ${what}`,
        method: 'POST',
        url: '/v1/invites/accept',
        body: { token, name: `Na${bad}me`, username: 'fresh_user', password: 'long enough password' },
        path: '/name',
      },
      { name: `settings subject with ${what}`, method: 'PATCH', url: `/v1/orgs/${o}/settings`, auth: true, body: { emailSubject: `Join ${bad}` }, path: '/emailSubject' },
      { name: `settings body with ${what}`, method: 'PATCH', url: `/v1/orgs/${o}/settings`, auth: true, body: { emailBody: `Hello ${bad} {{link}}` }, path: '/emailBody' },
      { name: `preview with ${what}`, method: 'POST', url: `/v1/orgs/${o}/settings/preview`, auth: true, body: { settings: { emailBody: `x${bad}` } }, path: '/settings/emailBody' },
    );
  }
  for (const [what, encoded] of [
    ['NUL', 'a%00b'],
    ['an encoded lone surrogate', 'a%ED%A0%80b'],
    ['invalid UTF-8', 'a%FFb'],
  ] as const) {
    out.push({ name: `invites q with ${what}`, method: 'GET', url: `/v1/orgs/${o}/invites?q=${encoded}`, auth: true, path: '/query/q' });
  }
  // Cursors: well-formed base64url, but not a position this API issued.
  const now = new Date().toISOString();
  for (const [what, position] of [
    ['an id that is not a uuid', [now, 'not-a-uuid']],
    ['an id with SQL in it', [now, "' or 1=1 --"]],
    ['an id that is a number', [now, 42]],
    ['a date in year 0', ['0000-01-01T00:00:00.000Z', crypto.randomUUID()]],
    ['a date far in the future', ['+275760-09-13T00:00:00.000Z', crypto.randomUUID()]],
    ['a date far in the past', ['-271821-04-20T00:00:00.000Z', crypto.randomUUID()]],
    ['a bare year', ['275760', crypto.randomUUID()]],
    ['a date with NUL', [`${now}\u0000`, crypto.randomUUID()]],
    ['an object', { at: now, id: crypto.randomUUID() }],
    ['one element', [now]],
  ] as const) {
    for (const list of ['invites', 'members', 'audit']) {
      out.push({ name: `${list} cursor with ${what}`, method: 'GET', url: `/v1/orgs/${o}/${list}?cursor=${cursorOf(position)}`, auth: true, path: '/cursor' });
    }
  }
  // Analytics days at the edges of the calendar and of what a timestamp can hold.
  // The gateway checks the form (YYYY-MM-DD: /query/…); the invites service the calendar and the range (/from, /to).
  for (const [from, to, path] of [
    ['0000-01-01', '0000-12-31', '/from'],
    ['0001-01-01', '0001-01-31', '/from'],
    ['1969-12-31', '1970-01-01', '/from'],
    ['2999-12-31', '3000-01-01', '/to'],
    ['9999-12-01', '9999-12-31', '/from'],
    ['9999-12-31', '9999-12-31', '/to'],
    ['+010000-01-01', '+010000-01-02', '/query/from'],
    ['275760-09-13', '275760-09-13', '/query/from'],
    ['2024-02-30', '2024-03-01', '/from'],
    ['2024-01-01\u0000', '2024-01-02', '/query/from'],
  ] as const) {
    out.push({ name: `analytics ${JSON.stringify(from)}..${to}`, method: 'GET', url: `/v1/orgs/${o}/analytics?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, auth: true, path });
  }
  return out;
}

function run(c: Case): Promise<Response> {
  const headers: Record<string, string> = c.auth ? bearer(admin.accessToken) : {};
  if (c.body) headers['content-type'] = 'application/json';
  return g.app.inject({ method: c.method, url: c.url, headers, ...(c.body ? { payload: jsonWith(c.body) } : {}) });
}

describe('text no store can hold → 400 naming the field, nothing changed', () => {
  it('NUL, lone surrogates, forged cursors and out-of-range days, in bodies and queries', async () => {
    const before = { counts: await tableCounts(g), org: await orgSnapshot(g, org.orgId) };
    const failures: string[] = [];
    for (const c of cases()) {
      const res = await run(c);
      try {
        const problem = expectProblem(res, 400, 'VALIDATION_FAILED');
        expect(problem.errors!.map((e) => e.path), res.body).toContain(c.path);
        const message = problem.errors!.find((e) => e.path === c.path)!.message;
        expect(message.length).toBeGreaterThan(8);
      } catch (error) {
        failures.push(`${c.name}: ${(error as Error).message.split('\n')[0]}`);
      }
    }
    expect(failures, failures.join('\n')).toEqual([]);
    expect({ counts: await tableCounts(g), org: await orgSnapshot(g, org.orgId) }).toEqual(before);
  });

  it('a path the router cannot decode or a parameter longer than any id is a problem too, with the usual headers', async () => {
    for (const url of [`/v1/orgs/%FF/usage`, `/v1/orgs/${org.orgId}/invites/%ED%A0%80`, `/v1/orgs/${'a'.repeat(101)}/usage`]) {
      const res = await g.app.inject({ method: 'GET', url, headers: bearer(admin.accessToken) });
      const problem = expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(problem.errors!.map((e) => e.path), url).toEqual(['/params']);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-request-id']).toBeTruthy();
    }
  });

  it('says what is wrong with the text in words a person can act on', async () => {
    const nul = await run({ name: '', method: 'POST', url: `/v1/orgs/${org.orgId}/invites`, auth: true, body: { email: email('w'), role: 'member', message: 'a\u0000b' }, path: '/message' });
    expect(expectProblem(nul, 400).errors).toContainEqual({ path: '/message', message: expect.stringMatching(/NUL/) });
    const surrogate = await run({ name: '', method: 'POST', url: `/v1/orgs/${org.orgId}/invites`, auth: true, body: { email: email('w'), role: 'member', message: 'a\uD800b' }, path: '/message' });
    expect(expectProblem(surrogate, 400).errors).toContainEqual({ path: '/message', message: expect.stringMatching(/surrogate/) });
  });

  it('still takes the first and last days a period may have, cursors at the ends of the range, and text outside the BMP', async () => {
    const edge = await g.app.inject({ method: 'GET', url: `/v1/orgs/${org.orgId}/analytics?from=2999-12-31&to=2999-12-31`, headers: bearer(admin.accessToken) });
    expect(edge.statusCode, edge.body).toBe(200);
    const early = await g.app.inject({ method: 'GET', url: `/v1/orgs/${org.orgId}/analytics?from=1970-01-01&to=1970-01-02`, headers: bearer(admin.accessToken) });
    expect(early.statusCode, early.body).toBe(200);
    for (const at of ['1970-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z']) {
      for (const list of ['invites', 'members', 'audit']) {
        const page = await g.app.inject({ method: 'GET', url: `/v1/orgs/${org.orgId}/${list}?cursor=${cursorOf([at, crypto.randomUUID()])}`, headers: bearer(admin.accessToken) });
        expect(page.statusCode, `${list} ${at}: ${page.body}`).toBe(200);
      }
    }
    const emoji = await g.app.inject({
      method: 'POST',
      url: `/v1/orgs/${org.orgId}/invites`,
      headers: bearer(admin.accessToken),
      payload: { email: email('emoji'), role: 'member', message: 'Welcome 🎉 — ça va? 𝄞' },
    });
    expect(emoji.statusCode, emoji.body).toBe(201);
  });
});
