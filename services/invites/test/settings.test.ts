import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { InviteIssuedEvent, matches, uuidv7, type OrgSettings } from '@invite/contracts';
import { createTestDatabase } from '../../../tests/support/database.ts';
import { createOrm, migrations } from '../src/db/orm.ts';
import { addMember, email, orgWithOwner, startTestInvites, type OrgWithOwner, type TestInvites } from './harness.ts';

/** Organisation settings: defaults, updates with their audit entry, validation, and how they shape invite events. */
let t: TestInvites;
let org: OrgWithOwner;
let plain: OrgWithOwner;

const defaults: OrgSettings = { emailSubject: null, emailBody: null, templates: {}, logoUrl: null, accentColor: null, defaultLocale: 'en', redirectOrigins: [] };
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
    // emailSubject and emailBody are the template of the default language.
    const saved = await t.client.call('org.settings.update', { orgId: org.orgId, settings: { ...custom, defaultLocale: 'de' } }, as(org));
    const de = { subject: custom.emailSubject, body: custom.emailBody };
    expect(saved).toMatchObject({ ...custom, templates: { de }, defaultLocale: 'de' });
    const partly = await t.client.call('org.settings.update', { orgId: org.orgId, settings: { accentColor: '#123abc' } }, as(org));
    expect(partly).toMatchObject({ ...custom, templates: { de }, accentColor: '#123abc', defaultLocale: 'de' });
    expect(await t.client.call('org.settings.get', { orgId: org.orgId }, as(org))).toEqual(partly);

    const audit = await t.client.call('org.audit', { orgId: org.orgId, limit: 10 }, as(org));
    const updates = audit.items.filter((e) => e.action === 'org.settings.updated');
    expect(updates).toHaveLength(2);
    expect(updates[0]).toMatchObject({ actor: `user:${org.owner.user.id}`, target: `org:${org.orgId}`, data: { changed: ['accentColor'], settings: { accentColor: '#123abc' } } });
    expect((updates[1]!.data as { changed: string[] }).changed.sort()).toEqual(['accentColor', 'defaultLocale', 'logoUrl', 'templates']);
    expect(updates[1]).toMatchObject({ data: { templates: ['de'], settings: { templates: { de } } }, summary: 'Olivia Owner changed the email settings and the German email template' });

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

    // Spanish has no template of its own: the branding only, and the built-in Spanish email.
    const explicit = await t.client.call('invite.create', { orgId: org.orgId, invite: { email: email('tpl'), role: 'member', locale: 'es' } }, as(org));
    expect((await eventsOf(explicit.invite.id))[0]).toMatchObject({ locale: 'es', template: { ...template, subject: null, body: null } });

    const bulk = await t.client.call('invite.bulk', { orgId: org.orgId, rows: [{ email: email('tpl'), role: 'member' }] }, as(org));
    const bulkInvite = bulk.results[0]?.invite;
    if (!bulkInvite) throw new Error(`bulk row failed: ${JSON.stringify(bulk.results[0])}`);
    expect((await eventsOf(bulkInvite.id))[0]).toMatchObject({ locale: 'de', template });

    await t.client.call('invite.resend', { orgId: org.orgId, inviteId: created.invite.id }, as(org));
    expect((await eventsOf(created.invite.id))[1]).toMatchObject({ type: 'invite.resent', template });

    // The reconciler re-publishes an unconfirmed delivery with the template of its language as it is now.
    await t.client.call('org.settings.update', { orgId: org.orgId, settings: { emailSubject: null, templates: { es: { subject: 'Hola de {{orgName}}', body: null } } } }, as(org));
    await t.sql(`update invites set email_updated_at = now() - interval '1 hour' where id in (?, ?)`, [explicit.invite.id, bulkInvite.id]);
    expect(await t.app.reconciler.reconcile()).toBeGreaterThanOrEqual(2);
    expect((await eventsOf(explicit.invite.id)).at(-1)).toMatchObject({ redelivery: true, template: { ...template, subject: 'Hola de {{orgName}}', body: null } });
    expect((await eventsOf(bulkInvite.id)).at(-1)).toMatchObject({ redelivery: true, template: { ...template, subject: null } });
  });

  it('carry no template and English for an org that saved no settings', async () => {
    const created = await t.client.call('invite.create', { orgId: plain.orgId, invite: { email: email('plain'), role: 'member' } }, as(plain));
    const [event] = await eventsOf(created.invite.id);
    expect(event!.locale).toBe('en');
    expect(event).not.toHaveProperty('template');
  });
});

describe('templates per language', () => {
  const en = { subject: 'Join {{orgName}}', body: 'Hello {{email}},\n\nJoin us: {{link}}' };
  const fr = { subject: 'Rejoignez {{orgName}}', body: 'Bonjour {{email}},\n\nRejoignez-nous : {{link}}' };
  let langs: OrgWithOwner;
  beforeAll(async () => {
    langs = await orgWithOwner(t, 100, 'Langues Org');
  });
  const update = (settings: Record<string, unknown>, o = langs) => t.client.call('org.settings.update', { orgId: o.orgId, settings } as never, as(o));
  const summaries = async () => (await t.client.call('org.audit', { orgId: langs.orgId, action: 'org.settings.updated', limit: 10 }, as(langs))).items.map((e) => e.summary);

  it('are saved per language, each change audited with its language, and an invite carries only its own language\'s', async () => {
    const saved = await update({ templates: { fr } });
    expect(saved).toMatchObject({ templates: { fr }, emailSubject: null, emailBody: null, defaultLocale: 'en' });
    await update({ templates: { en } });
    expect(await t.client.call('org.settings.get', { orgId: langs.orgId }, as(langs))).toMatchObject({ templates: { en, fr }, emailSubject: en.subject, emailBody: en.body });
    expect((await summaries()).slice(0, 2)).toEqual(['Olivia Owner changed the English email template', 'Olivia Owner changed the French email template']);

    const invite = async (locale?: string) => {
      const created = await t.client.call('invite.create', { orgId: langs.orgId, invite: { email: email('lang'), role: 'member', ...(locale ? { locale } : {}) } }, as(langs));
      return (await eventsOf(created.invite.id))[0]!;
    };
    expect((await invite('fr')).template).toEqual({ ...fr, logoUrl: null, accentColor: null });
    expect((await invite('fr-CA')).template).toEqual({ ...fr, logoUrl: null, accentColor: null });
    expect((await invite()).template).toEqual({ ...en, logoUrl: null, accentColor: null });
    // A language without a built-in email is written in English: the English template.
    expect((await invite('pt-BR')).template).toEqual({ ...en, logoUrl: null, accentColor: null });
    // German has none: no template at all, never another language's.
    expect(await invite('de')).not.toHaveProperty('template');
  });

  it('resend carries the template of the invite\'s language as it is now', async () => {
    const created = await t.client.call('invite.create', { orgId: langs.orgId, invite: { email: email('resend'), role: 'member', locale: 'fr' } }, as(langs));
    const now = { subject: 'Nouveau : {{orgName}}', body: fr.body };
    await update({ templates: { fr: now } });
    await t.sql(`update invites set sent_at = now() - interval '1 hour' where id = ?`, [created.invite.id]);
    await t.client.call('invite.resend', { orgId: langs.orgId, inviteId: created.invite.id }, as(langs));
    expect((await eventsOf(created.invite.id)).at(-1)).toMatchObject({ type: 'invite.resent', template: { ...now, logoUrl: null, accentColor: null } });
    await update({ templates: { fr } });
  });

  it('go back to the built-in email of a language when both its fields are null', async () => {
    const cleared = await update({ templates: { fr: { subject: null, body: null } } });
    expect(cleared.templates).toEqual({ en });
    expect((await summaries())[0]).toBe('Olivia Owner went back to the built-in French email');
    const created = await t.client.call('invite.create', { orgId: langs.orgId, invite: { email: email('builtin'), role: 'member', locale: 'fr' } }, as(langs));
    expect((await eventsOf(created.invite.id))[0]).not.toHaveProperty('template');
    await update({ templates: { fr } });
  });

  it('keep emailSubject and emailBody as the default language\'s template, for clients written before', async () => {
    await update({ defaultLocale: 'fr' });
    expect(await t.client.call('org.settings.get', { orgId: langs.orgId }, as(langs))).toMatchObject({ emailSubject: fr.subject, emailBody: fr.body });
    const saved = await update({ emailSubject: 'Salut {{orgName}}' });
    expect(saved.templates).toEqual({ en, fr: { ...fr, subject: 'Salut {{orgName}}' } });
    // A client that read the settings and sends them back whole, one field changed either way.
    const read = await t.client.call('org.settings.get', { orgId: langs.orgId }, as(langs));
    const echoed = await update({ ...read, emailSubject: 'Coucou {{orgName}}' });
    expect(echoed.templates.fr).toEqual({ ...fr, subject: 'Coucou {{orgName}}' });
    const again = await t.client.call('org.settings.get', { orgId: langs.orgId }, as(langs));
    const viaTemplates = await update({ ...again, templates: { ...again.templates, fr } });
    expect(viaTemplates).toMatchObject({ templates: { en, fr }, emailSubject: fr.subject });
    await update({ defaultLocale: 'en' });
  });

  it('refuse an unknown placeholder naming the language and the field, and two different subjects at once, changing nothing', async () => {
    const before = await settingsState(langs.orgId);
    await expect(update({ templates: { en, fr: { ...fr, body: 'Bonjour {{nmae}}, {{link}}' } } })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      detail: 'The French template is not valid: its body uses unknown placeholders: {{nmae}}',
      errors: [{ path: '/settings/templates/fr/body', message: 'uses unknown placeholders: {{nmae}}' }],
    });
    await expect(update({ templates: { de: { subject: '{{Org}}', body: null } } })).rejects.toMatchObject({
      detail: 'The German template is not valid: its subject uses unknown placeholders: {{Org}}',
    });
    await expect(update({ emailSubject: 'One {{orgName}}', templates: { en: { ...en, subject: 'Two {{orgName}}' } } })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ path: '/settings/emailSubject' }],
    });
    for (const settings of [{ templates: { it: en } }, { templates: { fr: { subject: 'x' } } }, { templates: { fr: { ...fr, body: '' } } }, { templates: { fr: null } }]) {
      await expect(update(settings), JSON.stringify(settings)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    expect(await settingsState(langs.orgId)).toEqual(before);
  });
});

describe('the templates migration', () => {
  it('makes an org\'s single template the template of its default language, and back', async () => {
    const db = await createTestDatabase(inject('postgresUrl'), 'templates_migration');
    const orm = await createOrm({ databaseUrl: db.url, poolMax: 2 });
    try {
      const index = migrations.findIndex((m) => m.name === 'Migration20261222000000');
      await orm.migrator.up({ to: migrations[index - 1]!.name });
      const em = orm.em.fork();
      const orgs = { fr: uuidv7(), ptBR: uuidv7(), deAT: uuidv7(), none: uuidv7() };
      for (const [name, id] of Object.entries(orgs)) await em.execute(`insert into orgs (id, name, seat_limit) values (?, ?, 10)`, [id, name]);
      await em.execute(
        `insert into org_settings (org_id, email_subject, email_body, default_locale, accent_color) values
           (?, 'Rejoignez {{orgName}}', null, 'fr', null), (?, null, 'Olá {{link}}', 'pt-BR', null), (?, 'Hallo', 'Text', 'de-AT', null), (?, null, null, 'es', '#123456')`,
        [orgs.fr, orgs.ptBR, orgs.deAT, orgs.none],
      );
      await orm.migrator.up();
      const rows = await em.execute<{ org_id: string; email_templates: unknown }[]>(`select org_id, email_templates from org_settings`);
      const templates = Object.fromEntries(rows.map((r) => [r.org_id, r.email_templates]));
      expect(templates).toEqual({
        [orgs.fr]: { fr: { subject: 'Rejoignez {{orgName}}', body: null } },
        [orgs.ptBR]: { en: { subject: null, body: 'Olá {{link}}' } },
        [orgs.deAT]: { de: { subject: 'Hallo', body: 'Text' } },
        [orgs.none]: {},
      });

      // And back: the default language's template becomes the single template again.
      await orm.migrator.down('Migration20261222000000');
      const before = await em.execute<{ org_id: string; email_subject: string | null; email_body: string | null }[]>(`select org_id, email_subject, email_body from org_settings`);
      expect(Object.fromEntries(before.map((r) => [r.org_id, [r.email_subject, r.email_body]]))).toEqual({
        [orgs.fr]: ['Rejoignez {{orgName}}', null],
        [orgs.ptBR]: [null, 'Olá {{link}}'],
        [orgs.deAT]: ['Hallo', 'Text'],
        [orgs.none]: [null, null],
      });
    } finally {
      await orm.close();
      await db.drop();
    }
  });
});
