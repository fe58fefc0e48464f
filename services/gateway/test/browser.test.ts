import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeSentFor, email, emailedProof, orgWithOwner, password, resetTokenSentTo, tokenOf, type OrgWithOwner } from '../../invites/test/harness.ts';
import { startTestGateway, type TestGateway } from './harness.ts';

/**
 * The accept page in a real browser (Debian's chromium driven by playwright-core)
 * against a real gateway, invites service, PostgreSQL and NATS. Screenshots land in
 * artifacts/screenshots/.
 */
const shots = 'artifacts/screenshots';
const axeSource = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

let g: TestGateway;
let base: string;
let org: OrgWithOwner;
let browser: Browser;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  g = await startTestGateway('browser', { APP_BASE_URL: base, GATEWAY_PORT: String(port) }, { APP_BASE_URL: base });
  await g.app.listen({ host: '127.0.0.1', port });
  org = await orgWithOwner(g.invites, 10, 'Acme <Rockets> & Co');
  await mkdir(shots, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  await g?.close();
});

async function invite(who: string, message?: string): Promise<string> {
  const response = await g.app.inject({
    method: 'POST',
    url: `/v1/orgs/${org.orgId}/invites`,
    headers: { authorization: `Bearer ${org.owner.accessToken}` },
    payload: { email: who, role: 'member', ...(message ? { message } : {}) },
  });
  expect(response.statusCode).toBe(201);
  return response.json<{ acceptUrl: string }>().acceptUrl;
}

/** The link as the invitation email carries it: with the address proof. */
function emailed(acceptUrl: string): string {
  return `${acceptUrl}&proof=${emailedProof(tokenOf(acceptUrl))}`;
}

async function openPage(url: string, width = 1280): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: 900 }, bypassCSP: false });
  const page = await context.newPage();
  const violations: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') violations.push(message.text());
  });
  await page.goto(url);
  return page;
}

/** axe-core inside a page that shows its content at once: no serious or critical accessibility violation. */
async function expectAccessibleNow(page: Page): Promise<void> {
  await page.context().addInitScript({ path: axeSource });
  await page.reload();
  const results = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string }[] }> } }).axe;
    return (await axe.run()).violations.map((v) => ({ id: v.id, impact: v.impact }));
  });
  expect(results.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
}

/** axe-core inside the page: no serious or critical accessibility violation. */
async function expectAccessible(page: Page): Promise<void> {
  // The page's CSP forbids inline scripts, so axe is added through a fresh isolated world.
  await page.context().addInitScript({ path: axeSource });
  await page.reload();
  await expect.poll(() => page.locator('#status').textContent()).not.toBe('Checking your invitation…');
  const results = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string }[] }> } }).axe;
    return (await axe.run()).violations.map((v) => ({ id: v.id, impact: v.impact }));
  });
  expect(results.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
}

async function membersEmails(): Promise<string[]> {
  const response = await g.app.inject({
    method: 'GET',
    url: `/v1/orgs/${org.orgId}/members?limit=100`,
    headers: { authorization: `Bearer ${org.owner.accessToken}` },
  });
  return response.json<{ items: { user: { email: string } }[] }>().items.map((m) => m.user.email);
}

describe('the accept page', () => {
  it('shows the invite, creates an account and joins the organisation', async () => {
    const who = email('browser');
    const url = await invite(who, 'See you <script>alert(1)</script> soon');
    expect(url.startsWith(`${base}/invite#token=`)).toBe(true);
    const page = await openPage(emailed(url));
    await expect.poll(() => page.locator('#org-name').textContent()).toBe('Acme <Rockets> & Co');
    expect(await page.locator('#message').textContent()).toBe('See you <script>alert(1)</script> soon');
    expect(await page.locator('#inviter-name').textContent()).toBe('Olivia Owner');
    expect(await page.locator('#email').textContent()).toBe(who);
    await page.screenshot({ path: `${shots}/accept-form.png`, fullPage: true });

    const form = page.locator('#signup');
    await form.getByLabel('Your name').fill('Browser Person');
    await form.getByLabel('Username').fill(`browser${Date.now()}`);
    await form.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Accept and create account' }).click();
    await expect.poll(() => page.locator('#done-message').textContent()).toContain('You are now a member of Acme <Rockets> & Co');
    // The way on: the console, where the new member signs in.
    expect(await page.locator('#done-next a').getAttribute('href')).toBe('/console');
    expect(await page.locator('#done-next').textContent()).toBe('Open the console to see your organisation.');
    await page.screenshot({ path: `${shots}/accept-done.png`, fullPage: true });
    expect(await membersEmails()).toContain(who);
    await page.context().close();
  });

  it('points out a too-short password next to the field and changes nothing', async () => {
    const who = email('short');
    const page = await openPage(emailed(await invite(who)), 390);
    const form = page.locator('#signup');
    await form.getByLabel('Your name').fill('Short Password');
    await form.getByLabel('Username').fill(`short${Date.now()}`);
    await form.getByLabel('Password').fill('tooshort');
    await page.getByRole('button', { name: 'Accept and create account' }).click();
    await expect.poll(() => page.locator('#password-error').textContent()).toContain('Password');
    expect(await form.getByLabel('Password').getAttribute('aria-invalid')).toBe('true');
    await page.screenshot({ path: `${shots}/accept-phone-error.png`, fullPage: true });
    expect(await membersEmails()).not.toContain(who);
    await page.context().close();
  });

  it('lets an existing account sign in and accept, from any copy of the link', async () => {
    const member = await g.invites.client.call('auth.login', { email: org.ownerEmail, password });
    // A second org's owner already has an account: invite that account here.
    const other = await orgWithOwner(g.invites, 5, 'Other Org');
    // The link the inviter got: the page cannot tell whether the address has an account, so it offers both.
    const page = await openPage(await invite(other.ownerEmail));
    await expect.poll(() => page.locator('#signin').isVisible()).toBe(true);
    expect(await page.locator('#newaccount').isVisible()).toBe(true);
    expect(await page.locator('#signup').isVisible()).toBe(false);
    expect(await page.locator('#signin-lead').textContent()).toBe('Already have an account?');
    const form = page.locator('#signin');
    await form.getByLabel('Password').fill(password);
    expect(await page.locator('#signin-email').textContent()).toBe(other.ownerEmail);
    await page.getByRole('button', { name: 'Sign in and accept' }).click();
    await expect.poll(() => page.locator('#done-message').textContent()).toContain('Welcome back');
    expect(await membersEmails()).toContain(other.ownerEmail);
    expect(member.user.email).toBe(org.ownerEmail);
    await page.context().close();
  });

  it('with the emailed link, tells an existing account to sign in', async () => {
    const other = await orgWithOwner(g.invites, 5, 'Third Org');
    const page = await openPage(emailed(await invite(other.ownerEmail)));
    await expect.poll(() => page.locator('#signin-lead').textContent()).toBe('An account already exists for this address.');
    expect(await page.locator('#newaccount').isVisible()).toBe(false);
    expect(await page.locator('#signup').isVisible()).toBe(false);
    await page.context().close();
  });

  it('without the address proof, creates an account only after a code emailed to the address', async () => {
    const who = email('coded');
    const url = await invite(who);
    const [row] = await g.invites.sql<{ id: string }>(`select id from invites where email = ?`, [who]);
    const page = await openPage(url, 390);
    await expect.poll(() => page.locator('#newaccount').isVisible()).toBe(true);
    expect(await page.locator('#code-email').textContent()).toBe(who);
    await page.screenshot({ path: `${shots}/accept-unproven.png`, fullPage: true });
    await page.getByRole('button', { name: 'Email me a code' }).click();
    await expect.poll(() => page.locator('#code').isVisible()).toBe(true);
    expect(await page.locator('#code-sent').textContent()).toContain(who);

    const code = await codeSentFor(g.invites, row!.id);
    const input = page.getByLabel('Code from the email');
    await input.fill(code === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => page.locator('#status').textContent()).toContain('not the code we sent');
    expect(await input.getAttribute('aria-invalid')).toBe('true');
    await page.screenshot({ path: `${shots}/accept-code-wrong.png`, fullPage: true });

    await input.fill(code);
    await page.getByRole('button', { name: 'Confirm' }).click();
    const form = page.locator('#signup');
    await expect.poll(() => form.isVisible()).toBe(true);
    await form.getByLabel('Your name').fill('Coded Person');
    await form.getByLabel('Username').fill(`coded${Date.now()}`);
    await form.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Accept and create account' }).click();
    await expect.poll(() => page.locator('#done-message').textContent()).toContain('You are now a member of Acme <Rockets> & Co');
    expect(await membersEmails()).toContain(who);
    await page.context().close();
  });

  it('declines', async () => {
    const who = email('decline');
    const page = await openPage(await invite(who));
    // Asked on the page, not with the browser's confirm(); "Keep the invitation" goes back.
    page.on('dialog', () => {
      throw new Error('the page opened a browser dialog');
    });
    await page.getByRole('button', { name: 'Decline' }).first().click();
    await page.getByRole('button', { name: 'Keep the invitation' }).click();
    expect(await page.locator('#decline-confirm').isVisible()).toBe(false);
    await page.getByRole('button', { name: 'Decline' }).first().click();
    expect(await page.locator('#decline-title').textContent()).toBe('Decline this invitation?');
    await page.getByRole('button', { name: 'Yes, decline' }).click();
    await expect.poll(() => page.locator('#done-message').textContent()).toContain('You declined');
    await page.screenshot({ path: `${shots}/decline-done.png`, fullPage: true });
    const [row] = await g.invites.sql<{ status: string }>(`select status from invites where email = ?`, [who]);
    expect(row?.status).toBe('declined');
    expect(await membersEmails()).not.toContain(who);
    await page.context().close();
  });

  it('explains an expired link', async () => {
    const who = email('expired');
    const url = await invite(who);
    await g.invites.sql(`update invites set expires_at = now() - interval '1 minute' where email = ?`, [who]);
    const page = await openPage(url, 390);
    await expect.poll(() => page.locator('#done-message').textContent()).toContain('This invite has expired');
    // Said once, as an alert, with the way in for someone who already joined.
    expect(await page.locator('#done-message').getAttribute('role')).toBe('alert');
    expect(await page.locator('#status').isVisible()).toBe(false);
    expect(await page.getByText('This invite has expired').count()).toBe(1);
    expect(await page.locator('#done-next').textContent()).toBe('Already a member? Sign in to the console.');
    await page.screenshot({ path: `${shots}/expired.png`, fullPage: true });
    await page.context().close();
  });

  it('explains a withdrawn link and a link that is not valid', async () => {
    const who = email('withdrawn');
    const url = await invite(who);
    const [row] = await g.invites.sql<{ id: string }>(`select id from invites where email = ?`, [who]);
    await g.app.inject({ method: 'DELETE', url: `/v1/orgs/${org.orgId}/invites/${row!.id}`, headers: { authorization: `Bearer ${org.owner.accessToken}` } });
    const page = await openPage(url);
    await expect.poll(() => page.locator('#done-message').textContent()).toContain('withdrawn');
    await page.goto(`${base}/invite#token=${'A'.repeat(43)}`);
    await page.reload();
    await expect.poll(() => page.locator('#done-message').textContent()).toContain('not valid');
    await page.context().close();
  });

  it('has no serious accessibility violations', async () => {
    for (const url of [`${base}/reset-password`, `${base}/reset-password#token=${'B'.repeat(43)}`]) {
      const page = await openPage(url);
      await expectAccessibleNow(page);
      await page.context().close();
    }
    for (const url of [emailed(await invite(email('axe'))), await invite(email('axe-unproven'))]) {
      const page = await openPage(url);
      await expectAccessible(page);
      await page.context().close();
    }
  });
});

describe('the password reset page', () => {
  it('asks for a link, then sets the new password with it', async () => {
    const account = await orgWithOwner(g.invites, 2, 'Reset Org');
    const page = await openPage(`${base}/reset-password`, 390);
    await page.getByLabel('Email').fill(account.ownerEmail);
    await page.getByRole('button', { name: 'Email me a link' }).click();
    await expect.poll(() => page.locator('#done-message').textContent()).toContain(`If ${account.ownerEmail} has an account, we sent it a link`);
    await page.screenshot({ path: `${shots}/reset-requested.png`, fullPage: true });

    const token = await resetTokenSentTo(g.invites, account.ownerEmail);
    await page.goto(`${base}/reset-password#token=${token}`);
    await page.reload();
    const field = page.getByLabel('New password', { exact: true });
    await field.fill('Password1234');
    await page.getByRole('button', { name: 'Save the new password' }).click();
    await expect.poll(() => page.locator('#password-error').textContent()).toContain('commonly used');
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    await page.screenshot({ path: `${shots}/reset-weak.png`, fullPage: true });

    await field.fill('lantern over the quiet harbour');
    await page.getByRole('button', { name: 'Save the new password' }).click();
    await expect.poll(() => page.locator('#done-message').textContent()).toContain('Your password is changed');
    expect(await page.getByRole('link', { name: 'Sign in' }).getAttribute('href')).toBe('/console');
    await page.screenshot({ path: `${shots}/reset-done.png`, fullPage: true });
    const login = await g.invites.client.call('auth.login', { email: account.ownerEmail, password: 'lantern over the quiet harbour' });
    expect(login.user.email).toBe(account.ownerEmail);

    // The link worked once: opened again, the page asks for a new one.
    await page.reload();
    await field.fill('another long passphrase here');
    await page.getByRole('button', { name: 'Save the new password' }).click();
    await expect.poll(() => page.locator('#status').textContent()).toContain('does not work any more');
    expect(await page.locator('#request').isVisible()).toBe(true);
    expect(password).not.toBe('lantern over the quiet harbour');
    await page.context().close();
  });
});
