import { Type, type Static } from 'typebox';

/** Whether one delivery channel can send on this deployment, and why not when it cannot. */
export const ChannelAvailability = Type.Object(
  {
    /** False when the provider is not configured: deliveries on it are recorded as not sent. */
    available: Type.Boolean(),
    /** smtp, file, dev-mailbox, twilio, or none. */
    provider: Type.String(),
    /** Why it cannot send, in words for the person choosing channels; null when it can. */
    reason: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);

/**
 * The delivery channels as the notifier configured them at its last start, kept in the
 * KV bucket `NatsNames.serviceStatus` under `notifier.channels` and served by the gateway
 * at GET /v1/channels, so that the console offers only what can be sent.
 */
export const ChannelsStatus = Type.Object(
  {
    email: ChannelAvailability,
    sms: ChannelAvailability,
    /** When the notifier wrote it; null when no notifier has yet (then both are assumed available). */
    updatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { additionalProperties: false },
);
export type ChannelsStatus = Static<typeof ChannelsStatus>;
