import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalyticsView, Funnel, InviteView, InviteWithLink, OrgSettings } from '@invite/contracts';
import { email, emailedProof, tokenOf } from '../../invites/test/harness.ts';
import { eventually } from '../../notifier/test/support/harness.ts';
import { groupColumns, headlineFigures } from '../console/lib/figures.ts';
import { closePage, expectAccessible, go, shoot, startConsoleStack, type ConsoleStack } from './console-support.ts';

/**
 * The console pages that stand on the console's own endpoints: live events (SSE),
 * organisation settings with the email preview, and analytics. Same real stack as
 * console.test.ts: gateway, invites, notifier with an SMTP server, chromium.
 */
let stack: ConsoleStack;

beforeAll(async () => {
  stack = await startConsoleStack('consolebe', 50);
});

afterAll(async () => {
  await stack?.close();
});

const orgUrl = (rest: string) => `/v1/orgs/${stack.org.orgId}${rest}`;

/** Waits until the API shows the invite's email as sent. */
async function sentByApi(inviteId: string): Promise<void> {
  await eventually(async () => (await stack.api<InviteView>('GET', orgUrl(`/invites/${inviteId}`))).body.delivery.email.status === 'sent', 30_000, 'email sent');
}

describe('the console with live events, settings and analytics', () => {
  it('receives live events: an invite created elsewhere appears in the list and its row turns "Sent" by itself', async () => {
    const page = await stack.signIn();
    await expect.poll(() => page.locator('#live-state').getAttribute('data-mode'), { timeout: 10_000 }).toBe('live');
    await go(page, 'Invites', 'Invites');
    await expect.poll(() => page.locator('#invites-status').textContent()).toMatch(/^(Showing|No invites)/);
    const who = email('elsewhere');
    const created = await stack.api<InviteWithLink>('POST', orgUrl('/invites'), { email: who, role: 'member' });
    expect(created.status).toBe(201);
    // While the stream is live the list does not poll: only an event can bring the row in.
    const row = page.locator(`tr[data-invite-id="${created.body.invite.id}"]`);
    await row.waitFor({ timeout: 10_000 });
    await sentByApi(created.body.invite.id);
    // Within moments of the delivery, not at the next 15 s safety poll: the event did it.
    await expect.poll(() => row.locator('[data-label="Email delivery"] .badge').textContent(), { timeout: 5000 }).toBe('Sent');
    expect(await page.locator('#live-state').getAttribute('data-mode')).toBe('live');

    // The same on the send page, where the delivery often lands while the page still reads the new invite.
    for (let i = 0; i < 3; i++) {
      await go(page, 'Send invite', 'Send an invite');
      const who = email('livecard');
      await page.locator('#invite-email').fill(who);
      await page.getByRole('button', { name: 'Send invite' }).click();
      const card = page.locator('#sent-invites li.card').filter({ hasText: who });
      await card.waitFor();
      await sentByApi((await card.getAttribute('data-invite-id'))!);
      await expect.poll(() => card.locator('[data-channel="email"] .badge').textContent(), { timeout: 5000 }).toBe('Sent');
    }
    await closePage(page);
  });

  it('edits the email template and sees the preview change, then saves it', async () => {
    const page = await stack.signIn();
    await go(page, 'Settings', 'Settings');
    await expect.poll(() => page.locator('#preview-status').textContent(), { timeout: 10_000 }).toBe('Preview up to date.');
    // On a desktop every tab of the navigation is in sight, none cut at the edge.
    const tabs = await page.locator('#nav a').evaluateAll((links) =>
      links.map((a) => ({ text: a.textContent, right: a.getBoundingClientRect().right, inside: a.getBoundingClientRect().right <= a.closest('ul')!.getBoundingClientRect().right })),
    );
    expect(tabs.length).toBeGreaterThanOrEqual(10);
    expect(tabs.filter((t) => !t.inside || t.right > 1280)).toEqual([]);
    const before = await page.locator('#preview-subject').textContent();
    expect(before).toContain('Acme Rockets');
    await expectAccessible(page, 'settings');

    await page.getByLabel('Subject').fill('Come aboard {{orgName}}, {{inviterName}} is waiting');
    await expect.poll(() => page.locator('#preview-subject').textContent(), { timeout: 10_000 }).toBe('Come aboard Acme Rockets, Olivia Owner is waiting');
    await page.getByLabel('Text', { exact: true }).fill('Hello from the rocket team.\n\nYou join as {{role}}: {{link}}');
    const frame = page.frameLocator('#preview-frame');
    await expect.poll(() => frame.locator('body').textContent(), { timeout: 10_000 }).toContain('Hello from the rocket team.');
    await page.getByLabel('Accent colour', { exact: true }).fill('#cc3300');
    await expect.poll(async () => (await page.locator('#preview-frame').getAttribute('srcdoc'))?.toLowerCase() ?? '', { timeout: 10_000 }).toContain('#cc3300');

    // An unknown placeholder is pointed out at the field, and the preview waits.
    await page.getByLabel('Subject').fill('Hi {{nmae}}');
    await expect.poll(() => page.locator('#settings-subject-error').textContent()).toBe('Unknown placeholder: {{nmae}}.');
    expect(await page.getByLabel('Subject').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Subject').fill('Come aboard {{orgName}}');
    await expect.poll(() => page.locator('#preview-subject').textContent(), { timeout: 10_000 }).toBe('Come aboard Acme Rockets');
    await expectAccessible(page, 'settings with a preview');
    await shoot(page, 'console-settings-desktop');

    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => page.locator('#settings-status').textContent()).toBe('Saved. New invites use these settings.');
    const saved = await stack.api<OrgSettings>('GET', orgUrl('/settings'));
    expect(saved.body).toMatchObject({ emailSubject: 'Come aboard {{orgName}}', accentColor: '#cc3300', emailBody: 'Hello from the rocket team.\n\nYou join as {{role}}: {{link}}' });
    await closePage(page);

    const phone = await stack.signIn(390);
    await go(phone, 'Settings', 'Settings');
    await expect.poll(() => phone.locator('#preview-subject').textContent(), { timeout: 10_000 }).toBe('Come aboard Acme Rockets');
    await expectAccessible(phone, 'settings on a phone');
    await shoot(phone, 'console-settings-phone');
    await closePage(phone);
  });

  it('shows the same analytics numbers as the API', async () => {
    // Some history: five invites, two accepted, one withdrawn, all delivered by email.
    const made: InviteWithLink[] = [];
    for (const role of ['member', 'member', 'member', 'admin', 'member'] as const) {
      const created = await stack.api<InviteWithLink>('POST', orgUrl('/invites'), { email: email('stats'), role });
      expect(created.status).toBe(201);
      made.push(created.body);
    }
    for (const invite of made.slice(0, 2)) {
      await stack.g.invites.client.call('invite.accept', { token: tokenOf(invite.acceptUrl), proof: emailedProof(tokenOf(invite.acceptUrl)), name: 'Stat Person', username: `stat${Math.random().toString(36).slice(2, 10)}`, password: 'correct horse battery staple' });
    }
    expect((await stack.api<InviteView>('DELETE', orgUrl(`/invites/${made[4]!.invite.id}`))).status).toBe(200);
    await eventually(async () => {
      const states = await Promise.all(made.map(async (m) => (await stack.api<InviteView>('GET', orgUrl(`/invites/${m.invite.id}`))).body.delivery.email.status));
      return states.every((s) => s === 'sent');
    }, 30_000, 'every email sent');

    const page = await stack.signIn();
    await go(page, 'Analytics', 'Analytics');
    await expect.poll(() => page.locator('#analytics-status').textContent(), { timeout: 10_000 }).toMatch(/^Showing/);
    const from = await page.locator('#analytics-from').inputValue();
    const to = await page.locator('#analytics-to').inputValue();
    const api = await stack.api<AnalyticsView>('GET', orgUrl(`/analytics?from=${from}&to=${to}`));
    expect(api.status).toBe(200);
    expect(api.body.totals.created).toBeGreaterThanOrEqual(5);
    expect(api.body.totals.accepted).toBeGreaterThanOrEqual(2);

    for (const [id, , value] of headlineFigures) {
      expect(await page.locator(`#kpi-${id}`).textContent(), id).toBe(value(api.body.totals));
    }
    const groups: [string, Funnel][] = [
      ['Owner', api.body.byRole.owner],
      ['Admin', api.body.byRole.admin],
      ['Member', api.body.byRole.member],
      ['Email', api.body.byChannel.email],
      ['SMS', api.body.byChannel.sms],
    ];
    for (const [name, funnel] of groups) {
      const cells = await page.locator(`tr[data-group="${name}"] td`).allTextContents();
      expect(cells, name).toEqual(groupColumns.map(([, value]) => value(funnel)));
    }
    expect(await page.locator('.chart').count()).toBe(4);
    expect(await page.locator('.chart').first().getAttribute('aria-label')).toContain(`Created ${api.body.totals.created}`);
    await expectAccessible(page, 'analytics');
    await shoot(page, 'console-analytics-desktop');
    await closePage(page);

    const phone = await stack.signIn(390);
    await go(phone, 'Analytics', 'Analytics');
    await expect.poll(() => phone.locator('#kpi-created').textContent(), { timeout: 10_000 }).toBe(headlineFigures[0]![2](api.body.totals));
    await expectAccessible(phone, 'analytics on a phone');
    // Nothing of a chart is cut off: an SVG clips whatever it draws outside its box, and no chart is wider than the page.
    const cut = await phone.evaluate(`[...document.querySelectorAll('svg.chart')].flatMap((svg) => {
      const box = svg.getBoundingClientRect();
      const off = box.right > document.documentElement.clientWidth + 0.5 ? ['the chart itself'] : [];
      return off.concat([...svg.querySelectorAll('rect, text')].filter((el) => {
        const r = el.getBoundingClientRect();
        return r.width > 0 && (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5);
      }).map((el) => (svg.getAttribute('aria-label') || '').slice(0, 20) + ': ' + (el.textContent || el.getAttribute('class'))));
    })`);
    expect(cut).toEqual([]);
    await shoot(phone, 'console-analytics-phone');
    await closePage(phone);
  });
});
