import addressparser from 'nodemailer/lib/addressparser';
import { Type, type Static } from 'typebox';
import { LogLevel, loadConfig, resolveSecrets } from '@invite/contracts';

const Int = (defaultValue: number, minimum: number, maximum: number, description: string) =>
  Type.Integer({ default: defaultValue, minimum, maximum, description });

const Optional = (description: string, pattern?: string) =>
  Type.Optional(Type.String({ description, ...(pattern ? { pattern } : {}) }));

export const NotifierEnv = Type.Object({
  NODE_ENV: Type.String({ default: 'development' }),
  LOG_LEVEL: LogLevel,
  NATS_URL: Type.String({ default: 'nats://127.0.0.1:4222' }),
  NATS_PREFIX: Type.String({ default: '', pattern: '^[A-Za-z0-9_]*$' }),
  STREAM_REPLICAS: Type.Integer({ default: 1, minimum: 1, maximum: 5, description: 'Replicas of the streams and KV buckets this service creates (3 in a NATS cluster)' }),
  APP_BASE_URL: Type.String({ default: 'http://localhost:3000', pattern: '^https?://[^/]+' }),
  NOTIFIER_HTTP_PORT: Int(9102, 0, 65535, 'Port of /healthz, /readyz and /metrics'),

  SMTP_URL: Optional('SMTP server, e.g. smtp://user:pass@127.0.0.1:2525; unset: email is skipped', '^smtps?://'),
  SMTP_FROM: Type.String({
    default: 'invites@localhost',
    description: 'Envelope sender and From address: invites@acme.example, or with a display name, Acme Invites <invites@acme.example>',
  }),
  SMTP_MAX_CONNECTIONS: Int(16, 1, 100, 'Pooled SMTP connections'),
  NOTIFIER_DEV_OUTBOX_DIR: Optional('Development only: without SMTP_URL, write emails as .eml files here'),

  TWILIO_ACCOUNT_SID: Optional('Twilio account; unset: SMS is skipped'),
  TWILIO_AUTH_TOKEN: Optional('Twilio auth token'),
  TWILIO_FROM: Optional('Sender number (E.164) or alphanumeric sender id'),
  TWILIO_API_BASE_URL: Optional('Another base URL for the Twilio API (a local Twilio-speaking server in tests)', '^https?://[^/]+'),

  NOTIFIER_CONCURRENCY: Int(32, 1, 1000, 'Invite events handled at once per process'),
  NOTIFIER_MAX_ATTEMPTS: Int(10, 1, 100, 'Attempts per delivery before it is dead-lettered'),
  NOTIFIER_BACKOFF_BASE_MS: Int(5000, 1, 3_600_000, 'Delay before the second attempt; doubles per attempt'),
  NOTIFIER_BACKOFF_MAX_MS: Int(600_000, 1, 86_400_000, 'Longest delay between two attempts'),
  NOTIFIER_SEND_TIMEOUT_MS: Int(20_000, 100, 600_000, 'Longest a single provider call may take'),
  NOTIFIER_ACK_WAIT_MS: Int(30_000, 500, 600_000, 'JetStream ack wait of the notifier consumer'),
  NOTIFIER_CONSUMER_INFO_MS: Int(5000, 100, 600_000, 'How often the consumer pending gauges are refreshed'),
  EMAIL_RATE_PER_MINUTE: Int(0, 0, 1_000_000, 'Emails per minute the SMTP provider allows (0 = unlimited)'),
  SMS_RATE_PER_MINUTE: Int(0, 0, 1_000_000, 'SMS per minute Twilio allows (0 = unlimited)'),
});

export type NotifierConfig = Static<typeof NotifierEnv> & {
  TOKEN_ENCRYPTION_KEY: string;
  /** The display name of SMTP_FROM ('' when it gives none); SMTP_FROM itself is then the bare address. */
  SMTP_FROM_NAME: string;
};

/** An address the way SMTP takes it: local part @ domain, no spaces, quotes or brackets. */
const bareAddress = /^[^\s@<>()[\]",;:\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

/**
 * One RFC 5322 mailbox: `invites@acme.example`, `Acme Invites <invites@acme.example>`
 * or `"Acme, Inc." <invites@acme.example>`, parsed as nodemailer parses it; undefined
 * for anything else (no address, several, a group, a malformed address).
 */
export function parseMailbox(value: string): { address: string; name: string } | undefined {
  const parsed = addressparser(value.trim());
  if (parsed.length !== 1) return undefined;
  const [mailbox] = parsed;
  if (!mailbox || 'group' in mailbox || !bareAddress.test(mailbox.address)) return undefined;
  return { address: mailbox.address, name: mailbox.name.trim() };
}

/** Reads and checks the notifier's environment once, at boot; throws with every problem listed. */
export function loadNotifierConfig(env: NodeJS.ProcessEnv = process.env): NotifierConfig {
  const loaded = { ...loadConfig(NotifierEnv, env), ...resolveSecrets(['TOKEN_ENCRYPTION_KEY'], env) };
  const from = parseMailbox(loaded.SMTP_FROM);
  if (!from) {
    throw new Error(
      `Invalid configuration:\n  SMTP_FROM: ${JSON.stringify(loaded.SMTP_FROM)} is not one mailbox. Write an address, invites@acme.example, ` +
        `or a name and an address, Acme Invites <invites@acme.example> (quote a name that holds a comma: "Acme, Inc." <invites@acme.example>)`,
    );
  }
  const config: NotifierConfig = { ...loaded, SMTP_FROM: from.address, SMTP_FROM_NAME: from.name };
  const twilio = [config.TWILIO_ACCOUNT_SID, config.TWILIO_AUTH_TOKEN, config.TWILIO_FROM];
  // Half a Twilio configuration is a mistake, not a request to skip SMS: fail fast.
  if (twilio.some(Boolean) && !twilio.every(Boolean)) {
    throw new Error('Invalid configuration:\n  TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM must be set together');
  }
  if (config.NOTIFIER_SEND_TIMEOUT_MS >= config.NOTIFIER_ACK_WAIT_MS) {
    // A send that outlives the ack wait would be redelivered while still in flight.
    throw new Error('Invalid configuration:\n  NOTIFIER_SEND_TIMEOUT_MS must be shorter than NOTIFIER_ACK_WAIT_MS');
  }
  return config;
}
