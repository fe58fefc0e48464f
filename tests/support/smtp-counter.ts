import { fork, type ChildProcess } from 'node:child_process';
import { SMTPServer } from 'smtp-server';

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

type Reply = { type: 'listening'; port: number } | { type: 'counts'; id: number; counts: SmtpCounts };

function serveAsChild(): void {
  const perRecipient = new Map<string, number>();
  let delivered = 0;
  let duplicated = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: 1024 * 1024,
    onData(stream, session, callback) {
      stream.on('end', () => {
        for (const { address } of session.envelope.rcptTo ?? []) {
          const n = (perRecipient.get(address) ?? 0) + 1;
          perRecipient.set(address, n);
          delivered += 1;
          if (n === 2) duplicated += 1;
        }
        callback(null, 'OK: counted');
      });
      stream.resume();
    },
  });
  server.listen(0, '127.0.0.1', () => {
    const port = (server.server.address() as { port: number }).port;
    process.send!({ type: 'listening', port } satisfies Reply);
  });
  process.on('message', (message: { type: string; id: number }) => {
    if (message.type === 'counts') {
      process.send!({ type: 'counts', id: message.id, counts: { delivered, recipients: perRecipient.size, duplicated } } satisfies Reply);
    }
  });
  // The parent died or let go: nothing is left to count for.
  process.on('disconnect', () => process.exit(0));
}

if (import.meta.main) serveAsChild();

export interface SmtpCounter {
  url: string;
  pid: number;
  counts(): Promise<SmtpCounts>;
  close(): Promise<void>;
}

export async function startSmtpCounter(): Promise<SmtpCounter> {
  const child: ChildProcess = fork(new URL(import.meta.url).pathname, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map<number, (counts: SmtpCounts) => void>();
  let nextId = 0;
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the SMTP counter exited (${code}) before listening`)));
    child.on('message', (message: Reply) => {
      if (message.type === 'listening') resolve(message.port);
      else waiting.get(message.id)?.(message.counts);
    });
  });
  return {
    url: `smtp://127.0.0.1:${port}`,
    pid: child.pid!,
    counts() {
      if (!child.connected) return Promise.reject(new Error('the SMTP counter is gone'));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the SMTP counter did not answer')), 5000);
        waiting.set(id, (counts) => {
          clearTimeout(timer);
          waiting.delete(id);
          resolve(counts);
        });
        child.send({ type: 'counts', id });
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
