import { Type, type Static } from 'typebox';
import { Channel, Cursor, Limit, Page, Role, Timestamp, Uuid } from './common.ts';

/**
 * Webhooks: HTTPS endpoints an organisation registers to hear about its invites and
 * members, signed per the Standard Webhooks specification (see
 * `security/webhook-signature.ts`). Payloads carry ids, the organisation, the type,
 * times, roles and states; never an accept token, a link, an address or a secret.
 */
const strict = { additionalProperties: false } as const;

/** What an endpoint can subscribe to. */
export const webhookEventTypes = [
  'invite.created',
  'invite.resent',
  'invite.delivered',
  'invite.delivery_failed',
  'invite.accepted',
  'invite.declined',
  'invite.withdrawn',
  'invite.expired',
  'member.joined',
] as const;
export const WebhookEventType = Type.Enum(webhookEventTypes, { description: 'A kind of event an endpoint can subscribe to' });
export type WebhookEventType = Static<typeof WebhookEventType>;

/** The type of the test message (`POST …/webhooks/:webhookId/test`); sent whatever the endpoint subscribes to. */
export const webhookTestType = 'webhook.test';

/** The endpoint's address: https (plain http only where the development setting allows private addresses). */
export const WebhookUrl = Type.String({
  format: 'uri',
  minLength: 10,
  maxLength: 2000,
  description: 'Where deliveries are POSTed: an https URL whose host resolves to public addresses only',
});

const EventTypes = Type.Array(WebhookEventType, { minItems: 1, maxItems: webhookEventTypes.length, uniqueItems: true, description: 'Event types to deliver' });
const Description = Type.String({ maxLength: 200, description: 'A note for the people who manage it' });

/** Body of `POST /v1/orgs/:orgId/webhooks`. */
export const NewWebhook = Type.Object(
  {
    /** Where deliveries go. */
    url: WebhookUrl,
    /** Event types to deliver. */
    eventTypes: EventTypes,
    /** A note for the people who manage it (default empty). */
    description: Type.Optional(Description),
    /** Whether deliveries start at once (default true). */
    enabled: Type.Optional(Type.Boolean({ description: 'Whether deliveries start at once (default true)' })),
  },
  strict,
);
export type NewWebhook = Static<typeof NewWebhook>;

/** Body of `PATCH /v1/orgs/:orgId/webhooks/:webhookId`: the fields given change. */
export const WebhookPatch = Type.Object(
  {
    /** New address; checked like a new endpoint's. */
    url: Type.Optional(WebhookUrl),
    /** New event types. */
    eventTypes: Type.Optional(EventTypes),
    /** New note. */
    description: Type.Optional(Description),
    /** false stops deliveries; true starts them again and forgets past failures. */
    enabled: Type.Optional(Type.Boolean({ description: 'false stops deliveries; true starts them again and forgets past failures' })),
  },
  { ...strict, minProperties: 1 },
);
export type WebhookPatch = Static<typeof WebhookPatch>;

/** `webhook.create` request. */
export const CreateWebhookRequest = Type.Object({ orgId: Uuid, ...NewWebhook.properties }, strict);
export type CreateWebhookRequest = Static<typeof CreateWebhookRequest>;

/** Request naming one endpoint. */
export const WebhookRef = Type.Object(
  {
    /** Organisation. */
    orgId: Uuid,
    /** Endpoint. */
    webhookId: Uuid,
  },
  strict,
);
export type WebhookRef = Static<typeof WebhookRef>;

/** `webhook.update` request. */
export const UpdateWebhookRequest = Type.Object({ ...WebhookRef.properties, ...WebhookPatch.properties }, { ...strict, minProperties: 3 });
export type UpdateWebhookRequest = Static<typeof UpdateWebhookRequest>;

/** A registered endpoint; its secret is shown only when created or rotated. */
export const WebhookView = Type.Object(
  {
    /** Endpoint id. */
    id: Uuid,
    /** Organisation. */
    orgId: Uuid,
    /** Where deliveries go. */
    url: Type.String(),
    /** A note for the people who manage it. */
    description: Type.String(),
    /** Event types delivered. */
    eventTypes: Type.Array(WebhookEventType),
    /** Whether deliveries go out. */
    enabled: Type.Boolean(),
    /** Why it is disabled: by a person (`manual`) or after sustained failure (`failing`); null when enabled. */
    disabledReason: Type.Union([Type.Enum(['manual', 'failing']), Type.Null()]),
    /** When it was disabled. */
    disabledAt: Type.Union([Timestamp, Type.Null()]),
    /** Since when every attempt has failed; null while the last attempt succeeded. */
    failingSince: Type.Union([Timestamp, Type.Null()]),
    /** Failed attempts since the last success. */
    consecutiveFailures: Type.Integer({ minimum: 0 }),
    /** Until when the secret before the last rotation still signs deliveries too. */
    previousSecretExpiresAt: Type.Union([Timestamp, Type.Null()]),
    /** When it was registered. */
    createdAt: Timestamp,
    /** When it last changed. */
    updatedAt: Timestamp,
  },
  strict,
);
export type WebhookView = Static<typeof WebhookView>;

/** `webhook.list` reply: every endpoint of the organisation, oldest first. */
export const WebhookList = Type.Object(
  {
    /** The endpoints. */
    items: Type.Array(WebhookView),
  },
  strict,
);
export type WebhookList = Static<typeof WebhookList>;

/** Reply of create and rotate: the endpoint and its signing secret, shown this once. */
export const WebhookWithSecret = Type.Object(
  {
    /** The endpoint. */
    webhook: WebhookView,
    /** The signing secret, `whsec_` and base64; keep it, it is not shown again. */
    secret: Type.String({ pattern: '^whsec_[A-Za-z0-9+/]+={0,2}$' }),
  },
  strict,
);
export type WebhookWithSecret = Static<typeof WebhookWithSecret>;

export const webhookDeliveryStatuses = ['pending', 'delivered', 'failed', 'cancelled'] as const;
export const WebhookDeliveryStatus = Type.Enum(webhookDeliveryStatuses, {
  description: 'pending: waiting for its next attempt; delivered: a 2xx answer; failed: every attempt failed; cancelled: the endpoint was disabled or deleted first',
});
export type WebhookDeliveryStatus = Static<typeof WebhookDeliveryStatus>;

/** One attempt of a delivery. */
export const WebhookAttempt = Type.Object(
  {
    /** When it started. */
    at: Timestamp,
    /** The endpoint's HTTP status; null when there was no answer. */
    responseStatus: Type.Union([Type.Integer(), Type.Null()]),
    /** Milliseconds until the answer, or until it failed. */
    latencyMs: Type.Integer({ minimum: 0 }),
    /** Why it failed (timeout, refused address, connection error, status); null when it succeeded. */
    error: Type.Union([Type.String(), Type.Null()]),
  },
  strict,
);
export type WebhookAttempt = Static<typeof WebhookAttempt>;

/** The body every delivery POSTs (Standard Webhooks): `{type, timestamp, data}`. */
export const WebhookMessage = Type.Object(
  {
    /** Event type, or `webhook.test`. */
    type: Type.String(),
    /** When it happened. */
    timestamp: Timestamp,
    /** What happened: ids, the organisation, role, state. See the README for each type. */
    data: Type.Record(Type.String(), Type.Unknown()),
  },
  strict,
);
export type WebhookMessage = Static<typeof WebhookMessage>;

/** One message to one endpoint, with its attempts. */
export const WebhookDeliveryView = Type.Object(
  {
    /** Delivery id. */
    id: Uuid,
    /** Endpoint. */
    webhookId: Uuid,
    /** The `webhook-id` header: the same for every attempt and replay of one message. */
    messageId: Type.String(),
    /** Event type, or `webhook.test`. */
    eventType: Type.String(),
    /** Where it stands. */
    status: WebhookDeliveryStatus,
    /** Attempts made. */
    attempts: Type.Integer({ minimum: 0 }),
    /** When it was queued. */
    createdAt: Timestamp,
    /** When the last attempt started. */
    lastAttemptAt: Type.Union([Timestamp, Type.Null()]),
    /** When the next attempt is due (pending only). */
    nextAttemptAt: Type.Union([Timestamp, Type.Null()]),
    /** When the endpoint took it. */
    deliveredAt: Type.Union([Timestamp, Type.Null()]),
    /** HTTP status of the last answer. */
    responseStatus: Type.Union([Type.Integer(), Type.Null()]),
    /** Milliseconds of the last attempt. */
    latencyMs: Type.Union([Type.Integer(), Type.Null()]),
    /** Why the last attempt failed. */
    lastError: Type.Union([Type.String(), Type.Null()]),
    /** The delivery this one replays. */
    replayOf: Type.Union([Uuid, Type.Null()]),
    /** Every attempt, oldest first. */
    attemptLog: Type.Array(WebhookAttempt),
    /** The body sent. */
    payload: WebhookMessage,
  },
  strict,
);
export type WebhookDeliveryView = Static<typeof WebhookDeliveryView>;

export const WebhookDeliveryPage = Page(WebhookDeliveryView);
export type WebhookDeliveryPage = Static<typeof WebhookDeliveryPage>;

/** Query of `GET /v1/orgs/:orgId/webhooks/:webhookId/deliveries`. */
export const WebhookDeliveryQuery = Type.Object(
  {
    /** Only deliveries in this state. */
    status: Type.Optional(WebhookDeliveryStatus),
    /** Page size, 1 to 100 (default 50). */
    limit: Type.Optional(Limit),
    /** `nextCursor` of the previous page. */
    cursor: Type.Optional(Cursor),
  },
  strict,
);
export type WebhookDeliveryQuery = Static<typeof WebhookDeliveryQuery>;

/** `webhook.deliveries` request: an endpoint's delivery log, newest first. */
export const ListWebhookDeliveriesRequest = Type.Object({ ...WebhookRef.properties, ...WebhookDeliveryQuery.properties }, strict);
export type ListWebhookDeliveriesRequest = Static<typeof ListWebhookDeliveriesRequest>;

/** `/v1/orgs/:orgId/webhooks/:webhookId…` */
export const WebhookParams = WebhookRef;

/** `/v1/orgs/:orgId/webhooks/:webhookId/deliveries/:deliveryId…`; also the `webhook.delivery.replay` request. */
export const WebhookDeliveryRef = Type.Object(
  {
    /** Organisation. */
    orgId: Uuid,
    /** Endpoint. */
    webhookId: Uuid,
    /** Delivery. */
    deliveryId: Uuid,
  },
  strict,
);
export type WebhookDeliveryRef = Static<typeof WebhookDeliveryRef>;

/** Data of `invite.created` and `invite.resent`: a link went out (the link itself never does). */
export const WebhookInviteIssuedData = Type.Object({ orgId: Uuid, inviteId: Uuid, role: Role, status: Type.Literal('pending'), channels: Type.Array(Channel), expiresAt: Timestamp }, strict);
/** Data of `invite.accepted`. */
export const WebhookInviteAcceptedData = Type.Object({ orgId: Uuid, inviteId: Uuid, role: Role, status: Type.Literal('accepted'), userId: Uuid, newAccount: Type.Boolean() }, strict);
/** Data of `invite.declined`, `.withdrawn`, `.expired`; actor is `user:<id>`, `invitee` or `system:<job>`. */
export const WebhookInviteClosedData = Type.Object({ orgId: Uuid, inviteId: Uuid, status: Type.Enum(['declined', 'withdrawn', 'expired']), actor: Type.String() }, strict);
/** Data of `member.joined`: `inviteId` when they accepted an invite, `joinLinkId` when they came through a join link. */
export const WebhookMemberJoinedData = Type.Union([
  Type.Object({ orgId: Uuid, userId: Uuid, role: Role, inviteId: Uuid }, strict),
  Type.Object({ orgId: Uuid, userId: Uuid, role: Role, joinLinkId: Uuid }, strict),
]);
/** Data of `invite.delivered`: the provider took the email or SMS. */
export const WebhookInviteDeliveredData = Type.Object({ orgId: Uuid, inviteId: Uuid, channel: Channel, attempt: Type.Integer(), status: Type.Literal('sent') }, strict);
/** Data of `invite.delivery_failed`: `failed` will be retried, `dead` was given up. */
export const WebhookDeliveryFailedData = Type.Object(
  { orgId: Uuid, inviteId: Uuid, channel: Channel, attempt: Type.Integer(), status: Type.Enum(['failed', 'dead']), willRetry: Type.Boolean() },
  strict,
);
/** Data of `webhook.test`. */
export const WebhookTestData = Type.Object({ orgId: Uuid, webhookId: Uuid }, strict);
