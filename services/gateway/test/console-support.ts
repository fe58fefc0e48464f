import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { notifierEnv, startTestNotifier } from '../../notifier/test/support/harness.ts';
import { startSmtpMailbox, type SmtpMailbox } from '../../notifier/test/support/smtp-mailbox.ts';
import { orgWithOwner, password, type OrgWithOwner } from '../../invites/test/harness.ts';
import { startTestGateway, type TestGateway } from './harness.ts';

/**
 * The console's browser tests: a real gateway (on a real port), the invites service,
 * the notifier in this process on the same NATS prefix with a real SMTP server behind
 * it, and Debian's chromium driven by playwright-core. axe-core is added to every page
 * through an init script (the console's CSP forbids inline scripts).
 */
export const shots = 'artifacts/screenshots';
const axeSource = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

const pageErrors = new WeakMap<Page, string[]>();

/** Closes the page's context after checking that no script failed and the CSP refused nothing. */
export async function closePage(page: Page): Promise<void> {
  expect(pageErrors.get(page) ?? [], 'script errors or CSP violations').toEqual([]);
  await page.context().close();
}

export interface ConsoleStack {
  g: TestGateway;
  base: string;
  org: OrgWithOwner;
  smtp: SmtpMailbox;
  browser: Browser;
  /** A fresh browser context (its own sessionStorage) at `width`, on /console. */
  open(width?: number): Promise<Page>;
  /** Opens the console and signs in as the org's owner; `before` runs first (e.g. to set up routes). */
  signIn(width?: number, before?: (page: Page) => Promise<void>): Promise<Page>;
  /** An API call as the owner, through the real port. */
  api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

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

export async function startConsoleStack(label: string, seats = 50, invitesEnv: Record<string, string> = {}): Promise<ConsoleStack> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // Rate limits off: every context signs in from 127.0.0.1.
  const g = await startTestGateway(label, { APP_BASE_URL: base, GATEWAY_PORT: String(port), RATE_LIMIT: 'off' }, { APP_BASE_URL: base, ...invitesEnv });
  await g.app.listen({ host: '127.0.0.1', port });
  const smtp = await startSmtpMailbox();
  const { app: notifier } = await startTestNotifier(
    notifierEnv(label, {
      NATS_PREFIX: g.config.NATS_PREFIX,
      APP_BASE_URL: base,
      TOKEN_ENCRYPTION_KEY: g.invites.config.TOKEN_ENCRYPTION_KEY,
      SMTP_URL: smtp.url,
      LOG_LEVEL: 'error',
    }),
  );
  const org = await orgWithOwner(g.invites, seats, 'Acme Rockets');
  await mkdir(shots, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const contexts: BrowserContext[] = [];

  const open = async (width = 1280) => {
    const context = await browser.newContext({ viewport: { width, height: width < 600 ? 844 : 900 }, deviceScaleFactor: 1, hasTouch: width < 600 });
    contexts.push(context);
    await context.addInitScript({ path: axeSource });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) errors.push(`csp: ${message.text()}`);
    });
    pageErrors.set(page, errors);
    await page.goto(`${base}/console`);
    return page;
  };

  return {
    g,
    base,
    org,
    smtp,
    browser,
    open,
    async signIn(width = 1280, before?: (page: Page) => Promise<void>) {
      const page = await open(width);
      await before?.(page);
      await page.getByLabel('Email').fill(org.ownerEmail);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('#session').waitFor({ state: 'visible' });
      return page;
    },
    async api<T>(method: string, path: string, body?: unknown) {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${org.owner.accessToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => {});
      await browser.close();
      await notifier.stop();
      await g.close();
      const { destroyStores } = await import('../../notifier/src/stores.ts');
      const { connect } = await import('@nats-io/transport-node');
      const nc = await connect({ servers: g.config.NATS_URL });
      await destroyStores(nc, g.config.NATS_PREFIX);
      await nc.drain();
      await smtp.close();
    },
  };
}

/** axe-core inside the page: no serious or critical accessibility violation. */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  const results = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(context?: unknown): Promise<{ violations: { id: string; impact: string; nodes: { target: unknown }[] }[] }> } }).axe;
    return (await axe.run()).violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => JSON.stringify(n.target)).slice(0, 3) }));
  });
  expect(results.filter((v) => v.impact === 'serious' || v.impact === 'critical'), what).toEqual([]);
}

/** Screenshots of the whole page. */
export async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
}

/** Goes to a console page by its navigation link and waits for its heading. */
export async function go(page: Page, link: string, heading: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: link }).click();
  await expect.poll(() => page.locator('main h1').textContent()).toBe(heading);
}
