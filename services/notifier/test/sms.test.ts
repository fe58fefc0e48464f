import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotifierApp } from '../src/app.ts';
import { createTestBus, eventually, notifierEnv, startTestNotifier, type TestBus } from './support/harness.ts';
import { startSmtpMailbox, type SmtpMailbox } from './support/smtp-mailbox.ts';
import { startTwilioServer, type CreateVerdict, type TwilioServer } from './support/twilio-server.ts';

/** SMS through the twilio client, pointed at a local server that speaks Twilio's Messages API. */
const createScripts = new Map<string, (n: number) => CreateVerdict>();
const createCounts = new Map<string, number>();

let twilio: TwilioServer;
let smtp: SmtpMailbox;
let bus: TestBus;
let app: NotifierApp;

beforeAll(async () => {
  twilio = await startTwilioServer({
    create: (_count, to) => {
      const n = (createCounts.get(to) ?? 0) + 1;
      createCounts.set(to, n);
      return createScripts.get(to)?.(n) ?? 'create';
    },
  });
  smtp = await startSmtpMailbox();
  const started = await startTestNotifier(
    notifierEnv('sms', {
      SMTP_URL: smtp.url,
      TWILIO_ACCOUNT_SID: 'AC0123456789abcdef0123456789abcdef',
      TWILIO_AUTH_TOKEN: 'test-auth-token',
      TWILIO_FROM: '+15005550006',
      TWILIO_API_BASE_URL: twilio.baseUrl,
    }),
  );
  app = started.app;
  bus = await createTestBus(started.config);
});

afterAll(async () => {
  await app?.stop();
  await bus?.close();
  await twilio?.close();
  await smtp?.close();
});

const smsResults = async (inviteId: string) => (await bus.resultsFor(inviteId, 'sms')).map((r) => `${r.type}#${r.attempt}`);

describe('SMS delivery', () => {
  it('sends one SMS with the accept link, and the email beside it', async () => {
    const phone = '+447700900001';
    const { event, link, emailLink } = await bus.publishInvite({ email: 'both@example.test', phone, channels: ['email', 'sms'], orgName: 'Acme\nLtd' });
    await eventually(async () => (await smsResults(event.inviteId)).includes('delivery.sent#1'));
    await eventually(() => smtp.deliveredTo('both@example.test').length === 1);

    const posts = twilio.creates().filter((r) => r.form.get('To') === phone);
    expect(posts).toHaveLength(1);
    expect(posts[0]!.path).toBe('/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json');
    expect(posts[0]!.auth).toBe(`Basic ${Buffer.from('AC0123456789abcdef0123456789abcdef:test-auth-token').toString('base64')}`);
    expect(posts[0]!.form.get('From')).toBe('+15005550006');
    expect(posts[0]!.form.get('Body')).toBe(`Acme Ltd: you are invited to join as a member. Accept: ${link}`);
    // A phone proves no email address: only the emailed link carries the address proof.
    expect(smtp.deliveredTo('both@example.test')[0]!.parsed.text).toContain(emailLink);
    const sent = (await bus.resultsFor(event.inviteId, 'sms')).find((r) => r.type === 'delivery.sent');
    expect(sent).toMatchObject({ provider: 'twilio', providerMessageId: twilio.messagesTo(phone)[0]!.sid });
  });

  it('retries a Twilio 429 and then sends once', async () => {
    const phone = '+447700900002';
    createScripts.set(phone, (n) => (n === 1 ? { status: 429, code: 20429, message: 'Too Many Requests' } : 'create'));
    const { event } = await bus.publishInvite({ phone, channels: ['sms'] });
    await eventually(async () => (await smsResults(event.inviteId)).includes('delivery.sent#2'));
    expect(await smsResults(event.inviteId)).toEqual(['delivery.failed#1', 'delivery.sent#2']);
    expect(twilio.messagesTo(phone)).toHaveLength(1);
  });

  it('dead-letters error 21211 (invalid number) without a retry', async () => {
    const phone = '+447700900003';
    createScripts.set(phone, () => ({ status: 400, code: 21211, message: "The 'To' number is not a valid phone number." }));
    const { event } = await bus.publishInvite({ phone, channels: ['sms'] });
    const dead = await eventually(async () => (await bus.resultsFor(event.inviteId, 'sms')).find((r) => r.type === 'delivery.dead'));
    expect(dead.error).toMatch(/21211/);
    expect(await smsResults(event.inviteId)).toEqual(['delivery.dead#1']);
    expect(createCounts.get(phone)).toBe(1);
  });

  it('after a 5xx on create, finds the message that was created and does not send it again', async () => {
    const phone = '+447700900004';
    createScripts.set(phone, (n) => (n === 1 ? 'create-then-500' : 'create'));
    const { event } = await bus.publishInvite({ phone, channels: ['sms'] });
    await eventually(async () => (await smsResults(event.inviteId)).includes('delivery.sent#2'));
    expect(await smsResults(event.inviteId)).toEqual(['delivery.failed#1', 'delivery.sent#2']);
    // One create only: the second attempt looked the first message up (GET) instead.
    expect(createCounts.get(phone)).toBe(1);
    expect(twilio.messagesTo(phone)).toHaveLength(1);
    expect(twilio.requests.some((r) => r.method === 'GET' && r.form.get('To') === phone)).toBe(true);
    const sent = (await bus.resultsFor(event.inviteId, 'sms')).find((r) => r.type === 'delivery.sent');
    expect(sent?.providerMessageId).toBe(twilio.messagesTo(phone)[0]!.sid);
  });

  it('after a 5xx on create that created nothing, sends on the next attempt', async () => {
    const phone = '+447700900005';
    createScripts.set(phone, (n) => (n === 1 ? { status: 503, code: 20503, message: 'Service Unavailable' } : 'create'));
    const { event } = await bus.publishInvite({ phone, channels: ['sms'] });
    await eventually(async () => (await smsResults(event.inviteId)).includes('delivery.sent#2'));
    expect(createCounts.get(phone)).toBe(2);
    expect(twilio.messagesTo(phone)).toHaveLength(1);
  });
});
