import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotifierApp } from '../src/app.ts';
import { eventually } from './support/harness.ts';
import type { SmtpMailbox } from './support/smtp-mailbox.ts';
import { startWithInvites, stopWithInvites } from './support/with-invites.ts';
import { email, type OrgWithOwner, type TestInvites } from '../../invites/test/harness.ts';

/**
 * An organisation's templates per language, from its settings to the mailbox: the
 * invites service puts the template of each invite's language in its event, and the
 * notifier sends it over real SMTP; a language without a template gets its built-in email.
 */
let t: TestInvites;
let org: OrgWithOwner;
let smtp: SmtpMailbox;
let app: NotifierApp;

beforeAll(async () => {
  ({ t, smtp, app, org } = await startWithInvites('langtemplates', 'Maison & Co'));
});

afterAll(() => stopWithInvites({ t, smtp, app }));

describe('templates per language', () => {
  it('send a French invite the French text, an English invite of the same org the English text, and a German invite the built-in German email', async () => {
    const owner = { accessToken: org.owner.accessToken };
    await t.client.call(
      'org.settings.update',
      {
        orgId: org.orgId,
        settings: {
          templates: {
            en: { subject: 'Come and join {{orgName}}', body: 'Hello {{email}},\n\nthe English text: {{link}}' },
            fr: { subject: 'Venez rejoindre {{orgName}}', body: 'Bonjour {{email}},\n\nle texte français : {{link}}' },
          },
        },
      },
      owner,
    );
    const mailFor = async (locale: string) => {
      const to = email(`lang-${locale}`);
      await t.client.call('invite.create', { orgId: org.orgId, invite: { email: to, role: 'member', locale } }, owner);
      const [copy] = await eventually(() => (smtp.deliveredTo(to).length ? smtp.deliveredTo(to) : undefined), 30_000, `the ${locale} email`);
      return { to, mail: copy!.parsed };
    };
    const [fr, en, de] = await Promise.all([mailFor('fr'), mailFor('en'), mailFor('de')]);

    expect(fr.mail.subject).toBe('Venez rejoindre Maison & Co');
    expect(fr.mail.text).toContain(`Bonjour ${fr.to},\n\nle texte français : http`);
    expect(fr.mail.html).toContain('<html lang="fr">');
    expect(fr.mail.html).toContain('Accepter l’invitation');
    expect(fr.mail.text).not.toContain('English text');

    expect(en.mail.subject).toBe('Come and join Maison & Co');
    expect(en.mail.text).toContain(`Hello ${en.to},\n\nthe English text: http`);
    expect(en.mail.text).not.toContain('français');

    expect(de.mail.subject).toBe('Olivia Owner hat Sie zu Maison & Co eingeladen');
    expect(de.mail.text).toContain('Olivia Owner hat Sie eingeladen, Maison & Co als Mitglied beizutreten.');
    expect(de.mail.html).toContain('Einladung annehmen');
    expect(de.mail.text).not.toContain('English text');
    expect(de.mail.text).not.toContain('français');
  });
});
