import { nanos } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, JetStreamApiError, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { consumeOptions, type NatsNames } from '@invite/contracts';
import type { Logger } from '@invite/telemetry';

/**
 * The dispatcher's durable consumers: `webhooks` on INVITES (invite lifecycle) and
 * `webhooks` on NOTIFICATIONS (delivery results), one each because a 2.9 server takes
 * one filter subject. New consumers start at new events: an endpoint hears about what
 * happens after the dispatcher first ran (and after it was registered), not a month
 * of history. A message is acked once its deliveries are rows in PostgreSQL; from
 * there the dispatcher owns retries, so a slow endpoint never holds a stream message.
 */
export async function ensureWebhookConsumers(jsm: JetStreamManager, names: NatsNames): Promise<void> {
  for (const [stream, subject] of [
    [names.inviteStream, names.inviteEvents],
    [names.notificationStream, names.notificationEvents],
  ] as const) {
    const config = {
      durable_name: names.webhooksConsumer,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.New,
      filter_subject: subject,
      ack_wait: nanos(30_000),
      max_deliver: 50,
      max_ack_pending: 2000,
    };
    try {
      await jsm.consumers.add(stream, config);
    } catch (error) {
      if (!(error instanceof JetStreamApiError)) throw error;
      // deliver_policy cannot change on an existing consumer; the rest is brought up to date.
      const { deliver_policy: _ignored, ...rest } = config;
      await jsm.consumers.update(stream, config.durable_name, rest);
    }
  }
}

export interface EventConsumerOptions {
  js: JetStreamClient;
  names: NatsNames;
  logger: Logger;
  /** Events handled at once per stream (each is one statement per message). */
  concurrency: number;
  /** Turns one event into its deliveries; throws to have it redelivered later. */
  ingest(event: unknown, traceparent: string | undefined): Promise<void>;
}

/** Consumes both streams until stopped; an event that cannot be stored is nak'ed with a growing delay. */
export async function startWebhookEventConsumers(options: EventConsumerOptions) {
  const { js, names, logger } = options;
  const loops: { close(): Promise<void> }[] = [];
  for (const stream of [names.inviteStream, names.notificationStream]) {
    const consumer = await js.consumers.get(stream, names.webhooksConsumer);
    const messages = await consumer.consume({ ...consumeOptions, max_messages: options.concurrency * 4 });
    const inFlight = new Set<Promise<void>>();

    const handle = async (msg: JsMsg): Promise<void> => {
      let event: unknown;
      try {
        event = msg.json();
      } catch {
        msg.term();
        return;
      }
      try {
        await options.ingest(event, msg.headers?.get('traceparent') || undefined);
        msg.ack();
      } catch (error) {
        const delay = Math.min(30_000, 500 * 2 ** Math.min(msg.info.deliveryCount, 6));
        logger.warn({ err: error, subject: msg.subject, retryInMs: delay }, 'webhooks: could not queue the deliveries of an event; retrying');
        msg.nak(delay);
      }
    };

    const done = (async () => {
      for await (const msg of messages) {
        if (inFlight.size >= options.concurrency) await Promise.race(inFlight);
        const task: Promise<void> = handle(msg).finally(() => inFlight.delete(task));
        inFlight.add(task);
      }
    })();
    loops.push({
      async close() {
        await messages.close();
        await done.catch(() => {});
        await Promise.allSettled([...inFlight]);
      },
    });
  }
  return {
    async stop(): Promise<void> {
      await Promise.all(loops.map((loop) => loop.close()));
    },
  };
}
