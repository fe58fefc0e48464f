import type { NatsConnection } from '@nats-io/transport-node';
import { createInvitesClient, isDomainError, loadPublicKey, natsNames } from '@invite/contracts';
import type { GatewayConfig } from './config.ts';
import { createHttpMetrics } from './http/metrics.ts';
import { createKvIdempotencyStore } from './limits/idempotency.ts';
import { createKvRateLimiter } from './limits/rate-limiter.ts';
import type { GatewayDeps } from './routes/support.ts';

/** Builds the gateway's dependencies on a NATS connection: the invites client and the shared KV stores. */
export async function createGatewayDeps(connection: NatsConnection, cfg: GatewayConfig): Promise<GatewayDeps> {
  const names = natsNames(cfg.NATS_PREFIX);
  const client = createInvitesClient(connection, names);
  const bucket = (name: string) => `${cfg.NATS_PREFIX ? `${cfg.NATS_PREFIX}_` : ''}${name}`;
  return {
    config: cfg,
    client,
    nc: connection,
    names,
    verifyKey: loadPublicKey(cfg.JWT_PUBLIC_KEY),
    limiter: cfg.RATE_LIMIT === 'on' ? await createKvRateLimiter(connection, bucket('gateway_rate_limits'), 60 * 60_000, cfg.STREAM_REPLICAS) : undefined,
    idempotency: await createKvIdempotencyStore(connection, bucket('gateway_idempotency'), cfg.STREAM_REPLICAS),
    metrics: createHttpMetrics(),
    async ready() {
      if (connection.isClosed()) return false;
      // auth.me without a token is refused before any database work: a cheap proof the service answers.
      try {
        await client.call('auth.me', {}, { timeoutMs: 1000 });
      } catch (error) {
        return isDomainError(error, 'UNAUTHENTICATED');
      }
      return true;
    },
  };
}

