import { describe, expect, it } from 'vitest';
import { classifySmtpError, messageIdOf } from '../src/channels/email.channel.ts';
import { classifyTwilioError } from '../src/channels/sms.channel.ts';
import { retryDelayMs } from '../src/delivery/backoff.ts';
import { acceptLink } from '../src/delivery/deliver-invite.ts';
import { createRateLimiter } from '../src/delivery/rate-limiter.ts';
import { deterministicUuid } from '../src/delivery/results.ts';
import { createTemplateRenderer, escapeHtml, localeChain, singleLine, type InviteView } from '@invite/templates';

/** Pure rules: no NATS, no servers. */
const view: InviteView = {
  orgId: 'org-1',
  orgName: 'Acme',
  inviterName: 'Ada',
  role: 'admin',
  message: null,
  link: 'https://app.example.test/invite#token=abc',
  expiresAt: '2030-01-02T03:04:05.000Z',
  locale: 'en',
};

describe('retry delays', () => {
  it('grow exponentially with equal jitter and stop at the maximum', () => {
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a, 1000, 60_000, () => 0))).toEqual([500, 1000, 2000, 4000]);
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a, 1000, 60_000, () => 1))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelayMs(20, 1000, 60_000, () => 1)).toBe(60_000);
    // Whatever the jitter, a later attempt never waits less than an earlier one.
    for (let a = 1; a < 10; a++) expect(retryDelayMs(a + 1, 1000, 60_000, () => 0)).toBeGreaterThanOrEqual(retryDelayMs(a, 1000, 60_000, () => 1));
  });
});

describe('rate limiter', () => {
  it('spaces sends 60 s / rate apart with a burst of one second', () => {
    let now = 0;
    const limiter = createRateLimiter(120, () => now); // 2 a second, one every 500 ms
    expect([1, 2, 3, 4, 5].map(() => limiter.reserve())).toEqual([0, 0, 500, 1000, 1500]);
    now = 10_000;
    expect(limiter.reserve()).toBe(0);
  });
  it('never waits when unlimited', () => {
    const limiter = createRateLimiter(0);
    expect(Array.from({ length: 1000 }, () => limiter.reserve()).every((w) => w === 0)).toBe(true);
  });
});

describe('SMTP failures', () => {
  it('5xx is permanent (503 aside), 4xx temporary, a lost connection ambiguous', () => {
    expect(classifySmtpError({ name: 'Error', message: 'x', responseCode: 550, response: '550 no such user' }).kind).toBe('permanent');
    expect(classifySmtpError({ name: 'Error', message: 'x', responseCode: 503, response: '503 bad sequence' }).kind).toBe('transient');
    expect(classifySmtpError({ name: 'Error', message: 'x', responseCode: 421, response: '421 later' }).kind).toBe('transient');
    expect(classifySmtpError({ name: 'Error', message: 'Connection closed', code: 'ECONNECTION' }).kind).toBe('ambiguous');
    expect(classifySmtpError({ name: 'Error', message: 'timeout', code: 'ETIMEDOUT', timeoutType: 'SOCKET_TIMEOUT' }).kind).toBe('ambiguous');
    expect(classifySmtpError({ name: 'Error', message: 'refused', code: 'ESOCKET', originalCode: 'ECONNREFUSED' }).kind).toBe('transient');
    expect(classifySmtpError({ name: 'Error', message: 'greeting', code: 'ETIMEDOUT', timeoutType: 'GREETING_TIMEOUT' }).kind).toBe('transient');
  });
  it('derives one Message-ID per delivery key', () => {
    expect(messageIdOf('i.1.email', 'invites@example.test')).toBe('<i.1.email@example.test>');
  });
});

describe('Twilio failures', () => {
  it('sorts the documented codes, 429 and 5xx', () => {
    for (const code of [21211, 21610, 21612, 21614]) expect(classifyTwilioError({ status: 400, code, message: 'x' }).kind).toBe('permanent');
    expect(classifyTwilioError({ status: 429, code: 20429, message: 'Too Many Requests' }).kind).toBe('transient');
    expect(classifyTwilioError({ status: 500, code: 20500, message: 'oops' }).kind).toBe('ambiguous');
    expect(classifyTwilioError(Object.assign(new Error('timeout of 3000ms exceeded'), { code: 'ECONNABORTED' })).kind).toBe('ambiguous');
    expect(classifyTwilioError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).kind).toBe('transient');
  });
});

describe('templates', () => {
  it('escapes HTML and flattens header text', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(singleLine('Eve\r\nBcc: x@example.test\u2028y')).toBe('Eve Bcc: x@example.test y');
  });

  it('falls back from a regional locale to its language, then to English', async () => {
    expect(localeChain('pt-BR')).toEqual(['pt-BR', 'pt', 'en']);
    const renderer = createTemplateRenderer();
    expect((await renderer.render({ ...view, locale: 'es-MX' })).locale).toBe('es');
    expect((await renderer.render({ ...view, locale: 'nl' })).locale).toBe('en');
    expect((await renderer.render({ ...view, locale: 'de' })).subject).toBe('Ada hat Sie zu Acme eingeladen');
  });

  it('escapes user text in HTML and keeps it plain in the text part', async () => {
    const out = await createTemplateRenderer().render({ ...view, orgName: '<b>Acme</b>', inviterName: null, message: '"hi" & <i>bye</i>' });
    expect(out.html).toContain('&lt;b&gt;Acme&lt;/b&gt;');
    expect(out.html).toContain('&quot;hi&quot; &amp; &lt;i&gt;bye&lt;/i&gt;');
    expect(out.html).not.toMatch(/<b>|<i>/);
    expect(out.text).toContain('"hi" & <i>bye</i>');
    expect(out.subject).toBe('You are invited to join <b>Acme</b>');
    expect(out.fromName).toBe('<b>Acme</b>');
    expect(out.sms).toBe(`<b>Acme</b>: you are invited to join as an admin. Accept: ${view.link}`);
  });

  it('lets an organisation override wording through the template seam, still escaped', async () => {
    const renderer = createTemplateRenderer({
      orgTemplates: async (orgId) => (orgId === 'org-1' ? { en: { intro: 'Welcome aboard {org}, <says> {inviter}!' } } : undefined),
    });
    const out = await renderer.render(view);
    expect(out.html).toContain('Welcome aboard Acme, &lt;says&gt; Ada!');
    expect((await renderer.render({ ...view, orgId: 'org-2' })).html).toContain('Ada invited you to join Acme as an admin.');
  });

  it('formats the expiry in the language of each message, whichever came before', async () => {
    const renderer = createTemplateRenderer();
    for (let round = 0; round < 2; round++) {
      expect((await renderer.render({ ...view, locale: 'en' })).text).toContain('This invitation expires on January 2, 2030 at 3:04 AM UTC.');
      expect((await renderer.render({ ...view, locale: 'de' })).text).toContain('Diese Einladung läuft am 2. Januar 2030 um 03:04 UTC ab.');
    }
  });

  it('builds links only from APP_BASE_URL, token in the fragment', () => {
    expect(acceptLink('https://app.example.test/', 'tok')).toBe('https://app.example.test/invite#token=tok');
  });
});

describe('result ids', () => {
  it('are UUIDs, stable per result', () => {
    const id = deterministicUuid('a.1.email.1.sent');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deterministicUuid('a.1.email.1.sent')).toBe(id);
    expect(deterministicUuid('a.1.email.2.sent')).not.toBe(id);
  });
});
