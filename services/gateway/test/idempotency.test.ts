import { Kvm } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BulkInviteReply, InviteWithLink, TokenPair } from '@invite/contracts';
import { addMember, email, orgWithOwner, password, tokenOf, type OrgWithOwner } from '../../invites/test/harness.ts';
import { createKvIdempotencyStore, requestKeyOf } from '../src/limits/idempotency.ts';
import { startTestGateway, type TestGateway } from './harness.ts';
import { bearer, expectProblem, json, type Response } from './support.ts';

/**
 * Idempotency keys keep the first answer of a create or bulk upload for 24 hours. That
 * answer holds accept links, so a replay is authorised like a fresh call (same user,
 * live session, still admin or owner of the org), and the stored answer is sealed
 * with a key only the client's Idempotency-Key gives.
 */

let g: TestGateway;
let org: OrgWithOwner;

beforeAll(async () => {
  g = await startTestGateway('gwidem', { LOGIN_LIMIT_PER_15MIN: '100000' });
  org = await orgWithOwner(g.invites, 100, 'Idempotent Org');
});

afterAll(async () => {
  await g?.close();
});

const newKey = (label: string) => `${label}-${crypto.randomUUID()}`;

function create(token: string, key: string, body: Record<string, unknown>): Promise<Response> {
  return g.app.inject({ method: 'POST', url: `/v1/orgs/${org.orgId}/invites`, headers: { ...bearer(token), 'idempotency-key': key }, payload: body });
}

function bulk(token: string, key: string, rows: unknown[]): Promise<Response> {
  return g.app.inject({ method: 'POST', url: `/v1/orgs/${org.orgId}/invites/bulk`, headers: { ...bearer(token), 'idempotency-key': key }, payload: rows });
}

async function login(who: string): Promise<TokenPair> {
  const res = await g.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: who, password } });
  expect(res.statusCode, res.body).toBe(200);
  return json<TokenPair>(res);
}

async function logout(session: TokenPair): Promise<void> {
  const res = await g.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: bearer(session.accessToken) });
  expect(res.statusCode, res.body).toBe(204);
}

/** A fresh admin of the org with their email, signed in. */
async function newAdmin(): Promise<{ session: TokenPair; email: string }> {
  const who = email('idem-admin');
  return { session: await addMember(g.invites, org, 'admin', org.owner, who), email: who };
}

/** Every value in the gateway's idempotency bucket, as text. */
async function bucketContents(): Promise<string[]> {
  const kv = await new Kvm(g.invites.nc).open(`${g.config.NATS_PREFIX}_gateway_idempotency`);
  const values: string[] = [];
  for await (const key of await kv.keys()) {
    const entry = await kv.get(key);
    if (entry?.operation === 'PUT') values.push(`${key} ${entry.string()}`);
  }
  return values;
}

describe('a replay is authorised like a fresh call', () => {
  it('replay of a create after logout with the dead access token → 401, no stored answer', async () => {
    const admin = await newAdmin();
    const key = newKey('logout');
    const body = { email: email('after-logout'), role: 'member' };
    const first = await create(admin.session.accessToken, key, body);
    expect(first.statusCode, first.body).toBe(201);

    await logout(admin.session);
    const replay = await create(admin.session.accessToken, key, body);
    const problem = expectProblem(replay, 401, 'UNAUTHENTICATED');
    expect(replay.headers['idempotent-replayed']).toBeUndefined();
    expect(replay.body).not.toContain(tokenOf(json<InviteWithLink>(first).acceptUrl));
    expect(problem.detail).toMatch(/sign in again/);

    // The same user signed in again gets the first answer back.
    const again = await create((await login(admin.email)).accessToken, key, body);
    expect(again.statusCode, again.body).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(json(again)).toEqual(json(first));
  });

  it('replay of a bulk upload after logout → 401', async () => {
    const admin = await newAdmin();
    const key = newKey('bulk-logout');
    const rows = [{ email: email('bulk-after-logout'), role: 'member' }];
    const first = await bulk(admin.session.accessToken, key, rows);
    expect(first.statusCode, first.body).toBe(200);
    expect(json<BulkInviteReply>(first).results[0]!.acceptUrl).toBeDefined();

    await logout(admin.session);
    const replay = await bulk(admin.session.accessToken, key, rows);
    expectProblem(replay, 401, 'UNAUTHENTICATED');
    expect(replay.headers['idempotent-replayed']).toBeUndefined();
  });

  it('replay after a demotion to member → 403 FORBIDDEN; after removal from the org → 404 NOT_FOUND', async () => {
    const admin = await newAdmin();
    const key = newKey('demoted');
    const body = { email: email('demoted'), role: 'member' };
    expect((await create(admin.session.accessToken, key, body)).statusCode).toBe(201);
    const bulkKey = newKey('demoted-bulk');
    const rows = [{ email: email('demoted-bulk'), role: 'member' }];
    expect((await bulk(admin.session.accessToken, bulkKey, rows)).statusCode).toBe(200);

    await g.invites.sql(`update memberships set role = 'member' where org_id = ? and user_id = ?`, [org.orgId, admin.session.user.id]);
    expectProblem(await create(admin.session.accessToken, key, body), 403, 'FORBIDDEN');
    expectProblem(await bulk(admin.session.accessToken, bulkKey, rows), 403, 'FORBIDDEN');

    await g.invites.sql(`delete from memberships where org_id = ? and user_id = ?`, [org.orgId, admin.session.user.id]);
    expectProblem(await create(admin.session.accessToken, key, body), 404, 'NOT_FOUND');
  });

  it('with a dead session, a reused key with another body and a key still in progress are refused with 401 too', async () => {
    const admin = await newAdmin();
    const key = newKey('mismatch');
    expect((await create(admin.session.accessToken, key, { email: email('mismatch'), role: 'member' })).statusCode).toBe(201);
    // A first request under `concurrentKey` still running: its claim, taken as the route takes it.
    const concurrentKey = newKey('in-progress');
    const body = { email: email('in-progress'), role: 'member' };
    const store = await createKvIdempotencyStore(g.invites.nc, `${g.config.NATS_PREFIX}_gateway_idempotency`);
    const claim = await store.claim(`${admin.session.user.id}:create:${org.orgId}`, concurrentKey, body);
    expect(claim.kind).toBe('new');
    expectProblem(await create(admin.session.accessToken, concurrentKey, body), 409, 'IDEMPOTENCY_IN_PROGRESS');

    await logout(admin.session);
    expectProblem(await create(admin.session.accessToken, key, { email: email('other-body'), role: 'member' }), 401, 'UNAUTHENTICATED');
    expectProblem(await create(admin.session.accessToken, concurrentKey, body), 401, 'UNAUTHENTICATED');
  });

  it('a refusal of the caller is not kept as the answer: once promoted, the same key creates the invite', async () => {
    const who = email('idem-member');
    const member = await addMember(g.invites, org, 'member', org.owner, who);
    const key = newKey('promoted');
    const body = { email: email('promoted'), role: 'member' };
    expectProblem(await create(member.accessToken, key, body), 403, 'FORBIDDEN');

    await g.invites.sql(`update memberships set role = 'admin' where org_id = ? and user_id = ?`, [org.orgId, member.user.id]);
    const created = await create(member.accessToken, key, body);
    expect(created.statusCode, created.body).toBe(201);
    expect(created.headers['idempotent-replayed']).toBeUndefined();
  });
});

describe('a request whose gateway died', () => {
  it('no longer blocks its key once its claim outlived its deadline: a retry runs it (regression: 409 IDEMPOTENCY_IN_PROGRESS for 24 h)', async () => {
    const admin = await newAdmin();
    const key = newKey('orphaned');
    const body = { email: email('orphaned'), role: 'member' };
    // A claim as a gateway takes it, which then dies: never completed, never released.
    const store = await createKvIdempotencyStore(g.invites.nc, `${g.config.NATS_PREFIX}_gateway_idempotency`);
    const orphan = await store.claim(`${admin.session.user.id}:create:${org.orgId}`, key, body, 300);
    expect(orphan.kind).toBe('new');
    expectProblem(await create(admin.session.accessToken, key, body), 409, 'IDEMPOTENCY_IN_PROGRESS');

    await new Promise((resolve) => setTimeout(resolve, 400));
    const retried = await create(admin.session.accessToken, key, body);
    expect(retried.statusCode, retried.body).toBe(201);
    const replay = await create(admin.session.accessToken, key, body);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toBe(retried.body);
    // The dead request's late completion, had it come, would not overwrite the new holder's answer.
    if (orphan.kind === 'new') await orphan.complete({ status: 500, body: {} });
    expect((await create(admin.session.accessToken, key, body)).body).toBe(retried.body);
  });

  it('whose invite was created before it died: the retry gets that invite, not 409 INVITE_ALREADY_PENDING', async () => {
    const admin = await newAdmin();
    const key = newKey('created-then-died');
    const body = { email: email('created-then-died'), role: 'member' as const };
    const scope = `${admin.session.user.id}:create:${org.orgId}`;
    // The service committed the invite; the gateway died before storing the answer (its claim long expired).
    const created = await g.invites.client.call('invite.create', { orgId: org.orgId, invite: body, requestKey: requestKeyOf(scope, key) }, { accessToken: admin.session.accessToken });
    const retried = await create(admin.session.accessToken, key, body);
    expect(retried.statusCode, retried.body).toBe(201);
    expect(json<InviteWithLink>(retried)).toEqual(created);
  });
});

describe('stored answers are sealed', () => {
  it('the bucket holds neither the accept link nor its token; the replay is the exact first answer', async () => {
    const admin = await newAdmin();
    const key = newKey('sealed');
    const body = { email: email('sealed'), role: 'member' };
    const first = await create(admin.session.accessToken, key, body);
    expect(first.statusCode, first.body).toBe(201);
    const { acceptUrl } = json<InviteWithLink>(first);
    const bulkKey = newKey('sealed-bulk');
    const rows = [{ email: email('sealed-bulk'), role: 'member' }];
    const bulkFirst = await bulk(admin.session.accessToken, bulkKey, rows);
    const bulkUrl = json<BulkInviteReply>(bulkFirst).results[0]!.acceptUrl!;

    const stored = (await bucketContents()).join('\n');
    expect(stored.length).toBeGreaterThan(0);
    for (const secret of [acceptUrl, tokenOf(acceptUrl), bulkUrl, tokenOf(bulkUrl), key, bulkKey]) {
      expect(stored).not.toContain(secret);
    }
    expect(stored).not.toContain('acceptUrl');
    expect(stored).not.toContain('#token=');

    const replay = await create(admin.session.accessToken, key, body);
    expect(replay.statusCode).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toBe(first.body);
    const bulkReplay = await bulk(admin.session.accessToken, bulkKey, rows);
    expect(bulkReplay.headers['idempotent-replayed']).toBe('true');
    expect(bulkReplay.body).toBe(bulkFirst.body);
  });
});
