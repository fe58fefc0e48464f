import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotifierApp } from '../src/app.ts';
import { createTestBus, eventually, notifierEnv, startTestNotifier, type TestBus } from './support/harness.ts';
import { startSmtpMailbox, type DataVerdict, type SmtpMailbox } from './support/smtp-mailbox.ts';

/**
 * Email delivery against a real SMTP server in this process. Each test scripts the
 * server's behaviour for its own recipient, so one notifier serves the whole file.
 */
const rcptScripts = new Map<string, (n: number) => { code: number; message: string } | undefined>();
const dataScripts = new Map<string, (n: number) => DataVerdict>();
const dataCounts = new Map<string, number>();
const dataTimes = new Map<string, number[]>();

let smtp: SmtpMailbox;
let bus: TestBus;
let app: NotifierApp;

beforeAll(async () => {
  smtp = await startSmtpMailbox({
    rcpt: (address, n) => rcptScripts.get(address)?.(n),
    data: (transmission) => {
      const to = transmission.to[0] ?? '';
      const n = (dataCounts.get(to) ?? 0) + 1;
      dataCounts.set(to, n);
      dataTimes.set(to, [...(dataTimes.get(to) ?? []), Date.now()]);
      return dataScripts.get(to)?.(n) ?? 'accept';
    },
  });
  const started = await startTestNotifier(notifierEnv('email', { SMTP_URL: smtp.url }));
  app = started.app;
  bus = await createTestBus(started.config);
});

afterAll(async () => {
  await app?.stop();
  await bus?.close();
  await smtp?.close();
});

const resultTypes = async (inviteId: string) => (await bus.resultsFor(inviteId, 'email')).map((r) => `${r.type}#${r.attempt}`);

describe('email delivery', () => {
  it('delivers one message with the accept link, escaped HTML and no header injection through names', async () => {
    const email = 'ok@example.test';
    const { event, emailLink: link } = await bus.publishInvite({
      email,
      orgName: 'Acme <script>alert(1)</script> & Co',
      inviterName: 'Eve\r\nBcc: victim@example.test',
      message: 'Join us! <img src=x onerror=alert(2)>\nSecond line',
    });
    const sent = await eventually(async () => (await bus.resultsFor(event.inviteId)).find((r) => r.type === 'delivery.sent'), 20_000, 'sent result');
    expect(sent).toMatchObject({ channel: 'email', provider: 'smtp', attempt: 1, tokenVersion: 1 });

    const copies = smtp.deliveredTo(email);
    expect(copies).toHaveLength(1);
    const mail = copies[0]!.parsed;
    expect(sent.providerMessageId).toBe(mail.messageId);
    expect(mail.messageId).toBe(`<${event.inviteId}.1.email@example.test>`);
    expect(mail.text).toContain(link);
    expect(mail.html).toContain(`href="${link.replace('&', '&amp;')}"`);
    // Every piece of user text is escaped in the HTML part.
    expect(mail.html).toContain('Acme &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co');
    expect(mail.html).toContain('&lt;img src=x onerror=alert(2)&gt;<br>Second line');
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toContain('<img');
    // CR/LF in the inviter's name cannot add a header; the name is only the From display name.
    expect(mail.headers.has('bcc')).toBe(false);
    expect(copies[0]!.to).toEqual([email]);
    expect(mail.from?.value[0]).toMatchObject({ address: 'invites@example.test' });
    expect(mail.from?.value[0]?.name).toBe('Eve Bcc: victim@example.test via Acme <script>alert(1)</script> & Co');
    expect(mail.subject).toBe('Eve Bcc: victim@example.test invited you to join Acme <script>alert(1)</script> & Co');
  });

  it("sends the organisation's own subject, body and branding from the event, user text escaped, the link from APP_BASE_URL", async () => {
    const email = 'branded@example.test';
    const template = {
      subject: '{{orgName}} needs you, {{email}}',
      body: 'Dear {{email}},\n\n{{inviterName}} saved you a seat as {{role}} <b>now</b>.\n\nLink: {{link}}',
      logoUrl: 'https://cdn.example.test/acme.png',
      accentColor: '#0a7f3f',
    };
    const { event, emailLink: link } = await bus.publishInvite({ email, orgName: 'Acme & Sons', template });
    await eventually(() => smtp.deliveredTo(email).length === 1, 20_000, 'branded email');
    const mail = smtp.deliveredTo(email)[0]!.parsed;
    expect(mail.subject).toBe('Acme & Sons needs you, branded@example.test');
    expect(mail.text).toContain(`Dear branded@example.test,\n\nAda Lovelace saved you a seat as a member <b>now</b>.\n\nLink: ${link}`);
    expect(mail.html).toContain('<p>Ada Lovelace saved you a seat as a member &lt;b&gt;now&lt;/b&gt;.</p>');
    const linkHtml = link.replace('&', '&amp;');
    expect(mail.html).toContain(`<a href="${linkHtml}" style="color:#0a7f3f;word-break:break-all;overflow-wrap:anywhere">${linkHtml}</a>`);
    expect(mail.html).toContain('<img src="https://cdn.example.test/acme.png" alt="Acme &amp; Sons"');
    expect(mail.html).toContain('background:#0a7f3f');
    expect(link.startsWith('https://app.example.test/invite#token=')).toBe(true);
    expect(event.template).toEqual(template);
  });

  it('renders the invitee locale and falls back to English', async () => {
    const es = await bus.publishInvite({ email: 'es@example.test', locale: 'es' });
    const pt = await bus.publishInvite({ email: 'pt@example.test', locale: 'pt-BR' });
    const de = await bus.publishInvite({ email: 'de@example.test', locale: 'de-AT' });
    await eventually(() => smtp.deliveredTo('es@example.test').length === 1 && smtp.deliveredTo('pt@example.test').length === 1 && smtp.deliveredTo('de@example.test').length === 1);
    expect(smtp.deliveredTo('es@example.test')[0]!.parsed.subject).toBe('Ada Lovelace te invitó a unirte a Acme');
    expect(smtp.deliveredTo('pt@example.test')[0]!.parsed.subject).toBe('Ada Lovelace invited you to join Acme');
    expect(smtp.deliveredTo('de@example.test')[0]!.parsed.subject).toBe('Ada Lovelace hat Sie zu Acme eingeladen');
    expect(es.event.locale).toBe('es');
    expect(pt.event.locale).toBe('pt-BR');
    expect(de.event.locale).toBe('de-AT');
  });

  it('retries SMTP 421 and 451 with growing delays, then delivers once', async () => {
    const email = 'greylisted@example.test';
    dataScripts.set(email, (n) =>
      n === 1 ? { code: 421, message: 'Service not available, try later' } : n === 2 ? { code: 451, message: 'Greylisted, try later' } : 'accept',
    );
    const { event } = await bus.publishInvite({ email });
    await eventually(async () => (await resultTypes(event.inviteId)).includes('delivery.sent#3'), 20_000, 'third attempt sent');
    const results = await bus.resultsFor(event.inviteId, 'email');
    expect(results.map((r) => `${r.type}#${r.attempt}`)).toEqual(['delivery.failed#1', 'delivery.failed#2', 'delivery.sent#3']);
    expect(results[0]!.error).toMatch(/^421 /);
    expect(results[1]!.error).toMatch(/^451 /);
    // The delay the notifier chose before each retry grows (exponential, equal jitter).
    const delays = results.slice(0, 2).map((r) => Number(/next attempt in ([\d.]+) s/.exec(r.error ?? '')?.[1]));
    expect(delays[1]).toBeGreaterThan(delays[0]!);
    // JetStream honoured them: no retry came sooner than its delay (nak with a delay, not a plain nak).
    const times = dataTimes.get(email)!;
    expect(times).toHaveLength(3);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(delays[0]! * 1000 - 20);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(delays[1]! * 1000 - 20);
    expect(smtp.deliveredTo(email)).toHaveLength(1);
    expect(smtp.transmissionsTo(email)).toHaveLength(1);
  });

  it('dead-letters an SMTP 550 at once, without a retry', async () => {
    const email = 'nobody@example.test';
    dataScripts.set(email, () => ({ code: 550, message: 'No such user here' }));
    const { event } = await bus.publishInvite({ email });
    const dead = await eventually(async () => (await bus.resultsFor(event.inviteId)).find((r) => r.type === 'delivery.dead'));
    expect(dead).toMatchObject({ attempt: 1, provider: 'smtp' });
    expect(dead.error).toMatch(/^550 /);
    expect(await resultTypes(event.inviteId)).toEqual(['delivery.dead#1']);
    expect(dataCounts.get(email)).toBe(1);
    expect(smtp.deliveredTo(email)).toHaveLength(0);
    const { deadLettersCommand } = await import('../src/dead-letters.command.ts');
    const listed = (await deadLettersCommand(['list'], notifierEnvFor())) as { deadLetters: { id: string; error: string; recipient: string }[] };
    expect(listed.deadLetters).toContainEqual(expect.objectContaining({ id: `${event.inviteId}.1.email`, recipient: email, error: expect.stringMatching(/^550 /) }));
  });

  it('treats a recipient rejected at RCPT TO as a failure: 550 dead, 450 retried', async () => {
    rcptScripts.set('rejected@example.test', () => ({ code: 550, message: 'Mailbox unavailable' }));
    rcptScripts.set('busy@example.test', (n) => (n === 1 ? { code: 450, message: 'Mailbox busy' } : undefined));
    const rejected = await bus.publishInvite({ email: 'rejected@example.test' });
    const busy = await bus.publishInvite({ email: 'busy@example.test' });
    await eventually(async () => (await resultTypes(rejected.event.inviteId)).includes('delivery.dead#1'));
    await eventually(async () => (await resultTypes(busy.event.inviteId)).includes('delivery.sent#2'));
    expect(await resultTypes(rejected.event.inviteId)).toEqual(['delivery.dead#1']);
    expect(await resultTypes(busy.event.inviteId)).toEqual(['delivery.failed#1', 'delivery.sent#2']);
    expect(smtp.rcptCount('rejected@example.test')).toBe(1);
    expect(smtp.deliveredTo('rejected@example.test')).toHaveLength(0);
    expect(smtp.deliveredTo('busy@example.test')).toHaveLength(1);
  });

  it('a connection dropped after DATA leaves at most one delivered copy', async () => {
    // The server kept the message, then the connection died before its reply: the
    // notifier cannot know, retries with the same Message-ID, and the mailbox keeps one.
    const kept = 'kept-then-dropped@example.test';
    dataScripts.set(kept, (n) => (n === 1 ? 'store-then-drop' : 'accept'));
    // The server died before keeping it: the retry is what delivers it.
    const lost = 'lost-then-dropped@example.test';
    dataScripts.set(lost, (n) => (n === 1 ? 'drop' : 'accept'));
    const a = await bus.publishInvite({ email: kept });
    const b = await bus.publishInvite({ email: lost });
    await eventually(async () => (await resultTypes(a.event.inviteId)).includes('delivery.sent#2'));
    await eventually(async () => (await resultTypes(b.event.inviteId)).includes('delivery.sent#2'));

    expect(smtp.deliveredTo(kept)).toHaveLength(1);
    expect(smtp.deliveredTo(lost)).toHaveLength(1);
    // Both transmissions of the ambiguous one carried the same Message-ID: a duplicate
    // that a mailbox recognises, never a second distinct message.
    const transmissions = smtp.transmissionsTo(kept);
    expect(new Set(transmissions.map((t) => t.messageId))).toEqual(new Set([`<${a.event.inviteId}.1.email@example.test>`]));
    const failed = (await bus.resultsFor(a.event.inviteId)).find((r) => r.type === 'delivery.failed');
    expect(failed?.error).toMatch(/ECONNECTION|closed/i);
  });

  it('never sends again once sent: a re-published event only repeats the result', async () => {
    const email = 'once@example.test';
    const first = await bus.publishInvite({ email });
    await eventually(async () => (await resultTypes(first.event.inviteId)).includes('delivery.sent#1'));
    // The reconciler re-publishes the same invite and version with a new event id…
    await bus.publishInvite({ email, inviteId: first.event.inviteId, redelivery: true });
    // …and then a resend brings token version 2: a new delivery, with its own Message-ID.
    await bus.publishInvite({ email, inviteId: first.event.inviteId, tokenVersion: 2, type: 'invite.resent' });
    await eventually(() => smtp.deliveredTo(email).length === 2, 20_000, 'the resend');
    await eventually(async () => (await bus.jsm.consumers.info(bus.names.inviteStream, bus.names.notifierConsumer)).num_ack_pending === 0, 20_000, 'all events acked');

    expect(smtp.transmissionsTo(email).map((t) => t.messageId)).toEqual([
      `<${first.event.inviteId}.1.email@example.test>`,
      `<${first.event.inviteId}.2.email@example.test>`,
    ]);
    const v1 = (await bus.resultsFor(first.event.inviteId)).filter((r) => r.tokenVersion === 1);
    // The re-published event repeated the sent result of attempt 1 (same msgID: JetStream dropped the copy).
    expect(v1.map((r) => `${r.type}#${r.attempt}`)).toEqual(['delivery.sent#1']);
  });
});

/** The env of this file's notifier, for the operator command. */
function notifierEnvFor(): Record<string, string> {
  return notifierEnv('email', { NATS_PREFIX: bus.names.inviteStream.replace(/_INVITES$/, '') });
}
