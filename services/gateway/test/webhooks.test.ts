import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream } from '@nats-io/jetstream';
import { natsNames, uuidv7, type InviteWithLink, type TokenPair, type WebhookDeliveryPage, type WebhookView, type WebhookWithSecret } from '@invite/contracts';
import { createLogger } from '@invite/telemetry';
import { addMember, email, emailedProof, orgWithOwner, password, tokenOf, type OrgWithOwner } from '../../invites/test/harness.ts';
import { startWebhooks, type WebhooksApp } from '../../invites/src/webhooks/app.ts';
import { loadWebhooksConfig } from '../../invites/src/webhooks/webhooks.config.ts';
import { startTestGateway, type TestGateway } from './harness.ts';
import { bearer, expectProblem, json, send, type Response } from './support.ts';
import { receiverVerifies, startReceiver, type Receiver } from './webhook-receiver.ts';

/**
 * Webhooks end to end: the HTTP API, the invites service, the dispatcher (its own
 * process in production, started here beside the service on the same database and
 * NATS prefix) and a real local HTTP receiver. Private addresses are allowed here
 * (WEBHOOKS_ALLOW_PRIVATE) so that the receiver on 127.0.0.1 can be reached; the
 * refusals are in webhook-ssrf.test.ts.
 */

let g: TestGateway;
let dispatcher: WebhooksApp;
let receiver: Receiver;

beforeAll(async () => {
  g = await startTestGateway('webhooks', {}, { WEBHOOKS_ALLOW_PRIVATE: 'true', WEBHOOKS_PER_ORG: '4' });
  dispatcher = await startWebhooks(
    loadWebhooksConfig({
      ...g.invites.env,
      WEBHOOKS_ALLOW_PRIVATE: 'true',
      WEBHOOKS_POLL_MS: '50',
      WEBHOOKS_BACKOFF_BASE_MS: '50',
      WEBHOOKS_BACKOFF_MAX_MS: '200',
      WEBHOOKS_MAX_ATTEMPTS: '3',
      WEBHOOKS_TIMEOUT_MS: '3000',
      WEBHOOKS_ENDPOINT_CONCURRENCY: '2',
      WEBHOOKS_DISABLE_AFTER_FAILURES: '5',
    }),
    createLogger('webhooks-test', 'warn'),
  );
  receiver = await startReceiver();
});

afterAll(async () => {
  // Whatever was sent during the whole file: never a secret, a token, a link or an address.
  for (const delivery of receiver?.received ?? []) {
    expect(delivery.body).not.toMatch(/whsec_|encryptedToken|acceptUrl|#token=|"email":|"phone":|@example\.test/);
  }
  await dispatcher?.stop();
  await receiver?.close();
  await g?.close();
});

const path = () => `/hooks/${uuidv7()}`;

async function createWebhook(org: OrgWithOwner, body: Record<string, unknown>, token = org.owner.accessToken): Promise<WebhookWithSecret> {
  const res = await send(g.app, 'POST', `/v1/orgs/${org.orgId}/webhooks`, body, bearer(token));
  expect(res.statusCode, res.body).toBe(201);
  return json<WebhookWithSecret>(res);
}

async function createInvite(org: OrgWithOwner, who = email('invitee')): Promise<InviteWithLink> {
  const res = await send(g.app, 'POST', `/v1/orgs/${org.orgId}/invites`, { email: who, role: 'member', channels: [] }, bearer(org.owner.accessToken));
  expect(res.statusCode, res.body).toBe(201);
  return json<InviteWithLink>(res);
}

async function deliveries(org: OrgWithOwner, webhookId: string, query = ''): Promise<WebhookDeliveryPage> {
  const res = await send(g.app, 'GET', `/v1/orgs/${org.orgId}/webhooks/${webhookId}/deliveries${query}`, undefined, bearer(org.owner.accessToken));
  expect(res.statusCode, res.body).toBe(200);
  return json<WebhookDeliveryPage>(res);
}

/** Polls the delivery log until `check` holds. */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms: ${JSON.stringify(value).slice(0, 2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const payloadOf = (body: string) => JSON.parse(body) as { type: string; timestamp: string; data: Record<string, unknown> };

describe('managing endpoints', () => {
  let org: OrgWithOwner;
  let member: TokenPair;
  let admin: TokenPair;
  let other: OrgWithOwner;

  beforeAll(async () => {
    org = await orgWithOwner(g.invites, 20);
    member = await addMember(g.invites, org, 'member');
    admin = await addMember(g.invites, org, 'admin');
    other = await orgWithOwner(g.invites, 5, 'Other');
  });

  it('creates an endpoint for an admin, shows its secret once and keeps it sealed', async () => {
    const created = await createWebhook(org, { url: receiver.url(path()), eventTypes: ['invite.created', 'member.joined'], description: 'CRM sync' }, admin.accessToken);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created.webhook).toMatchObject({ orgId: org.orgId, enabled: true, disabledReason: null, eventTypes: ['invite.created', 'member.joined'], description: 'CRM sync', consecutiveFailures: 0 });

    const listed = json<{ items: WebhookView[] }>(await send(g.app, 'GET', `/v1/orgs/${org.orgId}/webhooks`, undefined, bearer(admin.accessToken)));
    expect(listed.items.map((w) => w.id)).toContain(created.webhook.id);
    const one = await send(g.app, 'GET', `/v1/orgs/${org.orgId}/webhooks/${created.webhook.id}`, undefined, bearer(org.owner.accessToken));
    expect(json(one)).toEqual(created.webhook);
    expect(one.body).not.toContain('whsec_');

    const [row] = await g.invites.sql<{ secret_sealed: string }>(`select secret_sealed from webhook_endpoints where id = ?`, [created.webhook.id]);
    expect(row!.secret_sealed).toMatch(/^v1\./);
    expect(row!.secret_sealed).not.toContain(created.secret.slice(6, 20));
    const audit = await g.invites.sql<{ actor: string; data: { url: string } }>(`select actor, data from audit_log where action = 'webhook.created' and target = ?`, [`webhook:${created.webhook.id}`]);
    expect(audit).toEqual([{ actor: `user:${admin.user.id}`, data: expect.objectContaining({ url: created.webhook.url }) }]);
  });

  it('refuses members (403) and other organisations (404, as for a webhook that does not exist)', async () => {
    const { webhook } = await createWebhook(org, { url: receiver.url(path()), eventTypes: ['invite.created'] });
    expectProblem(await send(g.app, 'GET', `/v1/orgs/${org.orgId}/webhooks`, undefined, bearer(member.accessToken)), 403, 'FORBIDDEN');
    expectProblem(await send(g.app, 'POST', `/v1/orgs/${org.orgId}/webhooks`, { url: receiver.url('/x'), eventTypes: ['invite.created'] }, bearer(member.accessToken)), 403, 'FORBIDDEN');
    expectProblem(await send(g.app, 'GET', `/v1/orgs/${org.orgId}/webhooks/${webhook.id}/deliveries`, undefined, bearer(member.accessToken)), 403, 'FORBIDDEN');
    expectProblem(await send(g.app, 'GET', `/v1/orgs/${org.orgId}/webhooks`), 401, 'UNAUTHENTICATED');

    const outsider = bearer(other.owner.accessToken);
    const attempts: [string, string, unknown?][] = [
      ['GET', `/v1/orgs/${org.orgId}/webhooks`],
      ['GET', `/v1/orgs/${org.orgId}/webhooks/${webhook.id}`],
      ['GET', `/v1/orgs/${other.orgId}/webhooks/${webhook.id}`],
      ['PATCH', `/v1/orgs/${other.orgId}/webhooks/${webhook.id}`, { enabled: false }],
      ['DELETE', `/v1/orgs/${other.orgId}/webhooks/${webhook.id}`],
      ['POST', `/v1/orgs/${other.orgId}/webhooks/${webhook.id}/rotate-secret`],
      ['POST', `/v1/orgs/${other.orgId}/webhooks/${webhook.id}/test`],
      ['GET', `/v1/orgs/${other.orgId}/webhooks/${webhook.id}/deliveries`],
      ['POST', `/v1/orgs/${other.orgId}/webhooks/${webhook.id}/deliveries/${uuidv7()}/replay`],
      ['GET', `/v1/orgs/${other.orgId}/webhooks/${uuidv7()}`],
    ];
    for (const [method, url, body] of attempts) {
      expectProblem(await send(g.app, method as 'GET', url, body, outsider), 404, 'NOT_FOUND');
    }
    const after = json<WebhookView>(await send(g.app, 'GET', `/v1/orgs/${org.orgId}/webhooks/${webhook.id}`, undefined, bearer(org.owner.accessToken)));
    expect(after).toEqual(webhook);
  });

  it('refuses bad input with a sentence and changes nothing', async () => {
    const headers = bearer(org.owner.accessToken);
    const before = await g.invites.sql(`select count(*)::int as n from webhook_endpoints`);
    const cases: [unknown, string][] = [
      [{ url: receiver.url('/x'), eventTypes: ['invite.opened'] }, '/eventTypes/0'],
      [{ url: receiver.url('/x'), eventTypes: [] }, '/eventTypes'],
      [{ url: receiver.url('/x'), eventTypes: ['invite.created', 'invite.created'] }, '/eventTypes'],
      [{ url: 'ftp://files.example.com/hook', eventTypes: ['invite.created'] }, '/url'],
      [{ url: 'not a url at all', eventTypes: ['invite.created'] }, '/url'],
      [{ url: 'http://user:secret@127.0.0.1/x', eventTypes: ['invite.created'] }, '/url'],
      [{ eventTypes: ['invite.created'] }, '/url'],
      [{ url: receiver.url('/x'), eventTypes: ['invite.created'], secret: 'whsec_mine' }, '/secret'],
    ];
    for (const [body, at] of cases) {
      const problem = expectProblem(await send(g.app, 'POST', `/v1/orgs/${org.orgId}/webhooks`, body, headers), 400, 'VALIDATION_FAILED');
      expect(problem.errors!.map((e) => e.path), JSON.stringify(body)).toContain(at);
    }
    const { webhook } = await createWebhook(org, { url: receiver.url(path()), eventTypes: ['invite.created'] });
    expectProblem(await send(g.app, 'PATCH', `/v1/orgs/${org.orgId}/webhooks/${webhook.id}`, {}, headers), 400, 'VALIDATION_FAILED');
    expectProblem(await send(g.app, 'GET', `/v1/orgs/${org.orgId}/webhooks/${webhook.id}/deliveries?cursor=forged`, undefined, headers), 400, 'VALIDATION_FAILED');
    const after = await g.invites.sql(`select count(*)::int as n from webhook_endpoints`);
    expect((after[0] as { n: number }).n).toBe((before[0] as { n: number }).n + 1);
  });

  it('caps the endpoints of one organisation (409)', async () => {
    const capped = await orgWithOwner(g.invites, 5, 'Capped');
    for (let i = 0; i < 4; i++) await createWebhook(capped, { url: receiver.url(path()), eventTypes: ['invite.created'] });
    expectProblem(await send(g.app, 'POST', `/v1/orgs/${capped.orgId}/webhooks`, { url: receiver.url('/x'), eventTypes: ['invite.created'] }, bearer(capped.owner.accessToken)), 409, 'WEBHOOK_LIMIT_REACHED');
  });
});

describe('deliveries', () => {
  it('delivers signed messages a receiver can verify, without secrets, tokens, links or addresses', async () => {
    const org = await orgWithOwner(g.invites, 10);
    const hook = path();
    const { webhook, secret } = await createWebhook(org, { url: receiver.url(hook), eventTypes: ['invite.created', 'invite.accepted', 'member.joined', 'invite.withdrawn'] });
    const invitee = email('signed');
    const created = await createInvite(org, invitee);
    const token = tokenOf(created.acceptUrl);
    await g.invites.client.call('invite.accept', { token, proof: emailedProof(token), name: 'New Person', username: `np${Date.now()}`, password });
    const withdrawn = await createInvite(org);
    expect((await send(g.app, 'DELETE', `/v1/orgs/${org.orgId}/invites/${withdrawn.invite.id}`, undefined, bearer(org.owner.accessToken))).statusCode).toBe(200);

    const got = await receiver.waitFor(hook, 5);
    for (const delivery of got) {
      expect(receiverVerifies(secret, delivery), delivery.body).toBe(true);
      expect(delivery.contentType).toBe('application/json');
      expect(delivery.id).toMatch(/^msg_/);
      expect(delivery.body).not.toContain(token);
      expect(delivery.body).not.toContain(invitee);
      // Tampering is caught: another body, another id, another secret.
      expect(receiverVerifies(secret, { ...delivery, body: `${delivery.body} ` })).toBe(false);
      expect(receiverVerifies(secret, { ...delivery, id: `${delivery.id}x` })).toBe(false);
      expect(receiverVerifies(`whsec_${Buffer.alloc(32, 7).toString('base64')}`, delivery)).toBe(false);
    }
    const byType = new Map(got.map((d) => [payloadOf(d.body).type, payloadOf(d.body)]));
    expect([...byType.keys()].sort()).toEqual(['invite.accepted', 'invite.created', 'invite.withdrawn', 'member.joined']);
    expect(byType.get('invite.accepted')!.data).toMatchObject({ orgId: org.orgId, inviteId: created.invite.id, role: 'member', status: 'accepted', newAccount: true });
    expect(byType.get('member.joined')!.data).toMatchObject({ orgId: org.orgId, inviteId: created.invite.id, role: 'member' });
    expect(byType.get('invite.withdrawn')!.data).toEqual({ orgId: org.orgId, inviteId: withdrawn.invite.id, status: 'withdrawn', actor: `user:${org.owner.user.id}` });
    expect(Object.keys(got.map((d) => payloadOf(d.body)).find((p) => p.type === 'invite.created')!.data).sort()).toEqual(['channels', 'expiresAt', 'inviteId', 'orgId', 'role', 'status']);

    const log = await eventually(() => deliveries(org, webhook.id), (page) => page.items.length === 5 && page.items.every((d) => d.status === 'delivered'));
    for (const item of log.items) {
      expect(item).toMatchObject({ webhookId: webhook.id, attempts: 1, responseStatus: 200, lastError: null, nextAttemptAt: null });
      expect(item.latencyMs).toBeGreaterThanOrEqual(0);
      expect(item.attemptLog).toEqual([{ at: item.lastAttemptAt, responseStatus: 200, latencyMs: item.latencyMs, error: null }]);
    }
  });

  it('turns delivery results into invite.delivered and invite.delivery_failed', async () => {
    const org = await orgWithOwner(g.invites, 10);
    const hook = path();
    await createWebhook(org, { url: receiver.url(hook), eventTypes: ['invite.delivered', 'invite.delivery_failed'] });
    const created = await createInvite(org);
    const js = jetstream(g.invites.nc);
    const names = natsNames(g.invites.config.NATS_PREFIX);
    const result = (type: string, attempt: number) => ({
      id: uuidv7(),
      occurredAt: new Date().toISOString(),
      orgId: org.orgId,
      inviteId: created.invite.id,
      type,
      channel: 'email',
      tokenVersion: 1,
      attempt,
      provider: 'smtp',
      providerMessageId: null,
      error: type === 'delivery.sent' ? null : '550 mailbox unavailable for someone@example.test',
    });
    for (const [type, attempt] of [['delivery.failed', 1], ['delivery.dead', 2], ['delivery.sent', 3], ['delivery.skipped', 1]] as const) {
      const event = result(type, attempt);
      await js.publish(names.notificationEvent(type.slice('delivery.'.length) as 'sent'), JSON.stringify(event), { msgID: event.id });
    }
    const got = await receiver.waitFor(hook, 3);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.at(hook)).toHaveLength(3);
    const data = got.map((d) => payloadOf(d.body)).sort((a, b) => Number(a.data.attempt) - Number(b.data.attempt));
    expect(data.map((p) => [p.type, p.data])).toEqual([
      ['invite.delivery_failed', { orgId: org.orgId, inviteId: created.invite.id, channel: 'email', attempt: 1, status: 'failed', willRetry: true }],
      ['invite.delivery_failed', { orgId: org.orgId, inviteId: created.invite.id, channel: 'email', attempt: 2, status: 'dead', willRetry: false }],
      ['invite.delivered', { orgId: org.orgId, inviteId: created.invite.id, channel: 'email', attempt: 3, status: 'sent' }],
    ]);
  });

  it('retries after 500s with backoff and logs every attempt', async () => {
    const org = await orgWithOwner(g.invites, 10);
    const hook = path();
    receiver.answer(hook, (n) => ({ status: n <= 2 ? 500 : 204 }));
    const { webhook, secret } = await createWebhook(org, { url: receiver.url(hook), eventTypes: ['invite.created'] });
    await createInvite(org);
    const got = await receiver.waitFor(hook, 3);
    expect(new Set(got.map((d) => d.id)).size).toBe(1);
    expect(got.every((d) => receiverVerifies(secret, d))).toBe(true);
    expect(got[1]!.at - got[0]!.at).toBeGreaterThanOrEqual(30);
    const [item] = (await eventually(() => deliveries(org, webhook.id), (page) => page.items[0]?.status === 'delivered')).items;
    expect(item).toMatchObject({ attempts: 3, responseStatus: 204, lastError: null });
    expect(item!.attemptLog.map((a) => [a.responseStatus, a.error])).toEqual([
      [500, 'answered 500'],
      [500, 'answered 500'],
      [204, null],
    ]);
    const view = json<WebhookView>(await send(g.app, 'GET', `/v1/orgs/${org.orgId}/webhooks/${webhook.id}`, undefined, bearer(org.owner.accessToken)));
    expect(view).toMatchObject({ consecutiveFailures: 0, failingSince: null, enabled: true });
  });

  it('gives up after the last attempt, then disables an endpoint that keeps failing, with an audit entry', async () => {
    const org = await orgWithOwner(g.invites, 10);
    const hook = path();
    receiver.answer(hook, () => ({ status: 503 }));
    const { webhook } = await createWebhook(org, { url: receiver.url(hook), eventTypes: ['invite.created'] });
    await createInvite(org);
    await createInvite(org);
    const view = await eventually(
      async () => json<WebhookView>(await send(g.app, 'GET', `/v1/orgs/${org.orgId}/webhooks/${webhook.id}`, undefined, bearer(org.owner.accessToken))),
      (w) => !w.enabled,
    );
    expect(view).toMatchObject({ enabled: false, disabledReason: 'failing' });
    expect(view.consecutiveFailures).toBeGreaterThanOrEqual(5);
    const log = await eventually(() => deliveries(org, webhook.id), (page) => page.items.every((d) => d.status !== 'pending'));
    expect(log.items.map((d) => d.status).sort()).toEqual(expect.arrayContaining(['failed']));
    const failed = log.items.find((d) => d.status === 'failed')!;
    expect(failed).toMatchObject({ attempts: 3, responseStatus: 503, lastError: 'answered 503' });
    const [audit] = await g.invites.sql<{ actor: string; data: Record<string, unknown> }>(`select actor, data from audit_log where action = 'webhook.disabled' and target = ?`, [`webhook:${webhook.id}`]);
    expect(audit).toMatchObject({ actor: 'system:webhooks', data: { reason: 'failing' } });
    expect(audit!.data.consecutiveFailures).toBeGreaterThanOrEqual(5);

    // Disabled: new events are not queued for it, and nothing can be replayed or tested.
    const count = receiver.at(hook).length;
    await createInvite(org);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.at(hook)).toHaveLength(count);
    expectProblem(await send(g.app, 'POST', `/v1/orgs/${org.orgId}/webhooks/${webhook.id}/deliveries/${failed.id}/replay`, undefined, bearer(org.owner.accessToken)), 409, 'WEBHOOK_DISABLED');
    expectProblem(await send(g.app, 'POST', `/v1/orgs/${org.orgId}/webhooks/${webhook.id}/test`, undefined, bearer(org.owner.accessToken)), 409, 'WEBHOOK_DISABLED');

    // Enabled again (the receiver fixed), its failures are forgotten and a replay goes through.
    receiver.answer(hook, () => ({ status: 200 }));
    const enabled = json<WebhookView>(await send(g.app, 'PATCH', `/v1/orgs/${org.orgId}/webhooks/${webhook.id}`, { enabled: true }, bearer(org.owner.accessToken)));
    expect(enabled).toMatchObject({ enabled: true, disabledReason: null, consecutiveFailures: 0, failingSince: null });
    const replay = await send(g.app, 'POST', `/v1/orgs/${org.orgId}/webhooks/${webhook.id}/deliveries/${failed.id}/replay`, undefined, bearer(org.owner.accessToken));
    expect(replay.statusCode, replay.body).toBe(202);
    const got = await receiver.waitFor(hook, count + 1);
    expect(got.at(-1)!.id).toBe(failed.messageId);
  });

  it('disables an endpoint whose attempts have all failed for WEBHOOKS_DISABLE_AFTER_HOURS', async () => {
    const org = await orgWithOwner(g.invites, 10);
    const hook = path();
    receiver.answer(hook, () => ({ status: 500 }));
    const { webhook } = await createWebhook(org, { url: receiver.url(hook), eventTypes: ['invite.created'] });
    // As if it had been failing since yesterday: the next failure is one too many.
    await g.invites.sql(`update webhook_endpoints set failing_since = now() - interval '25 hours', consecutive_failures = 1 where id = ?`, [webhook.id]);
    await createInvite(org);
    await receiver.waitFor(hook, 1);
    const view = await eventually(
      async () => json<WebhookView>(await send(g.app, 'GET', `/v1/orgs/${org.orgId}/webhooks/${webhook.id}`, undefined, bearer(org.owner.accessToken))),
      (w) => !w.enabled,
    );
    expect(view.disabledReason).toBe('failing');
    const [audit] = await g.invites.sql<{ data: { why: string } }>(`select data from audit_log where action = 'webhook.disabled' and target = ?`, [`webhook:${webhook.id}`]);
    expect(audit!.data.why).toMatch(/every attempt has failed since/);
  });

  it('replays a delivered message with the same webhook-id and body, and sends test messages', async () => {
    const org = await orgWithOwner(g.invites, 10);
    const hook = path();
    const { webhook, secret } = await createWebhook(org, { url: receiver.url(hook), eventTypes: ['invite.created'] });
    await createInvite(org);
    const [first] = await receiver.waitFor(hook, 1);
    const [original] = (await eventually(() => deliveries(org, webhook.id), (page) => page.items[0]?.status === 'delivered')).items;
    const res = await send(g.app, 'POST', `/v1/orgs/${org.orgId}/webhooks/${webhook.id}/deliveries/${original!.id}/replay`, undefined, bearer(org.owner.accessToken));
    expect(res.statusCode, res.body).toBe(202);
    expect(json(res)).toMatchObject({ replayOf: original!.id, messageId: original!.messageId, status: 'pending', attempts: 0 });
    const [, again] = await receiver.waitFor(hook, 2);
    expect(again!.id).toBe(first!.id);
    expect(again!.body).toBe(first!.body);
    expect(receiverVerifies(secret, again!)).toBe(true);
    expectProblem(await send(g.app, 'POST', `/v1/orgs/${org.orgId}/webhooks/${webhook.id}/deliveries/${uuidv7()}/replay`, undefined, bearer(org.owner.accessToken)), 404, 'NOT_FOUND');

    const test = await send(g.app, 'POST', `/v1/orgs/${org.orgId}/webhooks/${webhook.id}/test`, undefined, bearer(org.owner.accessToken));
    expect(test.statusCode, test.body).toBe(202);
    const [, , tested] = await receiver.waitFor(hook, 3);
    expect(payloadOf(tested!.body)).toMatchObject({ type: 'webhook.test', data: { orgId: org.orgId, webhookId: webhook.id } });
    expect(receiverVerifies(secret, tested!)).toBe(true);
    const actions = await g.invites.sql<{ action: string }>(`select action from audit_log where target = ? order by at`, [`webhook:${webhook.id}`]);
    expect(actions.map((a) => a.action)).toEqual(['webhook.created', 'webhook.delivery_replayed', 'webhook.tested']);
  });

  it('signs with the old and the new secret during a rotation grace period', async () => {
    const org = await orgWithOwner(g.invites, 10);
    const hook = path();
    const { webhook, secret: old } = await createWebhook(org, { url: receiver.url(hook), eventTypes: ['invite.created'] });
    const rotated = await send(g.app, 'POST', `/v1/orgs/${org.orgId}/webhooks/${webhook.id}/rotate-secret`, undefined, bearer(org.owner.accessToken));
    expect(rotated.statusCode, rotated.body).toBe(200);
    const { secret: fresh, webhook: after } = json<WebhookWithSecret>(rotated);
    expect(fresh).not.toBe(old);
    expect(Date.parse(after.previousSecretExpiresAt!) - Date.now()).toBeGreaterThan(23 * 3_600_000);
    await createInvite(org);
    const [delivery] = await receiver.waitFor(hook, 1);
    expect(delivery!.signature.split(' ')).toHaveLength(2);
    expect(receiverVerifies(fresh, delivery!)).toBe(true);
    expect(receiverVerifies(old, delivery!)).toBe(true);

    // Once the grace period is over, only the new secret signs.
    await g.invites.sql(`update webhook_endpoints set previous_secret_expires_at = now() - interval '1 second' where id = ?`, [webhook.id]);
    await new Promise((resolve) => setTimeout(resolve, 2100)); // the dispatcher's view of an endpoint lives 2 s
    await createInvite(org);
    const [, later] = await receiver.waitFor(hook, 2);
    expect(later!.signature.split(' ')).toHaveLength(1);
    expect(receiverVerifies(fresh, later!)).toBe(true);
    expect(receiverVerifies(old, later!)).toBe(false);
  });

  it('stops on disable and delete, and follows a changed URL and event types', async () => {
    const org = await orgWithOwner(g.invites, 10);
    const [hook, moved] = [path(), path()];
    const { webhook } = await createWebhook(org, { url: receiver.url(hook), eventTypes: ['invite.created'] });
    const headers = bearer(org.owner.accessToken);
    const patch = (body: unknown): Promise<Response> => send(g.app, 'PATCH', `/v1/orgs/${org.orgId}/webhooks/${webhook.id}`, body, headers);
    expect(json(await patch({ enabled: false }))).toMatchObject({ enabled: false, disabledReason: 'manual' });
    await createInvite(org);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(receiver.at(hook)).toHaveLength(0);

    expect(json(await patch({ enabled: true, url: receiver.url(moved), eventTypes: ['invite.withdrawn'] }))).toMatchObject({ enabled: true, eventTypes: ['invite.withdrawn'] });
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const created = await createInvite(org);
    await send(g.app, 'DELETE', `/v1/orgs/${org.orgId}/invites/${created.invite.id}`, undefined, headers);
    const [delivery] = await receiver.waitFor(moved, 1);
    expect(payloadOf(delivery!.body).type).toBe('invite.withdrawn');
    expect(receiver.at(hook)).toHaveLength(0);

    expect((await send(g.app, 'DELETE', `/v1/orgs/${org.orgId}/webhooks/${webhook.id}`, undefined, headers)).statusCode).toBe(204);
    expectProblem(await send(g.app, 'GET', `/v1/orgs/${org.orgId}/webhooks/${webhook.id}`, undefined, headers), 404, 'NOT_FOUND');
    const [row] = await g.invites.sql<{ secret_sealed: string | null }>(`select secret_sealed from webhook_endpoints where id = ?`, [webhook.id]);
    expect(row!.secret_sealed).toBeNull();
    const another = await createInvite(org);
    await send(g.app, 'DELETE', `/v1/orgs/${org.orgId}/invites/${another.invite.id}`, undefined, headers);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.at(moved)).toHaveLength(1);
    const actions = await g.invites.sql<{ action: string; data: { changed?: string[] } }>(`select action, data from audit_log where target = ? order by at`, [`webhook:${webhook.id}`]);
    expect(actions.map((a) => a.action)).toEqual(['webhook.created', 'webhook.updated', 'webhook.updated', 'webhook.deleted']);
    expect(actions[2]!.data.changed!.sort()).toEqual(['enabled', 'eventTypes', 'url']);
  });

  it('claims per endpoint: a long backlog of one endpoint does not hold back another', async () => {
    const org = await orgWithOwner(g.invites, 10);
    const [backed, healthy] = [path(), path()];
    const slow = await createWebhook(org, { url: receiver.url(backed), eventTypes: ['invite.created'] });
    const fast = await createWebhook(org, { url: receiver.url(healthy), eventTypes: ['invite.created'] });
    // What an outage leaves behind: 1,500 due rows for one endpoint, all older than the other endpoint's 40.
    const seed = (endpointId: string, count: number, age: string) =>
      g.invites.sql(
        `insert into webhook_deliveries (id, endpoint_id, org_id, message_id, event_type, body, next_attempt_at)
         select gen_random_uuid(), ?, ?, 'msg_seed_' || ? || '_' || i, 'invite.created',
                json_build_object('type', 'invite.created', 'timestamp', now(), 'data', json_build_object('orgId', ?::text))::text,
                now() - ?::interval + i * interval '1 ms'
           from generate_series(1, ?) i`,
        [endpointId, org.orgId, endpointId, org.orgId, age, count],
      );
    await seed(slow.webhook.id, 1500, '1 hour');
    await seed(fast.webhook.id, 40, '1 minute');
    await receiver.waitFor(healthy, 40, 20_000);
    // Served beside the backlog, not behind it: claims take each endpoint's oldest rows up to its
    // lane's room (about 40 of the backlog go out meanwhile; oldest-first claims across
    // endpoints let some 270 through first).
    expect(receiver.at(backed).length).toBeLessThan(150);
    // Disabling it cancels its backlog, while its attempts are being recorded.
    const off = await send(g.app, 'PATCH', `/v1/orgs/${org.orgId}/webhooks/${slow.webhook.id}`, { enabled: false }, bearer(org.owner.accessToken));
    expect(off.statusCode, off.body).toBe(200);
    const [left] = await g.invites.sql<{ n: number }>(`select count(*)::int as n from webhook_deliveries where endpoint_id = ? and status = 'pending'`, [slow.webhook.id]);
    expect(left!.n).toBe(0);
  });

  it('lets a fast endpoint go at full speed while another one is slow', async () => {
    const org = await orgWithOwner(g.invites, 20);
    const [fast, slow] = [path(), path()];
    receiver.answer(slow, () => ({ status: 200, delayMs: 1500 }));
    await createWebhook(org, { url: receiver.url(slow), eventTypes: ['invite.created'] });
    await createWebhook(org, { url: receiver.url(fast), eventTypes: ['invite.created'] });
    const started = Date.now();
    for (let i = 0; i < 6; i++) await createInvite(org);
    await receiver.waitFor(fast, 6);
    const fastDone = Date.now() - started;
    // The slow one takes two at a time (WEBHOOKS_ENDPOINT_CONCURRENCY) at 1.5 s each: 4.5 s for six.
    expect(receiver.at(slow).length).toBeLessThan(6);
    expect(fastDone).toBeLessThan(3000);
    await receiver.waitFor(slow, 6);
  });
});
