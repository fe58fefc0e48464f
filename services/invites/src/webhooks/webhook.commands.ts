import {
  DomainError,
  newWebhookSecret,
  uuidv7,
  type CreateWebhookRequest,
  type OrgRef,
  type UpdateWebhookRequest,
  type WebhookList,
  type WebhookRef,
  type WebhookView,
  type WebhookWithSecret,
} from '@invite/contracts';
import { requireRole } from '../domain/authorization.ts';
import { recordAudit } from '../domain/changes.ts';
import { inTransaction, type Context } from '../domain/context.ts';
import { checkWebhookUrl } from './address-policy.ts';
import { endpointColumns, secretSealedAs, webhookView, type EndpointRow } from './webhook.rows.ts';

/**
 * An organisation's webhook endpoints (admins and owners). Every change is one
 * transaction with its audit entry; another organisation's endpoint is NOT_FOUND.
 */

/** Refuses an address that may not be used, as a 400 at `/url`. */
async function assertUsableUrl(ctx: Context, url: string): Promise<void> {
  const problem = await checkWebhookUrl(url, { allowPrivate: ctx.domain.config.WEBHOOKS_ALLOW_PRIVATE });
  if (problem) throw new DomainError('VALIDATION_FAILED', { detail: `The webhook URL ${problem}.`, errors: [{ path: '/url', message: problem }] });
}

/** The endpoint, locked when asked; NOT_FOUND when it is not the org's or was deleted. */
export async function loadEndpoint(ctx: Context, orgId: string, webhookId: string, lock = false): Promise<EndpointRow> {
  const [row] = await ctx.em.execute<EndpointRow[]>(
    `select ${endpointColumns} from webhook_endpoints where id = ? and org_id = ? and deleted_at is null${lock ? ' for update' : ''}`,
    [webhookId, orgId],
  );
  if (!row) throw new DomainError('NOT_FOUND', { detail: 'No such webhook endpoint' });
  return row;
}

/** `webhook.create`: the endpoint and its secret, shown this once. */
export async function createWebhook(ctx: Context, request: CreateWebhookRequest): Promise<WebhookWithSecret> {
  const membership = await requireRole(ctx, request.orgId, 'admin');
  await assertUsableUrl(ctx, request.url);
  return inTransaction(ctx, async (tx) => {
    // One creator at a time per org, so the count below cannot be overtaken.
    await tx.em.execute(`select pg_advisory_xact_lock(hashtext('webhook_endpoints:' || ?))`, [request.orgId]);
    const [count] = await tx.em.execute<{ n: number }[]>(`select count(*)::int as n from webhook_endpoints where org_id = ? and deleted_at is null`, [request.orgId]);
    const limit = tx.domain.config.WEBHOOKS_PER_ORG;
    if ((count?.n ?? 0) >= limit) {
      throw new DomainError('WEBHOOK_LIMIT_REACHED', { detail: `An organisation may have ${limit} webhook endpoints; delete one to add another` });
    }
    const id = uuidv7();
    const secret = newWebhookSecret();
    const enabled = request.enabled ?? true;
    const [row] = await tx.em.execute<EndpointRow[]>(
      `insert into webhook_endpoints (id, org_id, url, description, event_types, enabled, disabled_reason, disabled_at, secret_sealed, created_by)
       values (?, ?, ?, ?, string_to_array(?, ','), ?, ?, ?, ?, ?) returning ${endpointColumns}`,
      [id, request.orgId, request.url, request.description ?? '', request.eventTypes.join(), enabled, enabled ? null : 'manual', enabled ? null : new Date(), tx.domain.cipher.encrypt(secret, secretSealedAs(id)), membership.userId],
    );
    recordAudit(tx, request.orgId, 'webhook.created', `webhook:${id}`, { url: request.url, eventTypes: request.eventTypes, enabled });
    return { webhook: webhookView(row!), secret };
  });
}

/** `webhook.list`: every endpoint of the org, oldest first. */
export async function listWebhooks(ctx: Context, request: OrgRef): Promise<WebhookList> {
  await requireRole(ctx, request.orgId, 'admin');
  const rows = await ctx.em.execute<EndpointRow[]>(
    `select ${endpointColumns} from webhook_endpoints where org_id = ? and deleted_at is null order by created_at, id`,
    [request.orgId],
  );
  return { items: rows.map(webhookView) };
}

/** `webhook.get`. */
export async function getWebhook(ctx: Context, request: WebhookRef): Promise<WebhookView> {
  await requireRole(ctx, request.orgId, 'admin');
  return webhookView(await loadEndpoint(ctx, request.orgId, request.webhookId));
}

/** Stops what an endpoint still had queued: it is disabled or gone. */
export async function cancelPending(ctx: Context, endpointId: string, reason: string): Promise<void> {
  await ctx.em.execute(
    `update webhook_deliveries set status = 'cancelled', last_error = coalesce(last_error, ?), lease_until = null
      where endpoint_id = ? and status = 'pending'`,
    [reason, endpointId],
  );
}

/**
 * `webhook.update`: the fields given change. Disabling cancels what is queued; enabling
 * a disabled endpoint forgets its failure streak. A change to nothing writes nothing.
 */
export async function updateWebhook(ctx: Context, request: UpdateWebhookRequest): Promise<WebhookView> {
  await requireRole(ctx, request.orgId, 'admin');
  if (request.url !== undefined) await assertUsableUrl(ctx, request.url);
  return inTransaction(ctx, async (tx) => {
    const current = await loadEndpoint(tx, request.orgId, request.webhookId, true);
    const changed: Record<string, unknown> = {};
    if (request.url !== undefined && request.url !== current.url) changed.url = request.url;
    if (request.description !== undefined && request.description !== current.description) changed.description = request.description;
    if (request.eventTypes !== undefined && [...request.eventTypes].sort().join() !== [...current.event_types].sort().join()) changed.eventTypes = request.eventTypes;
    if (request.enabled !== undefined && request.enabled !== current.enabled) changed.enabled = request.enabled;
    if (Object.keys(changed).length === 0) return webhookView(current);
    const enabled = request.enabled ?? current.enabled;
    const [row] = await tx.em.execute<EndpointRow[]>(
      `update webhook_endpoints
          set url = ?, description = ?, event_types = string_to_array(?, ','), enabled = ?, updated_at = now(),
              disabled_reason = case when ? then null when enabled then 'manual' else disabled_reason end,
              disabled_at = case when ? then null when enabled then now() else disabled_at end,
              failing_since = case when ? and not enabled then null else failing_since end,
              consecutive_failures = case when ? and not enabled then 0 else consecutive_failures end
        where id = ? returning ${endpointColumns}`,
      [
        (changed.url as string | undefined) ?? current.url,
        request.description ?? current.description,
        (request.eventTypes ?? current.event_types).join(),
        enabled,
        enabled,
        enabled,
        enabled,
        enabled,
        current.id,
      ],
    );
    if (!enabled && current.enabled) await cancelPending(tx, current.id, 'the endpoint was disabled');
    recordAudit(tx, request.orgId, 'webhook.updated', `webhook:${current.id}`, { changed: Object.keys(changed), ...changed });
    return webhookView(row!);
  });
}

/** `webhook.delete`: no more deliveries; the row stays for its delivery log, without its secrets. */
export function deleteWebhook(ctx: Context, request: WebhookRef): Promise<Record<string, never>> {
  return inTransaction(ctx, async (tx) => {
    await requireRole(tx, request.orgId, 'admin');
    const current = await loadEndpoint(tx, request.orgId, request.webhookId, true);
    await tx.em.execute(
      `update webhook_endpoints set deleted_at = now(), enabled = false, updated_at = now(),
              secret_sealed = null, previous_secret_sealed = null, previous_secret_expires_at = null where id = ?`,
      [current.id],
    );
    await cancelPending(tx, current.id, 'the endpoint was deleted');
    recordAudit(tx, request.orgId, 'webhook.deleted', `webhook:${current.id}`, { url: current.url });
    return {};
  });
}

/**
 * `webhook.rotate-secret`: a new secret, shown this once. The one it replaces keeps
 * signing too (a second signature in the same header) for WEBHOOKS_SECRET_GRACE_HOURS,
 * so receivers can switch without losing a delivery.
 */
export function rotateWebhookSecret(ctx: Context, request: WebhookRef): Promise<WebhookWithSecret> {
  return inTransaction(ctx, async (tx) => {
    await requireRole(tx, request.orgId, 'admin');
    const current = await loadEndpoint(tx, request.orgId, request.webhookId, true);
    const secret = newWebhookSecret();
    const graceHours = tx.domain.config.WEBHOOKS_SECRET_GRACE_HOURS;
    const [row] = await tx.em.execute<EndpointRow[]>(
      `update webhook_endpoints
          set secret_sealed = ?, previous_secret_sealed = ?, updated_at = now(),
              previous_secret_expires_at = case when ? > 0 then now() + make_interval(hours => ?) end
        where id = ? returning ${endpointColumns}`,
      [tx.domain.cipher.encrypt(secret, secretSealedAs(current.id)), graceHours > 0 ? current.secret_sealed : null, graceHours, graceHours, current.id],
    );
    const view = webhookView(row!);
    recordAudit(tx, request.orgId, 'webhook.secret_rotated', `webhook:${current.id}`, { previousSecretValidUntil: view.previousSecretExpiresAt });
    return { webhook: view, secret };
  });
}
