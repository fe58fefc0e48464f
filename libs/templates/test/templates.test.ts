import { describe, expect, it } from 'vitest';
import { templateLocales, type OrgSettings } from '@invite/contracts';
import {
  builtInStrings,
  createTemplateRenderer,
  emailTemplateOf,
  fillPlaceholders,
  passwordResetLink,
  renderAddressCode,
  renderPasswordReset,
  templateLocaleOf,
  unknownPlaceholders,
  type InviteView,
} from '../src/index.ts';

/** The shared renderer with an organisation's template: pure, no servers. */
const view: InviteView = {
  orgId: 'org-1',
  orgName: 'Acme <Labs>',
  inviterName: 'Ada "the" Admin',
  role: 'admin',
  message: 'See you <b>soon</b>\nBye',
  link: 'https://app.example.test/invite#token=abc&x=<y>',
  expiresAt: '2030-01-02T03:04:00.000Z',
  locale: 'en',
  email: 'eve@example.test',
};
const template = {
  subject: 'Join {{orgName}}, {{email}}',
  body: 'Hi {{email}} <script>x</script>,\n{{inviterName}} invites you as {{role}}.\n\nOpen {{link}} before {{expiresAt}}.\n\n{{message}}\n\n{{unknown}} stays as written',
  logoUrl: 'https://cdn.example.test/logo.png?a=1&b=2',
  accentColor: '#ff6600',
};
const render = (v: Partial<InviteView>) => createTemplateRenderer().render({ ...view, ...v });

describe('organisation templates', () => {
  it('fill the subject with plain values on one line', async () => {
    const out = await render({ template: { ...template, subject: 'Join {{orgName}}\r\nBcc: {{email}}' } });
    expect(out.subject).toBe('Join Acme <Labs> Bcc: eve@example.test');
  });

  it('escape the org text and every value in the HTML, paragraph by blank line, the link from the view only', async () => {
    const out = await render({ template });
    expect(out.html).toContain('<p>Hi eve@example.test &lt;script&gt;x&lt;/script&gt;,<br>Ada &quot;the&quot; Admin invites you as an admin.</p>');
    expect(out.html).toContain('<p>Open <a href="https://app.example.test/invite#token=abc&amp;x=&lt;y&gt;" style="color:#ff6600;word-break:break-all;overflow-wrap:anywhere">');
    // Sized for phones, and a long link wraps instead of widening the message.
    expect(out.html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(out.html).toContain('<p>See you &lt;b&gt;soon&lt;/b&gt;<br>Bye</p>');
    expect(out.html).toContain('<p>{{unknown}} stays as written</p>');
    expect(out.html).not.toMatch(/<script>|<b>/);
    // The message is placed by the body, so it is not repeated under it.
    expect(out.html.match(/See you/g)).toHaveLength(1);
    expect(out.html).not.toContain('Their message:');
    // Branding: the logo (escaped attribute) and the accent colour on the button.
    expect(out.html).toContain('<img src="https://cdn.example.test/logo.png?a=1&amp;b=2" alt="Acme &lt;Labs&gt;"');
    expect(out.html).toContain('style="background:#ff6600;color:#fff;');
    // The button and the fallback link are always there, whatever the body says.
    expect(out.html).toContain('>Accept the invitation</a>');
  });

  it('write the text part as the filled body, plain, followed by the link', async () => {
    const out = await render({ template });
    expect(out.text.startsWith('Hi eve@example.test <script>x</script>,\nAda "the" Admin invites you as an admin.\n\nOpen https://app.example.test/invite#token=abc&x=<y> before January 2, 2030')).toBe(true);
    expect(out.text).toContain(`Accept the invitation: ${view.link}`);
  });

  it('keep the built-in wording where the template is null, and ignore branding that is not safe', async () => {
    const out = await render({ template: { subject: null, body: null, logoUrl: 'javascript:alert(1)', accentColor: 'red;background:url(x)' } });
    expect(out.subject).toBe('Ada "the" Admin invited you to join Acme <Labs>');
    expect(out.html).toContain('Ada &quot;the&quot; Admin invited you to join Acme &lt;Labs&gt; as an admin.');
    expect(out.html).toContain('Their message:');
    expect(out.html).not.toContain('<img');
    expect(out.html).not.toContain('javascript:');
    expect(out.html).toContain('background:#2456d6');
    // Without a template at all, exactly the same email.
    const none = await render({});
    expect(none.html).toBe(out.html.replace(/javascript:alert\(1\)/g, ''));
  });

  it('name unknown placeholders and fill known ones', () => {
    expect(unknownPlaceholders('Hi {{ firstName }} from {{orgName}} {{ x1 }}')).toEqual(['firstName']);
    expect(fillPlaceholders('{{ orgName }}/{{role}}', { orgName: 'A', role: 'B', inviterName: '', link: '', expiresAt: '', message: '', email: '' })).toBe('A/B');
  });
});

describe('the address code email', () => {
  it('carries the code in the subject and body, the organisation escaped, in the invite language', () => {
    const out = renderAddressCode({ code: '042917', orgName: 'Acme <Labs>\r\nBcc: x@example.test', expiresAt: '2030-01-02T03:04:00.000Z', locale: 'es-MX' });
    expect(out.locale).toBe('es');
    expect(out.subject).toBe('042917 es tu código para unirte a Acme <Labs> Bcc: x@example.test');
    expect(out.fromName).toBe('Acme <Labs> Bcc: x@example.test');
    expect(out.text).toContain('\n042917\n');
    expect(out.html).toContain('>042917</p>');
    expect(out.html).toContain('Acme &lt;Labs&gt;');
    expect(out.html).not.toContain('<Labs>');
    expect(renderAddressCode({ code: '000001', orgName: 'A', expiresAt: '2030-01-02T03:04:00.000Z', locale: 'nl' }).locale).toBe('en');
  });
});

describe('the password reset email', () => {
  it('carries the link from APP_BASE_URL in the text and, escaped, in the HTML, in the language asked for', () => {
    const link = passwordResetLink('https://app.example.test/', 'tok"<en>');
    expect(link).toBe('https://app.example.test/reset-password#token=tok"<en>');
    const out = renderPasswordReset({ link, expiresAt: '2030-01-02T03:04:00.000Z', locale: 'de-CH' });
    expect(out.locale).toBe('de');
    expect(out.subject).toBe('Neues Passwort wählen');
    expect(out.text).toContain(`\n${link}\n`);
    expect(out.html).toContain('href="https://app.example.test/reset-password#token=tok&quot;&lt;en&gt;"');
    expect(out.html).not.toContain('<en>');
  });
});

describe('templates per language', () => {
  const settings: Pick<OrgSettings, 'templates' | 'logoUrl' | 'accentColor'> = {
    templates: { en: { subject: 'Join {{orgName}}', body: null }, fr: { subject: null, body: 'Bonjour {{email}}' } },
    logoUrl: null,
    accentColor: null,
  };

  it('exist for every language with a built-in email, and only those', () => {
    expect(Object.keys(builtInStrings).sort()).toEqual([...templateLocales].sort());
  });

  it('are chosen by the invite\'s language, as the built-in wording is', () => {
    expect(['fr', 'fr-CA', 'de-AT', 'es', 'pt-BR', 'nl'].map(templateLocaleOf)).toEqual(['fr', 'fr', 'de', 'es', 'en', 'en']);
    expect(emailTemplateOf(settings, 'fr-BE')).toEqual({ subject: null, body: 'Bonjour {{email}}', logoUrl: null, accentColor: null });
    expect(emailTemplateOf(settings, 'pt-BR')).toEqual({ subject: 'Join {{orgName}}', body: null, logoUrl: null, accentColor: null });
    // German has no template: nothing, not the English one.
    expect(emailTemplateOf(settings, 'de')).toBeUndefined();
    expect(emailTemplateOf({ ...settings, accentColor: '#123456' }, 'de')).toEqual({ subject: null, body: null, logoUrl: null, accentColor: '#123456' });
  });

  it('render French with the French built-in wording', async () => {
    const out = await createTemplateRenderer().render({ ...view, locale: 'fr-CA' });
    expect(out.locale).toBe('fr');
    expect(out.subject).toBe('Ada "the" Admin vous invite à rejoindre Acme <Labs>');
    expect(out.text).toContain('Accepter l’invitation: ');
  });
});
