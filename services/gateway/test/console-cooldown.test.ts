import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InviteWithLink } from '@invite/contracts';
import { email } from '../../invites/test/harness.ts';
import { closePage, go, startConsoleStack, type ConsoleStack } from './console-support.ts';

/** The resend cooldown in the console: the refused Resend button counts down to when it works. */
let stack: ConsoleStack;

beforeAll(async () => {
  stack = await startConsoleStack('consolecool', 20, { RESEND_COOLDOWN_SECONDS: '60' });
});
afterAll(async () => {
  await stack?.close();
});

describe('the invites list', () => {
  it('counts down on a Resend refused for being too soon', async () => {
    const created = await stack.api<InviteWithLink>('POST', `/v1/orgs/${stack.org.orgId}/invites`, { email: email('cooldown'), role: 'member' });
    expect(created.status).toBe(201);
    const page = await stack.signIn();
    await go(page, 'Invites', 'Invites');
    const row = page.locator(`tr[data-invite-id="${created.body.invite.id}"]`);
    await row.getByRole('button', { name: /^Resend invite to/ }).click();
    const button = row.locator('[data-key="resend"]');
    await expect.poll(() => button.textContent()).toMatch(/^Resend in \d+ s$/);
    expect(await button.isDisabled()).toBe(true);
    const first = Number(/\d+/.exec((await button.textContent())!)![0]);
    expect(first).toBeGreaterThan(50);
    expect(first).toBeLessThanOrEqual(60);
    await expect.poll(() => button.textContent(), { timeout: 5000 }).toBe(`Resend in ${first - 2} s`);
    await closePage(page);
  });
});
