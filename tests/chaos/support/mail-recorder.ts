import { fork, type ChildProcess } from 'node:child_process';
import { SMTPServer } from 'smtp-server';

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

type Reply = { type: 'listening'; port: number } | { type: 'mails'; id: number; mails: RecordedMail[] };

function messageIdOf(header: string): string {
  const match = /^message-id:\s*(.+)$/im.exec(header);
  return match?.[1]?.trim() ?? '';
}

function serveAsChild(): void {
  const mails: RecordedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: 1024 * 1024,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const header = raw.slice(0, raw.search(/\r?\n\r?\n/) >>> 0);
        mails.push({ messageId: messageIdOf(header), to: (session.envelope.rcptTo ?? []).map((r) => r.address.toLowerCase()), at: Date.now() });
        callback(null, 'OK: queued');
      });
    },
  });
  // A notifier SIGKILLed mid-session resets its connection: expected here.
  server.on('error', () => {});
  server.listen(0, '127.0.0.1', () => {
    const port = (server.server.address() as { port: number }).port;
    process.send!({ type: 'listening', port } satisfies Reply);
  });
  process.on('message', (message: { type: string; id: number }) => {
    if (message.type === 'mails') process.send!({ type: 'mails', id: message.id, mails } satisfies Reply);
  });
  process.on('disconnect', () => process.exit(0));
}

if (import.meta.main) serveAsChild();

export interface MailRecorder {
  url: string;
  /** Every accepted transmission, in order. */
  mails(): Promise<RecordedMail[]>;
  close(): Promise<void>;
}

export async function startMailRecorder(): Promise<MailRecorder> {
  const child: ChildProcess = fork(new URL(import.meta.url).pathname, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map<number, (mails: RecordedMail[]) => void>();
  let nextId = 0;
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the mail recorder exited (${code}) before listening`)));
    child.on('message', (message: Reply) => {
      if (message.type === 'listening') resolve(message.port);
      else waiting.get(message.id)?.(message.mails);
    });
  });
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails() {
      if (!child.connected) return Promise.reject(new Error('the mail recorder is gone'));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the mail recorder did not answer')), 10_000);
        waiting.set(id, (mails) => {
          clearTimeout(timer);
          waiting.delete(id);
          resolve(mails);
        });
        child.send({ type: 'mails', id });
      });
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.disconnect();
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
