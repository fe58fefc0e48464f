import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { accountEmailTypes, channels, type Channel } from '@invite/contracts';

/** Result of one attempt on one channel, as counted and as published. */
export const outcomes = ['sent', 'failed', 'dead', 'skipped'] as const;
export type Outcome = (typeof outcomes)[number];

/** Every provider a channel can have; all of them are zeroed so dashboards see every series from boot. */
export const providersByChannel: Record<Channel, readonly string[]> = {
  email: ['smtp', 'file', 'none'],
  sms: ['twilio', 'none'],
};

/** The notifier's Prometheus metrics, on a registry of its own (no module singleton). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const deliveries = new Counter({
    name: 'notifier_deliveries_total',
    help: 'Delivery attempts by channel, provider and outcome (sent, failed = will retry, dead = gave up, skipped = channel not configured)',
    labelNames: ['channel', 'provider', 'outcome'],
    registers: [registry],
  });
  const accountEmails = new Counter({
    name: 'notifier_account_emails_total',
    help: 'Account emails (address codes, password reset links) by kind and outcome: sent, failed = will retry, dead = gave up, skipped = email not configured. Kept apart from invite deliveries, whose SLO they must not move',
    labelNames: ['kind', 'outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'notifier_delivery_duration_seconds',
    help: 'Time of one provider call (SMTP transaction or Twilio request), successful or not',
    labelNames: ['channel'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const attempts = new Histogram({
    name: 'notifier_delivery_attempts',
    help: 'Attempts a delivery needed before it was sent or dead-lettered',
    labelNames: ['channel', 'outcome'],
    buckets: [1, 2, 3, 4, 5, 6, 8, 10, 15, 20],
    registers: [registry],
  });
  const deadLetters = new Counter({
    name: 'notifier_dead_letters_total',
    help: 'Deliveries given up and stored as dead letters',
    labelNames: ['channel'],
    registers: [registry],
  });
  const ambiguous = new Counter({
    name: 'notifier_ambiguous_sends_total',
    help: 'Provider calls that ended without knowing whether the message went out (connection lost after DATA, Twilio 5xx or timeout)',
    labelNames: ['channel'],
    registers: [registry],
  });
  const rateLimitWait = new Histogram({
    name: 'notifier_rate_limit_wait_seconds',
    help: 'Time a delivery waited for its provider rate limit before being sent',
    labelNames: ['channel'],
    buckets: [0, 0.01, 0.1, 0.5, 1, 5, 15, 60, 300],
    registers: [registry],
  });
  const consumerPending = new Gauge({
    name: 'notifier_consumer_pending',
    help: 'Invite events in the stream not yet delivered to the notifier consumer',
    registers: [registry],
  });
  const consumerAckPending = new Gauge({
    name: 'notifier_consumer_ack_pending',
    help: 'Invite events delivered to the notifier and not yet acknowledged (in flight or waiting for a retry)',
    registers: [registry],
  });
  const consumerRedelivered = new Gauge({
    name: 'notifier_consumer_redelivered',
    help: 'Invite events delivered more than once and not yet acknowledged',
    registers: [registry],
  });

  for (const channel of channels) {
    for (const provider of providersByChannel[channel]) for (const outcome of outcomes) deliveries.inc({ channel, provider, outcome }, 0);
    duration.zero({ channel });
    for (const outcome of ['sent', 'dead']) attempts.zero({ channel, outcome });
    deadLetters.inc({ channel }, 0);
    ambiguous.inc({ channel }, 0);
    rateLimitWait.zero({ channel });
  }
  for (const kind of accountEmailTypes) for (const outcome of outcomes) accountEmails.inc({ kind, outcome }, 0);
  consumerPending.set(0);
  consumerAckPending.set(0);
  consumerRedelivered.set(0);

  return { registry, deliveries, accountEmails, duration, attempts, deadLetters, ambiguous, rateLimitWait, consumerPending, consumerAckPending, consumerRedelivered };
}

export type Metrics = ReturnType<typeof createMetrics>;
