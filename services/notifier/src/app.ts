import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { createAddressProofs, createTokenCipher, emailsKeptInDevMailbox, ensureStreams, natsNames, serviceConnectionOptions, type Channel as ChannelName, type NatsNames } from '@invite/contracts';
import { Kvm, type KV } from '@nats-io/kv';
import { createDisabledChannel, type Channel } from './channels/channel.ts';
import { createDevMailboxChannel } from './channels/dev-mailbox.channel.ts';
import { publishChannelStatus } from './channel-status.ts';
import type { NotifierConfig } from './config.ts';
import { ensureNotifierConsumer, startInviteIssuedConsumer, type InviteIssuedConsumer } from './consumers/invite-issued.consumer.ts';
import { createDeadLetterStore } from './dead-letters.ts';
import { createAccountMailer } from './delivery/deliver-account-email.ts';
import { createInviteDeliverer } from './delivery/deliver-invite.ts';
import { createRateLimiter } from './delivery/rate-limiter.ts';
import { createResultPublisher } from './delivery/results.ts';
import { createDeliveryLedger } from './idempotency/delivery-ledger.ts';
import type { Logger } from '@invite/telemetry';
import { createMetrics, type Metrics } from './metrics.ts';
import { openStores } from './stores.ts';
import { createTemplateRenderer, type OrgTemplateSource } from '@invite/templates';

/**
 * The two channels as configured; an unconfigured provider gives a channel whose
 * deliveries are skipped. A provider's client library is imported only when its
 * channel is configured: twilio alone, with axios and its generated API tree, is
 * about 10 MB of heap that a notifier without SMS would carry for nothing.
 */
export async function createChannels(config: NotifierConfig, logger: Logger, mailbox?: () => Promise<KV>): Promise<Record<ChannelName, Channel>> {
  // In development, what would go nowhere is kept in the development mailbox instead.
  const devMailbox = config.NODE_ENV === 'development' && mailbox ? mailbox : undefined;
  let email: Channel;
  if (config.SMTP_URL) {
    const { createEmailChannel } = await import('./channels/email.channel.ts');
    email = createEmailChannel({ smtpUrl: config.SMTP_URL, from: config.SMTP_FROM, maxConnections: config.SMTP_MAX_CONNECTIONS });
  } else if (config.NODE_ENV === 'development' && config.NOTIFIER_DEV_OUTBOX_DIR) {
    const { createFileOutboxChannel } = await import('./channels/email.channel.ts');
    email = createFileOutboxChannel({ dir: config.NOTIFIER_DEV_OUTBOX_DIR, from: config.SMTP_FROM });
    logger.warn({ dir: config.NOTIFIER_DEV_OUTBOX_DIR }, 'SMTP_URL is not set: emails are written to the development outbox folder');
  } else if (mailbox && emailsKeptInDevMailbox(config)) {
    email = createDevMailboxChannel('email', { mailbox, from: config.SMTP_FROM, fromName: config.SMTP_FROM_NAME });
    logger.warn(`SMTP_URL is not set: emails are kept in the development mailbox, at ${config.APP_BASE_URL}/dev/mailbox`);
  } else {
    email = createDisabledChannel('email', 'email is not configured (SMTP_URL is not set)');
    logger.warn('SMTP_URL is not set: email deliveries are recorded as skipped');
  }
  let sms: Channel;
  if (config.TWILIO_ACCOUNT_SID && config.TWILIO_AUTH_TOKEN && config.TWILIO_FROM) {
    const { createSmsChannel } = await import('./channels/sms.channel.ts');
    sms = createSmsChannel({
      accountSid: config.TWILIO_ACCOUNT_SID,
      authToken: config.TWILIO_AUTH_TOKEN,
      from: config.TWILIO_FROM,
      apiBaseUrl: config.TWILIO_API_BASE_URL,
      timeoutMs: config.NOTIFIER_SEND_TIMEOUT_MS,
    });
  } else if (devMailbox) {
    sms = createDevMailboxChannel('sms', { mailbox: devMailbox, from: config.SMTP_FROM, fromName: config.SMTP_FROM_NAME });
    logger.warn(`TWILIO_* is not set: SMS are kept in the development mailbox, at ${config.APP_BASE_URL}/dev/mailbox`);
  } else {
    sms = createDisabledChannel('sms', 'SMS is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM are not set)');
    logger.warn('TWILIO_* is not set: SMS deliveries are recorded as skipped');
  }
  return { email, sms };
}

/** The development mailbox's bucket: a week of messages, one entry per delivery. */
function openDevMailbox(nc: NatsConnection, names: NatsNames, replicas: number): Promise<KV> {
  return new Kvm(nc).create(names.devMailbox, { history: 1, ttl: 7 * 24 * 3_600_000, replicas, description: 'Development mailbox: messages kept instead of sent' });
}

export interface NotifierApp {
  nc: NatsConnection;
  metrics: Metrics;
  consumer: InviteIssuedConsumer;
  /** Whether NATS answers. */
  ready(): Promise<boolean>;
  /** Stops pulling events, finishes the sends under way, closes the SMTP pool and drains NATS. */
  stop(): Promise<void>;
}

export interface NotifierOptions {
  /** Per-organisation template overrides; the built-in templates when absent. */
  orgTemplates?: OrgTemplateSource;
}

/**
 * Assembles and starts the notifier: streams, KV buckets and the consumer (all
 * idempotent), the channels, and the consumer loop. Serves no HTTP (server.ts does).
 */
export async function startNotifier(config: NotifierConfig, logger: Logger, options: NotifierOptions = {}): Promise<NotifierApp> {
  const names = natsNames(config.NATS_PREFIX);
  const metrics = createMetrics();
  const nc = await connect(serviceConnectionOptions(config.NATS_URL, 'notifier'));
  let mailbox: Promise<KV> | undefined;
  const channels = await createChannels(config, logger, () => (mailbox ??= openDevMailbox(nc, names, config.STREAM_REPLICAS))).catch(async (error: unknown) => {
    await nc.close();
    throw error;
  });
  try {
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm, names, config.STREAM_REPLICAS);
    const stores = await openStores(nc, config.NATS_PREFIX, { replicas: config.STREAM_REPLICAS });
    await publishChannelStatus(nc, names, channels, config.STREAM_REPLICAS);
    const settings = { ackWaitMs: config.NOTIFIER_ACK_WAIT_MS, maxAttempts: config.NOTIFIER_MAX_ATTEMPTS, concurrency: config.NOTIFIER_CONCURRENCY };
    await ensureNotifierConsumer(jsm, names, settings);
    const js = jetstream(nc);

    const limiters = { email: createRateLimiter(config.EMAIL_RATE_PER_MINUTE), sms: createRateLimiter(config.SMS_RATE_PER_MINUTE) };
    // The lease outlives the longest send, so a live attempt never loses its key to another.
    const ledger = createDeliveryLedger({ kv: stores.deliveries, leaseMs: config.NOTIFIER_SEND_TIMEOUT_MS + 2000 });
    const cipher = createTokenCipher(config.TOKEN_ENCRYPTION_KEY);
    const policy = {
      maxAttempts: config.NOTIFIER_MAX_ATTEMPTS,
      backoffBaseMs: config.NOTIFIER_BACKOFF_BASE_MS,
      backoffMaxMs: config.NOTIFIER_BACKOFF_MAX_MS,
      sendTimeoutMs: config.NOTIFIER_SEND_TIMEOUT_MS,
      heartbeatMs: Math.max(100, Math.floor(config.NOTIFIER_ACK_WAIT_MS / 3)),
    };
    const deliverer = createInviteDeliverer({
      channels,
      limiters,
      ledger,
      deadLetters: createDeadLetterStore(stores.deadLetters),
      results: createResultPublisher({ js, names }),
      templates: createTemplateRenderer(options.orgTemplates ? { orgTemplates: options.orgTemplates } : {}),
      cipher,
      proofs: createAddressProofs(config.TOKEN_ENCRYPTION_KEY),
      appBaseUrl: config.APP_BASE_URL,
      policy,
      metrics,
      logger,
    });
    const accountMailer = createAccountMailer({ email: channels.email, limiter: limiters.email, ledger, cipher, appBaseUrl: config.APP_BASE_URL, policy, metrics, logger });
    const consumer = await startInviteIssuedConsumer({
      js,
      names,
      deliverer,
      accountMailer,
      logger,
      metrics,
      settings: { ...settings, backoffBaseMs: config.NOTIFIER_BACKOFF_BASE_MS, backoffMaxMs: config.NOTIFIER_BACKOFF_MAX_MS, infoEveryMs: config.NOTIFIER_CONSUMER_INFO_MS },
    });

    return {
      nc,
      metrics,
      consumer,
      async ready() {
        if (nc.isClosed()) return false;
        await nc.flush();
        return true;
      },
      async stop() {
        await consumer.stop();
        await Promise.all([channels.email.close(), channels.sms.close()]);
        await nc.drain();
      },
    };
  } catch (error) {
    await Promise.all([channels.email.close(), channels.sms.close()]);
    await nc.close();
    throw error;
  }
}
