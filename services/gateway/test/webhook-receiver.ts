import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP server standing in for an organisation's webhook receiver: it records
 * every request (headers and the raw body, as a receiver must verify it) and answers
 * as each path is told to, e.g. 500 twice then 200, or slowly.
 */
export interface Received {
  path: string;
  id: string;
  timestamp: string;
  signature: string;
  contentType: string;
  body: string;
  /** When it arrived (ms since the epoch). */
  at: number;
}

export interface Answer {
  status: number;
  delayMs?: number;
}

export interface Receiver {
  /** The URL of one path of this receiver. */
  url(path: string): string;
  received: Received[];
  /** Requests of one path, in arrival order. */
  at(path: string): Received[];
  /** How a path answers its n-th request (from 1); 200 at once when not told. */
  answer(path: string, behaviour: (n: number) => Answer): void;
  /** Resolves once `count` requests of `path` arrived, or throws after `timeoutMs`. */
  waitFor(path: string, count: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const behaviours = new Map<string, (n: number) => Answer>();
  const counts = new Map<string, number>();
  const header = (request: IncomingMessage, name: string) => String(request.headers[name] ?? '');

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = (request.url ?? '/').split('?')[0]!;
      received.push({
        path,
        id: header(request, 'webhook-id'),
        timestamp: header(request, 'webhook-timestamp'),
        signature: header(request, 'webhook-signature'),
        contentType: header(request, 'content-type'),
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      });
      const n = (counts.get(path) ?? 0) + 1;
      counts.set(path, n);
      const { status, delayMs = 0 } = behaviours.get(path)?.(n) ?? { status: 200 };
      setTimeout(() => {
        if (!response.destroyed) response.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'no');
      }, delayMs);
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const at = (path: string) => received.filter((r) => r.path === path);

  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    received,
    at,
    answer: (path, behaviour) => void behaviours.set(path, behaviour),
    async waitFor(path, count, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (at(path).length < count) {
        if (Date.now() > deadline) throw new Error(`${path} received ${at(path).length} of ${count} requests in ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return at(path);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Verifies a delivery as a receiver would, from the Standard Webhooks specification
 * alone: the key is the base64 after `whsec_`, the signed content is
 * `<webhook-id>.<webhook-timestamp>.<raw body>`, the header holds space-separated
 * `v1,<base64 HMAC-SHA256>` entries (one must match, compared in constant time), and the
 * timestamp must be within five minutes.
 */
export function receiverVerifies(secret: string, delivery: Pick<Received, 'id' | 'timestamp' | 'signature' | 'body'>, now = Date.now()): boolean {
  if (!secret.startsWith('whsec_')) return false;
  const timestamp = Number(delivery.timestamp);
  if (!Number.isInteger(timestamp) || Math.abs(now / 1000 - timestamp) > 300) return false;
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${delivery.id}.${delivery.timestamp}.${delivery.body}`).digest();
  return delivery.signature.split(' ').some((entry) => {
    const [version, signature] = entry.split(',');
    if (version !== 'v1' || !signature) return false;
    const given = Buffer.from(signature, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
