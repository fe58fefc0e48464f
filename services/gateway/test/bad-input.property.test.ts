import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { email, orgRowJson, orgWithOwner, tokenOf, type OrgWithOwner } from '../../invites/test/harness.ts';
import { startTestGateway, type TestGateway } from './harness.ts';
import { bearer, expectProblem } from './support.ts';

/**
 * Invariant 9 as a property: for every operation of the OpenAPI document (so a new route
 * is covered the day it is added), requests built from generated values (NUL, lone
 * surrogates, odd Unicode, huge and raw numbers, path-ish and SQL-ish text, forged
 * cursors, calendar edges, beside values that reach the service: the org's own ids,
 * known addresses, unknown tokens) sent as the org's owner get no 5xx, a problem+json
 * for every 4xx, and leave the database as it was after any 4xx and any GET.
 *
 * FUZZ_RUNS sets the number of requests (default 500); a failure prints fast-check's
 * seed and path, and FUZZ_SEED=<seed> FUZZ_PATH=<path> replays it.
 */

const numRuns = Number(process.env.FUZZ_RUNS ?? 500);
const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const path = process.env.FUZZ_PATH;

let g: TestGateway;
let own: OrgWithOwner;
let other: OrgWithOwner;
let acceptedInviteId: string;
let pendingEmail: string;
let operations: Operation[];

interface Schema {
  type?: string;
  enum?: unknown[];
  anyOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
}
interface Parameter {
  name: string;
  in: 'path' | 'query';
  required?: boolean;
  schema: Schema;
}
interface Operation {
  method: string;
  template: string;
  params: Parameter[];
  query: Parameter[];
  json?: Schema;
  csv: boolean;
  /** A 200 that is a live stream: never given ids that would open one. */
  streams: boolean;
}

/** Every operation of the OpenAPI document that takes input a client chooses. */
function operationsOf(doc: { paths: Record<string, Record<string, Record<string, unknown>>> }): { fuzzed: Operation[]; inputless: string[] } {
  const fuzzed: Operation[] = [];
  const inputless: string[] = [];
  for (const [template, byMethod] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(byMethod)) {
      const parameters = (op.parameters ?? []) as Parameter[];
      const content = ((op.requestBody as { content?: Record<string, { schema: Schema }> } | undefined)?.content ?? {}) as Record<string, { schema: Schema }>;
      const ok = (op.responses as Record<string, { content?: Record<string, unknown> }> | undefined)?.['200'];
      const operation: Operation = {
        method: method.toUpperCase(),
        template,
        params: parameters.filter((p) => p.in === 'path'),
        query: parameters.filter((p) => p.in === 'query'),
        ...(content['application/json'] ? { json: content['application/json'].schema } : {}),
        csv: 'text/csv' in content,
        streams: 'text/event-stream' in (ok?.content ?? {}),
      };
      if (operation.params.length + operation.query.length > 0 || operation.json || operation.csv) fuzzed.push(operation);
      else inputless.push(`${operation.method} ${template}`);
    }
  }
  return { fuzzed, inputless };
}

// ---- generated values

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const anyChar = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: loneSurrogate },
  { weight: 1, arbitrary: fc.constant('\u0000') },
);
const nasty = [
  '', ' ', '\u0000', 'a\u0000b', '\uD800', 'x\uDBFF', '\uDC00y', '\uDE00\uD83D', '\uFEFF', '\u202Eevil', 'e\u0301', 'ǅİß', '🏳️‍🌈👩🏽‍💻',
  '../../../../etc/passwd', '..\\..\\windows\\win.ini', '/v1/orgs', '%2e%2e%2f', 'file:///etc/passwd', 'C:\\', '~root',
  "' OR '1'='1", "'; DROP TABLE invites; --", '" OR ""="', '1; select pg_sleep(5)', "\\'", '$1', '?', '%', '_', '*',
  '${jndi:ldap://x}', '{{7*7}}', '<script>alert(1)</script>', '<!--', '\r\nX-Injected: 1', 'null', 'undefined', 'NaN', 'true', '[]', '{}',
  '-0', '0x10', '1e309', '-1e309', '1.5', '99999999999999999999999999', '2147483648', '9007199254740993', '0000-01-01', '9999-12-31',
  '+275760-09-13', '-271821-04-20T00:00:00.000Z', '275760-09-13T00:00:00.000Z', 'x'.repeat(300), '𝕏'.repeat(120), 'a@b', 'a@b.c',
];
const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: anyChar, maxLength: 24 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 24 }) },
  { weight: 4, arbitrary: fc.constantFrom(...nasty) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 100, maxLength: 1200 }) },
);
/** A JSON number written as text the encoder would never produce (replaced into the body after JSON.stringify). */
const rawNumber = fc.constantFrom('1e999', '-1e999', '123456789012345678901234567890', '1.00000000000000000000001', '0.1e-400', '-0.0').map((n) => `__raw_${n}__`);
const number: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: -5, max: 1000 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 2 ** 31, 2 ** 53, 2 ** 53 + 2, 1e21, 1e308, -1e308, Number.MIN_VALUE, 1.5),
  rawNumber,
);
const uuid = fc.uuid();
const base64url = (bytes: number) => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString('base64url'));
const instant = fc.oneof(
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('0000-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z', '1969-12-31T23:59:59.999Z', 'not a date', '2024-02-30T00:00:00.000Z'),
  text,
);
const day = fc.oneof(
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString().replace(/T.*$/, '')),
  fc.constantFrom('0000-01-01', '0001-01-01', '1969-12-31', '1970-01-01', '2999-12-31', '3000-01-01', '9999-12-31', '2024-02-29', '2023-02-29', '2024-13-01'),
);
/** Raw percent-escapes, put in a URL as they are: NUL, invalid and cut UTF-8, an encoded surrogate, traversal. */
const rawEscape = fc.constantFrom('%00', '%FF', '%E2%82', '%ED%A0%80', '%C0%AF', '%', '%zz', '..%2F..%2Fetc%2Fpasswd', '%2e%2e', '%5Cu0000').map((raw) => ({ raw }));

/** Values with a meaning here, so that requests also get past validation into the service. */
function hints(): Record<string, fc.Arbitrary<unknown>> {
  return {
    orgId: fc.constantFrom(own.orgId, other.orgId),
    inviteId: fc.constant(acceptedInviteId),
    // Addresses the org already has (a member, a pending invite): a create is refused, never made.
    email: fc.constantFrom(own.ownerEmail, pendingEmail, own.ownerEmail.toUpperCase()),
    token: base64url(32),
    refreshToken: base64url(40),
    cursor: fc.tuple(instant, fc.oneof(uuid, text)).map((position) => Buffer.from(JSON.stringify(position)).toString('base64url')),
    from: day,
    to: day,
  };
}

/** A value the schema accepts, or close to it (a hint, a member of the enum, a match of the pattern). */
function plausible(name: string, schema: Schema, depth: number): fc.Arbitrary<unknown> {
  const hint = hints()[name];
  if (hint) return hint;
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((s) => plausible(name, s, depth)));
  if (schema.format === 'uuid') return uuid;
  if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
  switch (schema.type) {
    case 'string':
      return fc.string({ unit: 'grapheme', minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 40, (schema.minLength ?? 0) + 40) });
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -10, max: Math.min(schema.maximum ?? 1000, (schema.minimum ?? 0) + 1000) });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return depth > 3 ? fc.constant([]) : fc.array(field(name, schema.items ?? {}, depth + 1), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 3, 3) });
    case 'object':
      return depth > 3 ? fc.constant({}) : objectFor(schema, depth + 1);
    default:
      // An item the schema leaves open (bulk rows): an object of the fields such an item has.
      return depth > 3 ? fc.constant({}) : objectFor({ type: 'object', properties: rowFields, required: ['email', 'role'] }, depth + 1);
  }
}

/** A value no schema should let through to the database as it is. */
function hostile(depth: number): fc.Arbitrary<unknown> {
  const scalars = fc.oneof({ weight: 5, arbitrary: text }, { weight: 2, arbitrary: number }, { weight: 1, arbitrary: fc.constantFrom(null, true, {}, [], { $ne: null }) });
  return depth > 2 ? scalars : fc.oneof({ weight: 6, arbitrary: scalars }, { weight: 1, arbitrary: fc.array(hostile(depth + 1), { maxLength: 3 }) }, { weight: 1, arbitrary: fc.dictionary(text, hostile(depth + 1), { maxKeys: 3 }) });
}

/** Mostly plausible, so most requests reach the service with one or two generated values in them. */
function field(name: string, schema: Schema, depth = 0): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 5, arbitrary: plausible(name, schema, depth) }, { weight: 1, arbitrary: hostile(depth) });
}

const rowFields: Record<string, Schema> = {
  email: { type: 'string' },
  role: { enum: ['owner', 'admin', 'member'] },
  phone: { type: 'string', pattern: '^\\+[1-9][0-9]{6,14}$' },
  channels: { type: 'array', items: { enum: ['email', 'sms'] } },
  locale: { type: 'string', pattern: '^[a-z]{2}(-[A-Z]{2})?$' },
  message: { type: 'string', maxLength: 500 },
  expiresInHours: { type: 'integer', minimum: 1, maximum: 720 },
};

function objectFor(schema: Schema, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(schema.properties ?? {}).map(([key, s]) => [key, field(key, s, depth)] as const);
  const known = fc.record(Object.fromEntries(entries), { requiredKeys: (schema.required ?? []).filter((k) => k in (schema.properties ?? {})) });
  const missing = fc.record(Object.fromEntries(entries), { requiredKeys: [] });
  const extra = fc.dictionary(text, hostile(depth + 1), { minKeys: 1, maxKeys: 2 });
  return fc.oneof(
    { weight: 8, arbitrary: known },
    { weight: 1, arbitrary: missing },
    { weight: 1, arbitrary: fc.tuple(known, extra).map(([a, b]) => ({ ...b, ...a })) },
  );
}

interface Request {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

/** Percent-encodes text as UTF-8; a lone surrogate, which UTF-8 cannot carry, as the three bytes a careless encoder writes (%ED%A0%80). */
function percentEncode(text: string): string {
  return [...text]
    .map((c) => {
      if (c.isWellFormed()) return encodeURIComponent(c);
      const code = c.charCodeAt(0);
      return [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    })
    .join('');
}
const encode = (value: unknown) =>
  typeof value === 'object' && value !== null && 'raw' in value ? String((value as { raw: string }).raw) : percentEncode(typeof value === 'string' ? value : (JSON.stringify(value) ?? ''));
const toJson = (value: unknown) => JSON.stringify(value).replace(/"__raw_([^"]*)__"/g, '$1');

function requestFor(op: Operation): fc.Arbitrary<Request> {
  const param = (p: Parameter) => (op.streams ? fc.oneof(uuid, text, rawEscape) : fc.oneof({ weight: 6, arbitrary: field(p.name, p.schema) }, { weight: 1, arbitrary: rawEscape }));
  const params = fc.tuple(...op.params.map(param));
  const queryEntry = (p: Parameter) =>
    fc.option(fc.oneof({ weight: 6, arbitrary: field(p.name, p.schema) }, { weight: 1, arbitrary: rawEscape }).map((v) => `${percentEncode(p.name)}=${encode(v)}`), { freq: p.required ? 12 : 2 });
  const unknownParameters = fc.oneof({ weight: 6, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(fc.tuple(text, fc.oneof(text, rawEscape)), { minLength: 1, maxLength: 2 }) });
  const query = fc.tuple(fc.tuple(...op.query.map(queryEntry)), unknownParameters);
  const jsonBody = op.json ? field('body', op.json).map((v) => ({ type: 'application/json', text: toJson(v) })) : undefined;
  const rawJson = fc.constantFrom('{', '{"a":1e999}', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]', '{"email":"a\u0000b"}', '"\\ud800"', '{"__proto__":{"x":1}}', 'null', '\uFEFF{}').map((t) => ({ type: 'application/json', text: t }));
  const csvBody = fc.array(fc.array(text, { minLength: 1, maxLength: 4 }).map((cells) => cells.join(',')), { minLength: 1, maxLength: 4 }).map((lines) => ({ type: 'text/csv', text: ['email,role,message', ...lines].join('\n') }));
  const bodies = [...(jsonBody ? [jsonBody, jsonBody, jsonBody, rawJson] : []), ...(op.csv ? [csvBody] : [])];
  const body = bodies.length ? fc.option(fc.oneof(...bodies), { freq: 8 }) : fc.constant(null);
  return fc.tuple(params, query, body).map(([values, [declared, extra], b]) => {
    let url = op.template;
    op.params.forEach((p, i) => {
      url = url.replace(`{${p.name}}`, encode(values[i]));
    });
    const pairs = [...declared.filter((x): x is string => x !== null), ...extra.map(([k, v]) => `${percentEncode(k)}=${encode(v)}`)];
    if (pairs.length) url += `?${pairs.join('&')}`;
    const headers: Record<string, string> = bearer(own.owner.accessToken);
    if (b) headers['content-type'] = b.type;
    return { method: op.method, url, headers, ...(b ? { payload: b.text } : {}) };
  });
}

// ---- the database, all of it

let digestQuery: string;

/** Row count and a digest of the rows of every table (bookkeeping the platform changes on its own left out). */
async function digest(): Promise<Record<string, unknown>> {
  const rows = await g.invites.sql<{ t: string; n: number; d: string }>(digestQuery);
  return Object.fromEntries(rows.map((r) => [r.t, `${r.n}:${r.d}`]));
}

async function buildDigestQuery(): Promise<string> {
  const tables = await g.invites.sql<{ name: string }>(`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' order by 1`);
  // seat_releases are folded into orgs.pending_count by a sweeper (orgRowJson nets them out);
  // the outbox relay stamps published_at; the migration table is not data.
  const skipped = new Set(['seat_releases', 'schema_migrations']);
  const row: Record<string, string> = { orgs: orgRowJson.replace(/ as row$/, ''), outbox: `to_jsonb(o) - 'published_at'` };
  return tables
    .filter((t) => !skipped.has(t.name))
    .map((t) => `select '${t.name}' as t, count(*)::int as n, md5(coalesce(string_agg(r::text, '|' order by r::text), '')) as d from (select ${row[t.name] ?? 'to_jsonb(o)'} as r from ${t.name} o) x`)
    .join(' union all ');
}

beforeAll(async () => {
  g = await startTestGateway('gwproperty', { LOGIN_LIMIT_PER_15MIN: '100000', REFRESH_LIMIT_PER_15MIN: '100000', TOKEN_LIMIT_PER_15MIN: '100000' });
  own = await orgWithOwner(g.invites, 20, 'Fuzzed');
  other = await orgWithOwner(g.invites, 20, 'Neighbour');
  const [accepted] = await g.invites.sql<{ id: string }>(`select id from invites where org_id = ? and status = 'accepted'`, [own.orgId]);
  acceptedInviteId = accepted!.id;
  pendingEmail = email('pending');
  const created = await g.app.inject({ method: 'POST', url: `/v1/orgs/${own.orgId}/invites`, headers: bearer(own.owner.accessToken), payload: { email: pendingEmail, role: 'member' } });
  expect(created.statusCode, created.body).toBe(201);
  expect(tokenOf(created.json<{ acceptUrl: string }>().acceptUrl)).toHaveLength(43);
  const { fuzzed, inputless } = operationsOf(g.app.swagger() as never);
  operations = fuzzed;
  // Only these have nothing to generate (and logout would end the session the fuzz runs as).
  expect(inputless.sort()).toEqual(['GET /healthz', 'GET /readyz', 'GET /v1/channels', 'GET /v1/me', 'POST /v1/auth/logout']);
  digestQuery = await buildDigestQuery();
});
afterAll(() => g?.close());

describe('generated input on every route', () => {
  it('never gets a 5xx; every 4xx is a problem; no 4xx and no GET changes the database', async () => {
    expect(operations.length).toBeGreaterThanOrEqual(18);
    const statuses = new Map<number, number>();
    const property = fc.asyncProperty(
      fc.constantFrom(...operations).chain((op) => requestFor(op)),
      async (request) => {
        const before = await digest();
        const res = await g.app.inject({ method: request.method as 'GET', url: request.url, headers: request.headers, ...(request.payload === undefined ? {} : { payload: request.payload }) });
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        expect(res.statusCode, `${request.method} ${request.url}: ${res.body.slice(0, 300)}`).toBeLessThan(500);
        if (res.statusCode >= 400) expectProblem(res, res.statusCode);
        if (res.statusCode >= 400 || request.method === 'GET') expect(await digest(), `${request.method} ${request.url} changed the database`).toEqual(before);
      },
    );
    await fc.assert(property, { numRuns, ...(seed === undefined ? {} : { seed }), ...(path ? { path } : {}) });
    // The generated requests reach past validation too, not only into 400s.
    expect([...statuses.keys()].some((s) => s === 200 || s === 404 || s === 409), JSON.stringify([...statuses])).toBe(true);
    // The session the fuzz ran as still works.
    expect((await g.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(own.owner.accessToken) })).statusCode).toBe(200);
  }, 120_000);
});
