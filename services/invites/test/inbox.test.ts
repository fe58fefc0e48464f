import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError, type NewInvite } from '@invite/contracts';
import { addMember, email, orgWithOwner, startTestInvites, tokenOf, type OrgWithOwner, type TestInvites } from './harness.ts';

/**
 * The invitee's inbox: pending invites addressed to the signed-in account's email, across
 * organisations, accepted or declined without the link by the same rules as the link.
 */

let t: TestInvites;
/** The invitee: owner of an org of their own, with an account whose email the invites go to. */
let invitee: OrgWithOwner;
let acme: OrgWithOwner;
let globex: OrgWithOwner;

beforeAll(async () => {
  t = await startTestInvites('inbox');
  [invitee, acme, globex] = await Promise.all([orgWithOwner(t, 5, 'Home'), orgWithOwner(t, 10, 'Acme'), orgWithOwner(t, 10, 'Globex')]);
  await t.client.call('org.settings.update', { orgId: acme.orgId, settings: { logoUrl: 'https://cdn.example.com/acme.png' } }, { accessToken: acme.owner.accessToken });
});
afterAll(() => t?.close());

const as = (org: OrgWithOwner) => ({ accessToken: org.owner.accessToken });
const mine = () => as(invitee);

function invite(org: OrgWithOwner, fields: Partial<NewInvite> = {}) {
  return t.client.call('invite.create', { orgId: org.orgId, invite: { email: invitee.ownerEmail, role: 'member', ...fields } }, as(org));
}

async function failure(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

/** Leaves no pending invite to the invitee behind, so each test reads only its own. */
async function clearInbox() {
  await t.sql(`update invites set status = 'withdrawn', withdrawn_at = now() where lower(email) = lower(?) and status = 'pending'`, [invitee.ownerEmail]);
}

describe('GET /v1/me/invites (inbox.list)', () => {
  it('lists the pending invites to the account email from every org, newest first, without token or link', async () => {
    await clearInbox();
    const first = await invite(acme, { message: 'Join the rocket team', email: invitee.ownerEmail.toUpperCase() });
    const second = await invite(globex, { role: 'admin', channels: [] });
    const page = await t.client.call('inbox.list', {}, mine());
    expect(page.items.map((i) => i.id)).toEqual([second.invite.id, first.invite.id]);
    expect(page.nextCursor).toBeNull();
    expect(page.items[0]).toEqual({
      id: second.invite.id,
      org: { id: globex.orgId, name: 'Globex', logoUrl: null },
      role: 'admin',
      inviterName: 'Olivia Owner',
      message: null,
      createdAt: second.invite.createdAt,
      expiresAt: second.invite.expiresAt,
      redirectUrl: null,
    });
    expect(page.items[1]).toMatchObject({ org: { id: acme.orgId, name: 'Acme', logoUrl: 'https://cdn.example.com/acme.png' }, message: 'Join the rocket team' });
    const text = JSON.stringify(page);
    expect(text).not.toContain(tokenOf(first.acceptUrl));
    expect(text).not.toContain(tokenOf(second.acceptUrl));
    expect(text).not.toMatch(/token|acceptUrl/i);
  });

  it('leaves out invites to other addresses, sent by SMS alone, closed or overdue', async () => {
    await clearInbox();
    const kept = await invite(acme);
    await t.client.call('invite.create', { orgId: globex.orgId, invite: { email: email('someone'), role: 'member' } }, as(globex));
    await invite(globex, { channels: ['sms'], phone: '+447700900123' });
    const other = await orgWithOwner(t, 5, 'Initech');
    const withdrawn = await invite(other, { role: 'admin' });
    await t.client.call('invite.withdraw', { orgId: other.orgId, inviteId: withdrawn.invite.id }, as(other));
    const overdue = await invite(await orgWithOwner(t, 5, 'Umbrella'));
    await t.sql(`update invites set expires_at = now() - interval '1 minute' where id = ?`, [overdue.invite.id]);
    const page = await t.client.call('inbox.list', {}, mine());
    expect(page.items.map((i) => i.id)).toEqual([kept.invite.id]);
  });

  it('pages with limit and cursor', async () => {
    await clearInbox();
    const orgs = await Promise.all([orgWithOwner(t, 5, 'P1'), orgWithOwner(t, 5, 'P2'), orgWithOwner(t, 5, 'P3')]);
    const created = [];
    for (const org of orgs) created.push(await invite(org));
    const first = await t.client.call('inbox.list', { limit: 2 }, mine());
    expect(first.items.map((i) => i.id)).toEqual([created[2]!.invite.id, created[1]!.invite.id]);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await t.client.call('inbox.list', { limit: 2, cursor: first.nextCursor! }, mine());
    expect(second.items.map((i) => i.id)).toEqual([created[0]!.invite.id]);
    expect(second.nextCursor).toBeNull();
    const bad = await failure(t.client.call('inbox.list', { cursor: 'bm90LWEtY3Vyc29y' }, mine()));
    expect(bad.code).toBe('VALIDATION_FAILED');
  });

  it('reads the pending invites of one address from the inbox index, not the whole table', async () => {
    const plans = await t.em().transactional(async (em) => {
      await em.execute('set local enable_seqscan = off');
      return em.execute<{ 'QUERY PLAN': unknown }[]>(
        `explain (format json) select i.id from invites i
          where lower(i.email) = lower(?) and i.status = 'pending' and i.expires_at > now()
          order by i.created_at desc, i.id desc limit 51`,
        [invitee.ownerEmail],
      );
    });
    expect(JSON.stringify(plans)).toContain('invites_inbox_idx');
  });

  it('needs a signed-in account', async () => {
    expect((await failure(t.client.call('inbox.list', {}))).code).toBe('UNAUTHENTICATED');
  });
});

describe('POST /v1/me/invites/:id/accept (inbox.accept)', () => {
  it('joins the org: takes the seat, audits the invitee as actor from their inbox, events invite.accepted', async () => {
    const org = await orgWithOwner(t, 3, 'Joinable');
    const created = await invite(org, { role: 'admin' });
    const before = await t.client.call('org.usage', { orgId: org.orgId }, as(org));
    const reply = await t.client.call('inbox.accept', { inviteId: created.invite.id }, mine());
    expect(reply).toEqual({
      inviteId: created.invite.id,
      membership: { orgId: org.orgId, orgName: 'Joinable', role: 'admin', createdAt: expect.any(String) },
      redirectUrl: null,
    });
    const after = await t.client.call('org.usage', { orgId: org.orgId }, as(org));
    expect([after.members, after.pendingInvites, after.available]).toEqual([before.members + 1, before.pendingInvites - 1, before.available]);
    const me = await t.client.call('auth.me', {}, mine());
    expect(me.memberships).toContainEqual(expect.objectContaining({ orgId: org.orgId, role: 'admin' }));

    const audit = await acceptedEntries(org, created.invite.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: `user:${invitee.owner.user.id}`, target: `invite:${created.invite.id}`, data: { via: 'inbox', newAccount: false } });
    expect(audit[0]!.summary).toBe('Olivia Owner accepted the invite from their inbox and joined as admin');
    const added = await t.client.call('org.audit', { orgId: org.orgId, action: 'member.added' }, as(org));
    expect(added.items.map((e) => e.target)).toContain(`user:${invitee.owner.user.id}`);
    const events = await t.sql<{ type: string; user_id: string }>(
      `select payload->>'type' as type, payload->>'userId' as user_id from outbox where payload->>'inviteId' = ? and payload->>'type' = 'invite.accepted'`,
      [created.invite.id],
    );
    expect(events).toEqual([{ type: 'invite.accepted', user_id: invitee.owner.user.id }]);

    // Answered: the link's holder gets what the link would say, and so does the inbox.
    const again = await failure(t.client.call('inbox.accept', { inviteId: created.invite.id }, mine()));
    const byLink = await failure(t.client.call('invite.accept', { token: tokenOf(created.acceptUrl) }, mine()));
    expect([again.code, again.status, again.detail]).toEqual(['INVITE_ALREADY_USED', 410, byLink.detail]);
  });

  it('answers an invite addressed to someone else exactly like one that does not exist', async () => {
    const other = await t.client.call('invite.create', { orgId: acme.orgId, invite: { email: email('else'), role: 'member' } }, as(acme));
    const smsOnly = await invite(globex, { channels: ['sms'], phone: '+447700900124' });
    const missing = await failure(t.client.call('inbox.accept', { inviteId: '01900000-0000-7000-8000-000000000000' }, mine()));
    const notMine = await failure(t.client.call('inbox.accept', { inviteId: other.invite.id }, mine()));
    const notByEmail = await failure(t.client.call('inbox.decline', { inviteId: smsOnly.invite.id }, mine()));
    for (const error of [notMine, notByEmail]) expect([error.code, error.status, error.detail]).toEqual([missing.code, missing.status, missing.detail]);
    expect(missing.code).toBe('NOT_FOUND');
    const [row] = await t.sql<{ status: string }>(`select status from invites where id = ?`, [other.invite.id]);
    expect(row!.status).toBe('pending');
  });

  it('refuses a withdrawn or expired invite with the token path\'s code and sentence', async () => {
    const org = await orgWithOwner(t, 5, 'Closing');
    const withdrawn = await invite(org);
    await t.client.call('invite.withdraw', { orgId: org.orgId, inviteId: withdrawn.invite.id }, as(org));
    const inbox = await failure(t.client.call('inbox.accept', { inviteId: withdrawn.invite.id }, mine()));
    const link = await failure(t.client.call('invite.accept', { token: tokenOf(withdrawn.acceptUrl) }, mine()));
    expect([inbox.code, inbox.status, inbox.detail]).toEqual(['INVITE_WITHDRAWN', 410, link.detail]);

    const org2 = await orgWithOwner(t, 5, 'Overdue');
    const overdue = await invite(org2);
    await t.sql(`update invites set expires_at = now() - interval '1 minute' where id = ?`, [overdue.invite.id]);
    const expired = await failure(t.client.call('inbox.decline', { inviteId: overdue.invite.id }, mine()));
    expect([expired.code, expired.status]).toEqual(['INVITE_EXPIRED', 410]);
  });

  it('refuses a member of the org with ALREADY_MEMBER and the seat limit with SEAT_LIMIT_REACHED, changing nothing', async () => {
    // Joined by another way while the invite was pending: a membership written straight into the database.
    const joined = await orgWithOwner(t, 3, 'Joined');
    const pendingJoined = await invite(joined);
    await addMembership(joined, invitee.owner.user.id);
    const member = await failure(t.client.call('inbox.accept', { inviteId: pendingJoined.invite.id }, mine()));
    const byLink = await failure(t.client.call('invite.accept', { token: tokenOf(pendingJoined.acceptUrl) }, mine()));
    expect([member.code, member.status, member.detail]).toEqual(['ALREADY_MEMBER', 409, byLink.detail]);

    // Two seats: the owner and this invite; a member added past the limit leaves none for it.
    const tight = await orgWithOwner(t, 2, 'Tight');
    const pending = await invite(tight);
    await addMembership(tight, (await orgWithOwner(t, 1, 'Elsewhere')).owner.user.id);
    const refused = await failure(t.client.call('inbox.accept', { inviteId: pending.invite.id }, mine()));
    expect([refused.code, refused.status]).toEqual(['SEAT_LIMIT_REACHED', 409]);
    for (const [org, inviteId] of [[joined, pendingJoined.invite.id], [tight, pending.invite.id]] as const) {
      const [row] = await t.sql<{ status: string }>(`select status from invites where id = ?`, [inviteId]);
      expect(row!.status).toBe('pending');
      expect(await acceptedEntries(org, inviteId)).toHaveLength(0);
    }
  });
});

/** The org's `invite.accepted` audit entries of one invite. */
async function acceptedEntries(org: OrgWithOwner, inviteId: string) {
  const audit = await t.client.call('org.audit', { orgId: org.orgId, action: 'invite.accepted' }, as(org));
  return audit.items.filter((e) => e.target === `invite:${inviteId}`);
}

/** A membership written straight into the database, as if the person had joined some other way. */
async function addMembership(org: OrgWithOwner, userId: string) {
  await t.sql(`insert into memberships (id, org_id, user_id, role, created_at) values (gen_random_uuid(), ?, ?, 'member', now())`, [org.orgId, userId]);
}

describe('POST /v1/me/invites/:id/decline (inbox.decline)', () => {
  it('closes the invite, frees the seat, audits the invitee from their inbox and events invite.declined', async () => {
    const org = await orgWithOwner(t, 5, 'Declined');
    const created = await invite(org);
    const before = await t.client.call('org.usage', { orgId: org.orgId }, as(org));
    expect(await t.client.call('inbox.decline', { inviteId: created.invite.id }, mine())).toEqual({ inviteId: created.invite.id, status: 'declined' });
    const after = await t.client.call('org.usage', { orgId: org.orgId }, as(org));
    expect(after.pendingInvites).toBe(before.pendingInvites - 1);
    const view = await t.client.call('invite.get', { orgId: org.orgId, inviteId: created.invite.id }, as(org));
    expect(view.status).toBe('declined');
    const audit = await t.client.call('org.audit', { orgId: org.orgId, action: 'invite.declined' }, as(org));
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]).toMatchObject({ actor: `user:${invitee.owner.user.id}`, data: { via: 'inbox' } });
    expect(audit.items[0]!.summary).toBe(`${invitee.ownerEmail} declined the invite from their inbox`);
    const events = await t.sql<{ actor: string }>(`select payload->>'actor' as actor from outbox where payload->>'inviteId' = ? and payload->>'type' = 'invite.declined'`, [
      created.invite.id,
    ]);
    expect(events).toEqual([{ actor: 'invitee' }]);
    expect((await t.client.call('inbox.list', {}, mine())).items.map((i) => i.id)).not.toContain(created.invite.id);
    // The link is dead too.
    expect((await failure(t.client.call('invite.lookup', { token: tokenOf(created.acceptUrl) }))).code).toBe('INVITE_ALREADY_USED');
  });
});

describe('an inbox accept racing a link accept of the same invite', () => {
  it('has exactly one winner, one membership and one accepted entry, every time', async () => {
    for (let round = 0; round < 6; round += 1) {
      const org = await orgWithOwner(t, 5, `Race ${round}`);
      const created = await invite(org);
      const contenders = [
        t.client.call('inbox.accept', { inviteId: created.invite.id }, mine()),
        t.client.call('invite.accept', { token: tokenOf(created.acceptUrl) }, mine()),
      ];
      if (round % 2) contenders.reverse();
      const results = await Promise.allSettled(contenders);
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(lost.reason).toBeInstanceOf(DomainError);
      expect(['INVITE_ALREADY_USED', 'ALREADY_MEMBER']).toContain((lost.reason as DomainError).code);
      const [members] = await t.sql<{ n: number }>(`select count(*)::int as n from memberships where org_id = ? and user_id = ?`, [org.orgId, invitee.owner.user.id]);
      expect(members!.n).toBe(1);
      const [entries] = await t.sql<{ n: number }>(`select count(*)::int as n from audit_log where target = ? and action = 'invite.accepted'`, [`invite:${created.invite.id}`]);
      expect(entries!.n).toBe(1);
      const [events] = await t.sql<{ n: number }>(`select count(*)::int as n from outbox where payload->>'inviteId' = ? and payload->>'type' = 'invite.accepted'`, [created.invite.id]);
      expect(events!.n).toBe(1);
    }
  });
});

describe('members of an org invited elsewhere', () => {
  it('a member who is not an admin anywhere still sees and answers their inbox', async () => {
    const memberEmail = email('member');
    const session = await addMember(t, acme, 'member', acme.owner, memberEmail);
    const created = await t.client.call('invite.create', { orgId: globex.orgId, invite: { email: memberEmail, role: 'member' } }, as(globex));
    const page = await t.client.call('inbox.list', {}, { accessToken: session.accessToken });
    expect(page.items.map((i) => i.id)).toEqual([created.invite.id]);
    const reply = await t.client.call('inbox.accept', { inviteId: created.invite.id }, { accessToken: session.accessToken });
    expect(reply.membership.orgName).toBe('Globex');
  });
});
