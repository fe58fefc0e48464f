import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { DomainError, type ConsoleEvent, type NatsNames } from '@invite/contracts';
import { toConsoleEvent } from './console-events.ts';

export type ConsoleListener = (event: ConsoleEvent) => void;

/** A place for one stream, taken before the caller is authorised so the bound holds under bursts. */
export interface StreamSlot {
  /** Starts receiving the org's events; returns the function that stops. */
  attach(orgId: string, listener: ConsoleListener, onClose: () => void): () => void;
  /** Gives the place back (idempotent). */
  release(): void;
}

export interface EventHub {
  /** Takes a place, or SERVICE_UNAVAILABLE when `maxStreams` are open. */
  reserve(): StreamSlot;
  /** Streams open or being opened. */
  readonly size: number;
  /** Ends every stream (their onClose runs) and unsubscribes. */
  close(): void;
}

/**
 * Fans the platform's events out to the console streams of this process: core NATS
 * subscriptions to the invite events (`invites.events.>`; JetStream publishes reach
 * core subscribers too) and to the delivery results the invites service has recorded
 * (`deliveryRecorded`, not the notifier's own publish: a console re-reading the invite
 * on that event must find the result already written), opened with the first stream,
 * and an in-memory map org → listeners. A listener only ever gets its org's events.
 */
export function createEventHub(nc: NatsConnection, names: NatsNames, maxStreams: number): EventHub {
  const listeners = new Map<string, Map<ConsoleListener, () => void>>();
  let open = 0;
  let subscriptions: Subscription[] = [];

  function dispatch(data: () => unknown) {
    if (listeners.size === 0) return;
    let value: unknown;
    try {
      value = data();
    } catch {
      return;
    }
    // Only events of an org someone watches here are validated and mapped.
    const orgId = (value as { orgId?: unknown } | null)?.orgId;
    if (typeof orgId !== 'string' || !listeners.has(orgId)) return;
    const event = toConsoleEvent(value);
    if (!event) return;
    for (const listener of listeners.get(event.orgId)?.keys() ?? []) listener(event);
  }

  function subscribe() {
    if (subscriptions.length) return;
    subscriptions = [names.inviteEvents, names.deliveryRecorded].map((subject) =>
      nc.subscribe(subject, {
        callback: (error, msg) => {
          if (!error) dispatch(() => msg.json());
        },
      }),
    );
  }

  function unsubscribe() {
    for (const subscription of subscriptions) subscription.unsubscribe();
    subscriptions = [];
  }

  return {
    reserve() {
      if (open >= maxStreams) {
        throw new DomainError('SERVICE_UNAVAILABLE', { detail: 'This server has as many live event streams as it serves; retry shortly', retryAfter: 5 });
      }
      open += 1;
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        open -= 1;
      };
      return {
        attach(orgId, listener, onClose) {
          subscribe();
          const ofOrg = listeners.get(orgId) ?? new Map<ConsoleListener, () => void>();
          listeners.set(orgId, ofOrg.set(listener, onClose));
          return () => {
            ofOrg.delete(listener);
            if (ofOrg.size === 0 && listeners.get(orgId) === ofOrg) listeners.delete(orgId);
            // Nobody left to tell: stop receiving every event of the platform.
            if (listeners.size === 0) unsubscribe();
            release();
          };
        },
        release,
      };
    },
    get size() {
      return open;
    },
    close() {
      for (const ofOrg of [...listeners.values()]) for (const onClose of [...ofOrg.values()]) onClose();
      listeners.clear();
      unsubscribe();
    },
  };
}
