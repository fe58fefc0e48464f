import { afterAll, describe, expect, it } from 'vitest';
import type { NotifierApp } from '../src/app.ts';
import { loadNotifierConfig, parseMailbox } from '../src/config.ts';
import { createTestBus, eventually, notifierEnv, startTestNotifier, type TestBus } from './support/harness.ts';
import { startSmtpMailbox, type SmtpMailbox } from './support/smtp-mailbox.ts';

/** SMTP_FROM takes any single RFC 5322 mailbox, as mail clients and nodemailer write it. */
describe('SMTP_FROM', () => {
  it.each([
    ['invites@acme.example', { address: 'invites@acme.example', name: '' }],
    ['Acme Invites <invites@acme.example>', { address: 'invites@acme.example', name: 'Acme Invites' }],
    ['"Acme, Inc." <invites@acme.example>', { address: 'invites@acme.example', name: 'Acme, Inc.' }],
    ['  Ünïcode Sender <no-reply@mail.acme.example>  ', { address: 'no-reply@mail.acme.example', name: 'Ünïcode Sender' }],
    ['<invites@localhost>', { address: 'invites@localhost', name: '' }],
  ])('accepts %s', (value, mailbox) => {
    expect(parseMailbox(value)).toEqual(mailbox);
    const config = loadNotifierConfig(notifierEnv('config', { SMTP_FROM: value }));
    expect(config.SMTP_FROM).toBe(mailbox.address);
    expect(config.SMTP_FROM_NAME).toBe(mailbox.name);
  });

  it.each(['not an email', 'Acme <>', 'a@acme.example, b@acme.example', 'Team: a@acme.example;', 'Acme <invites@>', 'invites@acme..example'])(
    'refuses %j with the forms it accepts',
    (value) => {
      expect(() => loadNotifierConfig(notifierEnv('config', { SMTP_FROM: value }))).toThrow(
        `SMTP_FROM: ${JSON.stringify(value)} is not one mailbox. Write an address, invites@acme.example, or a name and an address, Acme Invites <invites@acme.example>`,
      );
    },
  );
});

describe('a notifier whose SMTP_FROM has a display name', () => {
  let smtp: SmtpMailbox | undefined;
  let app: NotifierApp | undefined;
  let bus: TestBus | undefined;
  afterAll(async () => {
    await app?.stop();
    await bus?.close();
    await smtp?.close();
  });

  it('sends from the address, with Message-IDs of its domain', async () => {
    smtp = await startSmtpMailbox();
    const started = await startTestNotifier(notifierEnv('fromname', { SMTP_URL: smtp.url, SMTP_FROM: 'Acme Invites <invites@acme.example>' }));
    app = started.app;
    bus = await createTestBus(started.config);
    const to = 'named.from@example.test';
    const { event } = await bus.publishInvite({ email: to, orgName: 'Acme' });
    const mail = (await eventually(() => smtp!.deliveredTo(to)[0], 20_000, 'the email')).parsed;
    expect(mail.from?.value[0]?.address).toBe('invites@acme.example');
    expect(mail.messageId).toBe(`<${event.inviteId}.1.email@acme.example>`);
  });
});
