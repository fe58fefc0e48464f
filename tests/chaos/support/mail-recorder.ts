import { forkSmtp, serveSmtpAsChild } from '../../support/forked-smtp.ts';

/**
 * A real SMTP server, in a child process of its own (the load generator in the test
 * process must not slow the notifier's sends down), that records every message it
 * accepted: its Message-ID and its recipients. The mailbox view files one copy per
 * Message-ID, as a mail provider does, so "sent twice under one Message-ID" (a retry
 * after an ambiguous failure) is told apart from "two different emails".
 */

export interface RecordedMail {
  messageId: string;
  to: string[];
  at: number;
}

function messageIdOf(header: string): string {
  const match = /^message-id:\s*(.+)$/im.exec(header);
  return match?.[1]?.trim() ?? '';
}

if (import.meta.main) {
  const mails: RecordedMail[] = [];
  serveSmtpAsChild({
    keepBody: true,
    accepted(session, raw) {
      const text = raw!.toString('utf8');
      const header = text.slice(0, text.search(/\r?\n\r?\n/) >>> 0);
      mails.push({ messageId: messageIdOf(header), to: (session.envelope.rcptTo ?? []).map((r) => r.address.toLowerCase()), at: Date.now() });
    },
    answer: () => mails,
  });
}

export interface MailRecorder {
  url: string;
  /** Every accepted transmission, in order. */
  mails(): Promise<RecordedMail[]>;
  close(): Promise<void>;
}

export async function startMailRecorder(): Promise<MailRecorder> {
  const server = await forkSmtp<RecordedMail[]>(new URL(import.meta.url).pathname, 'mail recorder', 10_000);
  return { url: server.url, mails: () => server.ask(), close: () => server.close() };
}
