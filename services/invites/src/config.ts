import { Type, type Static } from 'typebox';
import { LogLevel, loadConfig, resolveSecrets } from '@invite/contracts';
import { webhookPolicyEnv, webhookPolicyProblems } from './webhooks/webhooks.config.ts';

const Int = (defaultValue: number, minimum: number, maximum: number, description: string) =>
  Type.Integer({ default: defaultValue, minimum, maximum, description });

export const InvitesEnv = Type.Object({
  NODE_ENV: Type.String({ default: 'development' }),
  LOG_LEVEL: LogLevel,
  DATABASE_URL: Type.String({ default: 'postgres://postgres@127.0.0.1:5432/invites', pattern: '^postgres(ql)?://' }),
  DATABASE_POOL_MAX: Int(10, 1, 200, 'PostgreSQL connections per process'),
  NATS_URL: Type.String({ default: 'nats://127.0.0.1:4222' }),
  NATS_PREFIX: Type.String({ default: '', pattern: '^[A-Za-z0-9_]*$' }),
  STREAM_REPLICAS: Int(1, 1, 5, 'Replicas of the JetStream streams this service creates (3 in a NATS cluster)'),
  APP_BASE_URL: Type.String({ default: 'http://localhost:3000', pattern: '^https?://[^/]+' }),
  INVITES_HTTP_PORT: Int(9101, 0, 65535, 'Port of /healthz, /readyz and /metrics'),
  ACCESS_TOKEN_TTL_SECONDS: Int(900, 1, 86_400, 'Lifetime of an access token (a few seconds only in tests of expiry)'),
  REFRESH_TOKEN_TTL_DAYS: Int(30, 1, 365, 'Lifetime of a refresh token'),
  INVITE_DEFAULT_EXPIRY_HOURS: Int(48, 1, 720, 'Expiry of an invite when the request gives none'),
  INVITE_RATE_PER_HOUR: Int(1000, 0, 10_000_000, 'Invites one organisation may create per clock hour (0: no limit)'),
  RECIPIENT_INVITES_PER_DAY: Int(5, 0, 1_000_000, 'Invites one address or phone number may receive in 24 hours, across every organisation, resends included (0: no cap)'),
  INVITER_INVITES_PER_DAY: Int(500, 0, 10_000_000, 'Invites one user may send in 24 hours, across every organisation, resends included (0: no cap)'),
  RESEND_COOLDOWN_SECONDS: Int(60, 0, 86_400, 'Minimum time between two sends of one invite'),
  ADDRESS_CODE_TTL_MINUTES: Int(10, 1, 60, 'How long a code emailed to an invited address works'),
  ADDRESS_CODE_MAX_ATTEMPTS: Int(5, 1, 20, 'Wrong entries of one code before it stops working'),
  ADDRESS_CODES_PER_DAY: Int(5, 1, 100, 'Codes one invite may have emailed per 24 hours'),
  ADDRESS_CODE_COOLDOWN_SECONDS: Int(30, 0, 3600, 'Minimum time between two codes for one invite'),
  PASSWORD_RESETS_PER_HOUR: Int(3, 1, 100, 'Password reset links one account may have emailed per hour; more requests get the same reply and no email'),
  OUTBOX_RELAY: Type.Enum(['on', 'off'], { default: 'on' }),
  OUTBOX_POLL_MS: Int(1000, 10, 60_000, 'Fallback poll interval of the outbox relay'),
  OUTBOX_BATCH: Int(200, 1, 5000, 'Rows the relay publishes per transaction'),
  OUTBOX_RETENTION_HOURS: Int(168, 1, 8760, 'How long published outbox rows are kept'),
  EXPIRY_SWEEP_MS: Int(30_000, 100, 3_600_000, 'Interval of the expiry sweeper'),
  RECONCILE_AFTER_SECONDS: Int(900, 1, 604_800, 'Re-publish a delivery still unconfirmed after this long'),
  RECONCILE_INTERVAL_MS: Int(60_000, 100, 3_600_000, 'Interval of the delivery reconciler'),
  SERVICE_CONCURRENCY: Int(64, 1, 10_000, 'Requests handled at once per process'),
  ...webhookPolicyEnv,
  REDIRECTS_ALLOW_LOCALHOST: Type.Boolean({
    default: false,
    description: 'Let organisations allow plain http://localhost and http://127.0.0.1 redirect origins outside NODE_ENV=development (refused with NODE_ENV=production)',
  }),
});

export type InvitesConfig = Static<typeof InvitesEnv> & {
  JWT_PRIVATE_KEY: string;
  JWT_PUBLIC_KEY: string;
  TOKEN_ENCRYPTION_KEY: string;
};

export function loadInvitesConfig(env: NodeJS.ProcessEnv = process.env): InvitesConfig {
  const config = {
    ...loadConfig(InvitesEnv, env),
    ...resolveSecrets(['JWT_PRIVATE_KEY', 'JWT_PUBLIC_KEY', 'TOKEN_ENCRYPTION_KEY'], env),
  };
  const problems = webhookPolicyProblems(config);
  if (config.NODE_ENV === 'production' && config.REDIRECTS_ALLOW_LOCALHOST) {
    problems.push('  REDIRECTS_ALLOW_LOCALHOST: must not be true when NODE_ENV=production (it lets invites send new members to plain http pages)');
  }
  if (problems.length) throw new Error(`Invalid configuration:\n${problems.join('\n')}`);
  return config;
}
