import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createDeliveryLedger, deliveryKey, type DeliveryLedger } from '../src/idempotency/delivery-ledger.ts';
import { destroyStores, openStores, type NotifierStores } from '../src/stores.ts';
import { testPrefix } from '../../../tests/support/database.ts';

/**
 * The delivery ledger against a real JetStream KV bucket: what a claim answers in each
 * state, and that a claim of a key never tried is one message to NATS.
 */
const leaseMs = 2000;
let nc: NatsConnection;
let stores: NotifierStores;
let prefix: string;
let clock = Date.now();
let ledger: DeliveryLedger;

beforeAll(async () => {
  nc = await connect({ servers: inject('natsUrl'), name: 'ledger-test' });
  prefix = testPrefix('ledger');
  stores = await openStores(nc, prefix);
  ledger = createDeliveryLedger({ kv: stores.deliveries, leaseMs, now: () => clock });
});

afterAll(async () => {
  await destroyStores(nc, prefix);
  await nc?.drain();
});

const newKey = () => deliveryKey(randomUUID(), 1, 'email');

/** Messages this connection sent while `work` ran. */
async function messagesSentBy(work: () => Promise<unknown>): Promise<number> {
  const before = nc.stats().outMsgs;
  await work();
  return nc.stats().outMsgs - before;
}

describe('claiming a delivery', () => {
  it('takes a key never tried with a single message, and leaves it busy for the lease', async () => {
    const key = newKey();
    let claim;
    expect(await messagesSentBy(async () => (claim = await ledger.claim(key, 1, 'smtp')))).toBe(1);
    expect(claim).toEqual({ kind: 'claimed', mayHaveBeenSent: false });
    expect((await ledger.get(key))?.record).toMatchObject({ state: 'sending', attempt: 1, provider: 'smtp' });
    const again = await ledger.claim(key, 2, 'smtp');
    expect(again.kind).toBe('busy');
  });

  it('gives a key to exactly one of many claims made at once', async () => {
    const key = newKey();
    const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => ledger.claim(key, i + 1, 'smtp')));
    expect(claims.filter((c) => c.kind === 'claimed')).toHaveLength(1);
    expect(claims.filter((c) => c.kind === 'busy')).toHaveLength(7);
  });

  it.each(['sent', 'dead'] as const)('on a %s key sends nothing: it answers with the record and leaves it as it was', async (state) => {
    const key = newKey();
    await ledger.claim(key, 1, 'smtp');
    await ledger.settle(key, { state, attempt: 1, provider: 'smtp', providerMessageId: state === 'sent' ? '<m@example.test>' : null, error: state === 'dead' ? '550 no such user' : null });
    const before = await ledger.get(key);

    const claim = await ledger.claim(key, 2, 'smtp');
    expect(claim.kind).toBe(state);
    expect(claim.kind === state && claim.record).toMatchObject({ state, attempt: 1 });
    expect(await ledger.get(key)).toEqual(before);
  });

  it('after a lapsed lease or an ambiguous failure, claims the key as may-have-been-sent; after a failure, as not sent', async () => {
    const lapsed = newKey();
    await ledger.claim(lapsed, 1, 'smtp');
    clock += leaseMs + 1;
    expect(await ledger.claim(lapsed, 2, 'smtp')).toEqual({ kind: 'claimed', mayHaveBeenSent: true });

    const unknown = newKey();
    await ledger.settle(unknown, { state: 'unknown', attempt: 1, provider: 'smtp', error: 'connection closed after DATA' });
    expect(await ledger.claim(unknown, 2, 'smtp')).toEqual({ kind: 'claimed', mayHaveBeenSent: true });

    const failed = newKey();
    await ledger.settle(failed, { state: 'failed', attempt: 1, provider: 'smtp', error: '421 try later' });
    expect(await ledger.claim(failed, 2, 'smtp')).toEqual({ kind: 'claimed', mayHaveBeenSent: false });
    expect((await ledger.get(failed))?.record).toMatchObject({ state: 'sending', attempt: 2 });
  });

  it('takes a key again once a dead-letter replay has forgotten it', async () => {
    const key = newKey();
    await ledger.settle(key, { state: 'dead', attempt: 3, provider: 'smtp', error: 'gave up' });
    expect(await ledger.resetDead(key)).toBe(true);
    expect(await ledger.get(key)).toBeNull();
    expect(await ledger.claim(key, 1, 'smtp')).toEqual({ kind: 'claimed', mayHaveBeenSent: false });
    expect((await ledger.claim(key, 2, 'smtp')).kind).toBe('busy');
  });
});
