import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../notifier/test/support/harness.ts';
import { email } from '../../invites/test/harness.ts';
import type { ChannelsStatus, InvitePage, InviteView, InviteWithLink } from '@invite/contracts';
import { closePage, expectAccessible, go, shoot, startConsoleStack, type ConsoleStack } from './console-support.ts';

/**
 * The admin console in Debian's chromium against the real services: sign in, send an
 * invite and watch it reach "sent" (a real SMTP server behind the notifier) without a
 * reload, withdraw it from the list, and a 200-row CSV upload with 3 bad rows.
 * Screenshots at 1280 and 390 pixels wide land in artifacts/screenshots/.
 */
let stack: ConsoleStack;

beforeAll(async () => {
  stack = await startConsoleStack('console', 300);
});

afterAll(async () => {
  await stack?.close();
});

describe('the console', () => {
  it('serves the page with a strict policy and never caches it', async () => {
    const response = await fetch(`${stack.base}/console`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    const csp = response.headers.get('content-security-policy') ?? '';
    for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "img-src 'self' https: data:", "frame-ancestors 'none'"]) {
      expect(csp).toContain(directive);
    }
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    const html = await response.text();
    const script = /src="(\/console\/assets\/main-[A-Z0-9]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${stack.base}${script}`);
    expect(asset.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${stack.base}/console/assets/nope.js`)).status).toBe(404);
    // The site's root leads to the console, and the icon is served.
    const root = await fetch(`${stack.base}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/console');
    const icon = await fetch(`${stack.base}/favicon.svg`);
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    expect(await icon.text()).toMatch(/^<svg /);
    expect((await fetch(`${stack.base}/favicon.ico`, { redirect: 'manual' })).headers.get('location')).toBe('/favicon.svg');
    expect(html).toContain('<link rel="icon" href="/favicon.svg" type="image/svg+xml">');
  });

  it('signs in, keeps the session over a reload, and is accessible', async () => {
    const page = await stack.open();
    await expect.poll(() => page.locator('main h1').textContent()).toBe('Sign in to the invites console');
    // Signed out, the header shows none of the signed-in controls.
    expect(await page.locator('#session').isVisible()).toBe(false);
    await expectAccessible(page, 'sign-in page');
    await shoot(page, 'console-signin-desktop');

    await page.getByLabel('Email').fill(stack.org.ownerEmail);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#signin-status').textContent()).toBe('The email, username or password is wrong.');

    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('main h1').textContent()).toBe('Send an invite');
    expect(await page.locator('#org-select option:checked').textContent()).toContain('Acme Rockets');
    expect(await page.locator('#user-name').textContent()).toBe('Olivia Owner');

    // The refresh token in sessionStorage brings the session back after a reload.
    await page.reload();
    await expect.poll(() => page.locator('main h1').textContent()).toBe('Send an invite');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => page.locator('main h1').textContent()).toBe('Sign in to the invites console');
    await page.reload();
    await expect.poll(() => page.locator('main h1').textContent()).toBe('Sign in to the invites console');
    await closePage(page);
  });

  it('refreshes an expired access token once and carries on', async () => {
    const refreshes: string[] = [];
    let refused = 0;
    const page = await stack.signIn(1280, async (p) => {
      p.on('request', (request) => {
        if (request.url().endsWith('/v1/auth/refresh')) refreshes.push(request.url());
      });
      // The first members request meets an expired token, as after 15 idle minutes.
      await p.route(
        (url) => url.pathname.endsWith('/members'),
        async (route) => {
          if (refused++ > 0) return route.continue();
          const problem = { type: 'about:blank', title: 'Unauthorized', status: 401, code: 'UNAUTHENTICATED', detail: 'The access token has expired' };
          return route.fulfill({ status: 401, contentType: 'application/problem+json', body: JSON.stringify(problem) });
        },
      );
    });
    await go(page, 'Members', 'Members');
    await expect.poll(() => page.locator('main tbody tr').count()).toBeGreaterThan(0);
    expect(refused).toBe(2);
    expect(refreshes).toHaveLength(1);
    await closePage(page);
  });

  it('falls back to polling while live events are unavailable, and still shows "sent" without a reload', async () => {
    const page = await stack.signIn(1280, async (p) => {
      const problem = { type: 'about:blank', title: 'Not Found', status: 404, code: 'NOT_FOUND', detail: 'No route GET /v1/orgs/…/events' };
      await p.route('**/events', (route) => route.fulfill({ status: 404, contentType: 'application/problem+json', body: JSON.stringify(problem) }));
    });
    await expect.poll(() => page.locator('#live-state').getAttribute('data-mode')).toBe('polling');
    const who = email('polling');
    await page.locator('#invite-email').fill(who);
    await page.getByRole('button', { name: 'Send invite' }).click();
    const card = page.locator('#sent-invites li.card').filter({ hasText: who });
    await expect.poll(() => card.locator('[data-channel="email"] .badge').textContent(), { timeout: 30_000 }).toBe('Sent');
    expect(await page.locator('#live-state').textContent()).toBe('Refreshing every few seconds');
    await closePage(page);
  });

  it('sends an invite, shows its link once, and watches it reach "sent" without a reload', async () => {
    const page = await stack.signIn();
    await page.evaluate("window.marker = 'same page'");
    const who = email('console');
    await page.locator('#invite-email').fill(who);
    await page.getByLabel('Personal message (optional)').fill('Welcome aboard <b>friend</b>');
    await page.getByRole('button', { name: 'Send invite' }).click();

    const link = page.locator('.link-panel input');
    await expect.poll(() => link.inputValue()).toMatch(new RegExp(`^${stack.base}/invite#token=[A-Za-z0-9_-]{43}$`));
    const acceptUrl = await link.inputValue();
    await page.getByRole('button', { name: 'Copy link' }).click();
    await expect.poll(() => page.locator('.link-panel [role="status"]').textContent()).toMatch(/Copied|Select the link/);

    const card = page.locator(`#sent-invites li.card`).filter({ hasText: who });
    const emailState = card.locator('[data-channel="email"] .badge');
    // It starts queued (or is already sent), then turns "Sent" by itself.
    expect(['Queued', 'Sent']).toContain(await emailState.textContent());
    await expect.poll(() => emailState.textContent(), { timeout: 30_000 }).toBe('Sent');
    expect(await card.locator('[data-step="invite"] .badge').textContent()).toBe('Pending');
    expect(await page.evaluate('window.marker')).toBe('same page');

    const [mail] = await eventually(() => (stack.smtp.deliveredTo(who).length ? stack.smtp.deliveredTo(who) : undefined), 10_000, 'the email');
    expect(mail!.parsed.text).toContain(acceptUrl);
    await expect.poll(() => page.locator('#announcer').textContent()).toContain('Email sent');
    await expectAccessible(page, 'send page');
    await shoot(page, 'console-send-desktop');
    await closePage(page);
  });

  it('offers only the channels this deployment can send on, and says why a delivery was not sent', async () => {
    // This stack's notifier has SMTP and no Twilio.
    const channels = await stack.api<ChannelsStatus>('GET', '/v1/channels');
    expect(channels.body).toMatchObject({ email: { available: true, provider: 'smtp', reason: null }, sms: { available: false, provider: 'none' } });
    expect(channels.body.sms.reason).toContain('TWILIO_');
    expect(channels.body.updatedAt).not.toBeNull();

    const page = await stack.signIn();
    await go(page, 'Send invite', 'Send an invite');
    await expect.poll(() => page.locator('#channel-hint').textContent()).toMatch(/^SMS cannot be sent here: SMS is not configured/);
    expect(await page.locator('#channel-sms').isDisabled()).toBe(true);
    // Typing a phone number does not tick a channel that cannot send.
    await page.locator('#invite-phone').fill('+447700900123');
    expect(await page.locator('#channel-sms').isChecked()).toBe(false);

    // An invite that asked for SMS over the API: its SMS is "Not sent", with the reason.
    const created = await stack.api<InviteWithLink>('POST', `/v1/orgs/${stack.org.orgId}/invites`, { email: email('nosms'), phone: '+447700900124', role: 'member', channels: ['email', 'sms'] });
    expect(created.status).toBe(201);
    await go(page, 'Invites', 'Invites');
    const sms = page.locator(`tr[data-invite-id="${created.body.invite.id}"] [data-label="SMS"]`);
    await expect.poll(() => sms.textContent(), { timeout: 20_000 }).toMatch(/^Not sent SMS is not configured/);
    await closePage(page);
  });

  it('creates a link-only invite with "Copy link only": the link shows, nothing is sent, the card and the list say so', async () => {
    const page = await stack.signIn();
    const who = email('linkonly');
    // A field's sentence names the field, not its label's "(optional)".
    await page.locator('#invite-email').fill(who);
    await page.locator('#invite-phone').fill('12345');
    await page.getByRole('button', { name: 'Send invite' }).click();
    await expect.poll(() => page.locator('#invite-phone-error').textContent()).toBe('Phone must be + and 7 to 15 digits, e.g. +447700900123.');
    await page.locator('#invite-phone').fill('');
    await page.getByLabel('Copy link only').check();
    expect(await page.locator('#channel-email').isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Create link' }).click();
    const link = page.locator('.link-panel input');
    await expect.poll(() => link.inputValue()).toMatch(new RegExp(`^${stack.base}/invite#token=[A-Za-z0-9_-]{43}$`));
    expect(await page.locator('#send-status').textContent()).toBe(`Link created for ${who}: nothing was sent, share it yourself.`);
    const card = page.locator('#sent-invites li.card').filter({ hasText: who });
    expect(await card.locator('[data-channel="none"]').textContent()).toBe('Link only: nothing is sent; share the link yourself.');
    expect(await card.locator('[data-channel="email"]').count()).toBe(0);
    // The form is ready for the next invite, by email again.
    expect(await page.locator('#channel-email').isChecked()).toBe(true);
    expect(await page.getByRole('button', { name: 'Send invite' }).count()).toBe(1);

    // An invite sent after it has its email; the link-only one never gets one.
    const after = email('after');
    await page.locator('#invite-email').fill(after);
    await page.getByRole('button', { name: 'Send invite' }).click();
    await eventually(() => stack.smtp.deliveredTo(after)[0], 20_000, 'the next email');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(stack.smtp.deliveredTo(who)).toHaveLength(0);

    await go(page, 'Invites', 'Invites');
    const row = page.locator('tr').filter({ hasText: who });
    await expect.poll(() => row.locator('[data-label="Email delivery"]').textContent()).toBe('Link only');
    await closePage(page);
  });

  it('withdraws an invite from the list, and both widths look right', async () => {
    const who = email('withdraw');
    const created = await stack.api<{ invite: InviteView }>('POST', `/v1/orgs/${stack.org.orgId}/invites`, { email: who, role: 'member' });
    expect(created.status).toBe(201);
    const id = created.body.invite.id;

    const page = await stack.signIn();
    await go(page, 'Invites', 'Invites');
    const row = page.locator(`tr[data-invite-id="${id}"]`);
    await row.waitFor();
    expect(await row.locator('[data-label="Status"] .badge').textContent()).toBe('Pending');
    await expectAccessible(page, 'invites list');
    await shoot(page, 'console-invites-desktop');

    await page.getByRole('button', { name: `Withdraw invite to ${who}` }).click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    await dialog.getByRole('button', { name: 'Withdraw' }).click();
    await expect.poll(() => row.locator('[data-label="Status"] .badge').textContent()).toBe('Withdrawn');
    expect(await page.locator('#action-status').textContent()).toBe(`Invite to ${who} withdrawn.`);
    // Focus stays in the row, on its new status.
    expect(await page.evaluate("document.activeElement?.classList.contains('status-cell')")).toBe(true);
    const after = await stack.api<InviteView>('GET', `/v1/orgs/${stack.org.orgId}/invites/${id}`);
    expect(after.body.status).toBe('withdrawn');

    // Search and status filter.
    await page.getByLabel('Search by email').fill(who);
    await expect.poll(() => page.locator('#invites-table tbody tr').count()).toBe(1);
    await page.getByLabel('Status').selectOption('pending');
    await expect.poll(() => page.locator('#invites-status').textContent()).toBe('No invites match.');
    await closePage(page);

    const phone = await stack.signIn(390);
    await go(phone, 'Invites', 'Invites');
    await phone.locator(`tr[data-invite-id="${id}"]`).waitFor();
    await expectAccessible(phone, 'invites list on a phone');
    await shoot(phone, 'console-invites-phone');
    await go(phone, 'Send invite', 'Send an invite');
    await shoot(phone, 'console-send-phone');
    await closePage(phone);
  });

  it('withdraws and resends a selection', async () => {
    const tag = `sel${Date.now()}`;
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const created = await stack.api<{ invite: InviteView }>('POST', `/v1/orgs/${stack.org.orgId}/invites`, { email: `${tag}.${i}@example.test`, role: 'member' });
      ids.push(created.body.invite.id);
    }
    const page = await stack.signIn();
    await go(page, 'Invites', 'Invites');
    await page.getByLabel('Search by email').fill(tag);
    await expect.poll(() => page.locator('#invites-table tbody tr').count()).toBe(4);
    await page.getByLabel(`Select ${tag}.0@example.test`).check();
    await page.getByLabel(`Select ${tag}.1@example.test`).check();
    expect(await page.locator('#selection-count').textContent()).toBe('2 selected');
    await page.getByRole('button', { name: 'Withdraw selected' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Withdraw' }).click();
    await expect.poll(() => page.locator('#action-status').textContent()).toBe('2 invites withdrawn.');
    await page.getByLabel(`Select ${tag}.2@example.test`).check();
    await page.getByRole('button', { name: 'Resend selected' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Resend' }).click();
    await expect.poll(() => page.locator('#action-status').textContent()).toBe('1 invite sent again.');
    const statuses = await Promise.all(ids.map(async (id) => (await stack.api<InviteView>('GET', `/v1/orgs/${stack.org.orgId}/invites/${id}`)).body));
    expect(statuses.map((s) => s.status)).toEqual(['withdrawn', 'withdrawn', 'pending', 'pending']);
    expect(statuses[2]!.tokenVersion).toBe(2);
    await closePage(page);
  });

  it('uploads a 200-row CSV with 3 bad rows: preview, progress per chunk, 197 created and the 3 rows explained', async () => {
    const tag = `csv${Date.now()}`;
    const lines = ['email,role,phone,channels,message'];
    for (let i = 0; i < 200; i++) {
      if (i === 10) lines.push(`not-an-email,member,,,`);
      else if (i === 77) lines.push(`${tag}.${i}@example.test,boss,,,`);
      else if (i === 150) lines.push(`${tag}.${i}@example.test,member,12345,email;sms,`);
      else lines.push(`${tag}.${i}@example.test,${i % 10 === 0 ? 'admin' : 'member'},,,"Hello, number ${i}"`);
    }
    const page = await stack.signIn();
    await go(page, 'Bulk upload', 'Bulk upload');
    await page.getByLabel('CSV file').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(lines.join('\n')) });
    await expect.poll(() => page.locator('#bulk-summary').textContent()).toBe(
      '200 rows: 197 ready to send, 3 with problems (they will not be sent; fix them and upload them again).',
    );
    const flagged = page.locator('#bulk-preview-table tr.bad');
    expect(await flagged.count()).toBe(3);
    expect(await flagged.nth(0).textContent()).toContain('email is not a valid email address');
    expect(await flagged.nth(1).textContent()).toContain('role must be owner, admin or member');
    expect(await flagged.nth(2).textContent()).toContain('phone must be in international form');
    await expectAccessible(page, 'bulk preview');
    await shoot(page, 'console-bulk-preview-desktop');

    // The bar's value when each chunk request leaves: it advances chunk by chunk.
    const seen: number[] = [];
    await page.route('**/invites/bulk', async (route) => {
      seen.push(Number(await page.locator('#bulk-progress').getAttribute('value')));
      await route.continue();
    });
    await page.getByRole('button', { name: 'Send 197 invites' }).click();
    await expect.poll(() => page.locator('#bulk-result-summary').textContent(), { timeout: 60_000 }).toBe('197 invites created, 3 rows not created.');
    expect(await page.locator('#bulk-result-summary').getAttribute('class')).toBe('partial');
    expect(seen).toEqual([0, 25, 50, 75, 100, 125, 150, 175]);
    expect(await page.locator('#bulk-progress').getAttribute('value')).toBe('197');
    expect(await page.locator('#bulk-progress-text').textContent()).toBe('197 of 197 rows sent');

    const problems = await page.locator('#bulk-problems li').allTextContents();
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^Line 12 \(not-an-email\): Not sent: email is not a valid email address/);
    expect(problems[1]).toMatch(new RegExp(`^Line 79 \\(${tag}\\.77@example\\.test\\): Not sent: role must be`));
    expect(problems[2]).toMatch(new RegExp(`^Line 152 \\(${tag}\\.150@example\\.test\\): Not sent: phone must be`));
    expect(await page.locator('#bulk-results-table tbody tr').count()).toBe(200);
    await expectAccessible(page, 'bulk results');
    await shoot(page, 'console-bulk-results-desktop');

    const listed = await stack.api<InvitePage>('GET', `/v1/orgs/${stack.org.orgId}/invites?q=${tag}&limit=100`);
    let total = listed.body.items.length;
    let cursor = listed.body.nextCursor;
    while (cursor) {
      const next = await stack.api<InvitePage>('GET', `/v1/orgs/${stack.org.orgId}/invites?q=${tag}&limit=100&cursor=${cursor}`);
      total += next.body.items.length;
      cursor = next.body.nextCursor;
    }
    expect(total).toBe(197);
    await closePage(page);
  });

  it('shows the bulk results on a phone', async () => {
    const page = await stack.signIn(390);
    await go(page, 'Bulk upload', 'Bulk upload');
    const csv = ['email,role', `phone.${Date.now()}@example.test,member`, 'broken,member'].join('\n');
    await page.getByLabel('CSV file').setInputFiles({ name: 'two.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Send 1 invite' }).click();
    await expect.poll(() => page.locator('#bulk-result-summary').textContent()).toBe('1 invite created, 1 row not created.');
    await expectAccessible(page, 'bulk results on a phone');
    await shoot(page, 'console-bulk-results-phone');
    await closePage(page);
  });

  it('pages through the invites with "load more", and lists members and the audit log', async () => {
    const page = await stack.signIn();
    await go(page, 'Invites', 'Invites');
    await expect.poll(() => page.locator('#invites-table tbody tr').count()).toBe(50);
    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => page.locator('#invites-table tbody tr').count()).toBe(100);
    const ids = await page.locator('#invites-table tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-invite-id')));
    expect(new Set(ids).size).toBe(100);

    await go(page, 'Members', 'Members');
    await expect.poll(() => page.locator('main tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('main tbody').textContent()).toContain(stack.org.ownerEmail);
    await expectAccessible(page, 'members');
    await shoot(page, 'console-members-desktop');
    await go(page, 'Audit log', 'Audit log');
    await expect.poll(() => page.locator('main tbody tr').count()).toBe(50);
    // Sentences with names, not ids and JSON.
    const created = page.locator('main tbody tr[data-action="invite.created"]').first();
    expect(await created.locator('[data-label="Who"]').textContent()).toBe('You (Olivia Owner)');
    expect(await created.locator('[data-label="What happened"]').textContent()).toMatch(/^Olivia Owner invited \S+@\S+ as (member|admin)( \(link only\))?$/);
    expect(await page.locator('main tbody').textContent()).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => page.locator('main tbody tr').count()).toBeGreaterThan(50);
    await expectAccessible(page, 'audit log');
    await shoot(page, 'console-audit-desktop');
    // Filters: only the organisation's own changes (its creation, at least).
    await page.getByLabel('Show').selectOption('org.');
    await expect.poll(() => page.locator('main tbody tr').first().getAttribute('data-action')).toMatch(/^org\./);
    expect(await page.locator('main tbody tr').evaluateAll((rows) => rows.every((r) => r.getAttribute('data-action')!.startsWith('org.')))).toBe(true);
    await shoot(page, 'audit-filters-1280');
    // The export: every entry of the choice as a CSV file.
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export CSV' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^audit-[0-9a-f-]{36}-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = await (await import('node:fs/promises')).readFile((await file.path())!, 'utf8');
    expect(csv.split('\r\n')[0]).toBe('When (UTC),Who,What happened,Action,Actor,Target');
    expect(csv).toContain('created the organisation Acme Rockets');
    await expect.poll(() => page.locator('#audit-export-status').textContent()).toMatch(/^Exported \d+ entr/);
    await closePage(page);

    // The filters on a phone: the choice, "Only what I did" and the export fit the width, the entries become cards.
    const phone = await stack.signIn(390);
    await go(phone, 'Audit log', 'Audit log');
    await expect.poll(() => phone.locator('main tbody tr').count()).toBeGreaterThan(0);
    await phone.getByLabel('Show').selectOption('invite.');
    await phone.getByLabel('Only what I did').check();
    await expect.poll(() => phone.locator('main tbody tr').first().getAttribute('data-action')).toMatch(/^invite\./);
    expect(await phone.locator('main tbody tr').evaluateAll((rows) => rows.every((r) => r.getAttribute('data-action')!.startsWith('invite.')))).toBe(true);
    await expectAccessible(phone, 'audit filters on a phone');
    await shoot(phone, 'audit-filters-390');
    // Nothing reaches past the right edge of the screen (the navigation tabs scroll within their own strip).
    const past = await phone.evaluate(`[...document.querySelectorAll('main *')]
      .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
      .map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className ? '.' + String(el.className).split(' ').join('.') : ''))`);
    expect(past).toEqual([]);
    await closePage(phone);
  });
});
