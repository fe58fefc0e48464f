import type { KV } from '@nats-io/kv';
import type { Channel as ChannelName, DevMailboxEntry } from '@invite/contracts';
import { DeliveryError, type Channel } from './channel.ts';

/**
 * Development only: keeps each email or SMS in the development mailbox (a NATS KV
 * bucket the gateway shows at /dev/mailbox) instead of sending it, so that the first
 * invite a newcomer sends can be opened in the browser. One entry per delivery key:
 * a repeated delivery writes the same entry again.
 */
export function createDevMailboxChannel(name: ChannelName, options: { mailbox: () => Promise<KV>; from: string; fromName: string }): Channel {
  return {
    name,
    provider: 'dev-mailbox',
    disabledReason: null,
    async send(delivery) {
      const { rendered } = delivery;
      const displayName = rendered.fromName || options.fromName;
      const entry: DevMailboxEntry = {
        id: delivery.key,
        channel: name,
        to: name === 'sms' ? (delivery.to.phone ?? '') : delivery.to.email,
        from: name === 'sms' ? 'development SMS' : displayName ? `${displayName} <${options.from}>` : options.from,
        subject: name === 'sms' ? '' : rendered.subject,
        text: name === 'sms' ? rendered.sms : rendered.text,
        html: name === 'sms' ? '' : rendered.html,
        link: delivery.link,
        at: new Date().toISOString(),
      };
      try {
        await (await options.mailbox()).put(mailboxKey(delivery.key), JSON.stringify(entry));
      } catch (error) {
        throw new DeliveryError('transient', `development mailbox: ${(error as Error).message}`);
      }
      return { providerMessageId: `dev-mailbox:${delivery.key}` };
    },
    async close() {},
  };
}

/** A delivery key as a KV key (letters, digits, `-`, `_`, `=`, `.`). */
export function mailboxKey(key: string): string {
  return key.replace(/[^A-Za-z0-9_=.-]/g, '_');
}
