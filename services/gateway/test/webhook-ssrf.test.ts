import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookDeliveryPage, WebhookView, WebhookWithSecret } from '@invite/contracts';
import { createLogger } from '@invite/telemetry';
import { email, orgWithOwner, type OrgWithOwner } from '../../invites/test/harness.ts';
import { startWebhooks, type WebhooksApp } from '../../invites/src/webhooks/app.ts';
import { loadWebhooksConfig } from '../../invites/src/webhooks/webhooks.config.ts';
import { startTestGateway, type TestGateway } from './harness.ts';
import { bearer, expectProblem, json, send } from './support.ts';
import { startReceiver, type Receiver } from './webhook-receiver.ts';

/**
 * SSRF, with the production policy (WEBHOOKS_ALLOW_PRIVATE unset): endpoints on
 * loopback, private, link-local, multicast or unspecified addresses are refused when
 * registered or changed, and again when a delivery is about to connect, since what a
 * name resolves to can change in between.
 */

let g: TestGateway;
let dispatcher: WebhooksApp;
let receiver: Receiver;
let org: OrgWithOwner;

beforeAll(async () => {
  g = await startTestGateway('webhook-ssrf');
  dispatcher = await startWebhooks(
    loadWebhooksConfig({ ...g.invites.env, WEBHOOKS_POLL_MS: '50', WEBHOOKS_BACKOFF_BASE_MS: '50', WEBHOOKS_MAX_ATTEMPTS: '2' }),
    createLogger('webhooks-ssrf-test', 'warn'),
  );
  receiver = await startReceiver();
  org = await orgWithOwner(g.invites, 10);
});

afterAll(async () => {
  await dispatcher?.stop();
  await receiver?.close();
  await g?.close();
});

describe('registration', () => {
  it.each([
    ['https://127.0.0.1/hook', '127.0.0.1 is a loopback address'],
    ['https://10.1.2.3/hook', '10.1.2.3 is a private address'],
    ['https://192.168.0.10:8443/hook', '192.168.0.10 is a private address'],
    ['https://169.254.169.254/latest/meta-data', '169.254.169.254 is a link-local address'],
    ['https://0.0.0.0/hook', '0.0.0.0 is an unspecified address'],
    ['https://224.0.0.1/hook', '224.0.0.1 is a multicast address'],
    ['https://[::1]/hook', '::1 is a loopback address'],
    ['https://[::ffff:127.0.0.1]/hook', '::ffff:7f00:1 is a loopback (IPv4-mapped) address'],
    ['https://[fe80::1]/hook', 'fe80::1 is a link-local address'],
    ['https://[fd00::1]/hook', 'fd00::1 is a private (unique local) address'],
    ['https://localhost/hook', 'localhost resolves to 127.0.0.1, a loopback address'],
    ['https://0x7f000001/hook', '127.0.0.1 is a loopback address'],
    ['http://1.1.1.1/hook', 'must start with https://'],
  ])('refuses %s with a 400 at /url', async (url, words) => {
    const before = await g.invites.sql<{ n: number }>(`select count(*)::int as n from webhook_endpoints`);
    const problem = expectProblem(await send(g.app, 'POST', `/v1/orgs/${org.orgId}/webhooks`, { url, eventTypes: ['invite.created'] }, bearer(org.owner.accessToken)), 400, 'VALIDATION_FAILED');
    expect(problem.detail).toContain(words);
    expect(problem.errors).toEqual([{ path: '/url', message: expect.stringContaining(words) }]);
    expect(await g.invites.sql(`select count(*)::int as n from webhook_endpoints`)).toEqual(before);
  });

  it('accepts a public address, and refuses to move it to a private one', async () => {
    const res = await send(g.app, 'POST', `/v1/orgs/${org.orgId}/webhooks`, { url: 'https://1.1.1.1/hook', eventTypes: ['invite.created'], enabled: false }, bearer(org.owner.accessToken));
    expect(res.statusCode, res.body).toBe(201);
    const { webhook } = json<WebhookWithSecret>(res);
    const moved = await send(g.app, 'PATCH', `/v1/orgs/${org.orgId}/webhooks/${webhook.id}`, { url: 'https://[::1]:8443/hook' }, bearer(org.owner.accessToken));
    expectProblem(moved, 400, 'VALIDATION_FAILED');
    const after = json<WebhookView>(await send(g.app, 'GET', `/v1/orgs/${org.orgId}/webhooks/${webhook.id}`, undefined, bearer(org.owner.accessToken)));
    expect(after.url).toBe('https://1.1.1.1/hook');
  });
});

describe('delivery', () => {
  it('refuses to connect when the address is no longer public, and the delivery log says why', async () => {
    const own = await orgWithOwner(g.invites, 10, 'Rebound');
    const res = await send(g.app, 'POST', `/v1/orgs/${own.orgId}/webhooks`, { url: 'https://1.1.1.1/hook', eventTypes: ['invite.created'] }, bearer(own.owner.accessToken));
    const { webhook } = json<WebhookWithSecret>(res);
    // What a DNS change would do to the name it was registered with: it now leads to this machine's receiver.
    const port = new URL(receiver.url('/')).port;
    await g.invites.sql(`update webhook_endpoints set url = ? where id = ?`, [`https://localhost:${port}/hook`, webhook.id]);
    const created = await send(g.app, 'POST', `/v1/orgs/${own.orgId}/invites`, { email: email('ssrf'), role: 'member', channels: [] }, bearer(own.owner.accessToken));
    expect(created.statusCode).toBe(201);

    const deadline = Date.now() + 10_000;
    let page: WebhookDeliveryPage;
    for (;;) {
      page = json<WebhookDeliveryPage>(await send(g.app, 'GET', `/v1/orgs/${own.orgId}/webhooks/${webhook.id}/deliveries`, undefined, bearer(own.owner.accessToken)));
      if (page.items[0]?.status === 'failed' || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({
      status: 'failed',
      attempts: 2,
      responseStatus: null,
      lastError: 'localhost resolves to 127.0.0.1, a loopback address; webhooks go to public addresses only',
    });
    expect(receiver.received).toHaveLength(0);
  });
});
