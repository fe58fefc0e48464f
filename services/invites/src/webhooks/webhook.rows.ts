import type { TokenCipher, WebhookAttempt, WebhookDeliveryStatus, WebhookDeliveryView, WebhookEventType, WebhookMessage, WebhookView } from '@invite/contracts';

/** A `webhook_endpoints` row as the queries here select it (`endpointColumns`). */
export interface EndpointRow {
  id: string;
  org_id: string;
  url: string;
  description: string;
  event_types: WebhookEventType[];
  enabled: boolean;
  disabled_reason: 'manual' | 'failing' | null;
  disabled_at: Date | null;
  secret_sealed: string | null;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: Date | null;
  failing_since: Date | null;
  consecutive_failures: number;
  created_at: Date;
  updated_at: Date;
}

export const endpointColumns = `id, org_id, url, description, event_types, enabled, disabled_reason, disabled_at, secret_sealed,
  previous_secret_sealed, previous_secret_expires_at, failing_since, consecutive_failures, created_at, updated_at`;

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

export function webhookView(row: EndpointRow): WebhookView {
  const graceLeft = row.previous_secret_sealed && row.previous_secret_expires_at && new Date(row.previous_secret_expires_at) > new Date();
  return {
    id: row.id,
    orgId: row.org_id,
    url: row.url,
    description: row.description,
    eventTypes: row.event_types,
    enabled: row.enabled,
    disabledReason: row.enabled ? null : (row.disabled_reason ?? 'manual'),
    disabledAt: row.enabled ? null : iso(row.disabled_at),
    failingSince: iso(row.failing_since),
    consecutiveFailures: row.consecutive_failures,
    previousSecretExpiresAt: graceLeft ? iso(row.previous_secret_expires_at) : null,
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
  };
}

/** The additional data a signing secret is sealed with: a ciphertext opens only as its own endpoint's secret. */
export const secretSealedAs = (endpointId: string) => `webhook-secret:${endpointId}`;

/** The secrets that sign now: the current one, and the previous one during the grace period after a rotation. */
export function signingSecrets(row: Pick<EndpointRow, 'id' | 'secret_sealed' | 'previous_secret_sealed' | 'previous_secret_expires_at'>, cipher: TokenCipher, now = new Date()): string[] {
  const secrets: string[] = [];
  if (row.secret_sealed) secrets.push(cipher.decrypt(row.secret_sealed, secretSealedAs(row.id)));
  if (row.previous_secret_sealed && row.previous_secret_expires_at && new Date(row.previous_secret_expires_at) > now) {
    secrets.push(cipher.decrypt(row.previous_secret_sealed, secretSealedAs(row.id)));
  }
  return secrets;
}

/** A `webhook_deliveries` row as `deliveryColumns` selects it. */
export interface DeliveryRow {
  id: string;
  endpoint_id: string;
  org_id: string;
  message_id: string;
  event_type: string;
  body: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  next_attempt_at: Date;
  created_at: Date;
  last_attempt_at: Date | null;
  delivered_at: Date | null;
  response_status: number | null;
  latency_ms: number | null;
  last_error: string | null;
  attempt_log: WebhookAttempt[];
  replay_of: string | null;
}

export const deliveryColumns = `id, endpoint_id, org_id, message_id, event_type, body, status, attempts, next_attempt_at, created_at,
  last_attempt_at, delivered_at, response_status, latency_ms, last_error, attempt_log, replay_of`;

export function deliveryView(row: DeliveryRow): WebhookDeliveryView {
  return {
    id: row.id,
    webhookId: row.endpoint_id,
    messageId: row.message_id,
    eventType: row.event_type,
    status: row.status,
    attempts: row.attempts,
    createdAt: iso(row.created_at)!,
    lastAttemptAt: iso(row.last_attempt_at),
    nextAttemptAt: row.status === 'pending' ? iso(row.next_attempt_at) : null,
    deliveredAt: iso(row.delivered_at),
    responseStatus: row.response_status,
    latencyMs: row.latency_ms,
    lastError: row.last_error,
    replayOf: row.replay_of,
    attemptLog: row.attempt_log,
    payload: JSON.parse(row.body) as WebhookMessage,
  };
}
