import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealedAs, type JoinLinkList, type JoinLinkWithUrl, type JoinAddressCodeEvent } from '@invite/contracts';
import { email, orgWithOwner, password } from '../../invites/test/harness.ts';
import { closePage, expectAccessible, go, shoot, startConsoleStack, type ConsoleStack } from './console-support.ts';

/**
 * Join links in chromium against the real stack: the console's Join links page
 * (create and see the link once, pause, resume, revoke through the page's dialog) and
 * the join page (sign in and join, one click with a console session, a new account
 * after an emailed code, a revoked link). Screenshots at 1280 and 390 pixels wide land
 * in artifacts/screenshots/join-link-*.png.
 */
let stack: ConsoleStack;

beforeAll(async () => {
  stack = await startConsoleStack('joinbrowser', 20, { ADDRESS_CODE_COOLDOWN_SECONDS: '0' });
});
afterAll(() => stack?.close());

/** Polls with room for a page that signs in, looks up and joins (several round trips). */
const poll = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 10_000 });

const tokenOfJoin = (url: string) => new URLSearchParams(new URL(url).hash.slice(1)).get('token') ?? '';

async function createLink(body: Record<string, unknown>): Promise<JoinLinkWithUrl> {
  const { status, body: created } = await stack.api<JoinLinkWithUrl>('POST', `/v1/orgs/${stack.org.orgId}/join-links`, body);
  expect(status).toBe(201);
  return created;
}

/** Someone with an account (the owner of an org of their own), not a member of Acme Rockets. */
async function someone(name = 'Gina'): Promise<{ email: string }> {
  const home = await orgWithOwner(stack.g.invites, 2, `${name}'s Co`);
  return { email: home.ownerEmail };
}

describe('the console Join links page', () => {
  for (const width of [1280, 390]) {
    it(`creates a link and shows it once, pauses, resumes and revokes it (${width} px)`, async () => {
      const page = await stack.signIn(width);
      if (width < 600) await page.goto(`${stack.base}/console#/join-links`);
      else await go(page, 'Join links', 'Join links');
      await poll(() => page.locator('main h1').textContent()).toBe('Join links');
      await page.getByLabel('Name (optional)').fill(`Onboarding ${width}`);
      await page.getByLabel('They join as').selectOption('member');
      await page.getByLabel('Most people who may join (optional)').fill('3');
      await page.getByLabel('Only these email domains (optional)').fill('Example.test, acme.example');
      await page.getByRole('button', { name: 'Create link' }).click();

      const url = await page.locator('#join-link-url').inputValue();
      expect(url).toMatch(new RegExp(`^${stack.base}/join#token=[A-Za-z0-9_-]{43}$`));
      expect(await page.locator('#join-link-created').textContent()).toContain('it will not be shown again');
      await page.getByRole('button', { name: 'Copy link' }).click();
      // The page's own clipboard (the test's tsconfig has no DOM types, hence the shape).
      expect(await page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText())).toBe(url);

      const row = page.locator(`#join-links-table tbody tr`).filter({ hasText: `Onboarding ${width}` });
      await poll(() => row.getAttribute('data-state')).toBe('active');
      expect(await row.textContent()).toContain('0 of 3');
      expect(await row.textContent()).toContain('@example.test, @acme.example');
      await expectAccessible(page, `join links ${width}`);
      await shoot(page, `join-link-console-${width}`);
      // The list never holds the token.
      const { body } = await stack.api<JoinLinkList>('GET', `/v1/orgs/${stack.org.orgId}/join-links`);
      expect(JSON.stringify(body)).not.toContain(tokenOfJoin(url));

      await row.getByRole('button', { name: /^Pause/ }).click();
      await poll(() => row.getAttribute('data-state')).toBe('paused');
      await row.getByRole('button', { name: /^Resume/ }).click();
      await poll(() => row.getAttribute('data-state')).toBe('active');

      await row.getByRole('button', { name: /^Revoke/ }).click();
      const dialog = page.getByRole('dialog', { name: 'Revoke this join link?' });
      await dialog.waitFor({ state: 'visible' });
      await shoot(page, `join-link-console-revoke-${width}`);
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      expect(await row.getAttribute('data-state')).toBe('active');
      await row.getByRole('button', { name: /^Revoke/ }).click();
      await dialog.getByRole('button', { name: 'Revoke link' }).click();
      await poll(() => row.getAttribute('data-state')).toBe('revoked');
      expect(await row.getByRole('button').count()).toBe(0);
      await closePage(page);
    });
  }
});

describe('the join page', () => {
  for (const width of [1280, 390]) {
    it(`signs in with a username or email and joins (${width} px)`, async () => {
      const { url } = await createLink({ role: 'member', label: 'Onboarding', allowedDomains: ['example.test'] });
      const gina = await someone();
      const page = await stack.open(width);
      await page.goto(url);
      await poll(() => page.locator('h1').textContent()).toBe('Join Acme Rockets');
      expect(await page.locator('#domain-rule').textContent()).toBe('Only email addresses at example.test can join through this link.');
      expect(await page.locator('#label').textContent()).toBe('Onboarding');
      await expectAccessible(page, `join page ${width}`);
      await shoot(page, `join-link-page-${width}`);

      await page.getByLabel('Email or username').fill(gina.email);
      await page.locator('#signin-password').fill('not the password');
      await page.getByRole('button', { name: 'Sign in and join' }).click();
      await poll(() => page.locator('#status').textContent()).toMatch(/wrong/);
      await page.locator('#signin-password').fill(password);
      await page.getByRole('button', { name: 'Sign in and join' }).click();
      await poll(() => page.locator('#done-message').textContent()).toBe('Welcome, Olivia Owner! You are now a member of Acme Rockets.');
      await shoot(page, `join-link-joined-${width}`);
      // The session stays for the console in this tab.
      await page.getByRole('link', { name: 'Open the console' }).click();
      await page.locator('#session').waitFor({ state: 'visible' });
      await closePage(page);
    });
  }

  it('joins with one click when the tab has a console session; then says the person is a member', async () => {
    const { url } = await createLink({ role: 'admin', label: 'Leads' });
    const kim = await someone('Kim');
    const page = await stack.open(1280);
    await page.getByLabel('Email').fill(kim.email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#session').waitFor({ state: 'visible' });
    await page.goto(url);
    await page.locator('#signedin').waitFor({ state: 'visible' });
    expect(await page.locator('#signedin-email').textContent()).toBe(kim.email);
    await shoot(page, 'join-link-one-click-1280');
    await page.getByRole('button', { name: 'Join', exact: true }).click();
    await poll(() => page.locator('#done-message').textContent()).toMatch(/You are now an admin of Acme Rockets/);
    // The join kept the session in this tab: opening the link again says there is nothing to do.
    await page.reload();
    await poll(() => page.locator('#done-message').textContent()).toBe('You are already a member of Acme Rockets.');
    await closePage(page);
  });

  it('creates an account for an address proven by an emailed code (390 px)', async () => {
    const { joinLink, url } = await createLink({ role: 'member', label: 'Community' });
    const address = email('newcomer');
    const page = await stack.open(390);
    await page.goto(url);
    await page.getByLabel('Your email address').fill(address);
    await page.getByRole('button', { name: 'Email me a code' }).click();
    await page.locator('#code').waitFor({ state: 'visible' });
    const [row] = await stack.g.invites.sql<{ payload: JoinAddressCodeEvent }>(
      `select payload from outbox where payload->>'type' = 'join.address-code' and payload->>'email' = ? order by created_at desc limit 1`,
      [address],
    );
    const code = stack.g.invites.app.domain.cipher.decrypt(row!.payload.encryptedCode, sealedAs.joinAddressCode(joinLink.id, address));
    await page.getByLabel('Code from the email').fill(code);
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.locator('#signup').waitFor({ state: 'visible' });
    await page.getByLabel('Your name').fill('Nina Newcomer');
    await page.locator('#username').fill(`nina${Date.now()}`);
    await page.locator('#password').fill(password);
    await shoot(page, 'join-link-new-account-390');
    await page.getByRole('button', { name: 'Create account and join' }).click();
    await poll(() => page.locator('#done-message').textContent()).toBe('Welcome, Nina Newcomer! You are now a member of Acme Rockets.');
    await closePage(page);
  });

  it('a revoked link says so plainly', async () => {
    const { joinLink, url } = await createLink({ role: 'member' });
    expect((await stack.api('DELETE', `/v1/orgs/${stack.org.orgId}/join-links/${joinLink.id}`)).status).toBe(200);
    const page = await stack.open(390);
    await page.goto(url);
    await poll(() => page.locator('#done-message').textContent()).toMatch(/revoked/);
    expect(await page.locator('#done-message').getAttribute('role')).toBe('alert');
    await shoot(page, 'join-link-revoked-390');
    await closePage(page);
  });
});
