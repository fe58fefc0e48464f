import type { MikroORM } from '@mikro-orm/postgresql';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Service } from '@nats-io/services';
import { createAddressProofs, createTokenCipher, ensureStreams, loadPrivateKey, loadPublicKey, natsNames, serviceConnectionOptions } from '@invite/contracts';
import type { InvitesConfig } from './config.ts';
import { createOrm, isReady, migrate } from './db/orm.ts';
import { noCounters, type BusinessCounters, type Domain } from './domain/context.ts';
import { preloadCommonPasswords } from './domain/password-policy.ts';
import { createDeliveryReconciler } from './jobs/delivery.reconciler.ts';
import { createExpirySweeper } from './jobs/expiry.sweeper.ts';
import type { Logger } from '@invite/telemetry';
import { createMetrics, type Metrics } from './metrics.ts';
import { ensureDeliveryConsumer, startDeliveryResultsConsumer } from './nats/delivery-results.consumer.ts';
import { startInvitesService } from './nats/invites.service.ts';
import { createOutboxRelay, type OutboxRelay } from './outbox/outbox.relay.ts';

/** The domain's dependencies, without any background work: what the admin CLI and tests need. */
export async function createDomain(config: InvitesConfig, orm?: MikroORM, counters: BusinessCounters = noCounters): Promise<Domain> {
  return {
    orm: orm ?? (await createOrm({ databaseUrl: config.DATABASE_URL, poolMax: config.DATABASE_POOL_MAX })),
    config,
    names: natsNames(config.NATS_PREFIX),
    cipher: createTokenCipher(config.TOKEN_ENCRYPTION_KEY),
    proofs: createAddressProofs(config.TOKEN_ENCRYPTION_KEY),
    signingKey: loadPrivateKey(config.JWT_PRIVATE_KEY),
    verifyKey: loadPublicKey(config.JWT_PUBLIC_KEY),
    counters,
  };
}

export interface InvitesApp {
  domain: Domain;
  nc: NatsConnection;
  metrics: Metrics;
  relay: OutboxRelay;
  sweeper: ReturnType<typeof createExpirySweeper>;
  reconciler: ReturnType<typeof createDeliveryReconciler>;
  /** Whether PostgreSQL and NATS answer. */
  ready(): Promise<boolean>;
  /** Stops taking requests, finishes those in flight, drains NATS and closes the database. */
  stop(): Promise<void>;
}

/**
 * Assembles and starts the invites service: migrations, streams and consumers (all
 * idempotent), the NATS service, the outbox relay, the expiry sweeper, the delivery
 * reconciler and the delivery results consumer. Serves no HTTP itself (server.ts does).
 */
export async function startInvites(config: InvitesConfig, logger: Logger): Promise<InvitesApp> {
  const orm = await createOrm({ databaseUrl: config.DATABASE_URL, poolMax: config.DATABASE_POOL_MAX });
  const applied = await migrate(orm);
  if (applied.length) logger.info({ applied }, 'migrations applied');
  const metrics = createMetrics();
  const domain = await createDomain(config, orm, metrics.business);
  const nc = await connect(serviceConnectionOptions(config.NATS_URL, 'invites'));
  const jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, domain.names, config.STREAM_REPLICAS);
  await ensureDeliveryConsumer(jsm, domain);
  const js = jetstream(nc);

  // Read now, so that no request waits for it.
  preloadCommonPasswords();
  const service: Service = await startInvitesService({ nc, domain, logger, metrics, concurrency: config.SERVICE_CONCURRENCY });
  const relay = createOutboxRelay({
    orm,
    js,
    databaseUrl: config.DATABASE_URL,
    logger,
    metrics,
    pollMs: config.OUTBOX_POLL_MS,
    batchSize: config.OUTBOX_BATCH,
    retentionHours: config.OUTBOX_RETENTION_HOURS,
  });
  if (config.OUTBOX_RELAY === 'on') relay.start();
  const sweeper = createExpirySweeper(domain, logger, config.EXPIRY_SWEEP_MS);
  sweeper.start();
  const reconciler = createDeliveryReconciler(domain, logger, metrics, {
    intervalMs: config.RECONCILE_INTERVAL_MS,
    afterSeconds: config.RECONCILE_AFTER_SECONDS,
  });
  reconciler.start();
  const results = await startDeliveryResultsConsumer(nc, js, domain, logger, metrics);

  return {
    domain,
    nc,
    metrics,
    relay,
    sweeper,
    reconciler,
    ready: () => isReady(nc, orm),
    async stop() {
      await service.stop();
      await Promise.all([sweeper.stop(), reconciler.stop(), results.stop()]);
      await relay.stop();
      await nc.drain();
      await orm.close();
    },
  };
}
