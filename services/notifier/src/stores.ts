import type { NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';

const day = 24 * 60 * 60 * 1000;

/**
 * The notifier's KV buckets, prefixed like the streams so tests stay apart. They are
 * private to the notifier (the admin CLI reaches them through this module), hence
 * named here and not in libs/contracts.
 */
export function bucketNames(prefix = ''): { deliveries: string; deadLetters: string } {
  const name = (s: string) => (prefix ? `${prefix}_${s}` : s);
  return { deliveries: name('deliveries'), deadLetters: name('dead_letters') };
}

export interface NotifierStores {
  /** Idempotency ledger: one record per (invite, token version, channel). */
  deliveries: KV;
  /** Deliveries given up, kept until an operator replays them. */
  deadLetters: KV;
}

/**
 * Creates the buckets or binds to them; safe at every start of every replica.
 * `bindOnly` (operator commands) fails instead of creating them.
 */
export async function openStores(nc: NatsConnection, prefix = '', options: { bindOnly?: boolean; replicas?: number } = {}): Promise<NotifierStores> {
  const names = bucketNames(prefix);
  const kvm = new Kvm(nc);
  if (options.bindOnly) {
    // kvm.open does not check that the bucket exists; its stream info does.
    const jsm = await jetstreamManager(nc);
    for (const name of [names.deliveries, names.deadLetters]) await jsm.streams.info(`KV_${name}`);
    return { deliveries: await kvm.open(names.deliveries), deadLetters: await kvm.open(names.deadLetters) };
  }
  return {
    // Outlives the longest an invite can stay pending (720 h), so a late re-publish
    // of an invite still finds its record and is not sent twice.
    deliveries: await kvm.create(names.deliveries, { history: 1, ttl: 35 * day, replicas: options.replicas ?? 1 }),
    deadLetters: await kvm.create(names.deadLetters, { history: 1, replicas: options.replicas ?? 1 }),
  };
}

/** Deletes the buckets (tests). */
export async function destroyStores(nc: NatsConnection, prefix = ''): Promise<void> {
  const names = bucketNames(prefix);
  const kvm = new Kvm(nc);
  for (const name of [names.deliveries, names.deadLetters]) {
    await kvm
      .open(name)
      .then((kv) => kv.destroy())
      .catch(() => {});
  }
}
