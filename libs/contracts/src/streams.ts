import { nanos } from '@nats-io/transport-node';
import {
  DiscardPolicy,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import type { NatsNames } from './subjects.ts';

const minute = 60_000;
const day = 24 * 60 * minute;

/**
 * The streams of design.md. File storage; a 5-minute duplicate window so an event
 * re-published by the outbox relay after a crash is dropped by JetStream (msgID = event id).
 * Settings a 2.9 server lacks (sync_interval) are set in the server's own config.
 */
export function streamConfigs(names: NatsNames, replicas = 1): (Partial<StreamConfig> & { name: string })[] {
  const common = {
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: nanos(30 * day),
    duplicate_window: nanos(5 * minute),
    num_replicas: replicas,
  };
  return [
    { ...common, name: names.inviteStream, subjects: [names.inviteEvents], description: 'Invite lifecycle events' },
    { ...common, name: names.notificationStream, subjects: [names.notificationEvents], description: 'Delivery results' },
  ];
}

/** Creates the streams, or updates them to this configuration; safe to run from every replica at every start. */
export async function ensureStreams(jsm: JetStreamManager, names: NatsNames, replicas = 1): Promise<void> {
  for (const config of streamConfigs(names, replicas)) {
    try {
      await jsm.streams.add(config);
    } catch (error) {
      // 10058: the name is in use with another configuration.
      if (error instanceof JetStreamApiError && error.code === 10058) {
        await jsm.streams.update(config.name, config);
      } else {
        throw error;
      }
    }
  }
}

/**
 * Pull options of a service's long-running consumer (`consumer.consume`). The server sends
 * a heartbeat every `idle_heartbeat` to an open pull and nats.js pulls again after two are
 * missed. With the defaults (30 s pulls, 15 s heartbeats), a pull held by a consumer leader
 * that died was noticed only after 30 s: on a 3-node cluster, emails stopped for 44 s after
 * the INVITES leader was killed. Now a lost pull is replaced within about 5 s, at the cost of
 * one pull request every 10 s per idle consumer.
 */
export const consumeOptions = { expires: 10_000, idle_heartbeat: 2_500 } as const;
