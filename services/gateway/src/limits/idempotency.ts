import { createHash } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';

/** A stored first answer. */
export interface StoredResponse {
  status: number;
  body: unknown;
}

export type Claim =
  | { kind: 'new'; complete(response: StoredResponse): Promise<void>; release(): Promise<void> }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'in-progress' }
  | { kind: 'mismatch' };

export interface IdempotencyStore {
  /**
   * Claims `key` for one caller and route. The first claim runs the request and
   * stores its answer; later ones with the same body get that answer again for 24 h;
   * the same key with another body is a client error.
   */
  claim(scope: string, key: string, body: unknown): Promise<Claim>;
}

interface Record {
  state: 'pending' | 'done';
  bodyHash: string;
  response?: StoredResponse;
}

/** Idempotency keys in a NATS KV bucket whose entries live 24 hours, shared by every gateway replica. */
export async function createKvIdempotencyStore(nc: NatsConnection, bucket: string, replicas = 1, ttlMs = 24 * 3_600_000): Promise<IdempotencyStore> {
  const kv: KV = await new Kvm(nc).create(bucket, { history: 1, ttl: ttlMs, replicas });
  const store: IdempotencyStore = {
    async claim(scope, key, body) {
      const id = createHash('sha256').update(`${scope}\n${key}`).digest('base64url');
      const bodyHash = createHash('sha256').update(JSON.stringify(body ?? null)).digest('base64url');
      try {
        await kv.create(id, JSON.stringify({ state: 'pending', bodyHash } satisfies Record));
      } catch {
        const entry = await kv.get(id);
        // Deleted in between (a failed first attempt released it): claim again.
        if (!entry || entry.operation !== 'PUT') return store.claim(scope, key, body);
        const existing = entry.json<Record>();
        if (existing.bodyHash !== bodyHash) return { kind: 'mismatch' };
        if (existing.state === 'done' && existing.response) return { kind: 'replay', response: existing.response };
        return { kind: 'in-progress' };
      }
      return {
        kind: 'new',
        async complete(response) {
          await kv.put(id, JSON.stringify({ state: 'done', bodyHash, response } satisfies Record));
        },
        async release() {
          await kv.delete(id);
        },
      };
    },
  };
  return store;
}
