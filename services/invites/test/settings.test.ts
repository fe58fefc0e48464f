import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InviteIssuedEvent, matches, type OrgSettings } from '@invite/contracts';
import { addMember, email, orgWithOwner, startTestInvites, type OrgWithOwner, type TestInvites } from './harness.ts';

/** Organisation settings: defaults, updates with their audit entry, validation, and how they shape invite events. */
let t: TestInvites;
let org: OrgWithOwner;
let plain: OrgWithOwner;

const defaults: OrgSettings = { emailSubject: null, emailBody: null, logoUrl: null, accentColor: null, defaultLocale: 'en' };
const custom = {
  emailSubject: '{{inviterName}} wants you at {{orgName}}',
  emailBody: 'Hello {{email}},\n\nJoin {{orgName}} as {{role}}: {{link}}\n\n{{message}}',
  logoUrl: 'https://cdn.example.test/logo.png',
  accentColor: '#ff6600',
};

beforeAll(async () => {
  t = await startTestInvites('settings', { RECONCILE_AFTER_SECONDS: '1' });
  await t.app.reconciler.stop(); // run by the test itself
  org = await orgWithOwner(t, 100, 'Settings Org');
  plain = await orgWithOwner(t, 100, 'Plain Org');
});
afterAll(() => t?.close());

const as = (o: OrgWithOwner) => ({ accessToken: o.owner.accessToken });

/** The issued events in the outbox of one invite, oldest first. */
async function eventsOf(inviteId: string): Promise<InviteIssuedEvent[]> {
  const rows = await t.sql<{ payload: unknown }>(
    `select payload from outbox where payload->>'inviteId' = ? and payload->>'type' in ('invite.created', 'invite.resent') order by created_at, id`,
    [inviteId],
  );
  return rows.map((r) => {
    expect(matches(InviteIssuedEvent, r.payload)).toBe(true);
    return r.payload as InviteIssuedEvent;
  });
}

async function settingsState(orgId: string) {
  return {
    row: await t.sql(`select to_jsonb(s) - 'updated_at' as row from org_settings s where org_id = ?`, [orgId]),
    audit: await t.sql(`select count(*)::int as n from audit_log where org_id = ? and action = 'org.settings.updated'`, [orgId]),
  };
}

describe('org settings', () => {
  it('are the defaults before anything is saved', async () => {
    expect(await t.client.call('org.settings.get', { orgId: org.orgId }, as(org))).toEqual(defaults);
  });

  it('change only the fields given, each change with an org.settings.updated audit entry', async () => {
    const saved = await t.client.call('org.settings.update', { orgId: org.orgId, settings: { ...custom, defaultLocale: 'de' } }, as(org));
    expect(saved).toEqual({ ...custom, defaultLocale: 'de' });
    const partly = await t.client.call('org.settings.update', { orgId: org.orgId, settings: { accentColor: '#123abc' } }, as(org));
    expect(partly).toEqual({ ...custom, accentColor: '#123abc', defaultLocale: 'de' });
    expect(await t.client.call('org.settings.get', { orgId: org.orgId }, as(org))).toEqual(partly);

    const audit = await t.client.call('org.audit', { orgId: org.orgId, limit: 10 }, as(org));
    const updates = audit.items.filter((e) => e.action === 'org.settings.updated');
    expect(updates).toHaveLength(2);
    expect(updates[0]).toMatchObject({ actor: `user:${org.owner.user.id}`, target: `org:${org.orgId}`, data: { changed: ['accentColor'], settings: { accentColor: '#123abc' } } });
    expect((updates[1]!.data as { changed: string[] }).changed.sort()).toEqual(['accentColor', 'defaultLocale', 'emailBody', 'emailSubject', 'logoUrl']);

    // Saving the same values again changes nothing and writes no audit entry.
    const before = await settingsState(org.orgId);
    await t.client.call('org.settings.update', { orgId: org.orgId, settings: { accentColor: '#123abc' } }, as(org));
    expect(await settingsState(org.orgId)).toEqual(before);
  });

  it('refuse a bad colour, an http logo, an oversize body or an unknown placeholder with VALIDATION_FAILED, changing nothing', async () => {
    const before = await settingsState(org.orgId);
    const bad = [
      { accentColor: 'orange' },
      { logoUrl: 'http://cdn.example.test/logo.png' },
      { logoUrl: 'https://' },
      { emailBody: 'x'.repeat(5001) },
      { emailSubject: '' },
      { emailSubject: 'Hi {{firstName}}', accentColor: '#000000' },
      { defaultLocale: 'english' },
    ];
    for (const settings of bad) {
      await expect(t.client.call('org.settings.update', { orgId: org.orgId, settings } as never, as(org)), JSON.stringify(settings)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
    }
    expect(await settingsState(org.orgId)).toEqual(before);
  });

  it('are for admins and owners only; another org gets NOT_FOUND', async () => {
    const member = await addMember(t, org, 'member');
    const admin = await addMember(t, org, 'admin');
    await expect(t.client.call('org.settings.get', { orgId: org.orgId }, { accessToken: member.accessToken })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(t.client.call('org.settings.update', { orgId: org.orgId, settings: { accentColor: '#000000' } }, { accessToken: member.accessToken })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(t.client.call('org.settings.get', { orgId: org.orgId }, as(plain))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await t.client.call('org.settings.get', { orgId: org.orgId }, { accessToken: admin.accessToken })).accentColor).toBe('#123abc');
  });
});

describe('settings in invite events', () => {
  it('put the template on created, bulk, resent and re-published events, and the default locale on invites without one', async () => {
    const created = await t.client.call('invite.create', { orgId: org.orgId, invite: { email: email('tpl'), role: 'member' } }, as(org));
    expect(created.invite.locale).toBe('de');
    const template = { subject: custom.emailSubject, body: custom.emailBody, logoUrl: custom.logoUrl, accentColor: '#123abc' };
    const [event] = await eventsOf(created.invite.id);
    expect(event).toMatchObject({ type: 'invite.created', locale: 'de', template });

    const explicit = await t.client.call('invite.create', { orgId: org.orgId, invite: { email: email('tpl'), role: 'member', locale: 'es' } }, as(org));
    expect((await eventsOf(explicit.invite.id))[0]).toMatchObject({ locale: 'es', template });

    const bulk = await t.client.call('invite.bulk', { orgId: org.orgId, rows: [{ email: email('tpl'), role: 'member' }] }, as(org));
    const bulkInvite = bulk.results[0]?.invite;
    if (!bulkInvite) throw new Error(`bulk row failed: ${JSON.stringify(bulk.results[0])}`);
    expect((await eventsOf(bulkInvite.id))[0]).toMatchObject({ locale: 'de', template });

    await t.client.call('invite.resend', { orgId: org.orgId, inviteId: created.invite.id }, as(org));
    expect((await eventsOf(created.invite.id))[1]).toMatchObject({ type: 'invite.resent', template });

    // The reconciler re-publishes an unconfirmed delivery with the template as it is now.
    await t.client.call('org.settings.update', { orgId: org.orgId, settings: { emailSubject: null } }, as(org));
    await t.sql(`update invites set email_updated_at = now() - interval '1 hour' where id = ?`, [explicit.invite.id]);
    expect(await t.app.reconciler.reconcile()).toBeGreaterThanOrEqual(1);
    const republished = (await eventsOf(explicit.invite.id)).at(-1)!;
    expect(republished).toMatchObject({ redelivery: true, template: { ...template, subject: null } });
  });

  it('carry no template and English for an org that saved no settings', async () => {
    const created = await t.client.call('invite.create', { orgId: plain.orgId, invite: { email: email('plain'), role: 'member' } }, as(plain));
    const [event] = await eventsOf(created.invite.id);
    expect(event!.locale).toBe('en');
    expect(event).not.toHaveProperty('template');
  });
});
