import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { DomainError, matches, OrgEvent, type ConsoleEvent, type NatsNames } from '@invite/contracts';
import { toConsoleEvent } from './console-events.ts';

export type ConsoleListener = (event: ConsoleEvent) => void;

/** A place for one stream, taken before the caller is authorised so the bounds hold under bursts. */
export interface StreamSlot {
  /**
   * Starts receiving the org's events; returns the function that stops. `onAccessChange`
   * runs when the org's events say this user's role changed or they were removed, so the
   * stream checks its access again at once instead of at its next periodic check.
   */
  attach(listener: ConsoleListener, onClose: () => void, onAccessChange?: () => void): () => void;
  /** Gives the place back (idempotent). */
  release(): void;
}

/** How many streams this process serves at once: in all, to one user, to one organisation. */
export interface StreamLimits {
  total: number;
  perUser: number;
  perOrg: number;
}

/** A stream attached to an org: whose it is, and how to end or re-check it. */
interface Attached {
  userId: string;
  onClose: () => void;
  onAccessChange: (() => void) | undefined;
}

/** Seconds a refused client is told to wait: streams end when people close them, not on a clock. */
const retryAfterSeconds = 10;

export interface EventHub {
  /**
   * Takes a place for `userId` watching `orgId`: RATE_LIMITED when that user or that org
   * already has as many streams as it may, SERVICE_UNAVAILABLE when the process is full.
   */
  reserve(userId: string, orgId: string): StreamSlot;
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
 * Organisation events (roles, removals) are not shown, but make the streams of the
 * member they name check their access again.
 */
export function createEventHub(nc: NatsConnection, names: NatsNames, limits: StreamLimits): EventHub {
  const listeners = new Map<string, Map<ConsoleListener, Attached>>();
  let open = 0;
  const openByUser = new Map<string, number>();
  const openByOrg = new Map<string, number>();
  const count = (counts: Map<string, number>, key: string, delta: number) => {
    const next = (counts.get(key) ?? 0) + delta;
    if (next > 0) counts.set(key, next);
    else counts.delete(key);
  };
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
    if (matches(OrgEvent, value)) {
      // Not shown; but whoever lost a role or their membership must not keep watching.
      if (value.type !== 'member.role-changed' && value.type !== 'member.removed') return;
      for (const attached of listeners.get(orgId)?.values() ?? []) if (attached.userId === value.userId) attached.onAccessChange?.();
      return;
    }
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
    reserve(userId, orgId) {
      // One user (say, an admin script or a tab left reconnecting) and one organisation
      // may each hold only their share, so nobody can take every place from the others.
      if ((openByUser.get(userId) ?? 0) >= limits.perUser) {
        throw new DomainError('RATE_LIMITED', {
          detail: `You already have ${limits.perUser} live event streams open, as many as one user may; close one (another console tab, say) before opening another`,
          retryAfter: retryAfterSeconds,
        });
      }
      if ((openByOrg.get(orgId) ?? 0) >= limits.perOrg) {
        throw new DomainError('RATE_LIMITED', {
          detail: `This organisation already has ${limits.perOrg} live event streams open on this server, as many as one organisation may; close one before opening another`,
          retryAfter: retryAfterSeconds,
        });
      }
      if (open >= limits.total) {
        throw new DomainError('SERVICE_UNAVAILABLE', { detail: 'This server has as many live event streams as it serves; retry shortly', retryAfter: 5 });
      }
      open += 1;
      count(openByUser, userId, 1);
      count(openByOrg, orgId, 1);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        open -= 1;
        count(openByUser, userId, -1);
        count(openByOrg, orgId, -1);
      };
      return {
        attach(listener, onClose, onAccessChange) {
          subscribe();
          const ofOrg = listeners.get(orgId) ?? new Map<ConsoleListener, Attached>();
          listeners.set(orgId, ofOrg.set(listener, { userId, onClose, onAccessChange }));
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
      for (const ofOrg of [...listeners.values()]) for (const { onClose } of [...ofOrg.values()]) onClose();
      listeners.clear();
      unsubscribe();
    },
  };
}
