import {
  DomainError,
  uuidv7,
  webhookTestType,
  type ListWebhookDeliveriesRequest,
  type WebhookDeliveryPage,
  type WebhookDeliveryRef,
  type WebhookDeliveryView,
  type WebhookRef,
} from '@invite/contracts';
import { requireRole } from '../domain/authorization.ts';
import { recordAudit } from '../domain/changes.ts';
import { inTransaction, type Context } from '../domain/context.ts';
import { decodeCursor, encodeCursor } from '../domain/cursor.ts';
import { outgoing } from './webhook.messages.ts';
import { loadEndpoint } from './webhook.commands.ts';
import { deliveryColumns, deliveryView, type DeliveryRow, type EndpointRow } from './webhook.rows.ts';

/**
 * An endpoint's delivery log, test messages and replays (admins and owners). What these
 * queue is picked up by the dispatcher's next poll (WEBHOOKS_POLL_MS).
 */

function assertEnabled(endpoint: EndpointRow): void {
  if (!endpoint.enabled) throw new DomainError('WEBHOOK_DISABLED', { detail: 'This webhook endpoint is disabled; enable it before sending to it' });
}

/** `webhook.test`: queues a `webhook.test` message to the endpoint, whatever it subscribes to. */
export function sendTestMessage(ctx: Context, request: WebhookRef): Promise<WebhookDeliveryView> {
  return inTransaction(ctx, async (tx) => {
    await requireRole(tx, request.orgId, 'admin');
    const endpoint = await loadEndpoint(tx, request.orgId, request.webhookId);
    assertEnabled(endpoint);
    const message = outgoing(`msg_${uuidv7()}`, webhookTestType, new Date().toISOString(), { orgId: request.orgId, webhookId: endpoint.id });
    const [row] = await tx.em.execute<DeliveryRow[]>(
      `insert into webhook_deliveries (id, endpoint_id, org_id, message_id, event_type, body) values (?, ?, ?, ?, ?, ?) returning ${deliveryColumns}`,
      [uuidv7(), endpoint.id, request.orgId, message.messageId, message.type, message.body],
    );
    recordAudit(tx, request.orgId, 'webhook.tested', `webhook:${endpoint.id}`, { messageId: message.messageId });
    return deliveryView(row!);
  });
}

/** `webhook.deliveries`: the endpoint's log, newest first, optionally of one state. */
export async function listWebhookDeliveries(ctx: Context, request: ListWebhookDeliveriesRequest): Promise<WebhookDeliveryPage> {
  await requireRole(ctx, request.orgId, 'admin');
  const after = decodeCursor(request.cursor);
  // Deleted endpoints keep their log, but it is not shown: the endpoint is gone for the API.
  await loadEndpoint(ctx, request.orgId, request.webhookId);
  const limit = request.limit ?? 50;
  const params: unknown[] = [request.webhookId, request.orgId];
  let where = 'endpoint_id = ? and org_id = ?';
  if (request.status) {
    where += ' and status = ?';
    params.push(request.status);
  }
  if (after) {
    where += ' and (created_at, id) < (?, ?)';
    params.push(after.at, after.id);
  }
  const rows = await ctx.em.execute<DeliveryRow[]>(
    `select ${deliveryColumns} from webhook_deliveries where ${where} order by created_at desc, id desc limit ?`,
    [...params, limit + 1],
  );
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map(deliveryView),
    nextCursor: rows.length > limit && last ? encodeCursor({ at: new Date(last.created_at), id: last.id }) : null,
  };
}

/**
 * `webhook.delivery.replay`: sends a delivery's message again, as a new delivery with
 * the same `webhook-id` and body (receivers that de-duplicate on the id see it once).
 */
export function replayWebhookDelivery(ctx: Context, request: WebhookDeliveryRef): Promise<WebhookDeliveryView> {
  return inTransaction(ctx, async (tx) => {
    await requireRole(tx, request.orgId, 'admin');
    const endpoint = await loadEndpoint(tx, request.orgId, request.webhookId);
    assertEnabled(endpoint);
    const [row] = await tx.em.execute<DeliveryRow[]>(
      `insert into webhook_deliveries (id, endpoint_id, org_id, message_id, event_type, body, replay_of)
       select ?, endpoint_id, org_id, message_id, event_type, body, id from webhook_deliveries
        where id = ? and endpoint_id = ? and org_id = ?
       returning ${deliveryColumns}`,
      [uuidv7(), request.deliveryId, endpoint.id, request.orgId],
    );
    if (!row) throw new DomainError('NOT_FOUND', { detail: 'No such delivery of this webhook endpoint' });
    recordAudit(tx, request.orgId, 'webhook.delivery_replayed', `webhook:${endpoint.id}`, { deliveryId: request.deliveryId, replayId: row.id, messageId: row.message_id });
    return deliveryView(row);
  });
}
