import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { codeSentFor, email, emailedProof, orgWithOwner, password, resetTokenSentTo, tokenOf, type OrgWithOwner } from '../../../services/invites/test/harness.ts';
import { sealedAs } from '@invite/contracts';
import { isProblem, routes, type ConsoleEvent, type ErrorCode, type InviteClient, type RouteName, type SessionTokens } from '../src/index.ts';
import type { PathParams } from '../src/routes.ts';
import { isRoute, problemOf, startLiveApi, type LiveApi } from './support.ts';

/**
 * Every method of the SDK against a real gateway and invites service: the happy path
 * and a typed problem for each. The last test checks that every route of the SDK was
 * called here, so a method added without a test fails.
 */
let api: LiveApi;
let org: OrgWithOwner;
let owner: InviteClient;
let member: InviteClient;
const ownerSessions: (SessionTokens | null)[] = [];

beforeAll(async () => {
  // Webhook endpoints on 127.0.0.1 are allowed here; nothing is delivered (no dispatcher runs).
  api = await startLiveApi('sdk', {}, { WEBHOOKS_ALLOW_PRIVATE: 'true' });
  org = await orgWithOwner(api.g.invites, 50, 'SDK Org');
  owner = api.client({ onTokens: (tokens) => void ownerSessions.push(tokens) });
  await owner.auth.login({ email: org.ownerEmail, password });
  ({ client: member } = await signUpMember('member'));
});
afterAll(() => api?.close());

/** Invites `role` into `orgId` and accepts as a new account through the SDK; returns the new member's client and account. */
async function signUpMember(role: 'admin' | 'member', inviter = owner, orgId = org.orgId) {
  const { acceptUrl } = await inviter.invites.create(orgId, { email: email(role), role, channels: [] });
  const token = tokenOf(acceptUrl);
  const client = api.client();
  const { user } = await client.invitee.accept({ token, proof: emailedProof(token), name: `A ${role}`, username: `${role}${Math.random().toString(36).slice(2, 10)}`, password });
  return { client, user };
}

describe('auth', () => {
  it('login keeps the session and hands it to onTokens; a wrong password is 401 INVALID_CREDENTIALS', async () => {
    expect(owner.tokens?.accessToken).toBeTruthy();
    expect(ownerSessions.at(-1)).toEqual(owner.tokens);

    const problem = await problemOf(api.client().auth.login({ email: org.ownerEmail, password: 'not the password at all' }));
    expect(problem).toMatchObject({ status: 401, code: 'INVALID_CREDENTIALS' });
    expectTypeOf(problem.code).toEqualTypeOf<ErrorCode>();
    expect(isProblem(problem, 'INVALID_CREDENTIALS')).toBe(true);
    expect(isProblem(problem, 'UNAUTHENTICATED')).toBe(false);
    if (isProblem(problem, 'INVALID_CREDENTIALS')) expectTypeOf(problem.code).toEqualTypeOf<'INVALID_CREDENTIALS'>();
  });

  it('me returns the account and its memberships; signed out it is 401 UNAUTHENTICATED', async () => {
    const me = await owner.auth.me();
    expect(me.user.email).toBe(org.ownerEmail);
    expect(me.memberships).toEqual([expect.objectContaining({ orgId: org.orgId, role: 'owner', orgName: 'SDK Org' })]);

    expect(await problemOf(api.client().auth.me())).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });

  it('refresh rotates the pair; the old refresh token is then refused and ends that session', async () => {
    const seen: (SessionTokens | null)[] = [];
    const client = api.client({ onTokens: (tokens) => void seen.push(tokens) });
    const first = await client.auth.login({ email: org.ownerEmail, password });
    const second = await client.auth.refresh();
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(client.tokens?.refreshToken).toBe(second.refreshToken);
    expect(seen.map((tokens) => tokens?.refreshToken)).toEqual([first.refreshToken, second.refreshToken]);
    expect((await client.auth.me()).user.email).toBe(org.ownerEmail);

    const reused = await problemOf(client.auth.refresh(first.refreshToken));
    expect(reused).toMatchObject({ status: 401, code: 'REFRESH_TOKEN_REUSED' });
    // Reuse revoked the whole sign-in: the client's own (newer) pair is dead too, and the session ends.
    expect(await problemOf(client.auth.refresh())).toMatchObject({ status: 401, code: 'REFRESH_TOKEN_REUSED' });
    expect(client.tokens).toBeNull();
    expect(seen.at(-1)).toBeNull();
  });

  it('logout ends the session on the server and here', async () => {
    const client = api.client();
    const { accessToken } = await client.auth.login({ email: org.ownerEmail, password });
    await client.auth.logout();
    expect(client.tokens).toBeNull();
    const stale = api.client({ tokens: { accessToken, refreshToken: 'x'.repeat(43), expiresIn: 900 } });
    expect(await problemOf(stale.auth.me())).toMatchObject({ status: 401 });
    expect(await problemOf(client.auth.logout())).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });
});

describe('invites', () => {
  it('create returns the invite and its link; the same address again is 409 INVITE_ALREADY_PENDING', async () => {
    const address = email('create');
    const created = await owner.invites.create(org.orgId, { email: address, role: 'member', channels: [], message: 'Welcome' });
    expect(created.invite).toMatchObject({ email: address, role: 'member', status: 'pending', message: 'Welcome' });
    expect(created.acceptUrl).toContain('#token=');

    const problem = await problemOf(owner.invites.create(org.orgId, { email: address, role: 'member', channels: [] }));
    expect(problem).toMatchObject({ status: 409, code: 'INVITE_ALREADY_PENDING' });
  });

  it('create with an idempotency key replays the first answer; the key with another body is 422', async () => {
    const key = crypto.randomUUID();
    const invite = { email: email('idem'), role: 'member' as const, channels: [] };
    const first = await owner.invites.create(org.orgId, invite, { idempotencyKey: key });
    const again = await owner.invites.create(org.orgId, invite, { idempotencyKey: key });
    expect(again).toEqual(first);
    expect(api.sent.filter((r) => isRoute(r, 'invites.create')).at(-1)?.status).toBe(201);

    const reused = await problemOf(owner.invites.create(org.orgId, { ...invite, email: email('other') }, { idempotencyKey: key }));
    expect(reused).toMatchObject({ status: 422, code: 'IDEMPOTENCY_KEY_REUSED' });
    const listed = await owner.invites.list(org.orgId, { q: invite.email });
    expect(listed.items.map((i) => i.id)).toEqual([first.invite.id]);
  });

  it('bulk takes JSON rows and CSV, with a result per row; a broken CSV is 400 with field errors', async () => {
    const good = email('bulk');
    const json = await owner.invites.bulk(org.orgId, [
      { email: good, role: 'member', channels: [] },
      { email: good, role: 'member', channels: [] },
    ]);
    expect(json).toMatchObject({ created: 1, failed: 1 });
    expect(json.results[1]).toMatchObject({ row: 1, status: 'failed', code: 'DUPLICATE_ROW' });

    const csvAddress = email('csv');
    const key = crypto.randomUUID();
    const csv = `email,role,channels\n${csvAddress},member,none\n`;
    const fromCsv = await owner.invites.bulkCsv(org.orgId, csv, { idempotencyKey: key });
    expect(fromCsv).toMatchObject({ created: 1, failed: 0, results: [{ row: 0, status: 'created', email: csvAddress }] });
    expect(await owner.invites.bulkCsv(org.orgId, csv, { idempotencyKey: key })).toEqual(fromCsv);

    const broken = await problemOf(owner.invites.bulkCsv(org.orgId, 'email,role\n"unbalanced,member\n'));
    expect(broken).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(broken.errors[0]).toEqual({ path: expect.any(String), message: expect.any(String) });
  });

  it('list filters and pages; listAll and listPages walk every page; a bad limit is 400 naming /query/limit', async () => {
    const marker = `pager${Date.now()}`;
    const addresses = Array.from({ length: 5 }, (_, i) => `${marker}.${i}@example.test`);
    for (const address of addresses) await owner.invites.create(org.orgId, { email: address, role: 'member', channels: [] });

    const first = await owner.invites.list(org.orgId, { q: marker, limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await owner.invites.list(org.orgId, { q: marker, limit: 2, cursor: first.nextCursor! });
    expect(second.items.map((i) => i.id)).not.toContain(first.items[0]!.id);

    const all: string[] = [];
    for await (const invite of owner.invites.listAll(org.orgId, { q: marker, limit: 2 })) all.push(invite.email);
    expect(all).toEqual([...addresses].reverse());

    const pages = [];
    for await (const page of owner.invites.listPages(org.orgId, { q: marker, status: 'pending', limit: 2 })) pages.push(page.items.length);
    expect(pages).toEqual([2, 2, 1]);

    // Breaking out of the loop fetches no further page.
    const before = api.sent.length;
    for await (const invite of owner.invites.listAll(org.orgId, { q: marker, limit: 2 })) {
      expect(invite.email).toBe(addresses[4]);
      break;
    }
    expect(api.sent.length - before).toBe(1);

    const bad = await problemOf(owner.invites.list(org.orgId, { limit: 0 }));
    expect(bad).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(bad.errors.map((e) => e.path)).toContain('/query/limit');
  });

  it('get, resend, withdraw and the timeline of one invite; another org or an unknown id is 404, a closed invite 409 INVITE_NOT_PENDING', async () => {
    const { invite, acceptUrl } = await owner.invites.create(org.orgId, { email: email('life'), role: 'admin', channels: [] });
    expect(await owner.invites.get(org.orgId, invite.id)).toMatchObject({ id: invite.id, status: 'pending', role: 'admin' });
    expect(await problemOf(owner.invites.get(org.orgId, crypto.randomUUID()))).toMatchObject({ status: 404, code: 'NOT_FOUND' });

    const resent = await owner.invites.resend(org.orgId, invite.id);
    expect(resent.acceptUrl).not.toBe(acceptUrl);
    expect(resent.invite.tokenVersion).toBe(invite.tokenVersion + 1);

    const withdrawn = await owner.invites.withdraw(org.orgId, invite.id);
    expect(withdrawn.status).toBe('withdrawn');
    const timeline = await owner.invites.timeline(org.orgId, invite.id);
    expect(timeline.invite.status).toBe('withdrawn');
    expect(timeline.entries.map((e) => e.action)).toEqual(['invite.created', 'invite.resent', 'invite.withdrawn']);
    expect(await problemOf(owner.invites.timeline(org.orgId, crypto.randomUUID()))).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(await problemOf(owner.invites.withdraw(org.orgId, invite.id))).toMatchObject({ status: 409, code: 'INVITE_NOT_PENDING' });
    expect(await problemOf(owner.invites.resend(org.orgId, invite.id))).toMatchObject({ status: 409, code: 'INVITE_NOT_PENDING' });
  });

  it('a member may not manage invites: 403 FORBIDDEN', async () => {
    expect(await problemOf(member.invites.list(org.orgId))).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect(await problemOf(member.invites.create(org.orgId, { email: email(), role: 'member' }))).toMatchObject({ status: 403, code: 'FORBIDDEN' });
  });

  it('channels says which channels can send; signed out it is 401', async () => {
    const status = await owner.invites.channels();
    expect(status.email).toEqual(expect.objectContaining({ available: expect.any(Boolean) }));
    expect(status.sms).toEqual(expect.objectContaining({ available: expect.any(Boolean) }));
    expect(await problemOf(api.client().invites.channels())).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });
});

describe('orgs', () => {
  it('members page by page and all at once; a member is refused with 403', async () => {
    const page = await owner.orgs.members(org.orgId, { limit: 1 });
    expect(page.items).toHaveLength(1);
    expect(page.items[0]!.role).toBe('owner');
    const all = [];
    for await (const m of owner.orgs.allMembers(org.orgId, { limit: 1 })) all.push(m.role);
    expect(all).toEqual(['owner', 'member']);
    expect(await problemOf(member.orgs.members(org.orgId))).toMatchObject({ status: 403, code: 'FORBIDDEN' });
  });

  it('usage counts seats; another org is 404', async () => {
    const usage = await owner.orgs.usage(org.orgId);
    expect(usage.seatLimit).toBe(50);
    expect(usage.members + usage.pendingInvites + usage.available).toBe(50);
    expect(await problemOf(owner.orgs.usage(crypto.randomUUID()))).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });

  it('audit pages newest first, filters by action and actor, and allAudit walks it; a bad filter is 400', async () => {
    const page = await owner.orgs.audit(org.orgId, { limit: 3 });
    expect(page.items).toHaveLength(3);
    const actions: string[] = [];
    for await (const entry of owner.orgs.allAudit(org.orgId, { limit: 10 })) actions.push(entry.action);
    expect(actions.slice(0, 3)).toEqual(page.items.map((e) => e.action));
    expect(actions).toContain('invite.created');

    const created = await owner.orgs.audit(org.orgId, { action: 'invite.created', actor: `user:${org.owner.user.id}`, limit: 100 });
    expect(created.items.length).toBeGreaterThan(0);
    expect(created.items.every((e) => e.action === 'invite.created' && e.actorName === 'Olivia Owner')).toBe(true);
    expect(created.items[0]!.summary).toContain('invited');
    const family: string[] = [];
    for await (const entry of owner.orgs.allAudit(org.orgId, { action: 'invite.', limit: 2 })) family.push(entry.action);
    expect(family.length).toBeGreaterThan(2);
    expect(family.every((action) => action.startsWith('invite.'))).toBe(true);

    const bad = await problemOf(owner.orgs.audit(org.orgId, { actor: 'somebody' }));
    expect(bad).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(bad.errors.map((e) => e.path)).toContain('/query/actor');
  });

  it('analytics of a period; a period that ends before it starts is 400', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const view = await owner.orgs.analytics(org.orgId, { from: today, to: today });
    expect(view.totals.created).toBeGreaterThan(0);
    expect(await problemOf(owner.orgs.analytics(org.orgId, { from: today, to: '2000-01-01' }))).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
  });

  it('settings are read, changed and previewed; a bad colour is 400 naming /accentColor', async () => {
    const before = await owner.orgs.settings(org.orgId);
    expect(before.defaultLocale).toBe('en');
    const after = await owner.orgs.updateSettings(org.orgId, { emailSubject: 'Join {{orgName}}', accentColor: '#112233' });
    expect(after).toMatchObject({ emailSubject: 'Join {{orgName}}', accentColor: '#112233' });
    const preview = await owner.orgs.previewEmail(org.orgId, { settings: { emailSubject: 'Come to {{orgName}}' } });
    expect(preview.subject).toBe('Come to SDK Org');
    expect((await owner.orgs.previewEmail(org.orgId)).subject).toBe('Join SDK Org');

    const bad = await problemOf(owner.orgs.updateSettings(org.orgId, { accentColor: 'red' }));
    expect(bad).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(bad.errors.map((e) => e.path)).toContain('/accentColor');
  });

  it('events streams the org’s invite events live; a member is refused with 403', async () => {
    const controller = new AbortController();
    const stream = owner.orgs.events(org.orgId, { signal: controller.signal });
    const first = stream.next();
    // The stream is open once the gateway has written its first bytes; an invite made then is seen.
    await expect.poll(() => api.sent.some((r) => isRoute(r, 'orgs.events') && r.status === 200)).toBe(true);
    const { invite } = await owner.invites.create(org.orgId, { email: email('live'), role: 'member', channels: [] });
    let event: ConsoleEvent | undefined;
    for (let next = await first; !next.done; next = await stream.next()) {
      if (next.value.inviteId === invite.id) {
        event = next.value;
        break;
      }
    }
    controller.abort();
    expect(event).toMatchObject({ type: 'invite.created', orgId: org.orgId, inviteId: invite.id, role: 'member' });
    expect(JSON.stringify(event)).not.toContain('@');

    expect(await problemOf(member.orgs.events(org.orgId).next())).toMatchObject({ status: 403, code: 'FORBIDDEN' });
  });
});

describe('people and seats', () => {
  it('update changes the seat limit; below the seats in use is 409 SEAT_LIMIT_BELOW_USAGE; an admin is refused', async () => {
    expect(await owner.orgs.update(org.orgId, { seatLimit: 60 })).toMatchObject({ orgId: org.orgId, name: 'SDK Org', seatLimit: 60 });
    const below = await problemOf(owner.orgs.update(org.orgId, { seatLimit: 1 }));
    expect(below).toMatchObject({ status: 409, code: 'SEAT_LIMIT_BELOW_USAGE' });
    const { client: admin } = await signUpMember('admin');
    expect(await problemOf(admin.orgs.update(org.orgId, { seatLimit: 70 }))).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect((await owner.orgs.update(org.orgId, { seatLimit: 50 })).seatLimit).toBe(50);
  });

  it("updateMember changes a role; the last owner cannot step down (409 LAST_OWNER), a member cannot change roles", async () => {
    const { user } = await signUpMember('member');
    expect(await owner.orgs.updateMember(org.orgId, user.id, { role: 'admin' })).toMatchObject({ user: { id: user.id }, role: 'admin' });
    expect(await problemOf(owner.orgs.updateMember(org.orgId, org.owner.user.id, { role: 'admin' }))).toMatchObject({ status: 409, code: 'LAST_OWNER' });
    expect(await problemOf(member.orgs.updateMember(org.orgId, user.id, { role: 'member' }))).toMatchObject({ status: 403, code: 'FORBIDDEN' });
  });

  it('removeMember removes someone, and anyone may leave; the last owner cannot leave', async () => {
    const removed = await signUpMember('member');
    const leaving = await signUpMember('member');
    await owner.orgs.removeMember(org.orgId, removed.user.id);
    await leaving.client.orgs.removeMember(org.orgId, leaving.user.id);
    const ids = [];
    for await (const m of owner.orgs.allMembers(org.orgId)) ids.push(m.user.id);
    expect(ids).not.toContain(removed.user.id);
    expect(ids).not.toContain(leaving.user.id);
    expect((await leaving.client.auth.me()).memberships).toEqual([]);
    expect(await problemOf(owner.orgs.removeMember(org.orgId, org.owner.user.id))).toMatchObject({ status: 409, code: 'LAST_OWNER' });
  });

  it('transferOwnership makes another member owner and the caller an admin, who may not do it again', async () => {
    const other = await orgWithOwner(api.g.invites, 5, 'Transfer Org');
    const first = api.client();
    await first.auth.login({ email: other.ownerEmail, password });
    const next = await signUpMember('admin', first, other.orgId);
    const transferred = await first.orgs.transferOwnership(other.orgId, { userId: next.user.id });
    expect(transferred).toMatchObject({ previousOwner: { user: { id: other.owner.user.id }, role: 'admin' }, newOwner: { user: { id: next.user.id }, role: 'owner' } });
    expect(await problemOf(first.orgs.transferOwnership(other.orgId, { userId: next.user.id }))).toMatchObject({ status: 403, code: 'FORBIDDEN' });
  });
});

describe('webhooks', () => {
  const url = 'http://127.0.0.1:9/hooks/sdk';

  it('create shows the secret once; list, get, update, rotateSecret and delete; a member is refused, an unknown endpoint is 404', async () => {
    const { webhook, secret } = await owner.webhooks.create(org.orgId, { url, eventTypes: ['invite.created', 'invite.accepted'], description: 'CRM' });
    expect(secret).toMatch(/^whsec_/);
    expect(webhook).toMatchObject({ url, eventTypes: ['invite.created', 'invite.accepted'], description: 'CRM', enabled: true });
    expect((await owner.webhooks.list(org.orgId)).items.map((w) => w.id)).toContain(webhook.id);
    expect(await owner.webhooks.get(org.orgId, webhook.id)).toEqual(webhook);

    const updated = await owner.webhooks.update(org.orgId, webhook.id, { eventTypes: ['member.joined'], enabled: false });
    expect(updated).toMatchObject({ eventTypes: ['member.joined'], enabled: false, disabledReason: 'manual' });
    const rotated = await owner.webhooks.rotateSecret(org.orgId, webhook.id);
    expect(rotated.secret).not.toBe(secret);
    expect(rotated.webhook.previousSecretExpiresAt).toEqual(expect.any(String));

    await owner.webhooks.delete(org.orgId, webhook.id);
    expect(await problemOf(owner.webhooks.get(org.orgId, webhook.id))).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(await problemOf(member.webhooks.list(org.orgId))).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    const invalid = await problemOf(owner.webhooks.create(org.orgId, { url: 'not a url', eventTypes: ['invite.created'] }));
    expect(invalid).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(invalid.errors.map((e) => e.path)).toContain('/url');
  });

  it('test queues a message that the delivery log shows; replayDelivery queues it again; a disabled endpoint is 409 WEBHOOK_DISABLED', async () => {
    const { webhook } = await owner.webhooks.create(org.orgId, { url, eventTypes: ['invite.created'] });
    const queued = await owner.webhooks.test(org.orgId, webhook.id);
    expect(queued).toMatchObject({ webhookId: webhook.id, eventType: 'webhook.test', status: 'pending' });

    const page = await owner.webhooks.deliveries(org.orgId, webhook.id, { limit: 10 });
    expect(page.items.map((d) => d.id)).toContain(queued.id);
    const replay = await owner.webhooks.replayDelivery(org.orgId, webhook.id, queued.id);
    expect(replay).toMatchObject({ replayOf: queued.id, messageId: queued.messageId, eventType: 'webhook.test' });
    const all = [];
    for await (const delivery of owner.webhooks.allDeliveries(org.orgId, webhook.id, { limit: 1 })) all.push(delivery.id);
    expect(all).toEqual(expect.arrayContaining([queued.id, replay.id]));
    expect(await problemOf(owner.webhooks.replayDelivery(org.orgId, webhook.id, crypto.randomUUID()))).toMatchObject({ status: 404, code: 'NOT_FOUND' });

    await owner.webhooks.update(org.orgId, webhook.id, { enabled: false });
    expect(await problemOf(owner.webhooks.test(org.orgId, webhook.id))).toMatchObject({ status: 409, code: 'WEBHOOK_DISABLED' });
    await owner.webhooks.delete(org.orgId, webhook.id);
  });
});

describe('password reset', () => {
  it('requestPasswordReset emails a link; confirmPasswordReset sets the password once and signs the account out', async () => {
    const address = email('reset');
    const { acceptUrl } = await owner.invites.create(org.orgId, { email: address, role: 'member', channels: [] });
    const token = tokenOf(acceptUrl);
    const person = api.client();
    await person.invitee.accept({ token, proof: emailedProof(token), name: 'Rita Reset', username: `rita${Math.random().toString(36).slice(2, 10)}`, password });

    expect(await api.client().auth.requestPasswordReset({ email: address })).toEqual({ linkValidMinutes: expect.any(Number) });
    const resetToken = await resetTokenSentTo(api.g.invites, address);
    const weak = await problemOf(api.client().auth.confirmPasswordReset({ token: resetToken, password: 'short' }));
    expect(weak.errors.map((e) => e.path)).toContain('/password');

    const newPassword = 'a brand new passphrase 42';
    await api.client().auth.confirmPasswordReset({ token: resetToken, password: newPassword });
    expect(await problemOf(api.client().auth.confirmPasswordReset({ token: resetToken, password: newPassword }))).toMatchObject({ status: 410, code: 'PASSWORD_RESET_LINK_INVALID' });
    // Signed out everywhere: the old session can neither call nor refresh.
    expect((await problemOf(person.auth.me())).status).toBe(401);
    expect(person.tokens).toBeNull();
    expect((await api.client().auth.login({ email: address, password: newPassword })).user.email).toBe(address);
    expect(await problemOf(api.client().auth.requestPasswordReset({ email: 'not an address' }))).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
  });
});

describe('invitee', () => {
  it('lookup tells what a link is for; an unknown token is 404 INVITE_NOT_FOUND', async () => {
    const address = email('lookup');
    const { acceptUrl } = await owner.invites.create(org.orgId, { email: address, role: 'member', channels: [] });
    const token = tokenOf(acceptUrl);
    const anyone = api.client();
    expect(await anyone.invitee.lookup({ token, proof: emailedProof(token) })).toMatchObject({ orgName: 'SDK Org', email: address, role: 'member', accountExists: false, addressVerified: true });
    expect(await anyone.invitee.lookup({ token })).toMatchObject({ accountExists: null, addressVerified: false });
    expect(await problemOf(anyone.invitee.lookup({ token: 'A'.repeat(43) }))).toMatchObject({ status: 404, code: 'INVITE_NOT_FOUND' });
  });

  it('accept creates the account and signs in; the used link is 410 INVITE_ALREADY_USED; without proof 403', async () => {
    const address = email('accept');
    const { acceptUrl } = await owner.invites.create(org.orgId, { email: address, role: 'admin', channels: [] });
    const token = tokenOf(acceptUrl);
    const seen: (SessionTokens | null)[] = [];
    const invitee = api.client({ onTokens: (tokens) => void seen.push(tokens) });
    const fields = { name: 'Ada Accept', username: `ada${Math.random().toString(36).slice(2, 10)}`, password };
    expect(await problemOf(invitee.invitee.accept({ token, ...fields }))).toMatchObject({ status: 403, code: 'ADDRESS_NOT_VERIFIED' });

    const accepted = await invitee.invitee.accept({ token, proof: emailedProof(token), ...fields });
    expect(accepted.membership).toMatchObject({ orgId: org.orgId, role: 'admin' });
    expect(seen).toEqual([invitee.tokens]);
    expect((await invitee.auth.me()).user.email).toBe(address);
    expect(await problemOf(api.client().invitee.accept({ token, proof: emailedProof(token), ...fields }))).toMatchObject({ status: 410, code: 'INVITE_ALREADY_USED' });
  });

  it('accept while signed in joins with that account; another address is 403 EMAIL_MISMATCH', async () => {
    const otherOrg = await orgWithOwner(api.g.invites, 5, 'Second Org');
    const inviter = api.client();
    await inviter.auth.login({ email: otherOrg.ownerEmail, password });
    const ownerAddress = org.ownerEmail;
    const mine = await inviter.invites.create(otherOrg.orgId, { email: ownerAddress, role: 'member', channels: [] });
    const someoneElse = await inviter.invites.create(otherOrg.orgId, { email: email('else'), role: 'member', channels: [] });

    const signedIn = api.client();
    await signedIn.auth.login({ email: ownerAddress, password });
    expect(await problemOf(signedIn.invitee.accept({ token: tokenOf(someoneElse.acceptUrl) }))).toMatchObject({ status: 403, code: 'EMAIL_MISMATCH' });
    const joined = await signedIn.invitee.accept({ token: tokenOf(mine.acceptUrl) });
    expect(joined.user.email).toBe(ownerAddress);
    expect((await signedIn.auth.me()).memberships.map((m) => m.orgId).sort()).toEqual([org.orgId, otherOrg.orgId].sort());
  });

  it('decline closes the link; declining it again is 410', async () => {
    const { acceptUrl, invite } = await owner.invites.create(org.orgId, { email: email('decline'), role: 'member', channels: [] });
    const token = tokenOf(acceptUrl);
    expect(await api.client().invitee.decline({ token })).toEqual({ inviteId: invite.id, status: 'declined' });
    const again = await problemOf(api.client().invitee.decline({ token }));
    expect(again.status).toBe(410);
    expect(['INVITE_ALREADY_USED', 'INVITE_WITHDRAWN', 'INVITE_EXPIRED']).toContain(again.code);
  });

  it('sendCode and confirmCode prove the address; a second code at once is 429 with retryAfter, a wrong code 403', async () => {
    const address = email('code');
    const { acceptUrl, invite } = await owner.invites.create(org.orgId, { email: address, role: 'member', channels: [] });
    const token = tokenOf(acceptUrl);
    const holder = api.client();
    expect(await holder.invitee.sendCode({ token })).toMatchObject({ email: address, expiresAt: expect.any(String) });

    const tooSoon = await problemOf(holder.invitee.sendCode({ token }));
    expect(tooSoon).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect(tooSoon.retryAfter).toBeGreaterThan(0);

    const code = await codeSentFor(api.g.invites, invite.id);
    const wrong = code === '000000' ? '111111' : '000000';
    expect(await problemOf(holder.invitee.confirmCode({ token, code: wrong }))).toMatchObject({ status: 403, code: 'VERIFICATION_CODE_INVALID' });
    const confirmed = await holder.invitee.confirmCode({ token, code });
    expect(confirmed).toEqual({ proof: expect.any(String), accountExists: false });
    expect(await holder.invitee.lookup({ token, proof: confirmed.proof })).toMatchObject({ addressVerified: true });
  });
});

describe('inbox', () => {
  it('lists, accepts (with the redirect) and declines the invites of the signed-in account; another account\'s invite is 404', async () => {
    const invitee = await orgWithOwner(api.g.invites, 5, 'Home');
    const invitedBy = async (name: string, redirectUrl?: string) => {
      const from = await orgWithOwner(api.g.invites, 5, name);
      const admin = api.client();
      await admin.auth.login({ email: from.ownerEmail, password });
      if (redirectUrl) await admin.orgs.updateSettings(from.orgId, { redirectOrigins: [new URL(redirectUrl).origin] });
      const created = await admin.invites.create(from.orgId, { email: invitee.ownerEmail, role: 'member', ...(redirectUrl ? { redirectUrl } : {}) });
      return { org: from, created };
    };
    const first = await invitedBy('Acme', 'https://app.acme.example/welcome');
    const second = await invitedBy('Globex');
    const client = api.client();
    await client.auth.login({ email: invitee.ownerEmail, password });

    const page = await client.inbox.list({ limit: 1 });
    expect(page.items.map((i) => i.id)).toEqual([second.created.invite.id]);
    const all = [];
    for await (const item of client.inbox.listAll()) all.push(item.id);
    expect(all).toEqual([second.created.invite.id, first.created.invite.id]);

    const accepted = await client.inbox.accept(first.created.invite.id);
    expect(accepted).toMatchObject({ inviteId: first.created.invite.id, membership: { orgId: first.org.orgId, orgName: 'Acme' }, redirectUrl: 'https://app.acme.example/welcome' });
    expect(await client.inbox.decline(second.created.invite.id)).toEqual({ inviteId: second.created.invite.id, status: 'declined' });

    const gone = await problemOf(client.inbox.accept(second.created.invite.id));
    expect([gone.status, gone.code]).toEqual([410, 'INVITE_ALREADY_USED']);
    const stranger = api.client();
    const other = await orgWithOwner(api.g.invites, 2, 'Other');
    await stranger.auth.login({ email: other.ownerEmail, password });
    const third = await invitedBy('Initech');
    const notMine = await problemOf(stranger.inbox.decline(third.created.invite.id));
    expect([notMine.status, notMine.code]).toEqual([404, 'NOT_FOUND']);
  });
});

describe('joinLinks', () => {
  it('an admin creates, lists, pauses, resumes and revokes a link; its holder looks it up, proves an address and joins', async () => {
    const { joinLink, url } = await owner.joinLinks.create(org.orgId, { role: 'member', label: 'SDK link', maxUses: 5 });
    expect(url).toMatch(/\/join#token=/);
    const token = new URLSearchParams(new URL(url).hash.slice(1)).get('token')!;
    expect((await owner.joinLinks.list(org.orgId)).items.map((l) => l.id)).toContain(joinLink.id);
    expect(await owner.joinLinks.get(org.orgId, joinLink.id)).toMatchObject({ label: 'SDK link', state: 'active' });
    expect((await owner.joinLinks.pause(org.orgId, joinLink.id)).state).toBe('paused');
    expect((await owner.joinLinks.resume(org.orgId, joinLink.id)).state).toBe('active');
    expect((await problemOf(member.joinLinks.create(org.orgId, { role: 'member' }))).code).toBe('FORBIDDEN');

    const holder = api.client();
    expect(await holder.joinLinks.lookup({ token })).toMatchObject({ orgName: 'SDK Org', role: 'member', usable: true, you: null });
    const address = email('joiner');
    expect((await problemOf(holder.joinLinks.join({ token, email: address, name: 'Joiner', username: `joiner${Date.now()}`, password }))).code).toBe('ADDRESS_NOT_VERIFIED');
    await holder.joinLinks.sendCode({ token, email: address });
    const [row] = await api.g.invites.sql<{ payload: { encryptedCode: string } }>(
      `select payload from outbox where payload->>'type' = 'join.address-code' and payload->>'email' = ? order by created_at desc limit 1`,
      [address],
    );
    const code = api.g.invites.app.domain.cipher.decrypt(row!.payload.encryptedCode, sealedAs.joinAddressCode(joinLink.id, address));
    const { proof } = await holder.joinLinks.confirmCode({ token, email: address, code });
    const joined = await holder.joinLinks.join({ token, email: address, proof, name: 'Joiner', username: `joiner${Date.now()}`, password });
    expect(joined.membership).toMatchObject({ orgId: org.orgId, role: 'member' });
    expect(holder.tokens?.accessToken).toBe(joined.accessToken);

    expect((await owner.joinLinks.revoke(org.orgId, joinLink.id)).state).toBe('revoked');
    expect((await problemOf(api.client().joinLinks.lookup({ token: 'A'.repeat(43) }))).code).toBe('JOIN_LINK_NOT_FOUND');
  });
});

describe('the SDK and the API', () => {
  it('path parameters are typed by the route template', () => {
    expectTypeOf<PathParams<(typeof routes)['invites.get']['path']>>().toEqualTypeOf<{ orgId: string; inviteId: string }>();
    expectTypeOf<PathParams<(typeof routes)['auth.me']['path']>>().toEqualTypeOf<Record<never, string>>();
  });

  it('every route of the SDK was called against the live gateway in this file', () => {
    const missed = (Object.keys(routes) as RouteName[]).filter((name) => !api.sent.some((request) => isRoute(request, name)));
    expect(missed).toEqual([]);
  });
});
