import type { Static } from 'typebox';
import {
  DeliveryResultEvent,
  InviteAcceptedEvent,
  InviteClosedEvent,
  InviteIssuedEvent,
  matches,
  MemberJoinedEvent,
  type webhookTestType,
  type WebhookDeliveryFailedData,
  type WebhookEventType,
  type WebhookInviteAcceptedData,
  type WebhookInviteClosedData,
  type WebhookInviteDeliveredData,
  type WebhookInviteIssuedData,
  type WebhookMemberJoinedData,
  type WebhookTestData,
} from '@invite/contracts';

/**
 * What an event of the streams becomes for webhooks. Each field is copied by name from
 * the event, so nothing else leaves: no encrypted token, no link, no address, no
 * personal message, no provider error text.
 */
export interface OutgoingMessage {
  /** The `webhook-id`: the same for every endpoint, attempt and replay of this message. */
  messageId: string;
  type: WebhookEventType | typeof webhookTestType;
  orgId: string;
  /** When it happened: the envelope's `timestamp`. */
  occurredAt: string;
  /** The body as signed and sent. */
  body: string;
}

type Data =
  | Static<typeof WebhookInviteIssuedData>
  | Static<typeof WebhookInviteAcceptedData>
  | Static<typeof WebhookInviteClosedData>
  | Static<typeof WebhookMemberJoinedData>
  | Static<typeof WebhookInviteDeliveredData>
  | Static<typeof WebhookDeliveryFailedData>
  | Static<typeof WebhookTestData>;

export function outgoing(messageId: string, type: OutgoingMessage['type'], occurredAt: string, data: Data): OutgoingMessage {
  return { messageId, type, orgId: data.orgId, occurredAt, body: JSON.stringify({ type, timestamp: occurredAt, data }) };
}

/**
 * The webhook messages of one stream event (none for events webhooks do not carry:
 * account emails, organisation events, the reconciler's re-publishes of a link, a
 * skipped delivery). Ids derive from the event's, so a redelivered event yields the
 * same messages.
 */
export function messagesOf(event: unknown): OutgoingMessage[] {
  const id = (suffix = '') => `msg_${(event as { id: string }).id}${suffix}`;
  if (matches(InviteIssuedEvent, event)) {
    // A re-publish of an unconfirmed delivery is not a new event for anyone else.
    if (event.redelivery) return [];
    const data = { orgId: event.orgId, inviteId: event.inviteId, role: event.role, status: 'pending' as const, channels: event.channels, expiresAt: event.expiresAt };
    return [outgoing(id(), event.type, event.occurredAt, data)];
  }
  if (matches(InviteAcceptedEvent, event)) {
    const { orgId, inviteId, role, userId, occurredAt } = event;
    return [
      outgoing(id(), 'invite.accepted', occurredAt, { orgId, inviteId, role, status: 'accepted', userId, newAccount: event.newAccount }),
      outgoing(id('_joined'), 'member.joined', occurredAt, { orgId, userId, role, inviteId }),
    ];
  }
  if (matches(MemberJoinedEvent, event)) {
    // Through a join link: the same webhook type as a join by invite, naming the link instead.
    const { orgId, userId, role, joinLinkId, occurredAt } = event;
    return [outgoing(id('_joined'), 'member.joined', occurredAt, { orgId, userId, role, joinLinkId })];
  }
  if (matches(InviteClosedEvent, event)) {
    const status = event.type.slice('invite.'.length) as 'declined' | 'withdrawn' | 'expired';
    return [outgoing(id(), event.type, event.occurredAt, { orgId: event.orgId, inviteId: event.inviteId, status, actor: event.actor })];
  }
  if (matches(DeliveryResultEvent, event)) {
    const { orgId, inviteId, channel, attempt, occurredAt } = event;
    if (event.type === 'delivery.sent') return [outgoing(id(), 'invite.delivered', occurredAt, { orgId, inviteId, channel, attempt, status: 'sent' })];
    if (event.type === 'delivery.failed' || event.type === 'delivery.dead') {
      const status = event.type === 'delivery.dead' ? 'dead' : 'failed';
      return [outgoing(id(), 'invite.delivery_failed', occurredAt, { orgId, inviteId, channel, attempt, status, willRetry: status === 'failed' })];
    }
  }
  return [];
}
