import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import type { NodemailerError } from 'nodemailer/lib/errors';
import type { SendMailOptions } from 'nodemailer/lib/mailer/mail-message';
import { DeliveryError, type Channel, type Delivery } from './channel.ts';

export interface EmailChannelOptions {
  /** smtp:// or smtps:// URL, credentials included. */
  smtpUrl: string;
  /** Envelope sender and From address (the display name is the inviter's). */
  from: string;
  maxConnections: number;
}

/**
 * The SMTP Message-ID of a delivery: derived from its idempotency key, so every
 * attempt of one (invite, token version) carries the same id. A retry after an
 * ambiguous failure is then recognisable as the same message by the receiving
 * system (mailbox providers collapse copies with one Message-ID), never a new one.
 */
export function messageIdOf(key: string, from: string): string {
  return `<${key}@${from.split('@')[1] ?? 'localhost'}>`;
}

/** The message as nodemailer takes it. Names only ever reach headers through address objects. */
function mailOf(delivery: Delivery, from: string): SendMailOptions {
  const { to, rendered } = delivery;
  return {
    from: { name: rendered.fromName, address: from },
    to: { name: '', address: to.email },
    subject: rendered.subject,
    text: rendered.text,
    html: rendered.html,
    messageId: messageIdOf(delivery.key, from),
    headers: { 'Auto-Submitted': 'auto-generated' },
    // Nothing in an invite may read a local file or fetch a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

const notReached = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * Sorts an SMTP failure. A reply code settles it (5xx but 503: permanent; any other:
 * the server refused, so not sent). Without a reply, only a failure before the
 * transaction could start proves nothing was sent; a connection lost later (after
 * DATA in particular) may have left a delivered message behind: ambiguous.
 */
export function classifySmtpError(error: NodemailerError): DeliveryError {
  const summary = (error.response ?? error.message).replace(/\s+/g, ' ').slice(0, 300);
  const reply = error.responseCode;
  if (typeof reply === 'number' && reply >= 400) {
    const permanent = reply >= 500 && reply !== 503;
    return new DeliveryError(permanent ? 'permanent' : 'transient', summary, reply);
  }
  const code = error.originalCode ?? error.code ?? '';
  const beforeTransaction =
    notReached.has(code) ||
    ['EDNS', 'ECONFIG', 'EAUTH', 'ENOAUTH', 'ETLS', 'EREQUIRETLS', 'EPROXY'].includes(error.code ?? '') ||
    error.timeoutType === 'CONNECT_TIMEOUT' ||
    error.timeoutType === 'GREETING_TIMEOUT';
  return new DeliveryError(beforeTransaction ? 'transient' : 'ambiguous', `${error.code ?? 'ERROR'}: ${summary}`, error.code);
}

/** Email over pooled SMTP (nodemailer). */
export function createEmailChannel(options: EmailChannelOptions): Channel {
  const transport = createTransport({
    url: options.smtpUrl,
    pool: true,
    maxConnections: options.maxConnections,
    maxMessages: 500,
    // nodemailer would silently re-send a message whose connection closed mid-transaction:
    // exactly the blind double send we must avoid. Our own retry decides instead.
    maxRequeues: 0,
    connectionTimeout: 5000,
    greetingTimeout: 5000,
    socketTimeout: 15_000,
    dnsTimeout: 5000,
  });
  return {
    name: 'email',
    provider: 'smtp',
    disabledReason: null,
    async send(delivery) {
      let info;
      try {
        info = await transport.sendMail({ ...mailOf(delivery, options.from), signal: delivery.signal });
      } catch (error) {
        throw classifySmtpError(error as NodemailerError);
      }
      if (info.rejected.length > 0 || !info.accepted.includes(delivery.to.email)) {
        // Partial acceptance: one recipient per invite, so a rejected one is the whole delivery.
        throw new DeliveryError('permanent', `recipient rejected: ${info.response}`.slice(0, 300));
      }
      return { providerMessageId: info.messageId };
    },
    async close() {
      transport.close();
    },
  };
}

/**
 * Development only: writes each email as `<key>.eml` in a folder instead of sending
 * it. Exclusive create makes a repeated delivery a no-op.
 */
export function createFileOutboxChannel(options: { dir: string; from: string }): Channel {
  const transport = createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    name: 'email',
    provider: 'file',
    disabledReason: null,
    async send(delivery) {
      await mkdir(options.dir, { recursive: true });
      const info = await transport.sendMail(mailOf(delivery, options.from));
      const path = join(options.dir, `${delivery.key}.eml`);
      try {
        await writeFile(path, info.message as Buffer, { flag: 'wx' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new DeliveryError('transient', (error as Error).message);
      }
      return { providerMessageId: info.messageId };
    },
    async close() {},
  };
}
