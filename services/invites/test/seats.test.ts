import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '@invite/contracts';
import { email, emailedProof, orgWithOwner, password, startTestInvites, tokenOf, type OrgWithOwner, type TestInvites } from './harness.ts';

/** Invariant 3: members + pending invites ≤ seat_limit, checked atomically at create and accept, also under concurrency. */

let t: TestInvites;

beforeAll(async () => {
  t = await startTestInvites('seats');
});
afterAll(() => t?.close());

function invite(org: OrgWithOwner, who = email('seat')) {
  return t.client.call('invite.create', { orgId: org.orgId, invite: { email: who, role: 'member' } }, { accessToken: org.owner.accessToken });
}

function usage(org: OrgWithOwner) {
  return t.client.call('org.usage', { orgId: org.orgId }, { accessToken: org.owner.accessToken });
}

/** Seats taken according to the database itself, not the service's own count. */
async function taken(orgId: string): Promise<{ members: number; pending: number; seatLimit: number }> {
  const [row] = await t.sql<{ members: number; pending: number; seat_limit: number }>(
    `select (select count(*)::int from memberships where org_id = o.id) as members,
            (select count(*)::int from invites where org_id = o.id and status = 'pending') as pending,
            o.seat_limit
       from orgs o where o.id = ?`,
    [orgId],
  );
  return { members: row!.members, pending: row!.pending, seatLimit: row!.seat_limit };
}

function codes(results: PromiseSettledResult<unknown>[]): string[] {
  return results
    .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    .map((r) => (r.reason instanceof DomainError ? r.reason.code : `not a DomainError: ${String(r.reason)}`));
}

describe('seat limit (invariant 3)', () => {
  it('lets exactly one of 20 concurrent invites take the last seat; the other 19 get SEAT_LIMIT_REACHED', async () => {
    const seatLimit = 5;
    const org = await orgWithOwner(t, seatLimit);
    for (let i = 0; i < 3; i++) await invite(org);
    expect(await usage(org)).toEqual({ seatLimit, members: 1, pendingInvites: 3, available: 1 });

    const emails = Array.from({ length: 20 }, () => email('race'));
    const results = await Promise.allSettled(emails.map((who) => invite(org, who)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(codes(results)).toEqual(Array(19).fill('SEAT_LIMIT_REACHED'));

    const u = await usage(org);
    expect(u.members + u.pendingInvites).toBe(seatLimit);
    expect(u.available).toBe(0);
    expect(await taken(org.orgId)).toEqual({ members: 1, pending: 4, seatLimit });
    // Only the winner was audited and queued.
    const [audit] = await t.sql<{ n: number }>(
      `select count(*)::int as n from audit_log where org_id = ? and action = 'invite.created' and data->>'email' in (?)`,
      [org.orgId, emails],
    );
    expect(audit!.n).toBe(1);
  });

  it('creates only as many bulk rows as seats are left: 2 seats, 5 rows → 2 created, 3 SEAT_LIMIT_REACHED', async () => {
    const org = await orgWithOwner(t, 6);
    for (let i = 0; i < 3; i++) await invite(org);
    expect((await usage(org)).available).toBe(2);

    const rows = Array.from({ length: 5 }, () => ({ email: email('bulk'), role: 'member' as const }));
    const reply = await t.client.call('invite.bulk', { orgId: org.orgId, rows }, { accessToken: org.owner.accessToken });
    expect(reply).toMatchObject({ created: 2, failed: 3 });
    expect(reply.results.filter((r) => r.status === 'created')).toHaveLength(2);
    expect(reply.results.filter((r) => r.status === 'failed').map((r) => r.code)).toEqual(Array(3).fill('SEAT_LIMIT_REACHED'));
    expect(await taken(org.orgId)).toEqual({ members: 1, pending: 5, seatLimit: 6 });
  });

  it('never oversubscribes under concurrent bulk uploads', async () => {
    const org = await orgWithOwner(t, 4);
    const batches = Array.from({ length: 4 }, () => Array.from({ length: 5 }, () => ({ email: email('cbulk'), role: 'member' as const })));
    const replies = await Promise.all(
      batches.map((rows) => t.client.call('invite.bulk', { orgId: org.orgId, rows }, { accessToken: org.owner.accessToken })),
    );
    expect(replies.reduce((sum, r) => sum + r.created, 0)).toBe(3);
    const failures = replies.flatMap((r) => r.results.filter((x) => x.status === 'failed').map((x) => x.code));
    expect(failures).toEqual(Array(17).fill('SEAT_LIMIT_REACHED'));
    expect(await taken(org.orgId)).toEqual({ members: 1, pending: 3, seatLimit: 4 });
  });

  it('frees a seat when an invite is withdrawn', async () => {
    const org = await orgWithOwner(t, 3);
    const first = await invite(org);
    await invite(org);
    await expect(invite(org)).rejects.toMatchObject({ code: 'SEAT_LIMIT_REACHED' });

    await t.client.call('invite.withdraw', { orgId: org.orgId, inviteId: first.invite.id }, { accessToken: org.owner.accessToken });
    expect(await usage(org)).toEqual({ seatLimit: 3, members: 1, pendingInvites: 1, available: 1 });

    const replacement = await invite(org);
    expect(replacement.invite.status).toBe('pending');
    await expect(invite(org)).rejects.toMatchObject({ code: 'SEAT_LIMIT_REACHED' });
    expect(await taken(org.orgId)).toEqual({ members: 1, pending: 2, seatLimit: 3 });
  });

  it('accepts an invite in a full org: the invite already holds its seat', async () => {
    const org = await orgWithOwner(t, 2);
    const created = await invite(org);
    expect((await usage(org)).available).toBe(0);
    const accepted = await t.client.call('invite.accept', { token: tokenOf(created.acceptUrl), proof: emailedProof(tokenOf(created.acceptUrl)), name: 'Full', username: `full${Date.now()}`, password });
    expect(accepted.membership.orgId).toBe(org.orgId);
    expect(await usage(org)).toEqual({ seatLimit: 2, members: 2, pendingInvites: 0, available: 0 });
  });

  it('refuses an accept with SEAT_LIMIT_REACHED when the limit was lowered below members + pending, and the invite stays pending', async () => {
    const org = await orgWithOwner(t, 3);
    const who = email('lowered');
    const created = await invite(org, who);
    await invite(org);
    await t.sql(`update orgs set seat_limit = 2 where id = ?`, [org.orgId]);

    const token = tokenOf(created.acceptUrl);
    await expect(t.client.call('invite.accept', { token, proof: emailedProof(token), name: 'Late', username: `late${Date.now()}`, password })).rejects.toMatchObject({
      code: 'SEAT_LIMIT_REACHED',
    });

    const [row] = await t.sql<{ status: string; accepted_user_id: string | null }>(`select status, accepted_user_id from invites where id = ?`, [
      created.invite.id,
    ]);
    expect(row).toEqual({ status: 'pending', accepted_user_id: null });
    expect(await t.sql(`select id from users where email = ?`, [who])).toEqual([]);
    expect(await taken(org.orgId)).toEqual({ members: 1, pending: 2, seatLimit: 2 });
    const [audit] = await t.sql<{ n: number }>(`select count(*)::int as n from audit_log where target = ? and action = 'invite.accepted'`, [
      `invite:${created.invite.id}`,
    ]);
    expect(audit!.n).toBe(0);

    // The refusal did not burn the token: once a seat is back, the same link works.
    await t.sql(`update orgs set seat_limit = 3 where id = ?`, [org.orgId]);
    const accepted = await t.client.call('invite.accept', { token, proof: emailedProof(token), name: 'Late', username: `late2${Date.now()}`, password });
    expect(accepted.user.email).toBe(who);
    expect(await taken(org.orgId)).toEqual({ members: 2, pending: 1, seatLimit: 3 });
  });
});
