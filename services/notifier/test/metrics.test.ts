import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotifierApp } from '../src/app.ts';
import { startOpsServer } from '@invite/telemetry';
import { createTestBus, eventually, notifierEnv, startTestNotifier, type TestBus } from './support/harness.ts';
import { startSmtpMailbox, type SmtpMailbox } from './support/smtp-mailbox.ts';

/** /metrics scraped over HTTP, as Prometheus would: the counters move as the deliveries say. */
let smtp: SmtpMailbox;
let bus: TestBus;
let app: NotifierApp;
let ops: Awaited<ReturnType<typeof startOpsServer>>;
const dataCounts = new Map<string, number>();

beforeAll(async () => {
  smtp = await startSmtpMailbox({
    data: (t) => {
      const to = t.to[0]!;
      const n = (dataCounts.get(to) ?? 0) + 1;
      dataCounts.set(to, n);
      if (to === 'm-dead@example.test') return { code: 550, message: 'No such user' };
      if (to === 'm-retry@example.test' && n === 1) return { code: 421, message: 'Try later' };
      return 'accept';
    },
  });
  // 120 a minute: one every 500 ms, two at once at most.
  const started = await startTestNotifier(notifierEnv('metrics', { SMTP_URL: smtp.url, EMAIL_RATE_PER_MINUTE: '120', NOTIFIER_CONCURRENCY: '8' }));
  app = started.app;
  bus = await createTestBus(started.config);
  ops = await startOpsServer({ port: 0, host: '127.0.0.1', registry: app.metrics.registry, ready: app.ready });
});

afterAll(async () => {
  await ops?.close();
  await app?.stop();
  await bus?.close();
  await smtp?.close();
});

async function scrape(): Promise<Map<string, number>> {
  const body = await (await fetch(`http://127.0.0.1:${ops.port}/metrics`)).text();
  const samples = new Map<string, number>();
  for (const line of body.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

describe('metrics', () => {
  it('serves /healthz, /readyz and every delivery series at zero from boot', async () => {
    expect((await fetch(`http://127.0.0.1:${ops.port}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${ops.port}/readyz`)).status).toBe(200);
    const m = await scrape();
    for (const [channel, providers] of [['email', ['smtp', 'file', 'none']], ['sms', ['twilio', 'none']]] as const) {
      for (const provider of providers) {
        for (const outcome of ['sent', 'failed', 'dead', 'skipped']) {
          expect(m.get(`notifier_deliveries_total{channel="${channel}",provider="${provider}",outcome="${outcome}"}`), `${channel}/${provider}/${outcome}`).toBe(0);
        }
      }
      expect(m.get(`notifier_dead_letters_total{channel="${channel}"}`)).toBe(0);
      expect(m.get(`notifier_delivery_duration_seconds_count{channel="${channel}"}`)).toBe(0);
      expect(m.get(`notifier_delivery_attempts_count{channel="${channel}",outcome="sent"}`)).toBe(0);
      expect(m.get(`notifier_rate_limit_wait_seconds_count{channel="${channel}"}`)).toBe(0);
    }
    expect(m.has('notifier_consumer_pending')).toBe(true);
    expect(m.has('notifier_consumer_ack_pending')).toBe(true);
  });

  it('counts sent, failed and dead deliveries, attempts, dead letters and rate-limit waits', async () => {
    const ok = await Promise.all(['m-1', 'm-2', 'm-3'].map((n) => bus.publishInvite({ email: `${n}@example.test` })));
    const retried = await bus.publishInvite({ email: 'm-retry@example.test' });
    const dead = await bus.publishInvite({ email: 'm-dead@example.test' });
    for (const { event } of [...ok, retried]) {
      await eventually(async () => (await bus.resultsFor(event.inviteId)).some((r) => r.type === 'delivery.sent'), 30_000, `sent ${event.email}`);
    }
    await eventually(async () => (await bus.resultsFor(dead.event.inviteId)).some((r) => r.type === 'delivery.dead'));

    const m = await scrape();
    const email = (outcome: string) => m.get(`notifier_deliveries_total{channel="email",provider="smtp",outcome="${outcome}"}`);
    expect(email('sent')).toBe(4);
    expect(email('failed')).toBe(1);
    expect(email('dead')).toBe(1);
    expect(email('skipped')).toBe(0);
    expect(m.get('notifier_dead_letters_total{channel="email"}')).toBe(1);
    // Attempts needed: 1 + 1 + 1 + 2 for the sent ones, 1 for the dead one.
    expect(m.get('notifier_delivery_attempts_count{channel="email",outcome="sent"}')).toBe(4);
    expect(m.get('notifier_delivery_attempts_sum{channel="email",outcome="sent"}')).toBe(5);
    expect(m.get('notifier_delivery_attempts_sum{channel="email",outcome="dead"}')).toBe(1);
    expect(m.get('notifier_delivery_duration_seconds_count{channel="email"}')).toBe(6);
    expect(m.get('notifier_deliveries_total{channel="sms",provider="twilio",outcome="sent"}')).toBe(0);

    // Six sends (five first attempts and a retry) booked against 120/min with a burst of two:
    // every one is measured, and some waited (the pacing itself is unit-tested with a clock).
    expect(m.get('notifier_rate_limit_wait_seconds_count{channel="email"}')).toBe(6);
    expect(m.get('notifier_rate_limit_wait_seconds_sum{channel="email"}')).toBeGreaterThan(0);

    await eventually(async () => (await scrape()).get('notifier_consumer_ack_pending') === 0, 10_000, 'ack pending gauge back to 0');
  });

  it('books no rate-limit slot for a re-published delivery that was already sent', async () => {
    const { event } = await bus.publishInvite({ email: 'm-again@example.test' });
    await eventually(async () => (await bus.resultsFor(event.inviteId)).some((r) => r.type === 'delivery.sent'), 30_000, 'sent');
    const booked = (await scrape()).get('notifier_rate_limit_wait_seconds_count{channel="email"}');

    await bus.publishInvite({ email: 'm-again@example.test', inviteId: event.inviteId, redelivery: true });
    await eventually(
      async () => {
        const info = await bus.jsm.consumers.info(bus.names.inviteStream, bus.names.notifierConsumer);
        return info.num_pending === 0 && info.num_ack_pending === 0;
      },
      10_000,
      'the re-published event handled',
    );
    expect((await scrape()).get('notifier_rate_limit_wait_seconds_count{channel="email"}')).toBe(booked);
    expect(dataCounts.get('m-again@example.test')).toBe(1);
  });
});
