import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The webhook dispatcher's metrics, on a registry of its own (no per-org or per-endpoint labels). */
export function createWebhookMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const attempts = new Counter({
    name: 'webhook_attempts_total',
    help: 'Delivery attempts, by outcome: success (2xx), failure (any other answer, timeout, refused address, connection error)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const finished = new Counter({
    name: 'webhook_deliveries_finished_total',
    help: 'Deliveries that reached a final state: delivered, failed (every attempt failed), cancelled (endpoint disabled or deleted)',
    labelNames: ['status'],
    registers: [registry],
  });
  const attemptDuration = new Histogram({
    name: 'webhook_attempt_duration_seconds',
    help: 'Time of one attempt, connection included, until the answer or the failure',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const eventToDelivery = new Histogram({
    name: 'webhook_event_to_delivery_seconds',
    help: 'From the event to its successful delivery (first attempts and retries alike)',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
    registers: [registry],
  });
  const queued = new Counter({ name: 'webhook_deliveries_queued_total', help: 'Deliveries created from stream events (one per subscribed endpoint)', registers: [registry] });
  const disabled = new Counter({ name: 'webhook_endpoints_disabled_total', help: 'Endpoints disabled automatically after sustained failure', registers: [registry] });
  const waiting = new Gauge({ name: 'webhook_lanes_waiting', help: 'Attempts claimed by this process and waiting for a slot', registers: [registry] });
  const inFlight = new Gauge({ name: 'webhook_lanes_in_flight', help: 'Attempts in flight from this process', registers: [registry] });
  const due = new Gauge({ name: 'webhook_deliveries_due', help: 'Pending deliveries whose attempt is due, in PostgreSQL (all processes)', registers: [registry] });
  for (const outcome of ['success', 'failure']) attempts.inc({ outcome }, 0);
  for (const status of ['delivered', 'failed', 'cancelled']) finished.inc({ status }, 0);
  return { registry, attempts, finished, attemptDuration, eventToDelivery, queued, disabled, waiting, inFlight, due };
}

export type WebhookMetrics = ReturnType<typeof createWebhookMetrics>;
