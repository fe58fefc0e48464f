import { createServer } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevMailboxEntry, InviteView, InviteWithLink } from '@invite/contracts';
import type { NotifierApp } from '../../notifier/src/app.ts';
import { eventually, notifierEnv, startTestNotifier } from '../../notifier/test/support/harness.ts';
import { email, orgWithOwner, type OrgWithOwner } from '../../invites/test/harness.ts';
import { shoot } from './console-support.ts';
import { startTestGateway, type TestGateway } from './harness.ts';

/**
 * The development mailbox: a notifier in development without SMTP_URL or TWILIO_*
 * keeps each email and SMS, and the gateway (in development only) shows them at
 * /dev/mailbox, where a newcomer opens the invite and its link in the browser.
 */
let g: TestGateway;
let notifier: NotifierApp;
let browser: Browser;
let base: string;
let org: OrgWithOwner;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  g = await startTestGateway('devmailbox', { NODE_ENV: 'development', APP_BASE_URL: base, RATE_LIMIT: 'off' }, { APP_BASE_URL: base });
  await g.app.listen({ host: '127.0.0.1', port });
  const env = notifierEnv('devmailbox', { NODE_ENV: 'development', NATS_PREFIX: g.invites.env.NATS_PREFIX, APP_BASE_URL: base, SMTP_FROM: 'Acme Invites <invites@acme.example>' });
  notifier = (await startTestNotifier(env)).app;
  org = await orgWithOwner(g.invites, 20, 'Mailbox Org');
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
  await notifier?.stop();
  await g?.close();
});

async function mailbox(): Promise<DevMailboxEntry[]> {
  return (await fetch(`${base}/dev/mailbox.json`)).json() as Promise<DevMailboxEntry[]>;
}

describe('the development mailbox', () => {
  it('keeps the email and the SMS of an invite, marks them sent, and shows them in the browser with a working link', async () => {
    const who = email('mailbox');
    const response = await fetch(`${base}/v1/orgs/${org.orgId}/invites`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${org.owner.accessToken}` },
      body: JSON.stringify({ email: who, phone: '+447700900123', role: 'member', channels: ['email', 'sms'] }),
    });
    expect(response.status).toBe(201);
    const created = (await response.json()) as InviteWithLink;
    const kept = await eventually(async () => {
      const mine = (await mailbox()).filter((m) => m.id.startsWith(created.invite.id));
      return mine.length === 2 ? mine : undefined;
    }, 20_000, 'both messages in the mailbox');
    const mail = kept.find((m) => m.channel === 'email')!;
    const sms = kept.find((m) => m.channel === 'sms')!;
    expect(mail).toMatchObject({ to: who, from: 'Olivia Owner via Mailbox Org <invites@acme.example>' });
    expect(mail.subject).toContain('Mailbox Org');
    expect(mail.html).toContain('<!doctype html>');
    expect(mail.link.startsWith(created.acceptUrl)).toBe(true);
    expect(sms).toMatchObject({ to: '+447700900123', html: '', subject: '' });
    expect(sms.text).toContain(sms.link);
    // Kept counts as sent, on both channels.
    await eventually(async () => {
      const view = (await (await fetch(`${base}/v1/orgs/${org.orgId}/invites/${created.invite.id}`, { headers: { authorization: `Bearer ${org.owner.accessToken}` } })).json()) as InviteView;
      return view.delivery.email.status === 'sent' && view.delivery.sms.status === 'sent';
    }, 20_000, 'both channels sent');

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    await page.goto(`${base}/dev/mailbox`);
    expect(await page.locator('h1').textContent()).toBe('Development mailbox');
    await shoot(page, 'dev-mailbox-1280');
    await page.locator('tr').filter({ hasText: who }).getByRole('link', { name: mail.subject }).click();
    await page.waitForURL(/\/dev\/mailbox\/.+/);
    expect(await page.locator('h1').textContent()).toBe(mail.subject);
    // The email's own HTML, in a frame that may run nothing.
    expect(await page.locator('iframe').getAttribute('sandbox')).toBe('');
    expect(await page.frameLocator('iframe').locator('body').textContent()).toContain('Mailbox Org');
    await shoot(page, 'dev-mailbox-message');
    await page.locator('#message-link').click();
    await page.waitForURL(/\/invite#token=/);
    await expect.poll(() => page.locator('main').textContent(), { timeout: 10_000 }).toContain('Mailbox Org');
    expect(errors).toEqual([]);
    await page.close();

    // On a phone: the list and a message fit the width (nothing to scroll sideways), the link wraps.
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, hasTouch: true });
    await phone.goto(`${base}/dev/mailbox`);
    await phone.locator('tr').filter({ hasText: who }).first().waitFor();
    const sideways = () => phone.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(Number(await sideways())).toBeLessThanOrEqual(0);
    await shoot(phone, 'dev-mailbox-390');
    await phone.locator('tr').filter({ hasText: who }).getByRole('link', { name: mail.subject }).click();
    await phone.waitForURL(/\/dev\/mailbox\/.+/);
    expect(Number(await sideways())).toBeLessThanOrEqual(0);
    await shoot(phone, 'dev-mailbox-message-390');
    await phone.close();
  });

  it('exists only in development', async () => {
    const other = await startTestGateway('devmailboxoff');
    try {
      expect((await other.app.inject({ method: 'GET', url: '/dev/mailbox' })).statusCode).toBe(404);
      expect((await other.app.inject({ method: 'GET', url: '/dev/mailbox.json' })).statusCode).toBe(404);
    } finally {
      await other.close();
    }
  });
});
