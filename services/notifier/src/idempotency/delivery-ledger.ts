import { JetStreamApiError } from '@nats-io/jetstream';
import type { KV, KvEntry } from '@nats-io/kv';
import { Type, type Static } from 'typebox';
import { matches, type Channel } from '@invite/contracts';

/**
 * The notifier's own record of one delivery, in the KV bucket `deliveries`, keyed
 * `<inviteId>.<tokenVersion>.<channel>`. Private storage of this service, not a
 * message between services, so its schema lives here rather than in libs/contracts.
 *
 * States:
 * - `sending`: an attempt holds the key until `leaseUntil`; past it, its process died.
 * - `failed`: the last attempt provably sent nothing; the next one may send.
 * - `unknown`: the last attempt may have reached the provider; the next one must check.
 * - `sent`, `dead`: final.
 */
export const DeliveryRecord = Type.Object({
  state: Type.Enum(['sending', 'failed', 'unknown', 'sent', 'dead']),
  /** Attempt that wrote the record. */
  attempt: Type.Integer({ minimum: 1 }),
  /** Until when a `sending` attempt owns the key (ISO time). */
  leaseUntil: Type.Optional(Type.String()),
  /** Provider of the attempt. */
  provider: Type.String(),
  /** Provider's message id once sent. */
  providerMessageId: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  /** Last error, when failed, unknown or dead. */
  error: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  /** When the record was written (ISO time). */
  updatedAt: Type.String(),
});
export type DeliveryRecord = Static<typeof DeliveryRecord>;

export type Claim =
  /** The caller owns the key until the lease ends and may send. */
  | { kind: 'claimed'; mayHaveBeenSent: boolean }
  /** Already final: re-publish its result, send nothing. */
  | { kind: 'sent'; record: DeliveryRecord }
  | { kind: 'dead'; record: DeliveryRecord }
  /** Another attempt holds the key (a duplicate event in flight): come back later. */
  | { kind: 'busy'; retryInMs: number };

export function deliveryKey(inviteId: string, tokenVersion: number, channel: Channel): string {
  return `${inviteId}.${tokenVersion}.${channel}`;
}

/** `wrong last sequence`: another writer changed the key between our read and our write. */
function isConflict(error: unknown): boolean {
  return error instanceof JetStreamApiError && /wrong last sequence/i.test(error.message);
}

export interface DeliveryLedger {
  /**
   * Claims the key for one attempt (compare-and-set, so two replicas never both win), or
   * says why not: already sent or dead, or held by another attempt.
   */
  claim(key: string, attempt: number, provider: string): Promise<Claim>;
  /** Records the outcome of the attempt that holds the key. */
  settle(key: string, record: Omit<DeliveryRecord, 'updatedAt'>): Promise<void>;
  get(key: string): Promise<{ record: DeliveryRecord; revision: number } | null>;
  /** Forgets a dead delivery so a replay can send it; false when it is no longer dead. */
  resetDead(key: string): Promise<boolean>;
  /** Keys recorded for an invite (all versions and channels). */
  keysOfInvite(inviteId: string): Promise<string[]>;
  /** Records that an invite closed (accepted, declined, withdrawn, expired): what is still queued for it is not sent. */
  markClosed(inviteId: string, status: string): Promise<void>;
  /** How the invite closed, or null while it is open as far as the notifier has heard. */
  closedAs(inviteId: string): Promise<string | null>;
}

/** Key of an invite's closure; outside the `<inviteId>.>` space of its deliveries. */
const closureKey = (inviteId: string) => `closed.${inviteId}`;

export function createDeliveryLedger(deps: { kv: KV; leaseMs: number; now?: () => number }): DeliveryLedger {
  const { kv, leaseMs } = deps;
  const now = deps.now ?? Date.now;
  const encode = (record: Omit<DeliveryRecord, 'updatedAt'>) => JSON.stringify({ ...record, updatedAt: new Date(now()).toISOString() });

  function recordOf(entry: KvEntry): DeliveryRecord {
    const record: unknown = entry.json();
    // An unreadable record is treated as "may have been sent": the safe side.
    if (!matches(DeliveryRecord, record)) return { state: 'unknown', attempt: 1, provider: 'unknown', updatedAt: new Date(0).toISOString() };
    return record;
  }

  async function get(key: string) {
    const entry = await kv.get(key);
    if (!entry || entry.operation !== 'PUT') return null;
    return { record: recordOf(entry), revision: entry.revision };
  }

  return {
    get,
    async claim(key, attempt, provider) {
      const sending = () => encode({ state: 'sending', attempt, provider, leaseUntil: new Date(now() + leaseMs).toISOString() });
      // Most claims are of a key never tried, so the first write assumes that (it only
      // succeeds while the key has no history) and the key is read only when it loses:
      // one round trip for a new delivery instead of a read and a write.
      let known: KvEntry | null = null;
      for (let round = 0; round < 5; round++) {
        if (round > 0) known = await kv.get(key);
        try {
          // None, or deleted by a dead-letter replay: free.
          if (!known || known.operation !== 'PUT') {
            await kv.put(key, sending(), { previousSeq: known?.revision ?? 0 });
            return { kind: 'claimed', mayHaveBeenSent: false };
          }
          const record = recordOf(known);
          if (record.state === 'sent') return { kind: 'sent', record };
          if (record.state === 'dead') return { kind: 'dead', record };
          if (record.state === 'sending') {
            const leaseLeft = Date.parse(record.leaseUntil ?? '') - now();
            if (leaseLeft > 0) return { kind: 'busy', retryInMs: leaseLeft + 250 };
          }
          await kv.update(key, sending(), known.revision);
          // A lapsed `sending` lease means a process died mid-send: as uncertain as `unknown`.
          return { kind: 'claimed', mayHaveBeenSent: record.state !== 'failed' };
        } catch (error) {
          if (!isConflict(error)) throw error;
        }
      }
      return { kind: 'busy', retryInMs: 1000 };
    },
    async settle(key, record) {
      // The send already happened: losing this write would cost a duplicate, so try hard.
      for (let round = 0; ; round++) {
        try {
          await kv.put(key, encode(record));
          return;
        } catch (error) {
          if (round >= 4) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** round));
        }
      }
    },
    async resetDead(key) {
      const current = await get(key);
      if (!current) return true;
      if (current.record.state !== 'dead') return false;
      try {
        await kv.delete(key, { previousSeq: current.revision });
        return true;
      } catch (error) {
        if (isConflict(error)) return false;
        throw error;
      }
    },
    async markClosed(inviteId, status) {
      await kv.put(closureKey(inviteId), JSON.stringify({ status, at: new Date(now()).toISOString() }));
    },
    async closedAs(inviteId) {
      const entry = await kv.get(closureKey(inviteId));
      if (!entry || entry.operation !== 'PUT') return null;
      const value = entry.json<{ status?: unknown }>();
      return typeof value.status === 'string' ? value.status : 'closed';
    },
    async keysOfInvite(inviteId) {
      const keys: string[] = [];
      for await (const key of await kv.keys(`${inviteId}.>`)) keys.push(key);
      return keys;
    },
  };
}
