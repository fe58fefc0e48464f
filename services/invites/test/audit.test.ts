import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { email, orgWithOwner, startTestInvites, tokenOf, type OrgWithOwner, type TestInvites } from './harness.ts';

/** `org.audit`: entries as sentences with names, filtered by action (or family) and actor. */
let t: TestInvites;
let org: OrgWithOwner;
let gina: string;

beforeAll(async () => {
  t = await startTestInvites('auditlog');
  org = await orgWithOwner(t, 20, 'Audit Org');
  gina = email('gina');
  await t.client.call('invite.create', { orgId: org.orgId, invite: { email: gina, role: 'admin' } }, { accessToken: org.owner.accessToken });
  const withdrawn = await t.client.call('invite.create', { orgId: org.orgId, invite: { email: email('wanda'), role: 'member', channels: [] } }, { accessToken: org.owner.accessToken });
  await t.client.call('invite.withdraw', { orgId: org.orgId, inviteId: withdrawn.invite.id }, { accessToken: org.owner.accessToken });
  const declined = await t.client.call('invite.create', { orgId: org.orgId, invite: { email: email('dora'), role: 'member' } }, { accessToken: org.owner.accessToken });
  await t.client.call('invite.decline', { token: tokenOf(declined.acceptUrl) });
});
afterAll(() => t?.close());

const audit = (filters: { action?: string; actor?: string } = {}) => t.client.call('org.audit', { orgId: org.orgId, ...filters }, { accessToken: org.owner.accessToken });

describe('the audit log', () => {
  it('says what happened in sentences, with the actors named', async () => {
    const page = await audit();
    const summaries = page.items.map((e) => e.summary);
    expect(summaries).toContain(`Olivia Owner invited ${gina} as admin`);
    expect(summaries.some((s) => /^Olivia Owner withdrew the invite to wanda\./.test(s))).toBe(true);
    expect(summaries.some((s) => /^Olivia Owner invited wanda\.\S+ as member \(link only\)$/.test(s))).toBe(true);
    expect(summaries.some((s) => /^dora\.\S+ declined the invite$/.test(s))).toBe(true);
    expect(summaries).toContain('An operator created the organisation Audit Org with 20 seats');
    expect(summaries).toContain('Olivia Owner joined as an owner');
    const created = page.items.find((e) => e.action === 'invite.created' && e.data.email === gina)!;
    expect(created).toMatchObject({ actor: `user:${org.owner.user.id}`, actorName: 'Olivia Owner' });
  });

  it('keeps one action, a family of actions or one actor', async () => {
    expect((await audit({ action: 'invite.created' })).items.every((e) => e.action === 'invite.created')).toBe(true);
    const invites = await audit({ action: 'invite.' });
    expect(new Set(invites.items.map((e) => e.action))).toEqual(new Set(['invite.created', 'invite.withdrawn', 'invite.declined', 'invite.accepted']));
    const invitee = await audit({ actor: 'invitee' });
    expect(invitee.items.map((e) => e.action)).toEqual(['invite.declined']);
    const owner = await audit({ actor: `user:${org.owner.user.id}`, action: 'org.' });
    expect(owner.items).toEqual([]);
  });

  it('refuses a filter that is not an action or an actor, naming it', async () => {
    await expect(audit({ action: 'invite%' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: '/action' }] });
    await expect(audit({ actor: 'user:bob' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: '/actor' }] });
  });
});
