import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headers } from '@nats-io/transport-node';
import type { OperationName, WireError } from '@invite/contracts';
import { email, orgRowJson, orgWithOwner, password, startTestInvites, tokenOf, type OrgWithOwner, type TestInvites } from './harness.ts';

/**
 * The invites service validates its NATS requests itself, not trusting the gateway:
 * text PostgreSQL cannot store (NUL) or that is not Unicode (a lone surrogate), forged
 * cursors and days outside the analytics range are VALIDATION_FAILED naming the field,
 * and change nothing. Each of these was an internal error.
 */

let t: TestInvites;
let org: OrgWithOwner;
let token: string;

beforeAll(async () => {
  t = await startTestInvites('textinput');
  org = await orgWithOwner(t, 20);
  const created = await t.client.call('invite.create', { orgId: org.orgId, invite: { email: email('held'), role: 'member' } }, { accessToken: org.owner.accessToken });
  token = tokenOf(created.acceptUrl);
});
afterAll(() => t?.close());

/** Sends `payload` as JSON text straight to an operation, past the client's own checks. */
async function raw(operation: OperationName, payload: unknown, accessToken?: string) {
  const h = headers();
  if (accessToken) h.set('Authorization', `Bearer ${accessToken}`);
  const msg = await t.nc.request(t.app.domain.names.operation(operation), JSON.stringify(payload), { timeout: 5000, headers: h });
  return { status: msg.headers?.get('Nats-Service-Error-Code') ?? '', body: msg.json() as WireError };
}

/** Every table's rows, less what the platform changes on its own: the relay stamps published_at, the sweeper folds seat releases into orgs. */
async function snapshot() {
  const rows: Record<string, string> = { orgs: orgRowJson.replace(/ as row$/, ''), outbox: `to_jsonb(o) - 'published_at'` };
  const out: Record<string, unknown> = {};
  for (const table of ['orgs', 'users', 'memberships', 'invites', 'audit_log', 'outbox', 'refresh_tokens', 'org_settings']) {
    const [row] = await t.sql<{ n: number; digest: string }>(
      `select count(*)::int as n, md5(coalesce(string_agg(r::text, '|' order by r::text), '')) as digest from (select ${rows[table] ?? 'to_jsonb(o)'} as r from ${table} o) x`,
    );
    out[table] = row;
  }
  return out;
}

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('requests the database could not take', () => {
  it('are VALIDATION_FAILED naming the field, and change nothing', async () => {
    const o = org.orgId;
    const owner = org.owner.accessToken;
    const cases: [string, OperationName, unknown, string | undefined, string][] = [];
    for (const [what, bad] of [
      ['NUL', 'a\u0000b'],
      ['a lone surrogate', 'a\uD800b'],
    ] as const) {
      cases.push(
        [`create message with ${what}`, 'invite.create', { orgId: o, invite: { email: email('m'), role: 'member', message: bad } }, owner, '/invite/message'],
        [`bulk row with ${what}`, 'invite.bulk', { orgId: o, rows: [{ email: email('b'), role: 'member' }, { email: email('b'), role: 'member', message: bad }] }, owner, '/rows/1/message'],
        [`settings with ${what}`, 'org.settings.update', { orgId: o, settings: { emailSubject: bad } }, owner, '/settings/emailSubject'],
        [`accept name with ${what}`, 'invite.accept', { token, name: bad, username: 'text_user', password }, undefined, '/name'],
        [`list q with ${what}`, 'invite.list', { orgId: o, q: bad }, owner, '/q'],
        [`login password with ${what}`, 'auth.login', { email: org.ownerEmail, password: `${password}${bad}` }, undefined, '/password'],
      );
    }
    for (const [what, position] of [
      ['an id that is not a uuid', [new Date().toISOString(), 'nope']],
      ['a year-0 date', ['0000-01-01T00:00:00.000Z', crypto.randomUUID()]],
      ['a six-digit year', ['+275760-09-13T00:00:00.000Z', crypto.randomUUID()]],
    ] as const) {
      cases.push(
        [`invite list cursor with ${what}`, 'invite.list', { orgId: o, cursor: cursorOf(position) }, owner, '/cursor'],
        [`members cursor with ${what}`, 'org.members', { orgId: o, cursor: cursorOf(position) }, owner, '/cursor'],
        [`audit cursor with ${what}`, 'org.audit', { orgId: o, cursor: cursorOf(position) }, owner, '/cursor'],
      );
    }
    for (const [from, to, path] of [
      ['0000-01-01', '0000-01-31', '/from'],
      ['9999-12-31', '9999-12-31', '/to'],
      ['1969-12-31', '1970-01-01', '/from'],
    ] as const) {
      cases.push([`analytics ${from}..${to}`, 'org.analytics', { orgId: o, from, to }, owner, path]);
    }

    const before = await snapshot();
    const failures: string[] = [];
    for (const [what, operation, payload, accessToken, path] of cases) {
      const reply = await raw(operation, payload, accessToken);
      const paths = reply.body.errors?.map((e) => e.path) ?? [];
      if (reply.status !== '400' || reply.body.code !== 'VALIDATION_FAILED' || (path && !paths.includes(path))) {
        failures.push(`${what}: ${reply.status} ${JSON.stringify(reply.body).slice(0, 200)}`);
      }
    }
    expect(failures, failures.join('\n')).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });
});
