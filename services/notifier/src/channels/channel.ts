import type { Channel as ChannelName, InviteIssuedEvent } from '@invite/contracts';
import type { RenderedInvite } from '@invite/templates';

/**
 * How a provider call ended when it did not succeed. The distinction drives retries:
 * - `transient`: provably not sent (the provider answered with a temporary refusal,
 *   or we never reached it); retry later.
 * - `permanent`: provably not sent and never will be (SMTP 5xx, an invalid number);
 *   dead-letter at once.
 * - `ambiguous`: the provider may have taken the message (connection lost after SMTP
 *   DATA, Twilio 5xx or timeout); the next attempt must not send blindly.
 */
export type FailureKind = 'transient' | 'permanent' | 'ambiguous';

/** A failed provider call, classified. Expected outcome of talking to a provider, not a bug. */
export class DeliveryError extends Error {
  readonly kind: FailureKind;
  /** Provider error code when there is one (SMTP reply code, Twilio error code). */
  readonly providerCode: string | undefined;

  constructor(kind: FailureKind, message: string, providerCode?: string | number) {
    super(message);
    this.name = 'DeliveryError';
    this.kind = kind;
    this.providerCode = providerCode === undefined ? undefined : String(providerCode);
  }
}

export function isDeliveryError(error: unknown): error is DeliveryError {
  return error instanceof DeliveryError;
}

/** Who a delivery goes to: the invitee of an invite event, or the address of an account email. */
export type Recipient = Pick<InviteIssuedEvent, 'email' | 'phone'>;

/** The text of a delivery on every channel. */
export type Message = Pick<RenderedInvite, 'subject' | 'fromName' | 'html' | 'text' | 'sms'>;

/** One delivery to make: its recipient, its rendered text and its idempotency key. */
export interface Delivery {
  /** `<inviteId>.<tokenVersion>.<channel>` (an account email: `mail.<eventId>`): one send per key. */
  key: string;
  to: Recipient;
  /** The link the message carries ('' when it carries none). */
  link: string;
  rendered: Message;
  /**
   * True when an earlier attempt on this key may have reached the provider. The
   * channel then reuses the same message identity (SMTP Message-ID) or first looks
   * for the earlier message (Twilio) rather than sending a fresh copy.
   */
  mayHaveBeenSent: boolean;
  /** Aborts the provider call when the send timeout passes or the process stops. */
  signal: AbortSignal;
}

export interface SendReceipt {
  /** Provider's id of the message (SMTP Message-ID, Twilio SID). */
  providerMessageId: string | null;
  /** True when the message was found from an earlier ambiguous attempt rather than sent now. */
  recovered?: boolean;
}

/** A delivery channel: a thin adapter over one provider. Throws DeliveryError on failure. */
export interface Channel {
  readonly name: ChannelName;
  /** smtp, file, twilio, or none when the channel is not configured. */
  readonly provider: string;
  /** Why the channel is off, when it is (no SMTP_URL, no TWILIO_*): its deliveries are skipped. */
  readonly disabledReason: string | null;
  send(delivery: Delivery): Promise<SendReceipt>;
  close(): Promise<void>;
}

/** The channel of a provider that is not configured: every delivery on it is skipped. */
export function createDisabledChannel(name: ChannelName, reason: string): Channel {
  return {
    name,
    provider: 'none',
    disabledReason: reason,
    async send() {
      throw new DeliveryError('permanent', reason);
    },
    async close() {},
  };
}
