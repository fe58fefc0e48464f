import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { natsNames } from '@invite/contracts';
import type { NotifierApp } from '../src/app.ts';
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

  it('still delivers an open invite after its temporary failure', async () => {
    const email = 'open@example.test';
    const { event } = await bus.publishInvite({ email });
    await eventually(async () => (await bus.resultsFor(event.inviteId)).find((r) => r.type === 'delivery.sent'), 20_000, 'the sent result');
    expect(smtp.deliveredTo(email)).toHaveLength(1);
  });
});
