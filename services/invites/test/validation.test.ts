import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headers } from '@nats-io/transport-node';
import { operationNames, type OperationName, type TokenPair, type WireError } from '@invite/contracts';
import { operatorToken } from '../src/domain/auth.commands.ts';
import { email, orgWithOwner, password, startTestInvites, tokenOf, type OrgWithOwner, type TestInvites } from './harness.ts';

let t: TestInvites;
let org: OrgWithOwner;
/** A pending invite: requests on it that slipped through validation would change it. */
let pending: { id: string; token: string };
/** A session used only by the logout case, to show that a refused logout ends nothing. */
let spare: TokenPair;

beforeAll(async () => {
  t = await startTestInvites('validation');
  org = await orgWithOwner(t, 2000);
  const created = await t.client.call(
    'invite.create',
    { orgId: org.orgId, invite: { email: email('pending'), role: 'member' } },
    { accessToken: org.owner.accessToken },
  );
  pending = { id: created.invite.id, token: tokenOf(created.acceptUrl) };
  spare = await t.client.call('auth.login', { email: org.ownerEmail, password });
});
afterAll(() => t?.close());

interface RawReply {
  /** Value of the Nats-Service-Error-Code header; empty on success. */
  status: string;
  body: WireError & Record<string, unknown>;
}

/** Sends `payload` as it is to an operation's endpoint, bypassing the client's own validation. */
async function raw(operation: OperationName, payload: unknown, accessToken?: string, asText = false): Promise<RawReply> {
  const h = headers();
  if (accessToken) h.set('Authorization', `Bearer ${accessToken}`);
  const data = asText ? (payload as string) : JSON.stringify(payload);
  const msg = await t.nc.request(t.app.domain.names.operation(operation), data, { timeout: 5000, headers: h });
  return { status: msg.headers?.get('Nats-Service-Error-Code') ?? '', body: msg.json() as RawReply['body'] };
}

const tables = ['orgs', 'users', 'memberships', 'invites', 'audit_log', 'outbox', 'refresh_tokens', 'org_settings', 'webhook_endpoints', 'webhook_deliveries'] as const;

/**
 * Row counts of every table, and a digest of their contents. The outbox digest leaves
 * out published_at, which the relay sets in the background.
 */
async function snapshot(): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = {};
  for (const table of tables) {
    const rows = table === 'outbox' ? `(id, subject, payload, headers, created_at)` : 'x';
    const [row] = await t.sql<{ n: number; digest: string }>(
      `select count(*)::int as n, md5(coalesce(string_agg(${rows}::text, '|' order by ${rows}::text), '')) as digest from ${table} x`,
    );
    result[table] = row;
  }
  return result;
}

const uuid = '0190d5a2-7c1e-7000-8000-000000000001';
const long = (n: number) => 'a'.repeat(n);

interface BadRequest {
  what: string;
  operation: OperationName;
  body: unknown;
  /** Which session sends it: the owner, an operator, the spare session, or nobody. */
  as?: 'owner' | 'operator' | 'spare' | 'none';
  /** Paths that `errors` must name. */
  paths: string[];
}

function badRequests(): BadRequest[] {
  const orgId = org.orgId;
  const who = email('never');
  const valid = { email: who, role: 'member' };
  const newAccount = { token: pending.token, name: 'Valid Name', username: 'valid_user', password };
  return [
    // org.create (operators)
    { what: 'wrong types', operation: 'org.create', as: 'operator', body: { name: 5, seatLimit: '10', ownerEmail: who }, paths: ['/name', '/seatLimit'] },
    { what: 'a bad email', operation: 'org.create', as: 'operator', body: { name: 'X', seatLimit: 10, ownerEmail: 'not-an-email' }, paths: ['/ownerEmail'] },
    { what: 'an unknown field', operation: 'org.create', as: 'operator', body: { name: 'X', seatLimit: 10, ownerEmail: who, owner: 'me' }, paths: ['/owner'] },
    { what: 'an oversize name', operation: 'org.create', as: 'operator', body: { name: long(101), seatLimit: 10, ownerEmail: who }, paths: ['/name'] },
    { what: 'missing fields', operation: 'org.create', as: 'operator', body: { name: 'X' }, paths: ['/seatLimit', '/ownerEmail'] },
    { what: 'a zero seat limit', operation: 'org.create', as: 'operator', body: { name: 'X', seatLimit: 0, ownerEmail: who }, paths: ['/seatLimit'] },
    // org.members, org.usage, org.audit
    { what: 'a bad uuid', operation: 'org.members', body: { orgId: 'not-a-uuid' }, paths: ['/orgId'] },
    { what: 'a zero limit', operation: 'org.members', body: { orgId, limit: 0 }, paths: ['/limit'] },
    { what: 'a bad cursor', operation: 'org.members', body: { orgId, cursor: 'bad cursor!' }, paths: ['/cursor'] },
    { what: 'an unknown field', operation: 'org.usage', body: { orgId, extra: true }, paths: ['/extra'] },
    { what: 'a missing orgId', operation: 'org.usage', body: {}, paths: ['/orgId'] },
    { what: 'a limit above 100', operation: 'org.audit', body: { orgId, limit: 101 }, paths: ['/limit'] },
    { what: 'a number for a uuid', operation: 'org.audit', body: { orgId: 42 }, paths: ['/orgId'] },
    // org.analytics, org.settings.*
    { what: 'a bad day', operation: 'org.analytics', body: { orgId, from: '2026-1-1', to: '2026-01-31' }, paths: ['/from'] },
    { what: 'an impossible day', operation: 'org.analytics', body: { orgId, from: '2026-02-30', to: '2026-03-31' }, paths: ['/from'] },
    { what: 'a period that ends before it starts', operation: 'org.analytics', body: { orgId, from: '2026-02-01', to: '2026-01-31' }, paths: ['/to'] },
    { what: 'a 367-day period', operation: 'org.analytics', body: { orgId, from: '2025-01-01', to: '2026-01-02' }, paths: ['/to'] },
    { what: 'an unknown field', operation: 'org.settings.get', body: { orgId, extra: 1 }, paths: ['/extra'] },
    { what: 'a bad colour', operation: 'org.settings.update', body: { orgId, settings: { accentColor: 'red' } }, paths: ['/settings/accentColor'] },
    { what: 'an http logo', operation: 'org.settings.update', body: { orgId, settings: { logoUrl: 'http://cdn.example.test/logo.png' } }, paths: ['/settings/logoUrl'] },
    { what: 'an oversize body', operation: 'org.settings.update', body: { orgId, settings: { emailBody: long(5001) } }, paths: ['/settings/emailBody'] },
    { what: 'an unknown setting', operation: 'org.settings.update', body: { orgId, settings: { fromAddress: 'ceo@example.test' } }, paths: ['/settings/fromAddress'] },
    { what: 'an unknown placeholder', operation: 'org.settings.update', body: { orgId, settings: { emailSubject: 'Hi {{firstName}}' } }, paths: ['/settings/emailSubject'] },
    { what: 'a null default locale', operation: 'org.settings.update', body: { orgId, settings: { defaultLocale: null } }, paths: ['/settings/defaultLocale'] },
    // org.update, org.member.*, org.transfer-ownership (on the owner, whom they would change)
    { what: 'a zero seat limit', operation: 'org.update', body: { orgId, seatLimit: 0 }, paths: ['/seatLimit'] },
    { what: 'a fractional seat limit', operation: 'org.update', body: { orgId, seatLimit: 2.5 }, paths: ['/seatLimit'] },
    { what: 'an unknown field', operation: 'org.update', body: { orgId, seatLimit: 5, name: 'Renamed' }, paths: ['/name'] },
    { what: 'an unknown role', operation: 'org.member.update', body: { orgId, userId: org.owner.user.id, role: 'superadmin' }, paths: ['/role'] },
    { what: 'a missing role', operation: 'org.member.update', body: { orgId, userId: org.owner.user.id }, paths: ['/role'] },
    { what: 'a bad uuid', operation: 'org.member.remove', body: { orgId, userId: 'me' }, paths: ['/userId'] },
    { what: 'an unknown field', operation: 'org.member.remove', body: { orgId, userId: org.owner.user.id, reason: 'left' }, paths: ['/reason'] },
    { what: 'a missing userId', operation: 'org.transfer-ownership', body: { orgId }, paths: ['/userId'] },
    // invite.create
    { what: 'a number for the email', operation: 'invite.create', body: { orgId, invite: { email: 42, role: 'member' } }, paths: ['/invite/email'] },
    { what: 'an unknown invite field', operation: 'invite.create', body: { orgId, invite: { ...valid, status: 'accepted' } }, paths: ['/invite/status'] },
    { what: 'an unknown top-level field', operation: 'invite.create', body: { orgId, invite: valid, invitedBy: uuid }, paths: ['/invitedBy'] },
    { what: 'a bad email', operation: 'invite.create', body: { orgId, invite: { email: 'someone@', role: 'member' } }, paths: ['/invite/email'] },
    { what: 'an oversize email', operation: 'invite.create', body: { orgId, invite: { email: `${long(250)}@x.io`, role: 'member' } }, paths: ['/invite/email'] },
    { what: 'a bad uuid', operation: 'invite.create', body: { orgId: 'abc', invite: valid }, paths: ['/orgId'] },
    { what: 'a missing invite', operation: 'invite.create', body: { orgId }, paths: ['/invite'] },
    { what: 'a missing role', operation: 'invite.create', body: { orgId, invite: { email: who } }, paths: ['/invite/role'] },
    { what: 'an unknown role', operation: 'invite.create', body: { orgId, invite: { email: who, role: 'superadmin' } }, paths: ['/invite/role'] },
    { what: 'a 501-character message', operation: 'invite.create', body: { orgId, invite: { ...valid, message: long(501) } }, paths: ['/invite/message'] },
    { what: 'a fractional expiry', operation: 'invite.create', body: { orgId, invite: { ...valid, expiresInHours: 1.5 } }, paths: ['/invite/expiresInHours'] },
    { what: 'a zero expiry', operation: 'invite.create', body: { orgId, invite: { ...valid, expiresInHours: 0 } }, paths: ['/invite/expiresInHours'] },
    { what: 'a 721-hour expiry', operation: 'invite.create', body: { orgId, invite: { ...valid, expiresInHours: 721 } }, paths: ['/invite/expiresInHours'] },
    { what: 'a bad phone', operation: 'invite.create', body: { orgId, invite: { ...valid, phone: '12345' } }, paths: ['/invite/phone'] },
    { what: 'an unknown channel', operation: 'invite.create', body: { orgId, invite: { ...valid, channels: ['fax'] } }, paths: ['/invite/channels/0'] },
    { what: 'a channel twice', operation: 'invite.create', body: { orgId, invite: { ...valid, channels: ['email', 'email'] } }, paths: ['/invite/channels'] },
    { what: 'a bad locale', operation: 'invite.create', body: { orgId, invite: { ...valid, locale: 'english' } }, paths: ['/invite/locale'] },
    { what: 'an array body', operation: 'invite.create', body: [valid], paths: ['/'] },
    // invite.bulk
    {
      what: '1001 rows',
      operation: 'invite.bulk',
      body: { orgId, rows: Array.from({ length: 1001 }, (_, i) => ({ email: `bulk${i}.${who}`, role: 'member' })) },
      paths: ['/rows'],
    },
    { what: 'no rows', operation: 'invite.bulk', body: { orgId, rows: [] }, paths: ['/rows'] },
    { what: 'rows as text', operation: 'invite.bulk', body: { orgId, rows: `${who},member` }, paths: ['/rows'] },
    { what: 'a missing orgId', operation: 'invite.bulk', body: { rows: [valid] }, paths: ['/orgId'] },
    // invite.list, invite.get
    { what: 'an unknown status', operation: 'invite.list', body: { orgId, status: 'bogus' }, paths: ['/status'] },
    { what: 'an empty search', operation: 'invite.list', body: { orgId, q: '' }, paths: ['/q'] },
    { what: 'a string limit', operation: 'invite.list', body: { orgId, limit: '10' }, paths: ['/limit'] },
    { what: 'a bad uuid', operation: 'invite.get', body: { orgId, inviteId: 'x' }, paths: ['/inviteId'] },
    { what: 'a missing inviteId', operation: 'invite.timeline', body: { orgId }, paths: ['/inviteId'] },
    // invite.resend, invite.withdraw (on a pending invite they would change)
    { what: 'an unknown field', operation: 'invite.resend', body: { orgId, inviteId: pending.id, force: true }, paths: ['/force'] },
    { what: 'a missing inviteId', operation: 'invite.resend', body: { orgId }, paths: ['/inviteId'] },
    { what: 'an unknown field', operation: 'invite.withdraw', body: { orgId, inviteId: pending.id, reason: 'changed my mind' }, paths: ['/reason'] },
    { what: 'a bad uuid', operation: 'invite.withdraw', body: { orgId: 'nope', inviteId: pending.id }, paths: ['/orgId'] },
    // invite.lookup, invite.accept, invite.decline (token holders)
    { what: 'a short token', operation: 'invite.lookup', as: 'none', body: { token: 'short' }, paths: ['/token'] },
    { what: 'a token with bad characters', operation: 'invite.lookup', as: 'none', body: { token: `${long(42)}!` }, paths: ['/token'] },
    { what: 'an unknown field', operation: 'invite.lookup', as: 'none', body: { token: pending.token, extra: 1 }, paths: ['/extra'] },
    { what: 'a short password', operation: 'invite.accept', as: 'none', body: { ...newAccount, password: 'short' }, paths: ['/password'] },
    { what: 'an oversize password', operation: 'invite.accept', as: 'none', body: { ...newAccount, password: long(129) }, paths: ['/password'] },
    { what: 'a bad username', operation: 'invite.accept', as: 'none', body: { ...newAccount, username: 'a b' }, paths: ['/username'] },
    { what: 'an oversize name', operation: 'invite.accept', as: 'none', body: { ...newAccount, name: long(101) }, paths: ['/name'] },
    { what: 'an unknown field', operation: 'invite.accept', as: 'none', body: { ...newAccount, role: 'owner' }, paths: ['/role'] },
    { what: 'a number for the token', operation: 'invite.accept', as: 'none', body: { token: 42 }, paths: ['/token'] },
    { what: 'a missing token', operation: 'invite.decline', as: 'none', body: {}, paths: ['/token'] },
    { what: 'an unknown field', operation: 'invite.decline', as: 'none', body: { token: pending.token, reason: 'no thanks' }, paths: ['/reason'] },
    { what: 'a bad proof', operation: 'invite.lookup', as: 'none', body: { token: pending.token, proof: 'short' }, paths: ['/proof'] },
    { what: 'a missing token', operation: 'invite.address.send-code', as: 'none', body: {}, paths: ['/token'] },
    { what: 'an unknown field', operation: 'invite.address.send-code', as: 'none', body: { token: pending.token, email: 'other@example.test' }, paths: ['/email'] },
    { what: 'a five-digit code', operation: 'invite.address.confirm', as: 'none', body: { token: pending.token, code: '12345' }, paths: ['/code'] },
    { what: 'letters in the code', operation: 'invite.address.confirm', as: 'none', body: { token: pending.token, code: '12345a' }, paths: ['/code'] },
    // inbox.* (the signed-in invitee), redirects
    { what: 'a string limit', operation: 'inbox.list', body: { limit: '10' }, paths: ['/limit'] },
    { what: 'a forged cursor', operation: 'inbox.list', body: { cursor: 'bm90LWEtY3Vyc29y' }, paths: ['/cursor'] },
    { what: 'a bad uuid', operation: 'inbox.accept', body: { inviteId: 'x' }, paths: ['/inviteId'] },
    { what: 'an unknown field', operation: 'inbox.accept', body: { inviteId: pending.id, role: 'owner' }, paths: ['/role'] },
    { what: 'a missing inviteId', operation: 'inbox.decline', body: {}, paths: ['/inviteId'] },
    { what: 'a javascript: redirect', operation: 'invite.create', body: { orgId, invite: { ...valid, redirectUrl: 'javascript:alert(1)' } }, paths: ['/invite/redirectUrl'] },
    { what: 'a redirect off the allow-list', operation: 'invite.create', body: { orgId, invite: { ...valid, redirectUrl: 'https://elsewhere.example.net/' } }, paths: ['/redirectUrl'] },
    { what: 'a redirect origin with a path', operation: 'org.settings.update', body: { orgId, settings: { redirectOrigins: ['https://app.example.com/x'] } }, paths: ['/settings/redirectOrigins/0'] },
    { what: 'a plain http redirect origin', operation: 'org.settings.update', body: { orgId, settings: { redirectOrigins: ['http://app.example.com'] } }, paths: ['/settings/redirectOrigins/0'] },
    // webhook.*
    { what: 'an unknown event type', operation: 'webhook.create', body: { orgId, url: 'https://hooks.example.com/in', eventTypes: ['invite.opened'] }, paths: ['/eventTypes/0'] },
    { what: 'a loopback URL', operation: 'webhook.create', body: { orgId, url: 'https://127.0.0.1/in', eventTypes: ['invite.created'] }, paths: ['/url'] },
    { what: 'a secret of its own', operation: 'webhook.create', body: { orgId, url: 'https://hooks.example.com/in', eventTypes: ['invite.created'], secret: 'whsec_x' }, paths: ['/secret'] },
    { what: 'an unknown field', operation: 'webhook.list', body: { orgId, extra: 1 }, paths: ['/extra'] },
    { what: 'a bad uuid', operation: 'webhook.get', body: { orgId, webhookId: 'x' }, paths: ['/webhookId'] },
    { what: 'an http URL', operation: 'webhook.update', body: { orgId, webhookId: uuid, url: 'http://hooks.example.com/in' }, paths: ['/url'] },
    { what: 'a missing webhookId', operation: 'webhook.delete', body: { orgId }, paths: ['/webhookId'] },
    { what: 'an unknown field', operation: 'webhook.rotate-secret', body: { orgId, webhookId: uuid, secret: 'whsec_x' }, paths: ['/secret'] },
    { what: 'a bad uuid', operation: 'webhook.test', body: { orgId: 'nope', webhookId: uuid }, paths: ['/orgId'] },
    { what: 'an unknown status', operation: 'webhook.deliveries', body: { orgId, webhookId: uuid, status: 'sent' }, paths: ['/status'] },
    { what: 'a missing deliveryId', operation: 'webhook.delivery.replay', body: { orgId, webhookId: uuid }, paths: ['/deliveryId'] },
    // join links
    { what: 'an owner link', operation: 'join-link.create', body: { orgId, role: 'owner' }, paths: ['/role'] },
    { what: 'no uses', operation: 'join-link.create', body: { orgId, role: 'member', maxUses: 0 }, paths: ['/maxUses'] },
    { what: 'an address for a domain', operation: 'join-link.create', body: { orgId, role: 'member', allowedDomains: ['a@b.example'] }, paths: ['/allowedDomains/0'] },
    { what: 'an unknown field', operation: 'join-link.list', body: { orgId, extra: 1 }, paths: ['/extra'] },
    { what: 'a bad uuid', operation: 'join-link.get', body: { orgId, joinLinkId: 'x' }, paths: ['/joinLinkId'] },
    { what: 'no change', operation: 'join-link.update', body: { orgId, joinLinkId: uuid }, paths: ['/paused'] },
    { what: 'a missing joinLinkId', operation: 'join-link.revoke', body: { orgId }, paths: ['/joinLinkId'] },
    { what: 'a short token', operation: 'join.lookup', as: 'none', body: { token: 'short' }, paths: ['/token'] },
    { what: 'a short password', operation: 'join.join', as: 'none', body: { token: 'A'.repeat(43), email: email('j'), password: 'short' }, paths: ['/password'] },
    { what: 'a bad email', operation: 'join.send-code', as: 'none', body: { token: 'A'.repeat(43), email: 'nope' }, paths: ['/email'] },
    { what: 'a five-digit code', operation: 'join.confirm-code', as: 'none', body: { token: 'A'.repeat(43), email: email('j'), code: '12345' }, paths: ['/code'] },
    { what: 'a bad email', operation: 'auth.password-reset.request', as: 'none', body: { email: 'nope' }, paths: ['/email'] },
    { what: 'an unknown field', operation: 'auth.password-reset.request', as: 'none', body: { email: org.ownerEmail, userId: 'x' }, paths: ['/userId'] },
    { what: 'a short token', operation: 'auth.password-reset.confirm', as: 'none', body: { token: 'short', password: 'a long enough passphrase' }, paths: ['/token'] },
    { what: 'a short password', operation: 'auth.password-reset.confirm', as: 'none', body: { token: 'A'.repeat(43), password: 'short' }, paths: ['/password'] },
    // auth
    { what: 'no email or username', operation: 'auth.login', as: 'none', body: { email: '', password }, paths: ['/email'] },
    { what: 'a number for the password', operation: 'auth.login', as: 'none', body: { email: org.ownerEmail, password: 123 }, paths: ['/password'] },
    { what: 'an oversize password', operation: 'auth.login', as: 'none', body: { email: org.ownerEmail, password: long(129) }, paths: ['/password'] },
    { what: 'an unknown field', operation: 'auth.login', as: 'none', body: { email: org.ownerEmail, password, remember: true }, paths: ['/remember'] },
    { what: 'missing fields', operation: 'auth.login', as: 'none', body: {}, paths: ['/email', '/password'] },
    { what: 'a short refresh token', operation: 'auth.refresh', as: 'none', body: { refreshToken: 'short' }, paths: ['/refreshToken'] },
    { what: 'an unknown field', operation: 'auth.refresh', as: 'none', body: { refreshToken: spare.refreshToken, extra: 1 }, paths: ['/extra'] },
    { what: 'an unknown field', operation: 'auth.logout', as: 'spare', body: { everywhere: true }, paths: ['/everywhere'] },
    { what: 'an unknown field', operation: 'auth.me', body: { extra: 1 }, paths: ['/extra'] },
    { what: 'a string body', operation: 'auth.me', body: 'me', paths: ['/'] },
    { what: 'an unknown role', operation: 'auth.check', body: { orgId, minimumRole: 'superuser' }, paths: ['/minimumRole'] },
    { what: 'a missing orgId', operation: 'auth.check', body: { minimumRole: 'admin' }, paths: ['/orgId'] },
  ];
}

describe('invariant 9: bad input gets VALIDATION_FAILED and changes nothing', () => {
  it('refuses bad requests to every operation with VALIDATION_FAILED naming the offending paths, changing no table', async () => {
    const cases = badRequests();
    const covered = new Set(cases.map((c) => c.operation));
    expect([...covered].sort()).toEqual([...operationNames].sort()); // every operation of the contract

    const before = await snapshot();
    const tokens = { owner: org.owner.accessToken, operator: operatorToken(t.app.domain), spare: spare.accessToken, none: undefined };
    const problems: string[] = [];
    for (const bad of cases) {
      const reply = await raw(bad.operation, bad.body, tokens[bad.as ?? 'owner']);
      const paths = (reply.body.errors ?? []).map((e) => e.path);
      const label = `${bad.operation} with ${bad.what}`;
      if (reply.status !== '400') problems.push(`${label}: status ${reply.status || '(success)'} ${JSON.stringify(reply.body).slice(0, 200)}`);
      else if (reply.body.code !== 'VALIDATION_FAILED') problems.push(`${label}: code ${reply.body.code}`);
      else if (!bad.paths.every((p) => paths.includes(p))) problems.push(`${label}: errors name ${JSON.stringify(paths)}, expected ${JSON.stringify(bad.paths)}`);
      else if (reply.body.errors!.some((e) => typeof e.message !== 'string' || e.message.length === 0)) problems.push(`${label}: an error without a message`);
    }
    expect(problems).toEqual([]);
    expect(await snapshot()).toEqual(before);

    // The objects those requests aimed at are untouched and still usable.
    const lookup = await t.client.call('invite.lookup', { token: pending.token });
    expect(lookup.inviteId).toBe(pending.id);
    expect((await t.client.call('auth.me', {}, { accessToken: spare.accessToken })).user.email).toBe(org.ownerEmail);
  });

  it('accepts the largest allowed values (a 500-character message, 720 hours)', async () => {
    const created = await t.client.call(
      'invite.create',
      { orgId: org.orgId, invite: { email: email('limits'), role: 'member', message: long(500), expiresInHours: 720 } },
      { accessToken: org.owner.accessToken },
    );
    expect(created.invite.message).toHaveLength(500);
  });

  it('answers a body that is not JSON with a 400 service error carrying VALIDATION_FAILED', async () => {
    const before = await snapshot();
    for (const text of ['not json', '{"orgId":', '{"orgId": "x", }']) {
      const msg = await t.nc.request(t.app.domain.names.operation('invite.create'), text, {
        timeout: 5000,
        headers: (() => {
          const h = headers();
          h.set('Authorization', `Bearer ${org.owner.accessToken}`);
          return h;
        })(),
      });
      expect(msg.headers?.get('Nats-Service-Error-Code')).toBe('400');
      const body = msg.json<WireError>();
      expect(body.code).toBe('VALIDATION_FAILED');
      expect(body.detail).toBeTruthy();
    }
    for (const operation of ['invite.lookup', 'auth.login'] as const) {
      const reply = await raw(operation, 'not json', undefined, true);
      expect(reply.status).toBe('400');
      expect(reply.body.code).toBe('VALIDATION_FAILED');
    }
    // An empty body is read as {}: the missing fields are named.
    const empty = await raw('invite.lookup', '', undefined, true);
    expect(empty.status).toBe('400');
    expect(empty.body.errors?.map((e) => e.path)).toContain('/token');
    expect(await snapshot()).toEqual(before);
  });
});

describe('bulk rows', () => {
  it('creates the valid rows and fails the invalid ones with VALIDATION_FAILED and their own field errors', async () => {
    const a = email('bulk-a');
    const b = email('bulk-b');
    const c = email('bulk-c');
    const d = email('bulk-d');
    const reply = await t.client.call(
      'invite.bulk',
      {
        orgId: org.orgId,
        rows: [
          { email: a, role: 'member' },
          { email: 'not-an-email', role: 'member' },
          { email: b, role: 'king' },
          { email: c, role: 'admin', message: 'hi' },
          { email: d, role: 'member', message: long(501) },
          { email: d, role: 'member', extra: true },
          'just a string',
        ],
      },
      { accessToken: org.owner.accessToken },
    );
    expect(reply.created).toBe(2);
    expect(reply.failed).toBe(5);
    expect(reply.results.map((r) => [r.row, r.status, r.code ?? null])).toEqual([
      [0, 'created', null],
      [1, 'failed', 'VALIDATION_FAILED'],
      [2, 'failed', 'VALIDATION_FAILED'],
      [3, 'created', null],
      [4, 'failed', 'VALIDATION_FAILED'],
      [5, 'failed', 'VALIDATION_FAILED'],
      [6, 'failed', 'VALIDATION_FAILED'],
    ]);
    const pathsOf = (row: number) => reply.results[row]!.errors?.map((e) => e.path);
    expect(pathsOf(1)).toEqual(['/email']);
    expect(pathsOf(2)).toEqual(['/role']);
    expect(pathsOf(4)).toEqual(['/message']);
    expect(pathsOf(5)).toEqual(['/extra']);
    expect(pathsOf(6)).toEqual(['/']);
    expect(reply.results[1]!.email).toBe('not-an-email');
    expect(reply.results[0]!.invite).toMatchObject({ email: a, role: 'member', status: 'pending' });
    expect(reply.results[3]!.invite).toMatchObject({ email: c, role: 'admin', status: 'pending' });
    expect(tokenOf(reply.results[0]!.acceptUrl!)).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const stored = await t.sql<{ email: string }>(`select email from invites where org_id = ? and email in (?) order by email`, [
      org.orgId,
      [a, b, c, d],
    ]);
    expect(stored.map((r) => r.email)).toEqual([a, c].sort());
    const audit = await t.sql(`select id from audit_log where action = 'invite.created' and data->>'email' in (?)`, [[a, b, c, d]]);
    expect(audit).toHaveLength(2);
    const events = await t.sql(`select id from outbox where payload->>'email' in (?)`, [[a, b, c, d]]);
    expect(events).toHaveLength(2);
  });

  it('fails repeated emails inside one upload with DUPLICATE_ROW, in any letter case, creating the first only', async () => {
    const x = email('dup');
    const y = email('single');
    const reply = await t.client.call(
      'invite.bulk',
      {
        orgId: org.orgId,
        rows: [
          { email: x, role: 'member' },
          { email: y, role: 'member' },
          { email: x.toUpperCase(), role: 'admin' },
          { email: x, role: 'member' },
        ],
      },
      { accessToken: org.owner.accessToken },
    );
    expect(reply.results.map((r) => [r.status, r.code ?? null])).toEqual([
      ['created', null],
      ['created', null],
      ['failed', 'DUPLICATE_ROW'],
      ['failed', 'DUPLICATE_ROW'],
    ]);
    expect(reply).toMatchObject({ created: 2, failed: 2 });
    const stored = await t.sql(`select id from invites where org_id = ? and email = ?`, [org.orgId, x]);
    expect(stored).toHaveLength(1);
  });
});
