import { randomUUID } from 'node:crypto';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { Type, type Static } from 'typebox';
import { Channel, DomainError, InviteIssuedEvent, matches, parse, type NatsNames } from '@invite/contracts';
import type { DeliveryLedger } from './idempotency/delivery-ledger.ts';

/**
 * A delivery the notifier gave up on, kept in the KV bucket `dead_letters` under its
 * delivery key until an operator replays it. It holds the original event (the token
 * still encrypted) so a replay needs nothing from the invites service.
 * Private storage of the notifier, hence its schema here.
 */
export const DeadLetter = Type.Object({
  /** The delivery key `<inviteId>.<tokenVersion>.<channel>`; also the dead letter's id. */
  id: Type.String(),
  inviteId: Type.String(),
  orgId: Type.String(),
  channel: Channel,
  tokenVersion: Type.Integer({ minimum: 1 }),
  /** Attempts made. */
  attempts: Type.Integer({ minimum: 1 }),
  provider: Type.String(),
  /** Why it was given up. */
  error: Type.String(),
  /** When (ISO time). */
  deadAt: Type.String(),
  /** The event to deliver again on replay. */
  event: InviteIssuedEvent,
});
export type DeadLetter = Static<typeof DeadLetter>;

/** What `dead-letters list` shows: no event body, so no encrypted token on an operator's screen. */
export type DeadLetterSummary = Omit<DeadLetter, 'event'> & { recipient: string | null; expiresAt: string };

export interface DeadLetterStore {
  put(letter: DeadLetter): Promise<void>;
  get(id: string): Promise<DeadLetter | null>;
  list(): Promise<DeadLetter[]>;
  remove(id: string): Promise<void>;
}

export function createDeadLetterStore(kv: KV): DeadLetterStore {
  async function get(id: string): Promise<DeadLetter | null> {
    const entry = await kv.get(id).catch(() => null);
    if (!entry || entry.operation !== 'PUT') return null;
    const letter: unknown = entry.json();
    return matches(DeadLetter, letter) ? letter : null;
  }
  return {
    async put(letter) {
      await kv.put(letter.id, JSON.stringify(parse(DeadLetter, letter, 'The dead letter')));
    },
    get,
    async list() {
      const letters: DeadLetter[] = [];
      for await (const key of await kv.keys()) {
        const letter = await get(key);
        if (letter) letters.push(letter);
      }
      return letters.sort((a, b) => a.deadAt.localeCompare(b.deadAt));
    },
    async remove(id) {
      await kv.purge(id);
    },
  };
}

export function summarize(letter: DeadLetter): DeadLetterSummary {
  const { event, ...rest } = letter;
  return { ...rest, recipient: letter.channel === 'email' ? event.email : event.phone, expiresAt: event.expiresAt };
}

export interface ReplayDeps {
  store: DeadLetterStore;
  ledger: DeliveryLedger;
  js: JetStreamClient;
  names: NatsNames;
  now?: () => number;
}

export interface ReplayReport {
  replayed: { id: string; eventId: string }[];
  skipped: { id: string; reason: string }[];
}

/**
 * Sends dead letters again: forgets the dead delivery in the ledger (only if it is
 * still dead: a replay that already went out is not repeated), re-publishes the
 * original event for that one channel as a redelivery with a new event id, then
 * removes the letter. Letters whose link can no longer work are skipped: expired,
 * or superseded by a newer token version (a resend happened since).
 */
export async function replayDeadLetters(deps: ReplayDeps, selection: { id: string } | { all: true }): Promise<ReplayReport> {
  const now = deps.now ?? Date.now;
  let letters: DeadLetter[];
  if ('id' in selection) {
    const letter = await deps.store.get(selection.id);
    if (!letter) throw new DomainError('NOT_FOUND', { detail: `No dead letter with id "${selection.id}"` });
    letters = [letter];
  } else {
    letters = await deps.store.list();
  }
  const report: ReplayReport = { replayed: [], skipped: [] };
  for (const letter of letters) {
    if (Date.parse(letter.event.expiresAt) <= now()) {
      report.skipped.push({ id: letter.id, reason: 'the invite has expired' });
      continue;
    }
    const newer = (await deps.ledger.keysOfInvite(letter.inviteId))
      .map((key) => key.split('.'))
      .filter(([, version, channel]) => channel === letter.channel && Number(version) > letter.tokenVersion);
    if (newer.length > 0) {
      report.skipped.push({ id: letter.id, reason: `superseded by token version ${Math.max(...newer.map(([, v]) => Number(v)))}` });
      continue;
    }
    if (!(await deps.ledger.resetDead(letter.id))) {
      const current = await deps.ledger.get(letter.id);
      if (current?.record.state === 'sent') await deps.store.remove(letter.id);
      report.skipped.push({ id: letter.id, reason: `the delivery is ${current?.record.state ?? 'gone'}, no longer dead` });
      continue;
    }
    const event = parse(
      InviteIssuedEvent,
      { ...letter.event, id: randomUUID(), occurredAt: new Date(now()).toISOString(), channels: [letter.channel], redelivery: true },
      'The replayed event',
    );
    await deps.js.publish(deps.names.inviteEvent(event.type === 'invite.created' ? 'created' : 'resent'), JSON.stringify(event), { msgID: event.id });
    await deps.store.remove(letter.id);
    report.replayed.push({ id: letter.id, eventId: event.id });
  }
  return report;
}
