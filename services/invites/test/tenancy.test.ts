import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError, operations, type CallOptions, type OperationName, type TokenPair } from '@invite/contracts';
import { addMember, email, orgRowJson, orgWithOwner, startTestInvites, type OrgWithOwner, type TestInvites } from './harness.ts';

/**
 * Invariant 1: no request reads or changes another org's data, and the invites
 * service authorises every operation itself (these calls bypass the gateway).
 */

let t: TestInvites;
let a: OrgWithOwner;
let b: OrgWithOwner;
let adminA: TokenPair;
let memberA: TokenPair;
/** B's admin: the member the member-scoped operations aim at. */
let adminB: TokenPair;
let inviteA: string;
let inviteB: string;

/** Calls any operation by name; the request is built per operation below. */
function call(operation: OperationName, request: unknown, options: CallOptions = {}): Promise<unknown> {
  return (t.client.call as (op: OperationName, req: unknown, opts?: CallOptions) => Promise<unknown>)(operation, request, options);
}

/** A webhook id no org has: each org's own webhooks are the webhooks tests' business. */
const missingWebhook = '00000000-0000-7000-8000-0000000000a1';

/** The operations that take an orgId, with a valid request for (orgId, inviteId). */
const orgScoped = {
  'org.members': (orgId: string) => ({ orgId }),
  'org.usage': (orgId: string) => ({ orgId }),
  'org.audit': (orgId: string) => ({ orgId }),
  'org.analytics': (orgId: string) => ({ orgId, from: '2026-01-01', to: '2026-01-31' }),
  'org.settings.get': (orgId: string) => ({ orgId }),
  'org.settings.update': (orgId: string) => ({ orgId, settings: { emailSubject: 'Cross-tenant {{orgName}}', defaultLocale: 'de' } }),
  'invite.create': (orgId: string) => ({ orgId, invite: { email: email('cross'), role: 'member' } }),
  'invite.bulk': (orgId: string) => ({ orgId, rows: [{ email: email('cross'), role: 'member' }, { email: email('cross'), role: 'admin' }] }),
  'invite.list': (orgId: string) => ({ orgId }),
  'invite.get': (orgId: string, inviteId: string) => ({ orgId, inviteId }),
  'invite.resend': (orgId: string, inviteId: string) => ({ orgId, inviteId }),
  'invite.withdraw': (orgId: string, inviteId: string) => ({ orgId, inviteId }),
  'invite.timeline': (orgId: string, inviteId: string) => ({ orgId, inviteId }),
  'org.update': (orgId: string) => ({ orgId, seatLimit: 3 }),
  'org.member.update': (orgId: string) => ({ orgId, userId: adminB.user.id, role: 'member' }),
  'org.member.remove': (orgId: string) => ({ orgId, userId: adminB.user.id }),
  'org.transfer-ownership': (orgId: string) => ({ orgId, userId: adminB.user.id }),
  'auth.check': (orgId: string) => ({ orgId, minimumRole: 'admin' }),
  'webhook.create': (orgId: string) => ({ orgId, url: 'https://hooks.example.com/invites', eventTypes: ['invite.created'] }),
  'webhook.list': (orgId: string) => ({ orgId }),
  'webhook.get': (orgId: string) => ({ orgId, webhookId: missingWebhook }),
  'webhook.update': (orgId: string) => ({ orgId, webhookId: missingWebhook, enabled: false }),
  'webhook.delete': (orgId: string) => ({ orgId, webhookId: missingWebhook }),
  'webhook.rotate-secret': (orgId: string) => ({ orgId, webhookId: missingWebhook }),
  'webhook.test': (orgId: string) => ({ orgId, webhookId: missingWebhook }),
  'webhook.deliveries': (orgId: string) => ({ orgId, webhookId: missingWebhook }),
  'webhook.delivery.replay': (orgId: string) => ({ orgId, webhookId: missingWebhook, deliveryId: missingWebhook }),
  'join-link.create': (orgId: string) => ({ orgId, role: 'member' }),
  'join-link.list': (orgId: string) => ({ orgId }),
  'join-link.get': (orgId: string) => ({ orgId, joinLinkId: missingWebhook }),
  'join-link.update': (orgId: string) => ({ orgId, joinLinkId: missingWebhook, paused: true }),
  'join-link.revoke': (orgId: string) => ({ orgId, joinLinkId: missingWebhook }),
} satisfies Partial<Record<OperationName, (orgId: string, inviteId: string) => unknown>>;
type OrgScoped = keyof typeof orgScoped;
const orgScopedNames = Object.keys(orgScoped) as OrgScoped[];
const inviteScopedNames = ['invite.get', 'invite.resend', 'invite.withdraw', 'invite.timeline'] as const satisfies readonly OrgScoped[];

/** A snapshot of everything of one org in the database. */
async function snapshot(orgId: string) {
  const count = async (query: string) => (await t.sql<{ n: number }>(query, [orgId]))[0]!.n;
  return {
    invites: await count(`select count(*)::int as n from invites where org_id = ?`),
    audit: await count(`select count(*)::int as n from audit_log where org_id = ?`),
    outbox: await count(`select count(*)::int as n from outbox where payload->>'orgId' = ?`),
    memberships: await count(`select count(*)::int as n from memberships where org_id = ?`),
    membershipRows: await t.sql(`select id, user_id, role, created_at from memberships where org_id = ? order by id`, [orgId]),
    inviteRows: await t.sql(`select to_jsonb(i) as row from invites i where org_id = ? order by id`, [orgId]),
    org: await t.sql(`select ${orgRowJson} from orgs o where id = ?`, [orgId]),
    settings: await t.sql(`select to_jsonb(s) as row from org_settings s where org_id = ?`, [orgId]),
  };
}

beforeAll(async () => {
  t = await startTestInvites('tenancy');
  a = await orgWithOwner(t, 20, 'Org A');
  b = await orgWithOwner(t, 20, 'Org B');
  adminA = await addMember(t, a, 'admin');
  memberA = await addMember(t, a, 'member');
  adminB = await addMember(t, b, 'admin');
  await addMember(t, b, 'member');
  inviteA = (await t.client.call('invite.create', { orgId: a.orgId, invite: { email: email('pa'), role: 'member' } }, { accessToken: a.owner.accessToken })).invite.id;
  inviteB = (await t.client.call('invite.create', { orgId: b.orgId, invite: { email: email('pb'), role: 'member' } }, { accessToken: b.owner.accessToken })).invite.id;
});
afterAll(() => t?.close());

describe('tenant isolation (invariant 1)', () => {
  it("refuses every org operation of A's owner and admin on B's orgId, and on B's invites through A's orgId, with NOT_FOUND, and leaves B unchanged", async () => {
    const before = await snapshot(b.orgId);
    expect(before.invites).toBeGreaterThan(0);
    expect(before.audit).toBeGreaterThan(0);
    expect(before.memberships).toBe(3);

    const callers = { 'owner of A': a.owner, 'admin of A': adminA };
    const outcomes: string[] = [];
    for (const [who, caller] of Object.entries(callers)) {
      for (const name of orgScopedNames) {
        const request = orgScoped[name](b.orgId, inviteB);
        const outcome = await call(name, request, { accessToken: caller.accessToken }).then(
          () => 'succeeded',
          (e: unknown) => (e instanceof DomainError ? e.code : `failed with ${String(e)}`),
        );
        outcomes.push(`${who} ${name} on B: ${outcome}`);
      }
      for (const name of inviteScopedNames) {
        const outcome = await call(name, { orgId: a.orgId, inviteId: inviteB }, { accessToken: caller.accessToken }).then(
          () => 'succeeded',
          (e: unknown) => (e instanceof DomainError ? e.code : `failed with ${String(e)}`),
        );
        outcomes.push(`${who} ${name} on A with B's invite: ${outcome}`);
      }
    }
    // One line per call, so a failure names the operation that leaked.
    expect(outcomes).toEqual(outcomes.map((line) => line.replace(/: .*$/, ': NOT_FOUND')));
    expect(outcomes).toHaveLength(2 * (orgScopedNames.length + inviteScopedNames.length));

    const after = await snapshot(b.orgId);
    expect(after).toEqual(before);
    // B's pending invite is still pending on its first token.
    const [row] = await t.sql<{ status: string; token_version: number }>(`select status, token_version from invites where id = ?`, [inviteB]);
    expect(row).toEqual({ status: 'pending', token_version: 1 });
  });

  it("gives the same NOT_FOUND for B's orgId as for an org that does not exist (no disclosure)", async () => {
    const missingOrg = '00000000-0000-7000-8000-000000000000';
    const missingInvite = '00000000-0000-7000-8000-000000000001';
    for (const name of orgScopedNames) {
      const forB = await call(name, orgScoped[name](b.orgId, inviteB), { accessToken: a.owner.accessToken }).catch((e: unknown) => e);
      const forNothing = await call(name, orgScoped[name](missingOrg, missingInvite), { accessToken: a.owner.accessToken }).catch((e: unknown) => e);
      expect(forB, name).toBeInstanceOf(DomainError);
      expect(forNothing, name).toBeInstanceOf(DomainError);
      expect({ code: (forB as DomainError).code, detail: (forB as DomainError).detail }, name).toEqual({
        code: (forNothing as DomainError).code,
        detail: (forNothing as DomainError).detail,
      });
    }
  });

  it("shows A's admin only A's invites, members and audit entries", async () => {
    const bInviteIds = (await t.sql<{ id: string }>(`select id from invites where org_id = ?`, [b.orgId])).map((r) => r.id);
    const bUserIds = (await t.sql<{ user_id: string }>(`select user_id from memberships where org_id = ?`, [b.orgId])).map((r) => r.user_id);

    const invites = await t.client.call('invite.list', { orgId: a.orgId, limit: 100 }, { accessToken: adminA.accessToken });
    expect(invites.items.length).toBeGreaterThan(0);
    expect(invites.items.every((i) => i.orgId === a.orgId)).toBe(true);
    expect(invites.items.map((i) => i.id)).toContain(inviteA);
    expect(invites.items.map((i) => i.id)).not.toContain(inviteB);
    expect(invites.items.filter((i) => bInviteIds.includes(i.id))).toEqual([]);

    const members = await t.client.call('org.members', { orgId: a.orgId, limit: 100 }, { accessToken: adminA.accessToken });
    expect(members.items).toHaveLength(3);
    expect(members.items.filter((m) => bUserIds.includes(m.user.id))).toEqual([]);

    const audit = await t.client.call('org.audit', { orgId: a.orgId, limit: 100 }, { accessToken: adminA.accessToken });
    const aAuditIds = (await t.sql<{ id: string }>(`select id from audit_log where org_id = ?`, [a.orgId])).map((r) => r.id);
    expect(audit.items.map((e) => e.id).sort()).toEqual(aAuditIds.sort());
    expect(audit.items.some((e) => e.target === `invite:${inviteB}`)).toBe(false);

    const usage = await t.client.call('org.usage', { orgId: a.orgId }, { accessToken: adminA.accessToken });
    expect(usage).toMatchObject({ seatLimit: 20, members: 3, pendingInvites: 1 });

    const got = await t.client.call('invite.get', { orgId: a.orgId, inviteId: inviteA }, { accessToken: adminA.accessToken });
    expect(got.orgId).toBe(a.orgId);
  });

  it('refuses every user operation without a token with UNAUTHENTICATED', async () => {
    const userOps = (Object.keys(operations) as OperationName[]).filter((name) => operations[name].auth === 'user');
    const requests: Partial<Record<OperationName, unknown>> = {
      ...Object.fromEntries(orgScopedNames.map((name) => [name, orgScoped[name](a.orgId, inviteA)])),
      'auth.logout': {},
      'auth.me': {},
      'inbox.list': {},
      'inbox.accept': { inviteId: inviteA },
      'inbox.decline': { inviteId: inviteA },
    };
    // Every 'user' operation of the contract is covered; a new one must be added here.
    expect(userOps.filter((name) => !(name in requests))).toEqual([]);

    const before = await snapshot(a.orgId);
    for (const name of userOps) {
      await expect(call(name, requests[name]), name).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
      await expect(call(name, requests[name], { accessToken: 'not.a.token' }), `${name} with a bad token`).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
      });
    }
    expect(await snapshot(a.orgId)).toEqual(before);
  });

  it("refuses a member of A every admin operation on A with FORBIDDEN and changes nothing", async () => {
    const before = await snapshot(a.orgId);
    for (const name of orgScopedNames) {
      await expect(call(name, orgScoped[name](a.orgId, inviteA), { accessToken: memberA.accessToken }), name).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
    }
    expect(await snapshot(a.orgId)).toEqual(before);
    // The member still reaches their own account: the refusals are about the role, not the session.
    const me = await t.client.call('auth.me', {}, { accessToken: memberA.accessToken });
    expect(me.memberships).toEqual([expect.objectContaining({ orgId: a.orgId, role: 'member' })]);
  });

  it("refuses a member of A on B's orgId with NOT_FOUND, not FORBIDDEN", async () => {
    for (const name of orgScopedNames) {
      await expect(call(name, orgScoped[name](b.orgId, inviteB), { accessToken: memberA.accessToken }), name).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    }
  });
});
