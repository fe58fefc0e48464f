import { createHash } from 'node:crypto';
import { headers as natsHeaders } from '@nats-io/transport-node';
import type { JetStreamClient } from '@nats-io/jetstream';
import { DeliveryResultEvent, parse, type Channel, type InviteIssuedEvent, type NatsNames } from '@invite/contracts';
import type { Outcome } from '../metrics.ts';

export interface ResultInput {
  event: InviteIssuedEvent;
  channel: Channel;
  outcome: Outcome;
  attempt: number;
  provider: string;
  providerMessageId?: string | null;
  error?: string | null;
}

/** A UUID derived from a string (SHA-256, shaped as RFC 9562 version 8), so a re-publish carries the same event id. */
export function deterministicUuid(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Publishes delivery results to NOTIFICATIONS. The msgID is a function of (invite,
 * version, channel, attempt, outcome), so the same result published again (a
 * redelivered event finding the delivery already sent) is dropped by JetStream's
 * duplicate window, and outside it is harmless to the invites service.
 */
export function createResultPublisher(deps: { js: JetStreamClient; names: NatsNames }) {
  return {
    async publish(input: ResultInput, traceparent?: string): Promise<DeliveryResultEvent> {
      const { event } = input;
      const msgId = `${event.inviteId}.${event.tokenVersion}.${input.channel}.${input.attempt}.${input.outcome}`;
      const result = parse(
        DeliveryResultEvent,
        {
          id: deterministicUuid(msgId),
          type: `delivery.${input.outcome}`,
          occurredAt: new Date().toISOString(),
          orgId: event.orgId,
          inviteId: event.inviteId,
          channel: input.channel,
          tokenVersion: event.tokenVersion,
          attempt: input.attempt,
          provider: input.provider,
          providerMessageId: input.providerMessageId ?? null,
          error: input.error ?? null,
        },
        'The delivery result',
      );
      const h = natsHeaders();
      if (traceparent) h.set('traceparent', traceparent);
      await deps.js.publish(deps.names.notificationEvent(input.outcome), JSON.stringify(result), { msgID: msgId, headers: h });
      return result;
    },
  };
}

export type ResultPublisher = ReturnType<typeof createResultPublisher>;
