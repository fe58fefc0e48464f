import twilio from 'twilio';
import { DeliveryError, type Channel, type Delivery } from './channel.ts';

export interface SmsChannelOptions {
  accountSid: string;
  authToken: string;
  from: string;
  /** Another origin for the Twilio API (a local Twilio-speaking server); Twilio's own when unset. */
  apiBaseUrl?: string | undefined;
  /** Per-request timeout. */
  timeoutMs: number;
}

/** Twilio errors that no retry can fix: invalid number, opted out, unreachable, not a mobile number. */
export const permanentTwilioCodes = new Set([21211, 21610, 21612, 21614]);

/**
 * twilio-node's own HTTP client (axios, keep-alive agent), pointed at another origin.
 * twilio-node has no base-URL option, but it accepts an `httpClient`; the path,
 * auth and body it builds are kept as they are.
 */
function requestClientFor(apiBaseUrl: string | undefined, timeoutMs: number): twilio.RequestClient {
  const client = new twilio.RequestClient({ timeout: timeoutMs, keepAlive: true });
  if (!apiBaseUrl) return client;
  const base = new URL(apiBaseUrl);
  const request = client.request.bind(client);
  client.request = (opts) => {
    const uri = new URL(opts.uri);
    uri.protocol = base.protocol;
    uri.host = base.host;
    return request({ ...opts, uri: uri.href });
  };
  return client;
}

interface TwilioFailure {
  status?: number;
  code?: number | string;
  message?: string;
  response?: unknown;
}

/**
 * Sorts a failed create. Twilio answered 4xx: the message was not created (429 and
 * auth problems may pass; the listed codes never will). Twilio answered 5xx, or the
 * request timed out or lost its connection: the message may exist: ambiguous.
 */
export function classifyTwilioError(error: unknown): DeliveryError {
  const e = (error ?? {}) as TwilioFailure;
  const message = (e.message ?? String(error)).slice(0, 300);
  if (typeof e.status === 'number' && typeof e.code === 'number') {
    if (e.status >= 500) return new DeliveryError('ambiguous', `Twilio ${e.status}: ${message}`, e.code);
    if (e.status === 429 || e.status === 401 || e.status === 403) return new DeliveryError('transient', `Twilio ${e.status}: ${message}`, e.code);
    if (permanentTwilioCodes.has(e.code)) return new DeliveryError('permanent', `Twilio ${e.code}: ${message}`, e.code);
    return new DeliveryError('permanent', `Twilio ${e.status} (${e.code}): ${message}`, e.code);
  }
  if (typeof e.status === 'number') {
    return new DeliveryError(e.status >= 500 ? 'ambiguous' : e.status === 429 ? 'transient' : 'permanent', `Twilio ${e.status}: ${message}`, e.status);
  }
  // No HTTP answer. A refused connection never carried the request.
  const code = typeof e.code === 'string' ? e.code : '';
  const notSent = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'].includes(code);
  return new DeliveryError(notSent ? 'transient' : 'ambiguous', `${code || 'ERROR'}: ${message}`, code || undefined);
}

/** SMS through Twilio's Messages API. */
export function createSmsChannel(options: SmsChannelOptions): Channel {
  const client = twilio(options.accountSid, options.authToken, {
    httpClient: requestClientFor(options.apiBaseUrl, options.timeoutMs),
    autoRetry: false, // retries are ours: they go through the stream, with backoff and idempotency
  });

  /**
   * After an ambiguous create, the earlier message is looked up before sending again:
   * the recent messages from our number to this one whose body holds this delivery's
   * link (unique per invite and token version). A failed lookup is itself ambiguous.
   */
  async function findEarlier(delivery: Delivery, to: string): Promise<string | null> {
    try {
      const recent = await client.messages.list({ to, from: options.from, limit: 50 });
      return recent.find((m) => typeof m.body === 'string' && m.body.includes(delivery.link))?.sid ?? null;
    } catch (error) {
      const failure = classifyTwilioError(error);
      throw new DeliveryError(failure.kind === 'permanent' ? 'permanent' : 'ambiguous', `lookup of an earlier attempt failed: ${failure.message}`, failure.providerCode);
    }
  }

  return {
    name: 'sms',
    provider: 'twilio',
    disabledReason: null,
    async send(delivery) {
      const to = delivery.to.phone;
      if (!to) throw new DeliveryError('permanent', 'the invite has no phone number');
      if (delivery.mayHaveBeenSent) {
        const sid = await findEarlier(delivery, to);
        if (sid) return { providerMessageId: sid, recovered: true };
      }
      if (delivery.signal.aborted) throw new DeliveryError('transient', 'aborted before sending');
      try {
        const message = await client.messages.create({ to, from: options.from, body: delivery.rendered.sms });
        return { providerMessageId: message.sid };
      } catch (error) {
        throw classifyTwilioError(error);
      }
    },
    async close() {},
  };
}
