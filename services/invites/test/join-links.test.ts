import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAddressProofs, developmentSecrets, hashToken, sealedAs, type JoinAddressCodeEvent, type NewJoinLink, type TokenPair } from '@invite/contracts';
import { User } from '../src/db/entities.ts';
import { issueTokens } from '../src/domain/auth.commands.ts';
import { addMember, email, operatorContext, orgWithOwner, password, startTestInvites, type OrgWithOwner, type TestInvites } from './harness.ts';

/**
 * Join links through the invites service's operations (NATS, real PostgreSQL): who may
 * manage them, the role cap, the domain list, the cap on uses, expiry, pause and
 * revoke, the seat rule, the audit entry and the event of each join, a new account
 * only for a proven address, and many concurrent joins that never exceed the cap or
 * the seats.
 */
let t: TestInvites;

beforeAll(async () => {
  t = await startTestInvites('joinlinks', { ADDRESS_CODE_COOLDOWN_SECONDS: '0' });
});
afterAll(() => t?.close());

const as = (session: TokenPair) => ({ accessToken: session.accessToken });

function create(org: OrgWithOwner, link: NewJoinLink, session: TokenPair = org.owner) {
  return t.client.call('join-link.create', { orgId: org.orgId, ...link }, as(session));
}

const tokenOfJoin = (url: string) => new URLSearchParams(new URL(url).hash.slice(1)).get('token') ?? '';

async function codeOf(error: Promise<unknown>): Promise<string> {
  return error.then(
    () => 'resolved',
    (e: { code?: string }) => String(e.code),
  );
}

/**
 * Accounts that are members of no org yet, each with a session, made straight in the
 * database (no password hashing: these tests are about joins, not sign-in).
 */
async function accounts(n: number, domain = 'example.test'): Promise<{ email: string; session: TokenPair }[]> {
  const ctx = operatorContext(t);
  const made = [];
  for (let i = 0; i < n; i++) {
    const address = email('joiner').replace(/@.*$/, `@${domain}`);
    const user = ctx.em.create(User, { email: address, username: `j${i}_${Math.random().toString(36).slice(2, 10)}`, name: `Joiner ${i}`, passwordHash: 'not-a-hash' });
    made.push({ email: address, session: issueTokens(ctx, user) });
  }
  await ctx.em.flush();
  return made;
}

describe('managing join links', () => {
  it('an admin creates a link: the URL carries the token once, the row keeps only its hash', async () => {
    const org = await orgWithOwner(t, 10, 'Acme');
    const admin = await addMember(t, org, 'admin');
    const created = await create(org, { role: 'member', label: 'Onboarding', maxUses: 5, expiresInHours: 48, allowedDomains: ['Example.COM', 'example.org', 'example.com'] }, admin);
    expect(created.url).toMatch(new RegExp(`^${t.config.APP_BASE_URL}/join#token=[A-Za-z0-9_-]{43}$`));
    expect(created.joinLink).toMatchObject({
      orgId: org.orgId,
      label: 'Onboarding',
      role: 'member',
      state: 'active',
      uses: 0,
      maxUses: 5,
      allowedDomains: ['example.com', 'example.org'],
      createdBy: admin.user.id,
      createdByName: 'admin person',
      pausedAt: null,
      revokedAt: null,
    });
    const hours = (Date.parse(created.joinLink.expiresAt) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(47.9);
    expect(hours).toBeLessThanOrEqual(48);

    const token = tokenOfJoin(created.url);
    const rows = await t.sql<{ token_hash: string; row: string }>(`select token_hash, to_jsonb(l)::text as row from join_links l where id = ?`, [created.joinLink.id]);
    expect(rows[0]!.token_hash).toBe(hashToken(token));
    expect(rows[0]!.row).not.toContain(token);
    const [audit] = await t.sql<{ action: string; data: Record<string, unknown> }>(`select action, data from audit_log where target = ?`, [`join_link:${created.joinLink.id}`]);
    expect(audit).toMatchObject({ action: 'join_link.created', data: { label: 'Onboarding', role: 'member', maxUses: 5 } });
    expect(JSON.stringify(await t.sql(`select * from audit_log where org_id = ?`, [org.orgId]))).not.toContain(token);
    expect(JSON.stringify(await t.sql(`select payload from outbox`))).not.toContain(token);

    // The list never shows the token; the default expiry is a week.
    const plain = await create(org, { role: 'admin' });
    const hoursPlain = (Date.parse(plain.joinLink.expiresAt) - Date.now()) / 3_600_000;
    expect(Math.round(hoursPlain)).toBe(168);
    const list = await t.client.call('join-link.list', { orgId: org.orgId }, as(admin));
    expect(list.items.map((l) => l.id)).toEqual([plain.joinLink.id, created.joinLink.id]);
    expect(JSON.stringify(list)).not.toContain(token);
    expect(JSON.stringify(list)).not.toContain(tokenOfJoin(plain.url));
  });

  it('only admins and owners manage links; a member gets FORBIDDEN, another org NOT_FOUND; owner links do not exist', async () => {
    const org = await orgWithOwner(t, 10, 'Guarded');
    const member = await addMember(t, org, 'member');
    expect(await codeOf(create(org, { role: 'member' }, member))).toBe('FORBIDDEN');
    const link = await create(org, { role: 'member' });
    expect(await codeOf(t.client.call('join-link.list', { orgId: org.orgId }, as(member)))).toBe('FORBIDDEN');
    expect(await codeOf(t.client.call('join-link.revoke', { orgId: org.orgId, joinLinkId: link.joinLink.id }, as(member)))).toBe('FORBIDDEN');

    const other = await orgWithOwner(t, 10, 'Other');
    expect(await codeOf(t.client.call('join-link.list', { orgId: org.orgId }, as(other.owner)))).toBe('NOT_FOUND');
    expect(await codeOf(t.client.call('join-link.get', { orgId: other.orgId, joinLinkId: link.joinLink.id }, as(other.owner)))).toBe('NOT_FOUND');
    expect(await codeOf(t.client.call('join-link.update', { orgId: other.orgId, joinLinkId: link.joinLink.id, paused: true }, as(other.owner)))).toBe('NOT_FOUND');
    expect(await codeOf(t.client.call('join-link.revoke', { orgId: other.orgId, joinLinkId: link.joinLink.id }, as(other.owner)))).toBe('NOT_FOUND');
    expect(await codeOf(t.client.call('join-link.create', { orgId: org.orgId, role: 'owner' as 'admin' }, as(org.owner)))).toBe('VALIDATION_FAILED');
    expect(await codeOf(t.client.call('join-link.create', { orgId: org.orgId, role: 'member', maxUses: 0 }, as(org.owner)))).toBe('VALIDATION_FAILED');
    expect(await codeOf(t.client.call('join-link.create', { orgId: org.orgId, role: 'member', allowedDomains: ['@example.com'] }, as(org.owner)))).toBe('VALIDATION_FAILED');
    expect(await codeOf(t.client.call('join-link.create', { orgId: org.orgId, role: 'member', expiresInHours: 24 * 91 }, as(org.owner)))).toBe('VALIDATION_FAILED');
    expect((await t.client.call('join-link.list', { orgId: org.orgId }, as(org.owner))).items).toHaveLength(1);
  });

  it('pause refuses joins until resumed; revoke is final', async () => {
    const org = await orgWithOwner(t, 10, 'Pausing');
    const { joinLink, url } = await create(org, { role: 'member', label: 'Team' });
    const token = tokenOfJoin(url);
    const [a, b] = await accounts(2);
    const ref = { orgId: org.orgId, joinLinkId: joinLink.id };

    const paused = await t.client.call('join-link.update', { ...ref, paused: true }, as(org.owner));
    expect(paused).toMatchObject({ state: 'paused' });
    expect(paused.pausedAt).not.toBeNull();
    expect(await codeOf(t.client.call('join.join', { token }, as(a!.session)))).toBe('JOIN_LINK_PAUSED');
    const lookup = await t.client.call('join.lookup', { token });
    expect(lookup).toMatchObject({ usable: false, unusableCode: 'JOIN_LINK_PAUSED', orgName: 'Pausing', label: 'Team', role: 'member' });

    expect(await t.client.call('join-link.update', { ...ref, paused: false }, as(org.owner))).toMatchObject({ state: 'active', pausedAt: null });
    await t.client.call('join.join', { token }, as(a!.session));

    const revoked = await t.client.call('join-link.revoke', ref, as(org.owner));
    expect(revoked).toMatchObject({ state: 'revoked', uses: 1 });
    expect(await codeOf(t.client.call('join.join', { token }, as(b!.session)))).toBe('JOIN_LINK_REVOKED');
    expect(await codeOf(t.client.call('join-link.update', { ...ref, paused: false }, as(org.owner)))).toBe('JOIN_LINK_ALREADY_REVOKED');
    expect(await codeOf(t.client.call('join-link.revoke', ref, as(org.owner)))).toBe('JOIN_LINK_ALREADY_REVOKED');
    const actions = (await t.sql<{ action: string }>(`select action from audit_log where target = ? order by at, id`, [`join_link:${joinLink.id}`])).map((r) => r.action);
    expect(actions).toEqual(['join_link.created', 'join_link.paused', 'join_link.resumed', 'join_link.revoked']);
  });
});

describe('a link never grants more than its creator may', () => {
  it("an admin's links are revoked when they become a member or leave the organisation", async () => {
    const org = await orgWithOwner(t, 10, 'Shifting');
    const demoted = await addMember(t, org, 'admin');
    const leaving = await addMember(t, org, 'admin');
    const first = await create(org, { role: 'admin', label: 'Admins' }, demoted);
    const second = await create(org, { role: 'member', label: 'Team' }, leaving);
    const ownerLink = await create(org, { role: 'member', label: 'Owner’s' });

    await t.client.call('org.member.update', { orgId: org.orgId, userId: demoted.user.id, role: 'member' }, as(org.owner));
    await t.client.call('org.member.remove', { orgId: org.orgId, userId: leaving.user.id }, as(leaving));
    const states = new Map((await t.client.call('join-link.list', { orgId: org.orgId }, as(org.owner))).items.map((l) => [l.id, l.state]));
    expect(states.get(first.joinLink.id)).toBe('revoked');
    expect(states.get(second.joinLink.id)).toBe('revoked');
    expect(states.get(ownerLink.joinLink.id)).toBe('active');
    const [joiner] = await accounts(1);
    expect(await codeOf(t.client.call('join.join', { token: tokenOfJoin(first.url) }, as(joiner!.session)))).toBe('JOIN_LINK_REVOKED');
    const audit = await t.client.call('org.audit', { orgId: org.orgId, action: 'join_link.revoked' }, as(org.owner));
    expect(audit.items.map((e) => e.summary).sort()).toEqual([
      'Join link “Admins” stopped working: its creator is no longer an admin or owner',
      'Join link “Team” stopped working: its creator is no longer a member',
    ]);
  });
});

describe('joining', () => {
  it('a signed-in account joins with the link role: one membership, one use, an audit sentence, an event; a second join is ALREADY_MEMBER', async () => {
    const org = await orgWithOwner(t, 10, 'Acme');
    const { joinLink, url } = await create(org, { role: 'admin', label: 'Onboarding' });
    const token = tokenOfJoin(url);
    const [gina] = await accounts(1);
    await t.sql(`update users set name = 'Gina' where email = ?`, [gina!.email]);

    const before = await t.client.call('join.lookup', { token }, as(gina!.session));
    expect(before).toMatchObject({ usable: true, unusableCode: null, you: { email: gina!.email, domainAllowed: true, alreadyMember: false }, domainRule: null });
    const joined = await t.client.call('join.join', { token }, as(gina!.session));
    expect(joined.membership).toMatchObject({ orgId: org.orgId, orgName: 'Acme', role: 'admin' });
    expect(joined.user.email).toBe(gina!.email);
    expect(await codeOf(t.client.call('join.join', { token }, as(gina!.session)))).toBe('ALREADY_MEMBER');
    expect((await t.client.call('join.lookup', { token }, as(gina!.session))).you).toMatchObject({ alreadyMember: true });

    const [membership] = await t.sql<{ n: number; role: string }>(`select count(*)::int as n, min(role) as role from memberships where org_id = ? and user_id = ?`, [org.orgId, joined.user.id]);
    expect(membership).toEqual({ n: 1, role: 'admin' });
    const link = await t.client.call('join-link.get', { orgId: org.orgId, joinLinkId: joinLink.id }, as(org.owner));
    expect(link).toMatchObject({ uses: 1, state: 'active' });
    expect(link.lastUsedAt).not.toBeNull();

    const audit = await t.client.call('org.audit', { orgId: org.orgId, action: 'member.joined' }, as(org.owner));
    expect(audit.items.map((e) => e.summary)).toEqual(['Gina joined Acme as admin through join link “Onboarding”']);
    const events = await t.sql<{ subject: string; payload: Record<string, unknown> }>(`select subject, payload from outbox where payload->>'type' = 'member.joined' and payload->>'orgId' = ?`, [org.orgId]);
    expect(events).toHaveLength(1);
    expect(events[0]!.subject).toBe(t.app.domain.names.orgEvent('member-joined'));
    expect(events[0]!.payload).toMatchObject({ orgId: org.orgId, userId: joined.user.id, role: 'admin', joinLinkId: joinLink.id, newAccount: false, actor: `user:${joined.user.id}` });
    const usage = await t.client.call('org.usage', { orgId: org.orgId }, as(org.owner));
    expect(usage).toMatchObject({ members: 2 });
  });

  it('the domain list: another domain is 403 naming the allowed ones; case does not matter', async () => {
    const org = await orgWithOwner(t, 10, 'Domains');
    const { url } = await create(org, { role: 'member', allowedDomains: ['ALLOWED.test', 'also.test'] });
    const token = tokenOfJoin(url);
    const [outsider] = await accounts(1, 'elsewhere.test');
    const [insider] = await accounts(1, 'allowed.test');
    const lookup = await t.client.call('join.lookup', { token }, as(outsider!.session));
    expect(lookup).toMatchObject({ allowedDomains: ['allowed.test', 'also.test'], domainRule: 'Only email addresses at allowed.test or also.test can join through this link.', you: { domainAllowed: false } });
    const refused = await t.client.call('join.join', { token }, as(outsider!.session)).catch((e: { code: string; detail: string }) => e);
    expect(refused).toMatchObject({ code: 'EMAIL_DOMAIN_NOT_ALLOWED' });
    expect((refused as { detail: string }).detail).toContain('allowed.test or also.test');
    expect((await t.client.call('join.join', { token }, as(insider!.session))).membership.role).toBe('member');
  });

  it('maxUses: the link is used up after that many joins (410), and says so', async () => {
    const org = await orgWithOwner(t, 10, 'Capped');
    const { joinLink, url } = await create(org, { role: 'member', maxUses: 2 });
    const token = tokenOfJoin(url);
    const [a, b, c] = await accounts(3);
    await t.client.call('join.join', { token }, as(a!.session));
    await t.client.call('join.join', { token }, as(b!.session));
    const refused = await t.client.call('join.join', { token }, as(c!.session)).catch((e: { code: string; detail: string }) => e);
    expect(refused).toMatchObject({ code: 'JOIN_LINK_USED_UP' });
    expect((refused as { detail: string }).detail).toContain('2 times');
    expect((await t.client.call('join-link.get', { orgId: org.orgId, joinLinkId: joinLink.id }, as(org.owner))).state).toBe('used_up');
  });

  it('an expired link is 410 JOIN_LINK_EXPIRED; an unknown token is 404', async () => {
    const org = await orgWithOwner(t, 10, 'Expiring');
    const { joinLink, url } = await create(org, { role: 'member' });
    await t.sql(`update join_links set expires_at = now() - interval '1 second' where id = ?`, [joinLink.id]);
    const [a] = await accounts(1);
    expect(await codeOf(t.client.call('join.join', { token: tokenOfJoin(url) }, as(a!.session)))).toBe('JOIN_LINK_EXPIRED');
    expect((await t.client.call('join.lookup', { token: tokenOfJoin(url) })).unusableCode).toBe('JOIN_LINK_EXPIRED');
    expect((await t.client.call('join-link.list', { orgId: org.orgId }, as(org.owner))).items[0]!.state).toBe('expired');
    expect(await codeOf(t.client.call('join.lookup', { token: 'A'.repeat(43) }))).toBe('JOIN_LINK_NOT_FOUND');
  });

  it('a join takes a seat under the invites rule: members + pending invites ≤ seats', async () => {
    const org = await orgWithOwner(t, 3, 'Small');
    await t.client.call('invite.create', { orgId: org.orgId, invite: { email: email('pending'), role: 'member' } }, as(org.owner));
    const { joinLink, url } = await create(org, { role: 'member' });
    const token = tokenOfJoin(url);
    const [a, b] = await accounts(2);
    await t.client.call('join.join', { token }, as(a!.session));
    const refused = await t.client.call('join.join', { token }, as(b!.session)).catch((e: { code: string; detail: string }) => e);
    expect(refused).toMatchObject({ code: 'SEAT_LIMIT_REACHED' });
    expect((refused as { detail: string }).detail).toContain('All 3 seats are taken (2 members, 1 pending invite)');
    expect((await t.client.call('join-link.get', { orgId: org.orgId, joinLinkId: joinLink.id }, as(org.owner))).uses).toBe(1);
    // Nothing of the refused join stayed: no account change, no audit entry, no event.
    expect(await t.sql(`select 1 from audit_log where org_id = ? and action = 'member.joined' and target = ?`, [org.orgId, `user:${b!.session.user.id}`])).toHaveLength(0);
  });

  it('joining while an invite of theirs is pending takes that seat over, even in a full org, and withdraws the invite', async () => {
    const org = await orgWithOwner(t, 2, 'Full');
    const [gina] = await accounts(1);
    const invited = await t.client.call('invite.create', { orgId: org.orgId, invite: { email: gina!.email, role: 'member' } }, as(org.owner));
    const { joinLink, url } = await create(org, { role: 'member', label: 'Team' });
    // Owner + Gina's invite fill the two seats: the join needs the invite's seat.
    const joined = await t.client.call('join.join', { token: tokenOfJoin(url) }, as(gina!.session));
    expect(joined.membership).toMatchObject({ orgId: org.orgId, role: 'member' });

    const invite = await t.client.call('invite.get', { orgId: org.orgId, inviteId: invited.invite.id }, as(org.owner));
    expect(invite.status).toBe('withdrawn');
    expect(await t.client.call('org.usage', { orgId: org.orgId }, as(org.owner))).toMatchObject({ seatLimit: 2, members: 2, pendingInvites: 0 });
    const audit = await t.client.call('org.audit', { orgId: org.orgId, action: 'invite.withdrawn' }, as(org.owner));
    expect(audit.items.map((e) => [e.actor, e.summary])).toEqual([['system:join-link', `The invite to ${gina!.email} was withdrawn: they joined through join link “Team”`]]);
    const events = await t.sql<{ payload: Record<string, unknown> }>(`select payload from outbox where payload->>'type' = 'invite.withdrawn' and payload->>'inviteId' = ?`, [invited.invite.id]);
    expect(events.map((e) => e.payload)).toMatchObject([{ orgId: org.orgId, actor: 'system:join-link' }]);
    expect((await t.client.call('join-link.get', { orgId: org.orgId, joinLinkId: joinLink.id }, as(org.owner))).uses).toBe(1);

    // Without an invite of one's own the same full org has no seat.
    const [other] = await accounts(1);
    expect(await codeOf(t.client.call('join.join', { token: tokenOfJoin(url) }, as(other!.session)))).toBe('SEAT_LIMIT_REACHED');
  });

  it('many concurrent joins never exceed maxUses', async () => {
    const org = await orgWithOwner(t, 100, 'Rush');
    const { joinLink, url } = await create(org, { role: 'member', maxUses: 7 });
    const token = tokenOfJoin(url);
    const people = await accounts(25);
    const results = await Promise.allSettled(people.map((p) => t.client.call('join.join', { token }, as(p.session))));
    const outcomes = results.map((r) => (r.status === 'fulfilled' ? 'joined' : String((r.reason as { code?: string }).code)));
    expect(outcomes.filter((o) => o === 'joined')).toHaveLength(7);
    expect(outcomes.filter((o) => o !== 'joined').every((o) => o === 'JOIN_LINK_USED_UP')).toBe(true);
    const [row] = await t.sql<{ uses: number; members: number; audit: number; events: number }>(
      `select l.uses,
              (select count(*)::int from memberships m where m.org_id = l.org_id) as members,
              (select count(*)::int from audit_log a where a.org_id = l.org_id and a.action = 'member.joined') as audit,
              (select count(*)::int from outbox o where o.payload->>'joinLinkId' = l.id::text) as events
         from join_links l where l.id = ?`,
      [joinLink.id],
    );
    expect(row).toEqual({ uses: 7, members: 8, audit: 7, events: 7 });
  });

  it('many concurrent joins never exceed the seats, with invites taking seats at the same time', async () => {
    const org = await orgWithOwner(t, 10, 'Crowd');
    const { url } = await create(org, { role: 'member' });
    const token = tokenOfJoin(url);
    const people = await accounts(20);
    const joins = people.map((p) => t.client.call('join.join', { token }, as(p.session)));
    const invites = Array.from({ length: 5 }, () => t.client.call('invite.create', { orgId: org.orgId, invite: { email: email('inv'), role: 'member' } }, as(org.owner)));
    const results = await Promise.allSettled([...joins, ...invites]);
    const refused = results.filter((r) => r.status === 'rejected').map((r) => String((r.reason as { code?: string }).code));
    expect(new Set(refused)).toEqual(new Set(['SEAT_LIMIT_REACHED']));
    const usage = await t.client.call('org.usage', { orgId: org.orgId }, as(org.owner));
    expect(usage.members + usage.pendingInvites).toBe(10);
    const [row] = await t.sql<{ uses: number }>(`select uses from join_links where org_id = ?`, [org.orgId]);
    expect(row!.uses).toBe(usage.members - 1);
  });
});

describe('a new account through a join link', () => {
  const proofs = createAddressProofs(developmentSecrets.TOKEN_ENCRYPTION_KEY);

  async function codeSentTo(linkId: string, address: string): Promise<string> {
    const [row] = await t.sql<{ payload: JoinAddressCodeEvent }>(
      `select payload from outbox where payload->>'type' = 'join.address-code' and payload->>'joinLinkId' = ? and payload->>'email' = ? order by created_at desc, id desc limit 1`,
      [linkId, address],
    );
    if (!row) throw new Error(`no code was sent to ${address}`);
    return t.app.domain.cipher.decrypt(row.payload.encryptedCode, sealedAs.joinAddressCode(linkId, address));
  }

  it('needs an address proven by an emailed code; then creates the account and joins', async () => {
    const org = await orgWithOwner(t, 10, 'Open');
    const { joinLink, url } = await create(org, { role: 'member', label: 'Community', allowedDomains: ['example.test'] });
    const token = tokenOfJoin(url);
    const address = email('newbie');
    const fields = { name: 'Nina New', username: `nina${Date.now()}`, password };

    // No proof, a forged proof, or another link's proof: no account.
    expect(await codeOf(t.client.call('join.join', { token, email: address, ...fields }))).toBe('ADDRESS_NOT_VERIFIED');
    expect(await codeOf(t.client.call('join.join', { token, email: address, proof: proofs.proofOf(token), ...fields }))).toBe('ADDRESS_NOT_VERIFIED');
    expect(await codeOf(t.client.call('join.send-code', { token, email: 'someone@elsewhere.test' }))).toBe('EMAIL_DOMAIN_NOT_ALLOWED');

    const sent = await t.client.call('join.send-code', { token, email: address });
    expect(sent.email).toBe(address);
    const code = await codeSentTo(joinLink.id, address);
    const wrong = code === '000000' ? '111111' : '000000';
    expect(await codeOf(t.client.call('join.confirm-code', { token, email: address, code: wrong }))).toBe('VERIFICATION_CODE_INVALID');
    const confirmed = await t.client.call('join.confirm-code', { token, email: address, code });
    expect(confirmed.accountExists).toBe(false);
    // The proof is for this address only.
    expect(await codeOf(t.client.call('join.join', { token, email: email('other'), proof: confirmed.proof, ...fields }))).toBe('ADDRESS_NOT_VERIFIED');

    const joined = await t.client.call('join.join', { token, email: address, proof: confirmed.proof, ...fields });
    expect(joined).toMatchObject({ user: { email: address, name: 'Nina New' }, membership: { orgId: org.orgId, role: 'member' } });
    const [event] = await t.sql<{ payload: { newAccount: boolean } }>(`select payload from outbox where payload->>'type' = 'member.joined' and payload->>'userId' = ?`, [joined.user.id]);
    expect(event!.payload.newAccount).toBe(true);
    // The address has an account now: another proof for it says so, and a second account is refused.
    await t.client.call('join.send-code', { token, email: address });
    const again = await t.client.call('join.confirm-code', { token, email: address, code: await codeSentTo(joinLink.id, address) });
    expect(again.accountExists).toBe(true);
    expect(await codeOf(t.client.call('join.join', { token, email: address, proof: again.proof, ...fields, username: `nina2${Date.now()}` }))).toBe('ACCOUNT_EXISTS');
  });
});
