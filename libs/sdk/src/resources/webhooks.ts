import type { Http, RequestOptions } from '../http.ts';
import { eachItem } from '../pagination.ts';
import { routes } from '../routes.ts';
import type { NewWebhook, WebhookDeliveryPage, WebhookDeliveryQuery, WebhookDeliveryView, WebhookList, WebhookPatch, WebhookView, WebhookWithSecret } from '../types.ts';

/** What a whole-log iteration filters on; the cursor is the iterator's business. */
export type WebhookDeliveryFilter = Omit<WebhookDeliveryQuery, 'cursor'>;

/**
 * An organisation's webhook endpoints (admins and owners): signed deliveries of its
 * invite and member events, each endpoint's delivery log, test messages and replays.
 * 404 NOT_FOUND for an endpoint of another organisation.
 */
export function webhooksResource(http: Http) {
  const deliveries = (orgId: string, webhookId: string, query: WebhookDeliveryQuery = {}, options: RequestOptions = {}) =>
    http.request<WebhookDeliveryPage>(routes['webhooks.deliveries'], { params: { orgId, webhookId }, auth: 'bearer', query, signal: options.signal });

  return {
    /**
     * Registers an endpoint; the reply holds its signing secret, shown this once. The URL
     * must be https and resolve to public addresses only (400 otherwise); 409
     * WEBHOOK_LIMIT_REACHED past the organisation's number of endpoints.
     */
    create(orgId: string, webhook: NewWebhook, options: RequestOptions = {}): Promise<WebhookWithSecret> {
      return http.request<WebhookWithSecret>(routes['webhooks.create'], { params: { orgId }, auth: 'bearer', json: webhook, signal: options.signal });
    },

    /** Every endpoint of the organisation, oldest first. */
    list(orgId: string, options: RequestOptions = {}): Promise<WebhookList> {
      return http.request<WebhookList>(routes['webhooks.list'], { params: { orgId }, auth: 'bearer', signal: options.signal });
    },

    /** One endpoint, with its state (enabled, failing since, consecutive failures). */
    get(orgId: string, webhookId: string, options: RequestOptions = {}): Promise<WebhookView> {
      return http.request<WebhookView>(routes['webhooks.get'], { params: { orgId, webhookId }, auth: 'bearer', signal: options.signal });
    },

    /** Changes the URL, event types, note or state; `enabled: true` starts deliveries again and forgets past failures. */
    update(orgId: string, webhookId: string, patch: WebhookPatch, options: RequestOptions = {}): Promise<WebhookView> {
      return http.request<WebhookView>(routes['webhooks.update'], { params: { orgId, webhookId }, auth: 'bearer', json: patch, signal: options.signal });
    },

    /** Deletes an endpoint: nothing more is sent to it. */
    async delete(orgId: string, webhookId: string, options: RequestOptions = {}): Promise<void> {
      await http.request<void>(routes['webhooks.delete'], { params: { orgId, webhookId }, auth: 'bearer', signal: options.signal });
    },

    /** A new signing secret, shown this once; the previous one keeps signing too for a grace period. */
    rotateSecret(orgId: string, webhookId: string, options: RequestOptions = {}): Promise<WebhookWithSecret> {
      return http.request<WebhookWithSecret>(routes['webhooks.rotateSecret'], { params: { orgId, webhookId }, auth: 'bearer', signal: options.signal });
    },

    /** Queues a `webhook.test` message to the endpoint; follow it in the delivery log. 409 WEBHOOK_DISABLED. */
    test(orgId: string, webhookId: string, options: RequestOptions = {}): Promise<WebhookDeliveryView> {
      return http.request<WebhookDeliveryView>(routes['webhooks.test'], { params: { orgId, webhookId }, auth: 'bearer', signal: options.signal });
    },

    /** One page of the endpoint's delivery log, newest first: state, attempts, response status, latency, payload. */
    deliveries,

    /** The endpoint's whole delivery log, newest first, a page at a time as the loop goes. */
    allDeliveries(orgId: string, webhookId: string, filter: WebhookDeliveryFilter = {}, options: RequestOptions = {}): AsyncGenerator<WebhookDeliveryView, void, undefined> {
      return eachItem((cursor) => deliveries(orgId, webhookId, { ...filter, ...(cursor ? { cursor } : {}) }, options));
    },

    /** Sends a delivery again, as a new delivery with the same `webhook-id` and body. 409 WEBHOOK_DISABLED. */
    replayDelivery(orgId: string, webhookId: string, deliveryId: string, options: RequestOptions = {}): Promise<WebhookDeliveryView> {
      return http.request<WebhookDeliveryView>(routes['webhooks.replayDelivery'], { params: { orgId, webhookId, deliveryId }, auth: 'bearer', signal: options.signal });
    },
  };
}
