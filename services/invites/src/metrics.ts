import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { operationNames } from '@invite/contracts';
import type { BusinessCounters } from './domain/context.ts';

/** Business counters, without per-org labels (cardinality stays fixed however many orgs there are). */
function createBusinessCounters(registry: Registry): BusinessCounters {
  const created = new Counter({ name: 'invites_created_total', help: 'Invites created (single, bulk rows and bootstrap owner invites)', registers: [registry] });
  const accepted = new Counter({ name: 'invites_accepted_total', help: 'Invites accepted', registers: [registry] });
  const withdrawn = new Counter({ name: 'invites_withdrawn_total', help: 'Invites withdrawn by their organisation', registers: [registry] });
  const expired = new Counter({ name: 'invites_expired_total', help: 'Invites expired (by the sweeper or inline before a new invite)', registers: [registry] });
  const timeToAccept = new Histogram({
    name: 'invite_time_to_accept_seconds',
    help: 'Time from the creation of an invite to its acceptance',
    buckets: [60, 300, 900, 3600, 3 * 3600, 12 * 3600, 86_400, 2 * 86_400, 7 * 86_400, 30 * 86_400],
    registers: [registry],
  });
  return {
    created: (count) => created.inc(count),
    accepted(seconds) {
      accepted.inc();
      timeToAccept.observe(Math.max(0, seconds));
    },
    withdrawn: () => withdrawn.inc(),
    expired: (count) => expired.inc(count),
  };
}

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
  const business = createBusinessCounters(registry);
  return { registry, business, operationDuration, outboxPublished, outboxPending, outboxLag, outboxPublishErrors, reconciled, deliveryResults };
}

export type Metrics = ReturnType<typeof createMetrics>;
