import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { DomainError } from '@invite/contracts';

/** A stored first answer. */
export interface StoredResponse {
  status: number;
  body: unknown;
}

export type Claim =
  /** This request runs; `complete` and `release` never throw (a lost write only costs a replay or waits out the lease). */
  | { kind: 'new'; complete(response: StoredResponse): Promise<void>; release(): Promise<void> }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'in-progress' }
  | { kind: 'mismatch' };

export interface IdempotencyStore {
  /**
   * Claims `key` for one caller and route. The first claim runs the request and
   * stores its answer; later ones with the same body get that answer again for 24 h;
   * the same key with another body is a client error. A claim holds the key for
   * `leaseMs` (longer than the request may take): a request whose gateway died before it
   * completed or released the key no longer blocks it after that, and a retry runs again.
   * Throws SERVICE_UNAVAILABLE when the store cannot be reached.
   */
  claim(scope: string, key: string, body: unknown, leaseMs?: number): Promise<Claim>;
}

/** Lease of a claim when the caller gives none: the gateway's default upstream deadline and a margin. */
const defaultLeaseMs = 7000;

/**
 * One entry. Answers hold accept links, so nothing in it is readable without the
 * client's Idempotency-Key, which is never stored: the entry id is a hash of scope and
 * key, the body is known by a MAC and the answer is sealed (AES-256-GCM), both keyed
 * by HKDF-SHA256 from the Idempotency-Key and the scope.
 */
interface Record {
  state: 'pending' | 'done';
  /** HMAC-SHA256 of the request body. */
  bodyMac: string;
  /** Pending: until when (ms since the epoch) the request that claimed the key may still be running. */
  leaseUntil?: number;
  /** Pending: which claim wrote it, so a claim whose write failed on the way back (NATS lost the ack) knows it holds the key. */
  claim?: string;
  /** The answer: IV (12 bytes), GCM tag (16 bytes) and ciphertext, base64url. */
  sealed?: string;
}

const ivBytes = 12;
const tagBytes = 16;

/** The key of one entry, from the client's Idempotency-Key (input key material) and the scope (salt). */
function entryKey(scope: string, key: string): Buffer {
  return Buffer.from(hkdfSync('sha256', key, scope, 'invite-platform idempotency entry', 32));
}

function seal(secret: Buffer, id: string, response: StoredResponse): string {
  const iv = randomBytes(ivBytes);
  const cipher = createCipheriv('aes-256-gcm', secret, iv);
  cipher.setAAD(Buffer.from(id));
  const data = Buffer.concat([cipher.update(JSON.stringify(response), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64url');
}

/** The answer of a sealed entry; throws when it was not sealed under this key and id. */
function unseal(secret: Buffer, id: string, sealed: string): StoredResponse {
  const raw = Buffer.from(sealed, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', secret, raw.subarray(0, ivBytes));
  decipher.setAAD(Buffer.from(id));
  decipher.setAuthTag(raw.subarray(ivBytes, ivBytes + tagBytes));
  const plain = Buffer.concat([decipher.update(raw.subarray(ivBytes + tagBytes)), decipher.final()]);
  return JSON.parse(plain.toString('utf8')) as StoredResponse;
}

/**
 * What the invites service is told of a key (`requestKey`), so that a create that ran
 * before (its answer lost with a dead gateway, or at a deadline) answers with the invite
 * it made: a hash of scope and key, 43 characters, from which neither can be read back.
 */
export function requestKeyOf(scope: string, key: string): string {
  return createHash('sha256').update(`invite-platform request key\n${scope}\n${key}`).digest('base64url');
}

/** The store could not be reached (NATS down, reconnecting, or the bucket without quorum): retry shortly. */
function storeUnavailable(error: unknown): DomainError {
  if (error instanceof DomainError) return error;
  return new DomainError('SERVICE_UNAVAILABLE', { detail: 'Idempotency keys cannot be checked right now; retry shortly', retryAfter: 2 });
}

/** Idempotency keys in a NATS KV bucket whose entries live 24 hours, shared by every gateway replica. */
export async function createKvIdempotencyStore(nc: NatsConnection, bucket: string, replicas = 1, ttlMs = 24 * 3_600_000): Promise<IdempotencyStore> {
  const kv: KV = await new Kvm(nc).create(bucket, { history: 1, ttl: ttlMs, replicas });

  /** Claims the key, or says who holds it; `revision` is the entry this claim wrote. */
  async function claimOnce(
    id: string,
    secret: Buffer,
    bodyMac: string,
    leaseMs: number,
  ): Promise<Exclude<Claim, { kind: 'new' }> | { kind: 'new'; revision: number } | { kind: 'gone'; error: unknown }> {
    const claim = randomBytes(12).toString('base64url');
    const pending = () => JSON.stringify({ state: 'pending', bodyMac, leaseUntil: Date.now() + leaseMs, claim } satisfies Record);
    let refused: unknown;
    try {
      return { kind: 'new', revision: await kv.create(id, pending()) };
    } catch (error) {
      // Taken already, most likely; if the store is down, the read below says so.
      refused = error;
    }
    const entry = await kv.get(id);
    // Deleted in between (a failed first attempt released it), or the create failed for
    // another reason (a stream leader election refuses writes while reads still work).
    if (!entry || entry.operation !== 'PUT') return { kind: 'gone', error: refused };
    const existing = entry.json<Record>();
    if (existing.bodyMac !== bodyMac) return { kind: 'mismatch' };
    if (existing.state === 'done' && existing.sealed) return { kind: 'replay', response: unseal(secret, id, existing.sealed) };
    // Our own create went through, though its answer was lost (a NATS leader election, a timeout).
    if (existing.claim === claim) return { kind: 'new', revision: entry.revision };
    // The request that claimed the key outlived its lease: its gateway died or lost it. Take over.
    if ((existing.leaseUntil ?? 0) < Date.now()) {
      try {
        return { kind: 'new', revision: await kv.update(id, pending(), entry.revision) };
      } catch {
        // Another retry took it over first.
      }
    }
    return { kind: 'in-progress' };
  }

  const store: IdempotencyStore = {
    async claim(scope, key, body, leaseMs = defaultLeaseMs) {
      const id = createHash('sha256').update(`${scope}\n${key}`).digest('base64url');
      const secret = entryKey(scope, key);
      const bodyMac = createHmac('sha256', secret).update(JSON.stringify(body ?? null)).digest('base64url');
      let claimed;
      for (let round = 0; ; round++) {
        try {
          claimed = await claimOnce(id, secret, bodyMac, leaseMs);
        } catch (error) {
          throw storeUnavailable(error);
        }
        if (claimed.kind !== 'gone') break;
        // Not a released key but a store that takes no writes: say so (it answered in-progress, wrongly).
        if (round >= 1) throw storeUnavailable(claimed.error);
      }
      if (claimed.kind !== 'new') return claimed;
      const { revision } = claimed;
      return {
        kind: 'new',
        // Only over our own entry: a claim taken over after our lease ran out belongs to its new holder.
        async complete(response) {
          await kv.update(id, JSON.stringify({ state: 'done', bodyMac, sealed: seal(secret, id, response) } satisfies Record), revision).catch(() => {});
        },
        async release() {
          await kv.delete(id, { previousSeq: revision }).catch(() => {});
        },
      };
    },
  };
  return store;
}
