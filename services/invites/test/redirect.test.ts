import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError, type NewInvite } from '@invite/contracts';
import { emailedProof, email, orgWithOwner, password, startTestInvites, tokenOf, type OrgWithOwner, type TestInvites } from './harness.ts';

/**
 * Redirect after accept: an invite's redirectUrl must be on its org's allow-list
 * (settings redirectOrigins) when it is made, and is handed to the new member only
 * while its origin is still allowed.
 */

let t: TestInvites;
let org: OrgWithOwner;

beforeAll(async () => {
  t = await startTestInvites('redirect');
  org = await orgWithOwner(t, 50, 'Acme');
});
afterAll(() => t?.close());

const owner = () => ({ accessToken: org.owner.accessToken });

function setOrigins(redirectOrigins: string[], who = org) {
  return t.client.call('org.settings.update', { orgId: who.orgId, settings: { redirectOrigins } }, { accessToken: who.owner.accessToken });
}

function invite(fields: Partial<NewInvite> = {}, to = email('joiner')) {
  return t.client.call('invite.create', { orgId: org.orgId, invite: { email: to, role: 'member', ...fields } }, owner());
}

async function failure(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

function acceptAsNew(token: string) {
  return t.client.call('invite.accept', { token, proof: emailedProof(token), name: 'New Person', username: `new${Math.random().toString(36).slice(2, 10)}`, password });
}

describe('settings: redirectOrigins', () => {
  it('saves origins normalised (lower case, no default port, no duplicates) and audits the change', async () => {
    const saved = await setOrigins(['https://App.Example.com', 'https://app.example.com:443', 'https://portal.example.com:8443']);
    expect(saved.redirectOrigins).toEqual(['https://app.example.com', 'https://portal.example.com:8443']);
    expect((await t.client.call('org.settings.get', { orgId: org.orgId }, owner())).redirectOrigins).toEqual(saved.redirectOrigins);
    const audit = await t.client.call('org.audit', { orgId: org.orgId, action: 'org.settings.updated' }, owner());
    expect(audit.items[0]).toMatchObject({ data: { changed: ['redirectOrigins'], settings: { redirectOrigins: saved.redirectOrigins } } });
    expect(audit.items[0]!.summary).toBe('Olivia Owner changed the allowed redirect origins');
  });

  it('refuses a path, plain http and http://localhost outside development, saying why, and keeps the list', async () => {
    const before = (await t.client.call('org.settings.get', { orgId: org.orgId }, owner())).redirectOrigins;
    const withPath = await failure(setOrigins(['https://ok.example.com', 'https://app.example.com/welcome']));
    expect(withPath.code).toBe('VALIDATION_FAILED');
    expect(withPath.errors?.[0]?.path).toMatch(/\/redirectOrigins\/1$/);
    const http = await failure(setOrigins(['http://app.example.com']));
    expect(http.detail).toBe('The redirect origin http://app.example.com must use https (plain http is allowed only for localhost in development)');
    const local = await failure(setOrigins(['http://localhost:5173']));
    expect(local.detail).toContain('REDIRECTS_ALLOW_LOCALHOST');
    expect((await t.client.call('org.settings.get', { orgId: org.orgId }, owner())).redirectOrigins).toEqual(before);
  });

  it('is for admins and owners only', async () => {
    const stranger = await orgWithOwner(t, 2, 'Stranger');
    const refused = await failure(t.client.call('org.settings.update', { orgId: org.orgId, settings: { redirectOrigins: [] } }, { accessToken: stranger.owner.accessToken }));
    expect(refused.code).toBe('NOT_FOUND');
  });
});

describe('invite redirectUrl', () => {
  it('is stored and shown when its origin is allowed, and refused naming the origin and where to allow it when not', async () => {
    await setOrigins(['https://app.example.com']);
    const created = await invite({ redirectUrl: 'https://app.example.com/welcome?team=7' });
    expect(created.invite.redirectUrl).toBe('https://app.example.com/welcome?team=7');
    expect((await t.client.call('invite.get', { orgId: org.orgId, inviteId: created.invite.id }, owner())).redirectUrl).toBe('https://app.example.com/welcome?team=7');
    expect((await invite()).invite.redirectUrl).toBeNull();
    const [entry] = await t.sql<{ data: Record<string, unknown> }>(`select data from audit_log where target = ? and action = 'invite.created'`, [`invite:${created.invite.id}`]);
    expect(entry!.data.redirectUrl).toBe('https://app.example.com/welcome?team=7');

    const who = email('refused');
    const refused = await failure(invite({ redirectUrl: 'https://evil.example.net/phish' }, who));
    expect(refused.code).toBe('VALIDATION_FAILED');
    expect(refused.detail).toBe(
      "The redirect URL's origin https://evil.example.net is not on this organisation's allowed redirect origins; an admin can add it in the console's Settings, or with PATCH /v1/orgs/{orgId}/settings (redirectOrigins)",
    );
    expect(refused.errors).toEqual([{ path: '/redirectUrl', message: expect.stringContaining('https://evil.example.net') }]);
    const [count] = await t.sql<{ n: number }>(`select count(*)::int as n from invites where email = ?`, [who]);
    expect(count!.n).toBe(0);
    for (const url of ['javascript:alert(1)//https://app.example.com', 'http://app.example.com/welcome', 'https://user:pw@app.example.com/']) {
      expect((await failure(invite({ redirectUrl: url }))).code).toBe('VALIDATION_FAILED');
    }
  });

  it('is checked per row of a bulk upload', async () => {
    await setOrigins(['https://app.example.com']);
    const reply = await t.client.call(
      'invite.bulk',
      { orgId: org.orgId, rows: [{ email: email('b1'), role: 'member', redirectUrl: 'https://app.example.com/a' }, { email: email('b2'), role: 'member', redirectUrl: 'https://other.example.com/' }] },
      owner(),
    );
    expect(reply.results.map((r) => [r.status, r.code])).toEqual([
      ['created', undefined],
      ['failed', 'VALIDATION_FAILED'],
    ]);
    expect(reply.results[0]!.invite!.redirectUrl).toBe('https://app.example.com/a');
    expect(reply.results[1]!.detail).toContain('https://other.example.com');
  });
});

describe('redirect on accept', () => {
  it('hands the URL to the new member by link and from the inbox while its origin is allowed, and never once it is removed', async () => {
    await setOrigins(['https://app.example.com', 'https://portal.example.com']);
    const byLink = await invite({ redirectUrl: 'https://app.example.com/start' });
    expect((await acceptAsNew(tokenOf(byLink.acceptUrl))).redirectUrl).toBe('https://app.example.com/start');
    const plain = await invite();
    expect((await acceptAsNew(tokenOf(plain.acceptUrl))).redirectUrl).toBeNull();

    const home = await orgWithOwner(t, 3, 'Home');
    const fromInbox = await invite({ redirectUrl: 'https://portal.example.com/hello' }, home.ownerEmail);
    const inbox = await t.client.call('inbox.list', {}, { accessToken: home.owner.accessToken });
    expect(inbox.items.find((i) => i.id === fromInbox.invite.id)?.redirectUrl).toBe('https://portal.example.com/hello');
    expect((await t.client.call('inbox.accept', { inviteId: fromInbox.invite.id }, { accessToken: home.owner.accessToken })).redirectUrl).toBe('https://portal.example.com/hello');

    // The org takes the origin off its list: invites made before no longer lead there.
    const stale = await invite({ redirectUrl: 'https://portal.example.com/old' });
    const other = await orgWithOwner(t, 3, 'Other');
    const staleInbox = await invite({ redirectUrl: 'https://portal.example.com/old' }, other.ownerEmail);
    await setOrigins(['https://app.example.com']);
    expect((await t.client.call('inbox.list', {}, { accessToken: other.owner.accessToken })).items.find((i) => i.id === staleInbox.invite.id)?.redirectUrl).toBeNull();
    expect((await acceptAsNew(tokenOf(stale.acceptUrl))).redirectUrl).toBeNull();
    expect((await t.client.call('inbox.accept', { inviteId: staleInbox.invite.id }, { accessToken: other.owner.accessToken })).redirectUrl).toBeNull();
  });
});
