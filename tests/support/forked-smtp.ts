import { fork, type ChildProcess } from 'node:child_process';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

/**
 * An SMTP server in a child process of its own, so that a busy load generator in the
 * test process does not slow the notifier's sends down. The child keeps what it makes
 * of each accepted message; the parent asks for it over IPC. Shared by the benchmarks'
 * counting server and the chaos suite's recording one.
 */

type Request = { type: 'ask'; id: number };
type Reply<T> = { type: 'listening'; port: number } | { type: 'answer'; id: number; value: T };

/**
 * The child's side: accepts every message, hands each to `accepted` (with its raw bytes
 * when `keepBody`, else none are kept), and answers each question with `answer()`.
 * Exits when the parent lets go.
 */
export function serveSmtpAsChild<T>(options: { keepBody: boolean; accepted(session: SMTPServerSession, raw: Buffer | null): void; answer(): T }): void {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: 1024 * 1024,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      if (options.keepBody) stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      else stream.resume();
      stream.on('end', () => {
        options.accepted(session, options.keepBody ? Buffer.concat(chunks) : null);
        callback(null, 'OK: queued');
      });
    },
  });
  // A notifier killed mid-session resets its connection: expected in these runs.
  server.on('error', () => {});
  server.listen(0, '127.0.0.1', () => {
    const port = (server.server.address() as { port: number }).port;
    process.send!({ type: 'listening', port } satisfies Reply<T>);
  });
  process.on('message', (message: Request) => {
    if (message.type === 'ask') process.send!({ type: 'answer', id: message.id, value: options.answer() } satisfies Reply<T>);
  });
  process.on('disconnect', () => process.exit(0));
}

export interface ForkedSmtp<T> {
  url: string;
  pid: number;
  /** What the child has made of the messages so far. */
  ask(): Promise<T>;
  close(): Promise<void>;
}

/** The parent's side: forks `modulePath` (which calls serveSmtpAsChild when run as main) and waits until it listens. */
export async function forkSmtp<T>(modulePath: string, what: string, timeoutMs: number): Promise<ForkedSmtp<T>> {
  const child: ChildProcess = fork(modulePath, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map<number, (value: T) => void>();
  let nextId = 0;
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the ${what} exited (${code}) before listening`)));
    child.on('message', (message: Reply<T>) => {
      if (message.type === 'listening') resolve(message.port);
      else waiting.get(message.id)?.(message.value);
    });
  });
  return {
    url: `smtp://127.0.0.1:${port}`,
    pid: child.pid!,
    ask() {
      if (!child.connected) return Promise.reject(new Error(`the ${what} is gone`));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the ${what} did not answer`)), timeoutMs);
        waiting.set(id, (value) => {
          clearTimeout(timer);
          waiting.delete(id);
          resolve(value);
        });
        child.send({ type: 'ask', id } satisfies Request);
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
