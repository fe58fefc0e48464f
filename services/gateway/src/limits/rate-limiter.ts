import { createHash } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';

export interface LimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until a request would be allowed again (0 when allowed). */
  retryAfter: number;
}

export interface RateLimiter {
  /** Counts one request of `key` against `limit` per `windowMs` and says whether it may pass. */
  hit(rule: string, key: string, limit: number, windowMs: number): Promise<LimitDecision>;
}

/**
 * Sliding-window rate limits kept in a NATS KV bucket, so every gateway replica sees
 * the same counts without another piece of infrastructure: NATS is already what the
 * gateway needs to work at all, and the bucket is replicated with the streams.
 *
 * Each (rule, key, window) is one counter, incremented with compare-and-set; the
 * estimate weighs the previous window by how much of it still overlaps the sliding
 * one (the approach of Cloudflare's limiter), which avoids the double burst of fixed
 * windows. Only requests let through are counted, so the Retry-After a refused client
 * gets is the real wait however often it retries meanwhile. Keys are hashed: no client address is stored in clear.
 */
export async function createKvRateLimiter(nc: NatsConnection, bucket: string, maxWindowMs: number, replicas = 1): Promise<RateLimiter> {
  const kv = await new Kvm(nc).create(bucket, { history: 1, ttl: maxWindowMs * 2, replicas });
  return {
    async hit(rule, key, limit, windowMs) {
      const now = Date.now();
      const window = Math.floor(now / windowMs);
      const id = createHash('sha256').update(key).digest('base64url');
      const currentKey = `${rule}.${window}.${id}`;
      const [counted, previous] = await Promise.all([read(kv, currentKey), read(kv, `${rule}.${window - 1}.${id}`)]);
      const elapsed = (now % windowMs) / windowMs;
      const refuse = (current: number): LimitDecision => ({ allowed: false, limit, remaining: 0, retryAfter: retryAfter(previous, current, limit, windowMs, now) });
      // A refused request is not counted: hammering a limit must not push its end further out.
      if (previous * (1 - elapsed) + counted + 1 > limit) return refuse(counted);
      const current = await increment(kv, currentKey);
      const estimate = previous * (1 - elapsed) + current;
      if (estimate <= limit) return { allowed: true, limit, remaining: Math.max(0, Math.floor(limit - estimate)), retryAfter: 0 };
      // Another request took the last place between the read and the increment: give it back.
      await decrement(kv, currentKey);
      return refuse(current - 1);
    },
  };
}

async function decrement(kv: KV, key: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const entry = await kv.get(key);
    if (!entry || entry.operation !== 'PUT') return;
    try {
      await kv.update(key, String(Math.max(0, (Number(entry.string()) || 0) - 1)), entry.revision);
      return;
    } catch {
      // Changed in between: read it again.
    }
  }
}

async function read(kv: KV, key: string): Promise<number> {
  const entry = await kv.get(key);
  return entry && entry.operation === 'PUT' ? Number(entry.string()) || 0 : 0;
}

async function increment(kv: KV, key: string): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const entry = await kv.get(key);
    try {
      if (!entry || entry.operation !== 'PUT') {
        await kv.create(key, '1');
        return 1;
      }
      const next = (Number(entry.string()) || 0) + 1;
      await kv.update(key, String(next), entry.revision);
      return next;
    } catch {
      // Another replica changed the counter first: read it again.
    }
  }
  throw new Error(`rate limit counter ${key} is too contended`);
}

/** Seconds until previous·(1 − t) + current ≤ limit − 1 lets one more request through. */
function retryAfter(previous: number, current: number, limit: number, windowMs: number, now: number): number {
  const intoWindow = now % windowMs;
  const untilWindowEnds = windowMs - intoWindow;
  if (current >= limit || previous === 0) return Math.max(1, Math.ceil(untilWindowEnds / 1000));
  const overlapNeeded = (limit - current) / previous; // previous window's share that may remain
  const waitMs = windowMs * (1 - overlapNeeded) - intoWindow;
  return Math.max(1, Math.ceil(Math.min(waitMs, untilWindowEnds) / 1000));
}

/** The client a limit counts: the address, with IPv6 clients counted per /64 (one subscriber's network). */
export function clientKey(ip: string): string {
  const address = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  if (!address.includes(':')) return address;
  return `${expandIpv6(address).slice(0, 4).join(':')}::/64`;
}

function expandIpv6(address: string): string[] {
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = address.includes('::') ? (tail ? tail.split(':') : []) : [];
  const missing = 8 - left.length - right.length;
  const groups = address.includes('::') ? [...left, ...Array<string>(Math.max(0, missing)).fill('0'), ...right] : left;
  return groups.map((g) => (g || '0').toLowerCase().replace(/^0+(?=.)/, ''));
}
