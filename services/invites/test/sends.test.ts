import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError, type InviteWithLink } from '@invite/contracts';
import { email, orgWithOwner, startTestInvites, type OrgWithOwner, type TestInvites } from './harness.ts';

/**
 * The daily caps on invites per recipient (address or phone number) and per inviter,
 * across every organisation, creates and resends alike.
 */
let t: TestInvites;

beforeAll(async () => {
  t = await startTestInvites('sends', { RECIPIENT_INVITES_PER_DAY: '3', INVITER_INVITES_PER_DAY: '8' });
});
afterAll(() => t?.close());

const create = (org: OrgWithOwner, invite: { email: string; role?: 'member'; phone?: string; channels?: ('email' | 'sms')[] }) =>
  t.client.call('invite.create', { orgId: org.orgId, invite: { role: 'member', ...invite } }, { accessToken: org.owner.accessToken });
const withdraw = (org: OrgWithOwner, created: InviteWithLink) =>
  t.client.call('invite.withdraw', { orgId: org.orgId, inviteId: created.invite.id }, { accessToken: org.owner.accessToken });

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

/** Everything a refused invite could have written. */
async function written() {
  const [row] = await t.sql<{ invites: number; audit: number; outbox: number; counts: number }>(
    `select (select count(*)::int from invites) as invites, (select count(*)::int from audit_log) as audit,
            (select count(*)::int from outbox) as outbox, (select coalesce(sum(n), 0)::int from send_counts) as counts`,
  );
  return row;
}

describe('daily caps on invites', () => {
  it('refuses a fourth invite to one address within 24 hours, whichever organisations sent them, with 429 and when to retry', async () => {
    const [a, b] = [await orgWithOwner(t, 50, 'Caps A'), await orgWithOwner(t, 50, 'Caps B')];
    const who = email('squatted');
    // Create then withdraw, over and over: each create counts, withdrawn or not.
    await withdraw(a, await create(a, { email: who }));
    await withdraw(b, await create(b, { email: who }));
    await create(a, { email: who.toUpperCase() });
    const before = await written();
    const error = await refusal(create(b, { email: who }));
    expect(error).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    expect(error.detail).toContain(who);
    expect(error.detail).toMatch(/3 invites in the last 24 hours.*try again in \d+ (s|min|h)/);
    expect(error.retryAfter).toBeGreaterThan(0);
    expect(error.retryAfter).toBeLessThanOrEqual(24 * 3600);
    expect(await written()).toEqual(before);
    // Another address is not affected.
    await create(b, { email: email('other') });
  });

  it('counts resends, and a refused resend leaves the link as it was', async () => {
    const org = await orgWithOwner(t, 50, 'Caps resend');
    const who = email('resent');
    const created = await create(org, { email: who });
    const resend = () => t.client.call('invite.resend', { orgId: org.orgId, inviteId: created.invite.id }, { accessToken: org.owner.accessToken });
    await resend();
    const second = await resend();
    expect(second.invite.tokenVersion).toBe(3);
    const before = await written();
    const error = await refusal(resend());
    expect(error).toMatchObject({ code: 'RATE_LIMITED' });
    expect(error.detail).toContain(who);
    expect(await written()).toEqual(before);
    const [row] = await t.sql<{ token_version: number }>(`select token_version from invites where id = ?`, [created.invite.id]);
    expect(row?.token_version).toBe(3);
  });

  it('caps a phone number the same way when the invite goes by SMS', async () => {
    const org = await orgWithOwner(t, 50, 'Caps SMS');
    const phone = `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
    for (let i = 0; i < 3; i++) await create(org, { email: email('sms'), phone, channels: ['email', 'sms'] });
    // The same number on an email-only invite is not a send to it.
    await create(org, { email: email('sms'), phone, channels: ['email'] });
    const error = await refusal(create(org, { email: email('sms'), phone, channels: ['sms'] }));
    expect(error).toMatchObject({ code: 'RATE_LIMITED' });
    expect(error.detail).toContain(phone);
  });

  it('holds exactly under concurrency: ten organisations inviting one address at once get three invites through', async () => {
    const orgs = await Promise.all(Array.from({ length: 10 }, (_, i) => orgWithOwner(t, 50, `Caps race ${i}`)));
    const who = email('raced');
    const results = await Promise.allSettled(orgs.map((org) => create(org, { email: who })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'RATE_LIMITED' });
    const [row] = await t.sql<{ n: number }>(`select count(*)::int as n from invites where email = ?`, [who]);
    expect(row?.n).toBe(3);
  });

  it("refuses an inviter's invites past their daily cap, row by row in a bulk upload and then one by one", async () => {
    const org = await orgWithOwner(t, 50, 'Caps inviter');
    await create(org, { email: email('sent') });
    const capped = email('capped');
    for (let i = 0; i < 3; i++) await create(await orgWithOwner(t, 50, `Caps other ${i}`), { email: capped });
    const rows = [{ email: capped, role: 'member' }, ...Array.from({ length: 9 }, () => ({ email: email('bulk'), role: 'member' }))];
    const reply = await t.client.call('invite.bulk', { orgId: org.orgId, rows }, { accessToken: org.owner.accessToken });
    // One was sent before; the capped address is refused on its own; seven more fit in the cap of eight.
    expect(reply.results.map((r) => r.status)).toEqual(['failed', ...Array<string>(7).fill('created'), 'failed', 'failed']);
    expect(reply.results[0]).toMatchObject({ code: 'RATE_LIMITED', detail: expect.stringContaining(capped) });
    expect(reply.results[8]).toMatchObject({ code: 'RATE_LIMITED', detail: expect.stringContaining('You have sent 8 invites in the last 24 hours') });
    const error = await refusal(create(org, { email: email('late') }));
    expect(error).toMatchObject({ code: 'RATE_LIMITED' });
    expect(error.detail).toContain('You have sent 8 invites');
    // The cap is the inviter's: another admin's invites still go out.
    await create(await orgWithOwner(t, 50, 'Caps fresh'), { email: email('fresh') });
  });

  it('forgets counts older than a day when the sweeper runs', async () => {
    await t.sql(`insert into send_counts (subject, hour, n) values ('to:old@example.test', date_trunc('hour', now()) - interval '25 hours', 9)`);
    await t.app.sweeper.sweep();
    expect(await t.sql(`select 1 from send_counts where subject = 'to:old@example.test'`)).toHaveLength(0);
  });
});
