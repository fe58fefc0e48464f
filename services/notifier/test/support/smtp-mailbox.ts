import type { Socket } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** One message whose DATA the server read completely. */
export interface Transmission {
  messageId: string;
  to: string[];
  raw: string;
  parsed: ParsedMail;
  at: number;
}

/** What the server does with a transaction; the default accepts. */
export type DataVerdict =
  | 'accept'
  /** Reads the message, keeps it, then drops the connection without a reply (the ambiguous case). */
  | 'store-then-drop'
  /** Reads the message and drops the connection without keeping it (a crash before queueing). */
  | 'drop'
  | { code: number; message: string };

export interface MailboxBehaviour {
  /** Called for each RCPT TO; a return value rejects the recipient with that reply. */
  rcpt?(address: string, count: number): { code: number; message: string } | undefined;
  /** Called once the DATA of transmission number `count` (from 1) is read. */
  data?(transmission: Transmission, count: number): DataVerdict;
}

/**
 * A real SMTP server (the `smtp-server` package) in the test process that behaves
 * like a mailbox provider: it keeps every transmission, and files one copy per
 * Message-ID in the mailbox (as Gmail does), so tests can tell "sent twice" from
 * "delivered twice".
 */
export async function startSmtpMailbox(behaviour: MailboxBehaviour = {}) {
  const transmissions: Transmission[] = [];
  const mailbox = new Map<string, Transmission>();
  const rcptCounts = new Map<string, number>();
  const sockets = new Map<number, Socket>();
  let dataCount = 0;

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: 1024 * 1024,
    onRcptTo(address, _session, callback) {
      const n = (rcptCounts.get(address.address) ?? 0) + 1;
      rcptCounts.set(address.address, n);
      const reject = behaviour.rcpt?.(address.address, n);
      if (reject) return callback(Object.assign(new Error(reject.message), { responseCode: reject.code }));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', async () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const parsed = await simpleParser(raw);
        const transmission: Transmission = {
          messageId: parsed.messageId ?? '',
          to: (session.envelope.rcptTo ?? []).map((r) => r.address),
          raw,
          parsed,
          at: Date.now(),
        };
        const verdict = behaviour.data?.(transmission, ++dataCount) ?? 'accept';
        if (verdict === 'accept' || verdict === 'store-then-drop') {
          transmissions.push(transmission);
          if (!mailbox.has(transmission.messageId)) mailbox.set(transmission.messageId, transmission);
        }
        if (verdict === 'accept') return callback(null, 'OK: queued');
        if (verdict === 'store-then-drop' || verdict === 'drop') {
          sockets.get(session.remotePort)?.destroy();
          return;
        }
        callback(Object.assign(new Error(verdict.message), { responseCode: verdict.code }));
      });
    },
  });
  // A client killed mid-session resets its connection: expected here, not a test failure.
  server.on('error', () => {});
  // Remember each client socket by its port, to cut a connection mid-transaction.
  server.server.on('connection', (socket: Socket) => {
    socket.on('error', () => {});
    if (socket.remotePort) sockets.set(socket.remotePort, socket);
    socket.once('close', () => sockets.delete(socket.remotePort!));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;

  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    transmissions,
    mailbox,
    /** Mailbox copies addressed to `email`. */
    deliveredTo: (email: string) => [...mailbox.values()].filter((t) => t.to.includes(email)),
    transmissionsTo: (email: string) => transmissions.filter((t) => t.to.includes(email)),
    rcptCount: (email: string) => rcptCounts.get(email) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets.values()) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export type SmtpMailbox = Awaited<ReturnType<typeof startSmtpMailbox>>;
