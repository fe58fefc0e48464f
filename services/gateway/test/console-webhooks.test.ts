import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookList } from '@invite/contracts';
import { createLogger } from '@invite/telemetry';
import { startWebhooks, type WebhooksApp } from '../../invites/src/webhooks/app.ts';
import { loadWebhooksConfig } from '../../invites/src/webhooks/webhooks.config.ts';
import { closePage, expectAccessible, go, shoot, startConsoleStack, type ConsoleStack } from './console-support.ts';
import { receiverVerifies, startReceiver, type Receiver } from './webhook-receiver.ts';

/**
 * The console's webhooks page in chromium, against the real stack and the webhook
 * dispatcher, with a local receiver (private addresses allowed for it): add an
 * endpoint and keep its secret, send a test, read the delivery log, replay, disable.
 */
let stack: ConsoleStack;
let dispatcher: WebhooksApp;
let receiver: Receiver;

beforeAll(async () => {
  stack = await startConsoleStack('consolewh', 20, { WEBHOOKS_ALLOW_PRIVATE: 'true' });
  dispatcher = await startWebhooks(
    loadWebhooksConfig({ ...stack.g.invites.env, WEBHOOKS_ALLOW_PRIVATE: 'true', WEBHOOKS_POLL_MS: '100' }),
    createLogger('console-webhooks-test', 'error'),
  );
  receiver = await startReceiver();
});

afterAll(async () => {
  await dispatcher?.stop();
  await receiver?.close();
  await stack?.close();
});

describe('the console webhooks page', () => {
  it('adds an endpoint, shows its secret once, sends a test, shows the log and replays', async () => {
    const page = await stack.signIn();
    await go(page, 'Webhooks', 'Webhooks');
    await expect.poll(() => page.locator('#webhook-list').locator('..').getByRole('status').last().textContent()).toMatch(/No endpoint yet/);
    await expectAccessible(page, 'webhooks, empty');

    await page.getByLabel('Endpoint URL').fill(receiver.url('/console-hook'));
    await page.getByLabel('Note (optional)').fill('CRM sync');
    await page.getByLabel('Invite declined').uncheck();
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const secret = await page.locator('#webhook-secret input').inputValue();
    expect(secret).toMatch(/^whsec_/);
    const card = page.locator('#webhook-list li.card');
    await expect.poll(() => card.count()).toBe(1);
    expect(await card.textContent()).toContain('Enabled');
    const { body } = await stack.api<WebhookList>('GET', `/v1/orgs/${stack.org.orgId}/webhooks`);
    expect(body.items[0]).toMatchObject({ description: 'CRM sync', eventTypes: ['invite.created', 'invite.resent', 'invite.accepted', 'invite.withdrawn', 'invite.expired', 'member.joined'] });

    await card.getByRole('button', { name: /^Send test/ }).click();
    const [delivery] = await receiver.waitFor('/console-hook', 1);
    expect(receiverVerifies(secret, delivery!)).toBe(true);
    expect(JSON.parse(delivery!.body)).toMatchObject({ type: 'webhook.test' });

    const log = page.locator('#webhook-log');
    await expect
      .poll(
        async () => {
          await log.getByRole('button', { name: 'Refresh' }).click();
          return log.locator('tbody tr [data-label="Status"]').first().textContent();
        },
        { timeout: 10_000 },
      )
      .toBe('Delivered');
    expect(await log.locator('tbody tr [data-label="Response"]').first().textContent()).toBe('200');
    await expectAccessible(page, 'webhooks, with a log');
    await shoot(page, 'console-webhooks');

    await log.getByRole('button', { name: /^Replay the webhook\.test delivery/ }).click();
    await receiver.waitFor('/console-hook', 2);
    await expect.poll(() => log.locator('tbody tr').count(), { timeout: 10_000 }).toBe(2);
    expect(await log.locator('tbody tr').first().textContent()).toContain('(replay)');

    await card.getByRole('button', { name: 'Disable' }).click();
    await expect.poll(() => card.textContent()).toContain('Disabled');
    expect(await card.getByRole('button', { name: /^Send test/ }).isDisabled()).toBe(true);
    await closePage(page);
  });
});
