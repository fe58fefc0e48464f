import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headers } from '@nats-io/transport-node';
import { DomainError, type NewInvite, type OperationName, type WireError } from '@invite/contracts';
import {
  addMember,
  email,
  emailedProof,
  orgWithOwner,
  password,
  startTestInvites,
  tokenOf,
  type OrgWithOwner,
  type TestInvites,
} from './harness.ts';

const hour = 3_600_000;

let t: TestInvites;
let org: OrgWithOwner;

beforeAll(async () => {
  t = await startTestInvites('invites');
  // The tests sweep explicitly, so that "overdue but not yet swept" is a state they control.
  await t.app.sweeper.stop();
  org = await orgWithOwner(t, 50);
});
afterAll(() => t?.close());

/** The DomainError a call fails with; fails the test when the call succeeds. */
async function failure(call: Promise<unknown>): Promise<DomainError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/**
 * A request sent as raw JSON to the service's endpoint, bypassing the client's own
 * validation, so that the service's validation is what is tested.
 */
async function rawCall(operation: OperationName, body: unknown, accessToken?: string): Promise<{ status: string; body: WireError }> {
  const h = headers();
  if (accessToken) h.set('Authorization', `Bearer ${accessToken}`);
  const msg = await t.nc.request(t.app.domain.names.operation(operation), JSON.stringify(body), { timeout: 5000, headers: h });
  return { status: msg.headers?.get('Nats-Service-Error-Code') ?? '', body: msg.json() as WireError };
}

function create(o: OrgWithOwner, invite: NewInvite, accessToken = o.owner.accessToken) {
  return t.client.call('invite.create', { orgId: o.orgId, invite }, { accessToken });
}

function username(prefix = 'user'): string {
  return `${prefix}${Math.random().toString(36).slice(2, 10)}`;
}

/** A new account's fields, with the address proof of the emailed link. */
function newAccount(token: string, name = 'Nina New') {
  return { token, proof: emailedProof(token), name, username: username(), password };
}

async function inviteRow(id: string) {
  const [row] = await t.sql<Record<string, unknown>>(`select * from invites where id = ?`, [id]);
  return row;
}

async function statusOf(id: string): Promise<string | undefined> {
  return (await inviteRow(id))?.status as string | undefined;
}

async function invitesFor(orgId: string, address: string) {
  return t.sql<{ id: string; status: string }>(`select id, status from invites where org_id = ? and email = ? order by created_at`, [
    orgId,
    address.toLowerCase(),
  ]);
}

async function pastDue(inviteId: string, by = '1 minute') {
  await t.sql(`update invites set expires_at = now() - interval '${by}' where id = ?`, [inviteId]);
}

describe('creating invites', () => {
  it('refuses a second pending invite for the same email in any letter case with INVITE_ALREADY_PENDING', async () => {
    const who = email('twice');
    const first = await create(org, { email: who, role: 'member' });
    for (const variant of [who, who.toUpperCase(), `${who[0]!.toUpperCase()}${who.slice(1)}`]) {
      const error = await failure(create(org, { email: variant, role: 'member' }));
      expect(error.code).toBe('INVITE_ALREADY_PENDING');
    }
    const rows = await invitesFor(org.orgId, who);
    expect(rows).toEqual([{ id: first.invite.id, status: 'pending' }]);
  });

  it('refuses to invite an existing member with ALREADY_MEMBER', async () => {
    const before = await t.sql<{ n: number }>(`select count(*)::int as n from invites where org_id = ?`, [org.orgId]);
    for (const variant of [org.ownerEmail, org.ownerEmail.toUpperCase()]) {
      const error = await failure(create(org, { email: variant, role: 'member' }));
      expect(error.code).toBe('ALREADY_MEMBER');
    }
    const after = await t.sql<{ n: number }>(`select count(*)::int as n from invites where org_id = ?`, [org.orgId]);
    expect(after[0]!.n).toBe(before[0]!.n);
  });

  it('expires after 48 hours by default', async () => {
    const created = await create(org, { email: email('default'), role: 'member' });
    const lifetime = Date.parse(created.invite.expiresAt) - Date.parse(created.invite.createdAt);
    expect(lifetime).toBe(48 * hour);
  });

  it('accepts expiresInHours from 1 to 720', async () => {
    for (const hours of [1, 720]) {
      const created = await create(org, { email: email(`h${hours}`), role: 'member', expiresInHours: hours });
      expect(Date.parse(created.invite.expiresAt) - Date.parse(created.invite.createdAt)).toBe(hours * hour);
    }
  });

  it('refuses expiresInHours of 0 and 721 with VALIDATION_FAILED naming the field, creating nothing', async () => {
    for (const hours of [0, 721]) {
      const who = email(`bad${hours}`);
      const reply = await rawCall(
        'invite.create',
        { orgId: org.orgId, invite: { email: who, role: 'member', expiresInHours: hours } },
        org.owner.accessToken,
      );
      expect(reply.status).toBe('400');
      expect(reply.body.code).toBe('VALIDATION_FAILED');
      expect(reply.body.errors?.map((e) => e.path)).toContain('/invite/expiresInHours');
      expect(await invitesFor(org.orgId, who)).toEqual([]);
    }
  });

  it('queues email only without a phone, and email and sms when a phone is given', async () => {
    const plain = await create(org, { email: email('plain'), role: 'member' });
    expect(plain.invite.delivery.email.status).toBe('queued');
    expect(plain.invite.delivery.sms.status).toBe('skipped');

    const withPhone = await create(org, { email: email('phone'), phone: '+447700900123', role: 'member' });
    expect(withPhone.invite.phone).toBe('+447700900123');
    expect(withPhone.invite.delivery.email.status).toBe('queued');
    expect(withPhone.invite.delivery.sms.status).toBe('queued');

    const smsOnly = await create(org, { email: email('smsonly'), phone: '+447700900124', role: 'member', channels: ['sms'] });
    expect(smsOnly.invite.delivery.email.status).toBe('skipped');
    expect(smsOnly.invite.delivery.sms.status).toBe('queued');
  });

  it('refuses the sms channel without a phone with VALIDATION_FAILED, creating nothing', async () => {
    const who = email('nophone');
    const error = await failure(create(org, { email: who, role: 'member', channels: ['sms'] }));
    expect(error.code).toBe('VALIDATION_FAILED');
    // The phone field is named, relative to the request (/invite/phone) or to the invite (/phone).
    expect(error.errors?.map((e) => e.path)).toEqual([expect.stringMatching(/^(\/invite)?\/phone$/)]);
    const both = await failure(create(org, { email: who, role: 'member', channels: ['email', 'sms'] }));
    expect(both.code).toBe('VALIDATION_FAILED');
    expect(await invitesFor(org.orgId, who)).toEqual([]);
  });
});

describe('accepting invites', () => {
  it('refuses an existing account with another email (EMAIL_MISMATCH) and keeps the invite usable for the invited account', async () => {
    // Two existing accounts: `invited` (owner of another org) and `stranger`.
    const other = await orgWithOwner(t, 10, 'Other');
    const stranger = await addMember(t, other, 'member');
    const created = await create(org, { email: other.ownerEmail, role: 'member' });
    const token = tokenOf(created.acceptUrl);

    const error = await failure(t.client.call('invite.accept', { token }, { accessToken: stranger.accessToken }));
    expect(error.code).toBe('EMAIL_MISMATCH');
    expect(await statusOf(created.invite.id)).toBe('pending');
    const strangerMe = await t.client.call('auth.me', {}, { accessToken: stranger.accessToken });
    expect(strangerMe.memberships.map((m) => m.orgId)).not.toContain(org.orgId);

    const lookup = await t.client.call('invite.lookup', { token, proof: emailedProof(token) });
    expect(lookup).toMatchObject({ inviteId: created.invite.id, email: other.ownerEmail, accountExists: true });

    // The invited email's own account signs in and accepts with its bearer.
    const invited = await t.client.call('auth.login', { email: other.ownerEmail, password });
    const accepted = await t.client.call('invite.accept', { token }, { accessToken: invited.accessToken });
    expect(accepted.user.id).toBe(invited.user.id);
    expect(accepted.membership).toMatchObject({ orgId: org.orgId, role: 'member' });
    const me = await t.client.call('auth.me', {}, { accessToken: invited.accessToken });
    expect(me.memberships.map((m) => m.orgId).sort()).toEqual([org.orgId, other.orgId].sort());
    const row = await inviteRow(created.invite.id);
    expect(row).toMatchObject({ status: 'accepted', accepted_user_id: invited.user.id });
  });

  it('refuses to create an account without a bearer when the email already has one (ACCOUNT_EXISTS)', async () => {
    const other = await orgWithOwner(t, 10, 'Existing');
    const created = await create(org, { email: other.ownerEmail.toUpperCase(), role: 'member' });
    const token = tokenOf(created.acceptUrl);

    const withFields = await failure(t.client.call('invite.accept', newAccount(token)));
    expect(withFields.code).toBe('ACCOUNT_EXISTS');
    const bare = await failure(t.client.call('invite.accept', { token, proof: emailedProof(token) }));
    expect(bare.code).toBe('ACCOUNT_EXISTS');

    expect(await statusOf(created.invite.id)).toBe('pending');
    const users = await t.sql<{ n: number }>(`select count(*)::int as n from users where email = ?`, [other.ownerEmail]);
    expect(users[0]!.n).toBe(1);
  });

  it('asks for name, username and password to create a new account (VALIDATION_FAILED listing them)', async () => {
    const who = email('fields');
    const created = await create(org, { email: who, role: 'member' });
    const token = tokenOf(created.acceptUrl);

    const none = await failure(t.client.call('invite.accept', { token }));
    expect(none.code).toBe('VALIDATION_FAILED');
    expect(none.errors?.map((e) => e.path).sort()).toEqual(['/name', '/password', '/username']);

    const nameOnly = await failure(t.client.call('invite.accept', { token, name: 'Only Name' }));
    expect(nameOnly.code).toBe('VALIDATION_FAILED');
    expect(nameOnly.errors?.map((e) => e.path).sort()).toEqual(['/password', '/username']);

    const noPassword = await failure(t.client.call('invite.accept', { token, name: 'No Password', username: username() }));
    expect(noPassword.errors?.map((e) => e.path)).toEqual(['/password']);

    expect(await statusOf(created.invite.id)).toBe('pending');
    expect(await t.sql(`select id from users where email = ?`, [who])).toEqual([]);

    const accepted = await t.client.call('invite.accept', newAccount(token));
    expect(accepted.user.email).toBe(who);
  });

  it('refuses a taken username with USERNAME_TAKEN and leaves the invite pending', async () => {
    const first = await create(org, { email: email('first'), role: 'member' });
    const taken = username('taken');
    await t.client.call('invite.accept', { ...newAccount(tokenOf(first.acceptUrl), 'First'), username: taken });

    const who = email('second');
    const second = await create(org, { email: who, role: 'member' });
    const token = tokenOf(second.acceptUrl);
    const error = await failure(t.client.call('invite.accept', { ...newAccount(token, 'Second'), username: taken }));
    expect(error.code).toBe('USERNAME_TAKEN');

    expect(await statusOf(second.invite.id)).toBe('pending');
    expect(await t.sql(`select id from users where email = ?`, [who])).toEqual([]);
    expect(await t.sql(`select id from audit_log where target = ?`, [`invite:${second.invite.id}`])).toHaveLength(1);
    const lookup = await t.client.call('invite.lookup', { token });
    expect(lookup.inviteId).toBe(second.invite.id);

    const accepted = await t.client.call('invite.accept', { ...newAccount(token, 'Second'), username: username('free') });
    expect(accepted.user.email).toBe(who);
  });
});

describe('resending', () => {
  it('issues a new token that works, kills the old one, bumps tokenVersion, renews expiry and queues delivery again', async () => {
    const who = email('resend');
    const created = await create(org, { email: who, role: 'member', phone: '+447700900125' });
    const oldToken = tokenOf(created.acceptUrl);
    // As if sent 10 hours ago and already delivered.
    await t.sql(
      `update invites set sent_at = sent_at - interval '10 hours', expires_at = expires_at - interval '10 hours',
         email_status = 'sent', email_attempts = 1, email_sent_at = now(), email_provider_id = 'msg-1',
         sms_status = 'failed', sms_attempts = 2, sms_last_error = 'provider down'
       where id = ?`,
      [created.invite.id],
    );
    const before = await t.client.call('invite.get', { orgId: org.orgId, inviteId: created.invite.id }, { accessToken: org.owner.accessToken });

    const resent = await t.client.call('invite.resend', { orgId: org.orgId, inviteId: created.invite.id }, { accessToken: org.owner.accessToken });
    const newToken = tokenOf(resent.acceptUrl);
    expect(newToken).not.toBe(oldToken);
    expect(resent.invite).toMatchObject({ id: created.invite.id, status: 'pending', tokenVersion: 2 });
    expect(Date.parse(resent.invite.expiresAt)).toBeGreaterThan(Date.parse(before.expiresAt) + 9 * hour);
    expect(Date.parse(resent.invite.expiresAt) - Date.parse(resent.invite.sentAt)).toBe(48 * hour);
    expect(resent.invite.delivery.email).toMatchObject({ status: 'queued', attempts: 0, lastError: null, sentAt: null, providerMessageId: null });
    expect(resent.invite.delivery.sms).toMatchObject({ status: 'queued', attempts: 0, lastError: null });

    const stored = await t.client.call('invite.get', { orgId: org.orgId, inviteId: created.invite.id }, { accessToken: org.owner.accessToken });
    expect(stored).toEqual(resent.invite);

    expect((await failure(t.client.call('invite.lookup', { token: oldToken }))).code).toBe('INVITE_NOT_FOUND');
    expect((await failure(t.client.call('invite.accept', newAccount(oldToken)))).code).toBe('INVITE_NOT_FOUND');
    expect((await failure(t.client.call('invite.decline', { token: oldToken }))).code).toBe('INVITE_NOT_FOUND');

    const lookup = await t.client.call('invite.lookup', { token: newToken });
    expect(lookup.inviteId).toBe(created.invite.id);
    const accepted = await t.client.call('invite.accept', newAccount(newToken));
    expect(accepted.membership.orgId).toBe(org.orgId);
  });

  it('refuses a resend within the cool-down with RESEND_COOLDOWN and a positive retryAfter', async () => {
    const slow = await startTestInvites('invites-cooldown', { RESEND_COOLDOWN_SECONDS: '60' });
    try {
      const slowOrg = await orgWithOwner(slow, 5);
      const created = await slow.client.call(
        'invite.create',
        { orgId: slowOrg.orgId, invite: { email: email('cool'), role: 'member' } },
        { accessToken: slowOrg.owner.accessToken },
      );
      const error = await failure(
        slow.client.call('invite.resend', { orgId: slowOrg.orgId, inviteId: created.invite.id }, { accessToken: slowOrg.owner.accessToken }),
      );
      expect(error.code).toBe('RESEND_COOLDOWN');
      expect(error.retryAfter).toBeGreaterThan(0);
      expect(error.retryAfter).toBeLessThanOrEqual(60);

      // Nothing changed: the original link still works, still version 1.
      const lookup = await slow.client.call('invite.lookup', { token: tokenOf(created.acceptUrl) });
      expect(lookup.inviteId).toBe(created.invite.id);
      const [row] = await slow.sql<{ token_version: number }>(`select token_version from invites where id = ?`, [created.invite.id]);
      expect(row!.token_version).toBe(1);
      expect(await slow.sql(`select id from audit_log where action = 'invite.resent'`)).toEqual([]);

      // Once the cool-down has passed, the resend goes through.
      await slow.sql(`update invites set sent_at = sent_at - interval '61 seconds' where id = ?`, [created.invite.id]);
      const resent = await slow.client.call(
        'invite.resend',
        { orgId: slowOrg.orgId, inviteId: created.invite.id },
        { accessToken: slowOrg.owner.accessToken },
      );
      expect(resent.invite.tokenVersion).toBe(2);
    } finally {
      await slow.close();
    }
  });
});

describe('closing invites', () => {
  it('withdraws: the link then gives INVITE_WITHDRAWN and a second withdraw INVITE_NOT_PENDING', async () => {
    const created = await create(org, { email: email('withdraw'), role: 'member' });
    const token = tokenOf(created.acceptUrl);
    const ref = { orgId: org.orgId, inviteId: created.invite.id };

    const withdrawn = await t.client.call('invite.withdraw', ref, { accessToken: org.owner.accessToken });
    expect(withdrawn).toMatchObject({ id: created.invite.id, status: 'withdrawn' });
    expect(withdrawn.closedAt).not.toBeNull();

    expect((await failure(t.client.call('invite.lookup', { token }))).code).toBe('INVITE_WITHDRAWN');
    expect((await failure(t.client.call('invite.accept', newAccount(token)))).code).toBe('INVITE_WITHDRAWN');
    expect((await failure(t.client.call('invite.withdraw', ref, { accessToken: org.owner.accessToken }))).code).toBe('INVITE_NOT_PENDING');
    expect((await failure(t.client.call('invite.resend', ref, { accessToken: org.owner.accessToken }))).code).toBe('INVITE_NOT_PENDING');
    expect(await statusOf(created.invite.id)).toBe('withdrawn');
  });

  it('declines: the link then gives INVITE_ALREADY_USED and the seat is free again', async () => {
    const small = await orgWithOwner(t, 2, 'Small');
    const created = await create(small, { email: email('decline'), role: 'member' });
    const token = tokenOf(created.acceptUrl);
    const usageOf = () => t.client.call('org.usage', { orgId: small.orgId }, { accessToken: small.owner.accessToken });
    expect(await usageOf()).toEqual({ seatLimit: 2, members: 1, pendingInvites: 1, available: 0 });
    expect((await failure(create(small, { email: email('nospace'), role: 'member' }))).code).toBe('SEAT_LIMIT_REACHED');

    const declined = await t.client.call('invite.decline', { token });
    expect(declined).toEqual({ inviteId: created.invite.id, status: 'declined' });

    expect((await failure(t.client.call('invite.lookup', { token }))).code).toBe('INVITE_ALREADY_USED');
    expect((await failure(t.client.call('invite.decline', { token }))).code).toBe('INVITE_ALREADY_USED');
    expect((await failure(t.client.call('invite.accept', newAccount(token)))).code).toBe('INVITE_ALREADY_USED');
    expect(await statusOf(created.invite.id)).toBe('declined');

    expect(await usageOf()).toEqual({ seatLimit: 2, members: 1, pendingInvites: 0, available: 1 });
    const next = await create(small, { email: email('afterdecline'), role: 'member' });
    expect(next.invite.status).toBe('pending');
  });

  it('answers INVITE_EXPIRED for a link past its expiry', async () => {
    const created = await create(org, { email: email('expired'), role: 'member' });
    const token = tokenOf(created.acceptUrl);
    await pastDue(created.invite.id);
    expect((await failure(t.client.call('invite.lookup', { token }))).code).toBe('INVITE_EXPIRED');
    expect((await failure(t.client.call('invite.accept', newAccount(token)))).code).toBe('INVITE_EXPIRED');
    expect((await failure(t.client.call('invite.decline', { token }))).code).toBe('INVITE_EXPIRED');
    // After the sweep too.
    await t.app.sweeper.sweep();
    expect(await statusOf(created.invite.id)).toBe('expired');
    expect((await failure(t.client.call('invite.lookup', { token }))).code).toBe('INVITE_EXPIRED');
  });

  it('does not let an overdue but unswept pending invite block a new invite for the same email; the old one becomes expired', async () => {
    const who = email('overdue');
    const old = await create(org, { email: who, role: 'member' });
    await pastDue(old.invite.id);
    expect(await statusOf(old.invite.id)).toBe('pending');

    const fresh = await create(org, { email: who.toUpperCase(), role: 'member' });
    expect(fresh.invite.id).not.toBe(old.invite.id);
    expect(fresh.invite.status).toBe('pending');

    const rows = await invitesFor(org.orgId, who);
    expect(rows).toEqual([
      { id: old.invite.id, status: 'expired' },
      { id: fresh.invite.id, status: 'pending' },
    ]);
    const audit = await t.sql<{ action: string; actor: string }>(`select action, actor from audit_log where target = ? order by at, id`, [
      `invite:${old.invite.id}`,
    ]);
    expect(audit.map((a) => a.action)).toEqual(['invite.created', 'invite.expired']);
    expect(audit[1]!.actor).toMatch(/^system/);
    const events = await t.sql(`select id from outbox where subject = ? and payload->>'inviteId' = ?`, [
      t.app.domain.names.inviteEvent('expired'),
      old.invite.id,
    ]);
    expect(events).toHaveLength(1);
  });

  it('the expiry sweeper moves overdue invites to expired, with one audit entry and one outbox event each', async () => {
    await t.app.sweeper.sweep(); // nothing overdue left from earlier tests
    const sweptOrg = await orgWithOwner(t, 10, 'Swept');
    const a = await create(sweptOrg, { email: email('sweep'), role: 'member' });
    const b = await create(sweptOrg, { email: email('sweep'), role: 'admin' });
    const alive = await create(sweptOrg, { email: email('alive'), role: 'member' });
    await pastDue(a.invite.id);
    await pastDue(b.invite.id, '3 days');

    expect(await t.app.sweeper.sweep()).toBe(2);
    expect(await statusOf(a.invite.id)).toBe('expired');
    expect(await statusOf(b.invite.id)).toBe('expired');
    expect(await statusOf(alive.invite.id)).toBe('pending');

    for (const id of [a.invite.id, b.invite.id]) {
      const row = await inviteRow(id);
      expect(row!.expired_at).not.toBeNull();
      expect(row!.sealed_token).toBeNull();
      const audit = await t.sql(`select id from audit_log where action = 'invite.expired' and target = ?`, [`invite:${id}`]);
      expect(audit).toHaveLength(1);
      const events = await t.sql<{ subject: string; payload: Record<string, unknown> }>(
        `select subject, payload from outbox where payload->>'inviteId' = ? and payload->>'type' = 'invite.expired'`,
        [id],
      );
      expect(events).toHaveLength(1);
      expect(events[0]!.subject).toBe(t.app.domain.names.inviteEvent('expired'));
      expect(events[0]!.payload).toMatchObject({ orgId: sweptOrg.orgId, inviteId: id });
    }
    expect(await t.sql(`select id from audit_log where target = ?`, [`invite:${alive.invite.id}`])).toHaveLength(1);

    // A second sweep finds nothing and writes nothing.
    const counts = await t.sql(`select (select count(*) from audit_log)::int as audit, (select count(*) from outbox)::int as outbox`);
    expect(await t.app.sweeper.sweep()).toBe(0);
    expect(await t.sql(`select (select count(*) from audit_log)::int as audit, (select count(*) from outbox)::int as outbox`)).toEqual(counts);

    const usage = await t.client.call('org.usage', { orgId: sweptOrg.orgId }, { accessToken: sweptOrg.owner.accessToken });
    expect(usage.pendingInvites).toBe(1);
  });
});

describe('invariant 5: looking up a link changes nothing', () => {
  const snapshot = async (inviteId: string) => ({
    invite: await t.sql(`select row_to_json(i)::text as row from invites i where id = ?`, [inviteId]),
    counts: await t.sql(
      `select (select count(*) from audit_log)::int as audit, (select count(*) from outbox)::int as outbox,
              (select count(*) from users)::int as users, (select count(*) from memberships)::int as memberships,
              (select count(*) from invites)::int as invites, (select count(*) from refresh_tokens)::int as refresh`,
    ),
  });

  it('leaves the invite row, the audit log and the outbox as they were after repeated lookups', async () => {
    const created = await create(org, { email: email('scanned'), role: 'member' });
    const token = tokenOf(created.acceptUrl);
    const before = await snapshot(created.invite.id);
    for (let i = 0; i < 5; i++) {
      const lookup = await t.client.call('invite.lookup', { token, proof: emailedProof(token) });
      expect(lookup).toMatchObject({ inviteId: created.invite.id, orgName: 'Acme', role: 'member', accountExists: false });
    }
    expect(await snapshot(created.invite.id)).toEqual(before);
    // The link still works for the one POST that accepts.
    const accepted = await t.client.call('invite.accept', newAccount(token));
    expect(accepted.membership.orgId).toBe(org.orgId);
  });

  it('does not expire an overdue invite when its link is looked up', async () => {
    const created = await create(org, { email: email('scanned-late'), role: 'member' });
    await pastDue(created.invite.id);
    const before = await snapshot(created.invite.id);
    for (let i = 0; i < 3; i++) {
      expect((await failure(t.client.call('invite.lookup', { token: tokenOf(created.acceptUrl) }))).code).toBe('INVITE_EXPIRED');
    }
    expect(await snapshot(created.invite.id)).toEqual(before);
  });
});
