import { Type, type Static } from 'typebox';
import { LogLevel, loadConfig, resolveSecrets } from '@invite/contracts';

const Int = (defaultValue: number, minimum: number, maximum: number, description: string) =>
  Type.Integer({ default: defaultValue, minimum, maximum, description });

/** Sign-ins per client per 15 minutes in development when LOGIN_LIMIT_PER_15MIN is not set: one person trying things out. */
export const developmentLoginLimit = 200;

export const GatewayEnv = Type.Object({
  NODE_ENV: Type.String({ default: 'development' }),
  GATEWAY_HOST: Type.String({ default: '0.0.0.0' }),
  GATEWAY_PORT: Int(3000, 0, 65535, 'HTTP port'),
  NATS_URL: Type.String({ default: 'nats://127.0.0.1:4222' }),
  NATS_PREFIX: Type.String({ default: '', pattern: '^[A-Za-z0-9_]*$' }),
  STREAM_REPLICAS: Int(1, 1, 5, 'Replicas of the KV buckets this service creates (3 in a NATS cluster)'),
  APP_BASE_URL: Type.String({ default: 'http://localhost:3000', pattern: '^https?://[^/]+' }),
  UPSTREAM_TIMEOUT_MS: Int(5000, 100, 60_000, 'Deadline of a request to the invites service'),
  BODY_LIMIT_BYTES: Int(65_536, 1024, 10_485_760, 'Largest JSON body'),
  BULK_BODY_LIMIT_BYTES: Int(1_048_576, 1024, 52_428_800, 'Largest bulk upload'),
  TRUST_PROXY: Type.String({ default: 'false', description: 'false, true, a hop count, or comma-separated proxy addresses' }),
  RATE_LIMIT: Type.Enum(['on', 'off'], { default: 'on' }),
  LOGIN_LIMIT_PER_15MIN: Int(20, 1, 100_000, `Logins per client per 15 minutes (${developmentLoginLimit} in development when unset)`),
  REFRESH_LIMIT_PER_15MIN: Int(60, 1, 100_000, 'Refreshes per client per 15 minutes'),
  TOKEN_LIMIT_PER_15MIN: Int(60, 1, 100_000, 'Lookups, accepts and declines per client per 15 minutes'),
  PASSWORD_RESET_LIMIT_PER_15MIN: Int(10, 1, 100_000, 'Password reset requests and confirmations per client per 15 minutes'),
  PASSWORD_RESET_LIMIT_PER_ADDRESS_PER_HOUR: Int(3, 1, 1000, 'Password reset requests per email address per hour, whether or not it has an account'),
  SSE_MAX_STREAMS: Int(1000, 1, 1_000_000, 'Live event streams (GET /v1/orgs/:orgId/events) one process serves at once; then 503'),
  SSE_MAX_STREAMS_PER_USER: Int(5, 1, 1_000_000, 'Live event streams one user may hold open on one process; then 429'),
  SSE_MAX_STREAMS_PER_ORG: Int(50, 1, 1_000_000, "Live event streams one organisation's people may hold open on one process; then 429"),
  SSE_HEARTBEAT_MS: Int(15_000, 100, 300_000, 'Comment line sent on an idle event stream so proxies keep it open'),
  SSE_RECHECK_MS: Int(60_000, 100, 3_600_000, "How often an open event stream re-checks the caller's access; the stream ends when it is gone"),
  LOG_LEVEL: LogLevel,
});

export type GatewayConfig = Static<typeof GatewayEnv> & { JWT_PUBLIC_KEY: string };

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const config = { ...loadConfig(GatewayEnv, env), ...resolveSecrets(['JWT_PUBLIC_KEY'], env) };
  if (config.NODE_ENV === 'development' && !env.LOGIN_LIMIT_PER_15MIN) config.LOGIN_LIMIT_PER_15MIN = developmentLoginLimit;
  return config;
}

/** fastify's trustProxy option from its environment form. */
export function trustProxy(value: string): boolean | string | ((address: string, hop: number) => boolean) {
  if (value === 'true') return true;
  if (value === 'false' || value === '') return false;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return (_address, hop) => hop < hops;
  }
  return value;
}
