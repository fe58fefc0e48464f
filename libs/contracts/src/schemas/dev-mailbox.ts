import { Type, type Static } from 'typebox';
import { Channel, Timestamp } from './common.ts';

/**
 * One message the notifier kept in the development mailbox instead of sending it
 * (NODE_ENV=development without SMTP_URL or TWILIO_*): the NATS KV bucket
 * `NatsNames.devMailbox`, written by the notifier and shown by the gateway at
 * /dev/mailbox. Never used outside development.
 */
export const DevMailboxEntry = Type.Object(
  {
    /** The delivery's key (`<inviteId>.<tokenVersion>.<channel>`, `mail.<eventId>`): one entry per send. */
    id: Type.String(),
    channel: Channel,
    /** An email address, or a phone number for an SMS. */
    to: Type.String(),
    /** The From line of an email (display name and address); the sender id of an SMS. */
    from: Type.String(),
    /** The email's subject; empty for an SMS. */
    subject: Type.String(),
    /** The text part of an email, or the SMS. */
    text: Type.String(),
    /** The HTML part of an email; empty for an SMS. */
    html: Type.String(),
    /** The link the message carries ('' when none). */
    link: Type.String(),
    /** When it would have been sent. */
    at: Timestamp,
  },
  { additionalProperties: false },
);
export type DevMailboxEntry = Static<typeof DevMailboxEntry>;
