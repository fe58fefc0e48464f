import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { createTokenCipher, ensureStreams, natsNames, serviceConnectionOptions } from '@invite/contracts';
import type { Logger } from '@invite/telemetry';
import { createOrm, isReady, migrate } from '../db/orm.ts';
import type { Resolve } from './address-policy.ts';
import { createWebhookDispatcher, type WebhookDispatcher } from './webhook.dispatcher.ts';
import { ensureWebhookConsumers, startWebhookEventConsumers } from './webhook-events.consumer.ts';
import { createWebhookMetrics, type WebhookMetrics } from './webhook.metrics.ts';
import type { WebhooksConfig } from './webhooks.config.ts';

export interface WebhooksApp {
  nc: NatsConnection;
  metrics: WebhookMetrics;
  dispatcher: WebhookDispatcher;
  /** Whether PostgreSQL and NATS answer. */
  ready(): Promise<boolean>;
  /** Stops taking events, finishes the attempts in flight, drains NATS and closes the database. */
  stop(): Promise<void>;
}

/**
 * Assembles and starts the webhook dispatcher: migrations, streams and its consumers
 * (all idempotent), the dispatcher and its poll. Serves no HTTP (server.ts does).
 */
export async function startWebhooks(config: WebhooksConfig, logger: Logger, options: { resolve?: Resolve } = {}): Promise<WebhooksApp> {
  const orm = await createOrm({ databaseUrl: config.DATABASE_URL, poolMax: config.DATABASE_POOL_MAX });
  await migrate(orm);
  const names = natsNames(config.NATS_PREFIX);
  const nc = await connect(serviceConnectionOptions(config.NATS_URL, 'webhooks'));
  try {
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm, names, config.STREAM_REPLICAS);
    await ensureWebhookConsumers(jsm, names);
    const metrics = createWebhookMetrics();
    const dispatcher = createWebhookDispatcher({
      orm,
      cipher: createTokenCipher(config.TOKEN_ENCRYPTION_KEY),
      logger,
      metrics,
      resolve: options.resolve,
      settings: {
        allowPrivate: config.WEBHOOKS_ALLOW_PRIVATE,
        timeoutMs: config.WEBHOOKS_TIMEOUT_MS,
        maxAttempts: config.WEBHOOKS_MAX_ATTEMPTS,
        backoffBaseMs: config.WEBHOOKS_BACKOFF_BASE_MS,
        backoffMaxMs: config.WEBHOOKS_BACKOFF_MAX_MS,
        perEndpoint: config.WEBHOOKS_ENDPOINT_CONCURRENCY,
        total: config.WEBHOOKS_CONCURRENCY,
        disableAfterHours: config.WEBHOOKS_DISABLE_AFTER_HOURS,
        disableAfterFailures: config.WEBHOOKS_DISABLE_AFTER_FAILURES,
        pollMs: config.WEBHOOKS_POLL_MS,
        retentionDays: config.WEBHOOKS_LOG_RETENTION_DAYS,
      },
    });
    if (config.WEBHOOKS_ALLOW_PRIVATE) logger.warn('WEBHOOKS_ALLOW_PRIVATE is on: webhooks may reach loopback and private addresses, over plain http too');
    dispatcher.start();
    const consumers = await startWebhookEventConsumers({ js: jetstream(nc), names, logger, concurrency: 32, ingest: (event) => dispatcher.ingest(event) });
    return {
      nc,
      metrics,
      dispatcher,
      ready: () => isReady(nc, orm),
      async stop() {
        await consumers.stop();
        await dispatcher.stop();
        await nc.drain();
        await orm.close();
      },
    };
  } catch (error) {
    await nc.close();
    await orm.close();
    throw error;
  }
}
