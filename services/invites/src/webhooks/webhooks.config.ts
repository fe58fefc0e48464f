import { Type, type Static } from 'typebox';
import { LogLevel, loadConfig, resolveSecrets } from '@invite/contracts';

const Int = (defaultValue: number, minimum: number, maximum: number, description: string) =>
  Type.Integer({ default: defaultValue, minimum, maximum, description });

/** What both the invites service (registration) and the dispatcher (delivery) read. */
export const webhookPolicyEnv = {
  WEBHOOKS_ALLOW_PRIVATE: Type.Boolean({
    default: false,
    description: 'Development only: allow endpoints on loopback, private and link-local addresses, and plain http (refused with NODE_ENV=production)',
  }),
  WEBHOOKS_SECRET_GRACE_HOURS: Int(24, 0, 720, 'After a rotation, how long the previous secret still signs deliveries too'),
  WEBHOOKS_PER_ORG: Int(20, 1, 1000, 'Webhook endpoints one organisation may have'),
};

/** The dispatcher process: `node services/invites/src/webhooks/server.ts`. */
export const WebhooksEnv = Type.Object({
  NODE_ENV: Type.String({ default: 'development' }),
  LOG_LEVEL: LogLevel,
  DATABASE_URL: Type.String({ default: 'postgres://postgres@127.0.0.1:5432/invites', pattern: '^postgres(ql)?://' }),
  DATABASE_POOL_MAX: Int(10, 1, 200, 'PostgreSQL connections per process'),
  NATS_URL: Type.String({ default: 'nats://127.0.0.1:4222' }),
  NATS_PREFIX: Type.String({ default: '', pattern: '^[A-Za-z0-9_]*$' }),
  STREAM_REPLICAS: Int(1, 1, 5, 'Replicas of the JetStream streams this service creates (3 in a NATS cluster)'),
  WEBHOOKS_HTTP_PORT: Int(9103, 0, 65535, 'Port of /healthz, /readyz and /metrics of the webhook dispatcher'),
  ...webhookPolicyEnv,
  WEBHOOKS_TIMEOUT_MS: Int(10_000, 100, 60_000, 'Longest one delivery attempt may take, connection included'),
  WEBHOOKS_MAX_ATTEMPTS: Int(12, 1, 50, 'Attempts per delivery before it is marked failed'),
  WEBHOOKS_BACKOFF_BASE_MS: Int(5000, 1, 3_600_000, 'Wait before the second attempt; doubles per attempt (with jitter)'),
  WEBHOOKS_BACKOFF_MAX_MS: Int(7_200_000, 1, 86_400_000, 'Longest wait between two attempts'),
  WEBHOOKS_ENDPOINT_CONCURRENCY: Int(8, 1, 256, 'Requests in flight to one endpoint per process'),
  WEBHOOKS_CONCURRENCY: Int(256, 1, 10_000, 'Requests in flight to all endpoints per process'),
  WEBHOOKS_DISABLE_AFTER_HOURS: Int(24, 1, 720, 'Disable an endpoint once every attempt has failed for this long'),
  WEBHOOKS_DISABLE_AFTER_FAILURES: Int(0, 0, 1_000_000, 'Disable an endpoint after this many failed attempts in a row (0: only the time rule)'),
  WEBHOOKS_POLL_MS: Int(1000, 10, 60_000, 'How often deliveries due for a retry (or queued by the API) are looked for'),
  WEBHOOKS_LOG_RETENTION_DAYS: Int(30, 1, 3650, 'Finished deliveries are deleted after this many days'),
});

export type WebhookPolicyConfig = { [K in keyof typeof webhookPolicyEnv]: Static<(typeof webhookPolicyEnv)[K]> } & { NODE_ENV: string };

export type WebhooksConfig = Static<typeof WebhooksEnv> & { TOKEN_ENCRYPTION_KEY: string };

/** Private addresses are a development convenience; a production process refuses to start with them. */
export function webhookPolicyProblems(config: WebhookPolicyConfig): string[] {
  return config.NODE_ENV === 'production' && config.WEBHOOKS_ALLOW_PRIVATE
    ? ['  WEBHOOKS_ALLOW_PRIVATE: must not be true when NODE_ENV=production (it lets webhooks reach internal addresses)']
    : [];
}

/** Reads and checks the dispatcher's environment once, at boot; throws with every problem listed. */
export function loadWebhooksConfig(env: NodeJS.ProcessEnv = process.env): WebhooksConfig {
  const config = { ...loadConfig(WebhooksEnv, env), ...resolveSecrets(['TOKEN_ENCRYPTION_KEY'], env) };
  const problems = webhookPolicyProblems(config);
  if (problems.length) throw new Error(`Invalid configuration:\n${problems.join('\n')}`);
  return config;
}
