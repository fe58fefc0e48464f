import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { operationNames } from '@invite/contracts';

/** The invites service's Prometheus metrics, on a registry of its own. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const operationDuration = new Histogram({
    name: 'invites_operation_duration_seconds',
    help: 'Time to answer one NATS operation, by operation and outcome (ok or an error code)',
    labelNames: ['operation', 'outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  for (const operation of operationNames) operationDuration.zero({ operation, outcome: 'ok' });
  const outboxPublished = new Counter({
    name: 'invites_outbox_published_total',
    help: 'Events the outbox relay published to JetStream (duplicates dropped by JetStream included)',
    registers: [registry],
  });
  const outboxPending = new Gauge({
    name: 'invites_outbox_pending',
    help: 'Outbox rows not yet published',
    registers: [registry],
  });
  const outboxLag = new Gauge({
    name: 'invites_outbox_oldest_unpublished_age_seconds',
    help: 'Age of the oldest unpublished outbox row (0 when none)',
    registers: [registry],
  });
  const outboxPublishErrors = new Counter({
    name: 'invites_outbox_publish_errors_total',
    help: 'Failed attempts of the relay to publish a batch',
    registers: [registry],
  });
  const expired = new Counter({ name: 'invites_expired_by_sweeper_total', help: 'Invites the sweeper expired', registers: [registry] });
  const reconciled = new Counter({
    name: 'invites_deliveries_republished_total',
    help: 'Deliveries re-published by the reconciler because no result arrived in time',
    registers: [registry],
  });
  const deliveryResults = new Counter({
    name: 'invites_delivery_results_total',
    help: 'Delivery results recorded, by channel and outcome',
    labelNames: ['channel', 'outcome'],
    registers: [registry],
  });
  for (const channel of ['email', 'sms']) for (const outcome of ['sent', 'failed', 'dead', 'skipped', 'stale']) deliveryResults.inc({ channel, outcome }, 0);
  return { registry, operationDuration, outboxPublished, outboxPending, outboxLag, outboxPublishErrors, expired, reconciled, deliveryResults };
}

export type Metrics = ReturnType<typeof createMetrics>;
