import type { EntityManager } from '@mikro-orm/postgresql';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, JetStreamApiError, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { consumeOptions, DeliveryResultEvent, matches } from '@invite/contracts';
import { inSpan, SpanKind } from '@invite/telemetry';
import type { Domain } from '../domain/context.ts';
import type { Logger } from '@invite/telemetry';
import type { Metrics } from '../metrics.ts';

/** Creates the durable `invites-delivery` consumer on NOTIFICATIONS, or brings it to this configuration. */
export async function ensureDeliveryConsumer(jsm: JetStreamManager, domain: Domain): Promise<void> {
  const config = {
    durable_name: domain.names.deliveryConsumer,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(30_000),
    max_deliver: 50,
    max_ack_pending: 1000,
  };
  try {
    await jsm.consumers.add(domain.names.notificationStream, config);
  } catch (error) {
    if (!(error instanceof JetStreamApiError)) throw error;
    await jsm.consumers.update(domain.names.notificationStream, config.durable_name, config);
  }
}

/**
 * Applies one delivery result to the invite's channel state. Results for an older
 * token version are ignored (a resend started over), and a confirmed `sent` is never
 * downgraded by a late `failed`.
 */
export async function recordDeliveryResult(em: EntityManager, result: DeliveryResultEvent): Promise<boolean> {
  const c = result.channel === 'sms' ? 'sms' : 'email';
  const status = result.type.slice('delivery.'.length);
  // A confirmed send is final; a failure never overwrites a later give-up.
  const guard = status === 'sent' ? '' : `and ${c}_status <> 'sent'${status === 'failed' ? ` and ${c}_status <> 'dead'` : ''}`;
  const updated = await em.execute<{ affectedRows: number }>(
    `update invites set ${c}_status = ?, ${c}_attempts = greatest(${c}_attempts, ?), ${c}_last_error = ?,
            ${c}_sent_at = case when ? = 'sent' then ?::timestamptz else ${c}_sent_at end,
            ${c}_provider_id = coalesce(?, ${c}_provider_id), ${c}_updated_at = now()
      where id = ? and token_version = ? ${guard}`,
    [status, result.attempt, result.error ?? null, status, result.occurredAt, result.providerMessageId ?? null, result.inviteId, result.tokenVersion],
    'run',
  );
  return updated.affectedRows > 0;
}

const resultConcurrency = 16;

/**
 * Consumes delivery results and records them; acks only after the row is written, then
 * re-publishes each applied result on `deliveryRecorded` for live views.
 */
export async function startDeliveryResultsConsumer(nc: NatsConnection, js: JetStreamClient, domain: Domain, logger: Logger, metrics: Metrics) {
  const consumer = await js.consumers.get(domain.names.notificationStream, domain.names.deliveryConsumer);
  const messages = await consumer.consume({ ...consumeOptions, max_messages: 200 });
  // Results are applied a few at a time: each is one conditional update whose guards
  // (token version, never downgrading sent or dead) make the order between them moot.
  const inFlight = new Set<Promise<void>>();
  const done = (async () => {
    for await (const msg of messages) {
      if (inFlight.size >= resultConcurrency) await Promise.race(inFlight);
      const task: Promise<void> = handle(msg).finally(() => inFlight.delete(task));
      inFlight.add(task);
    }
  })();

  async function handle(msg: JsMsg): Promise<void> {
    let result: unknown;
    try {
      result = msg.json();
    } catch {
      result = undefined;
    }
    if (!matches(DeliveryResultEvent, result)) {
      logger.error({ subject: msg.subject, seq: msg.seq }, 'delivery result does not match its schema; dropped');
      msg.term();
      return;
    }
    try {
      const applied = await inSpan(
        `${msg.subject} record`,
        { kind: SpanKind.CONSUMER, parent: msg.headers?.get('traceparent') || undefined, attributes: { 'messaging.system': 'nats' } },
        () => recordDeliveryResult(domain.orm.em.fork() as EntityManager, result),
      );
      metrics.deliveryResults.inc({ channel: result.channel, outcome: applied ? result.type.slice(9) : 'stale' });
      msg.ack();
      // Live views re-read the invite on this, so it goes out only once the row shows it.
      if (applied) nc.publish(domain.names.deliveryRecorded, msg.data, msg.headers ? { headers: msg.headers } : undefined);
    } catch (error) {
      logger.warn({ err: error, inviteId: result.inviteId }, 'could not record delivery result; retrying');
      msg.nak(Math.min(30_000, 1000 * 2 ** Math.min(msg.info.deliveryCount, 5)));
    }
  }

  return {
    async stop() {
      await messages.close();
      await done.catch(() => {});
      await Promise.allSettled([...inFlight]);
    },
  };
}
