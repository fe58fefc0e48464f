import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Kvm } from '@nats-io/kv';
import { natsNames } from '@invite/contracts';
import type { NotifierApp } from '../src/app.ts';
import { createDeliveryLedger, deliveryKey } from '../src/idempotency/delivery-ledger.ts';
import { bucketNames } from '../src/stores.ts';
import { createTestBus, eventually, notifierEnv, startTestNotifier, type TestBus } from './support/harness.ts';
import { startSmtpMailbox, type SmtpMailbox } from './support/smtp-mailbox.ts';

/**
 * An invite that closes (withdrawn, accepted, …) while its email waits for a retry is
 * not sent afterwards: the link would only lead to an error page.
 */
let smtp: SmtpMailbox;
let bus: TestBus;
let app: NotifierApp;
let prefix: string;
const attempts = new Map<string, number>();

beforeAll(async () => {
  // The first DATA of every recipient gets a temporary failure; later ones are accepted.
  smtp = await startSmtpMailbox({
    data: (transmission) => {
      const to = transmission.to[0] ?? '';
      const n = (attempts.get(to) ?? 0) + 1;
      attempts.set(to, n);
      return n === 1 ? { code: 451, message: 'Try again later' } : 'accept';
    },
  });
  // A long first backoff leaves ample time for the closing event to arrive before the retry.
  const env = notifierEnv('closed', { SMTP_URL: smtp.url, NOTIFIER_BACKOFF_BASE_MS: '1500', NOTIFIER_BACKOFF_MAX_MS: '3000' });
  prefix = env.NATS_PREFIX!;
  const started = await startTestNotifier(env);
  app = started.app;
  bus = await createTestBus(started.config);
});

afterAll(async () => {
  await app?.stop();
  await bus?.close();
  await smtp?.close();
});

/** The notifier's ledger, read from the test's own connection. */
async function ledger() {
  const kv = await new Kvm(bus.nc).open(bucketNames(prefix).deliveries);
  return createDeliveryLedger({ kv, leaseMs: 0 });
}

async function close(inviteId: string, type: 'withdrawn' | 'accepted') {
  const names = natsNames(prefix);
  const base = { id: randomUUID(), occurredAt: new Date().toISOString(), orgId: '00000000-0000-4000-8000-000000000001', inviteId };
  const event =
    type === 'withdrawn'
      ? { ...base, type: 'invite.withdrawn', actor: 'user:someone' }
      : { ...base, type: 'invite.accepted', userId: randomUUID(), role: 'member', newAccount: true };
  await bus.js.publish(names.inviteEvent(type), JSON.stringify(event), { msgID: event.id });
}

describe('deliveries of an invite that closed while they waited', () => {
  it.each(['withdrawn', 'accepted'] as const)('are skipped once the invite is %s, and nothing reaches the mailbox', async (closing) => {
    const email = `${closing}@example.test`;
    const { event } = await bus.publishInvite({ email });
    await eventually(async () => (await bus.resultsFor(event.inviteId)).find((r) => r.type === 'delivery.failed'), 20_000, 'the first, failed attempt');
    await close(event.inviteId, closing);

    const skipped = await eventually(async () => (await bus.resultsFor(event.inviteId)).find((r) => r.type === 'delivery.skipped'), 20_000, 'the skipped result');
    expect(skipped.error).toBe(`the invite was ${closing} before it was delivered`);
    expect(smtp.deliveredTo(email)).toHaveLength(0);
    expect(attempts.get(email)).toBe(1);
    expect((await bus.resultsFor(event.inviteId)).map((r) => r.type)).not.toContain('delivery.sent');
  });

  it('are skipped when the invite closed before their first attempt, and the claim taken beside the closure check is handed back', async () => {
    const email = 'closed-first@example.test';
    const inviteId = randomUUID();
    await close(inviteId, 'withdrawn');
    await eventually(async () => (await ledger()).closedAs(inviteId), 20_000, 'the closure recorded');
    // Re-published by the invites reconciler, twice: the second finds the record the first handed back.
    await bus.publishInvite({ email, inviteId, redelivery: true });
    await bus.publishInvite({ email, inviteId, redelivery: true });

    await eventually(
      async () => {
        const info = await bus.jsm.consumers.info(bus.names.inviteStream, bus.names.notifierConsumer);
        return info.num_pending === 0 && info.num_ack_pending === 0;
      },
      20_000,
      'both events handled and acked',
    );
    // The second skipped result carries the first one's msgID: JetStream kept one.
    expect((await bus.resultsFor(inviteId)).map((r) => `${r.type}#${r.attempt}`)).toEqual(['delivery.skipped#1']);
    expect((await (await ledger()).get(deliveryKey(inviteId, 1, 'email')))?.record).toMatchObject({ state: 'failed', error: 'not sent: the invite was withdrawn' });
    expect(attempts.get(email)).toBeUndefined();
    expect(smtp.deliveredTo(email)).toHaveLength(0);
  });

  it('still delivers an open invite after its temporary failure', async () => {
    const email = 'open@example.test';
    const { event } = await bus.publishInvite({ email });
    await eventually(async () => (await bus.resultsFor(event.inviteId)).find((r) => r.type === 'delivery.sent'), 20_000, 'the sent result');
    expect(smtp.deliveredTo(email)).toHaveLength(1);
  });
});
