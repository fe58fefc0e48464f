import { forkSmtp, serveSmtpAsChild } from './forked-smtp.ts';

/**
 * An SMTP server that accepts every message and only counts them per recipient, for
 * load runs where keeping bodies would cost memory. It runs as a child process of its
 * own, so that a busy load generator does not slow the notifier's sends down and make
 * the email figures the load generator's. The parent asks for counts over IPC.
 */

export interface SmtpCounts {
  /** Messages accepted, one per recipient. */
  delivered: number;
  recipients: number;
  /** Recipients who received more than one message. */
  duplicated: number;
}

if (import.meta.main) {
  const perRecipient = new Map<string, number>();
  let delivered = 0;
  let duplicated = 0;
  serveSmtpAsChild<SmtpCounts>({
    keepBody: false,
    accepted(session) {
      for (const { address } of session.envelope.rcptTo ?? []) {
        const n = (perRecipient.get(address) ?? 0) + 1;
        perRecipient.set(address, n);
        delivered += 1;
        if (n === 2) duplicated += 1;
      }
    },
    answer: () => ({ delivered, recipients: perRecipient.size, duplicated }),
  });
}

export interface SmtpCounter {
  url: string;
  pid: number;
  counts(): Promise<SmtpCounts>;
  close(): Promise<void>;
}

export async function startSmtpCounter(): Promise<SmtpCounter> {
  const server = await forkSmtp<SmtpCounts>(new URL(import.meta.url).pathname, 'SMTP counter', 5000);
  return { url: server.url, pid: server.pid, counts: () => server.ask(), close: () => server.close() };
}
