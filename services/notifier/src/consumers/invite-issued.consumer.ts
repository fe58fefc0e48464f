import { inSpan, SpanKind } from '@invite/telemetry';
import { nanos } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, JetStreamApiError, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { AccountEmailEvent, consumeOptions, InviteAcceptedEvent, InviteClosedEvent, InviteIssuedEvent, matches, type NatsNames } from '@invite/contracts';
import type { AccountMailer } from '../delivery/deliver-account-email.ts';
import { retryDelayMs } from '../delivery/backoff.ts';
import type { AttemptOutcome, InviteDeliverer } from '../delivery/deliver-invite.ts';
import type { Logger } from '@invite/telemetry';
import type { Metrics } from '../metrics.ts';

/** Invite events that close an invite: nothing to send, but queued sends of it are skipped. */
const closedTypes = new Set(['invite.declined', 'invite.withdrawn', 'invite.expired']);

/** Account emails travel on the same stream and consumer (a 2.9 server takes one filter subject). */
const accountEmailTypes = new Set(['invite.address-code', 'join.address-code', 'account.password-reset']);

/** Organisation events (roles, removals, ownership, seats, joins through a link) share the stream; the notifier sends nothing for them. */
const orgEventTypes = new Set(['member.role-changed', 'member.removed', 'org.ownership-transferred', 'org.seats-changed', 'member.joined']);

export interface ConsumerSettings {
  ackWaitMs: number;
  maxAttempts: number;
  concurrency: number;
}

/**
 * The durable `notifier` consumer on INVITES, filtered on every invite event (a 2.9
 * server takes one filter subject): created and resent are delivered; accepted,
 * declined, withdrawn and expired record the invite's closure, so that what is still
 * queued for it is skipped rather than sent. One consumer keeps one delivery count per
 * event and one place to look at lag.
 *
 * max_deliver leaves a few deliveries beyond NOTIFIER_MAX_ATTEMPTS: an attempt lost
 * to a crash (no ack, no nak) still ends in a dead letter rather than in silence.
 */
export async function ensureNotifierConsumer(jsm: JetStreamManager, names: NatsNames, settings: ConsumerSettings): Promise<void> {
  const config = {
    durable_name: names.notifierConsumer,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: names.inviteEvents,
    ack_wait: nanos(settings.ackWaitMs),
    max_deliver: settings.maxAttempts + 3,
    // Events waiting for a retry count here too: an SMTP outage must not stall new invites early.
    max_ack_pending: Math.max(1000, settings.concurrency * 20),
  };
  try {
    await jsm.consumers.add(names.inviteStream, config);
  } catch (error) {
    if (!(error instanceof JetStreamApiError)) throw error;
    await jsm.consumers.update(names.inviteStream, config.durable_name, config);
  }
}

export interface ConsumerDeps {
  js: JetStreamClient;
  names: NatsNames;
  deliverer: InviteDeliverer;
  accountMailer: AccountMailer;
  logger: Logger;
  metrics: Metrics;
  settings: ConsumerSettings & { backoffBaseMs: number; backoffMaxMs: number; infoEveryMs: number };
}

/** A counting semaphore: bounds how many events are handled at once. */
function createSlots(size: number) {
  let free = size;
  const waiters: (() => void)[] = [];
  return {
    acquire: () =>
      free > 0
        ? (free--, Promise.resolve())
        : new Promise<void>((resolve) => waiters.push(resolve)),
    release() {
      const next = waiters.shift();
      if (next) next();
      else free++;
    },
  };
}

/**
 * Consumes invite events: at most `concurrency` at once, ack after every channel is
 * settled in the ledger (the delivery results follow the ack), nak with a delay when
 * one must be retried (on 2.9 a plain nak would ignore any consumer backoff, so the
 * delay is ours), term for an event that is not valid.
 */
export async function startInviteIssuedConsumer(deps: ConsumerDeps) {
  const { names, logger, metrics, settings } = deps;
  const consumer = await deps.js.consumers.get(names.inviteStream, names.notifierConsumer);
  const messages = await consumer.consume({ ...consumeOptions, max_messages: settings.concurrency });
  const slots = createSlots(settings.concurrency);
  const inFlight = new Set<Promise<void>>();
  const stopping = new AbortController();
  const heartbeatMs = Math.max(100, Math.floor(settings.ackWaitMs / 3));

  async function handle(msg: JsMsg): Promise<void> {
    let event: unknown;
    try {
      event = msg.json();
    } catch {
      event = undefined;
    }
    const type = (event as { type?: unknown } | undefined)?.type;
    const closing = type === 'invite.accepted' ? InviteAcceptedEvent : typeof type === 'string' && closedTypes.has(type) ? InviteClosedEvent : undefined;
    if (closing && matches(closing, event)) {
      // Nothing to send, but what is still queued for this invite must not go out.
      try {
        await deps.deliverer.closed(event.inviteId, event.type.slice('invite.'.length));
        msg.ack();
      } catch (error) {
        logger.warn({ err: error, inviteId: event.inviteId }, 'could not record that an invite closed; retrying');
        msg.nak(retryDelayMs(msg.info.deliveryCount, settings.backoffBaseMs, settings.backoffMaxMs));
      }
      return;
    }
    if (typeof type === 'string' && accountEmailTypes.has(type)) {
      if (!matches(AccountEmailEvent, event)) {
        logger.error({ subject: msg.subject, seq: msg.seq, type }, 'account email event does not match its schema; dropped');
        msg.term();
        return;
      }
      const attempt = msg.info.deliveryCount;
      const heartbeat = setInterval(() => msg.working(), heartbeatMs);
      try {
        const outcome = await inSpan(
          `${msg.subject} deliver`,
          { kind: SpanKind.CONSUMER, parent: msg.headers?.get('traceparent') || undefined, attributes: { 'messaging.system': 'nats', 'invite.attempt': attempt } },
          (_span, traceparent) => deps.accountMailer.deliver(event, { attempt, working: () => msg.working(), signal: stopping.signal, traceparent }),
        );
        if (outcome.retryInMs === null) msg.ack();
        else msg.nak(outcome.retryInMs);
      } catch (error) {
        const delay = retryDelayMs(attempt, settings.backoffBaseMs, settings.backoffMaxMs);
        logger.error({ err: error, eventId: event.id, attempt, retryInMs: delay }, 'could not handle account email; retrying');
        msg.nak(delay);
      } finally {
        clearInterval(heartbeat);
      }
      return;
    }
    if (typeof type === 'string' && orgEventTypes.has(type)) {
      // Members and seats changed: nothing to send.
      msg.ack();
      return;
    }
    if (type !== 'invite.created' && type !== 'invite.resent') {
      // Garbage, or a type this version does not know: not ours.
      logger.error({ subject: msg.subject, seq: msg.seq, type }, 'invite event of no known type; dropped');
      msg.ack();
      return;
    }
    if (!matches(InviteIssuedEvent, event)) {
      logger.error({ subject: msg.subject, seq: msg.seq }, 'invite event does not match its schema; dropped');
      msg.term(); // no reason: a 2.9 server would ignore the term and redeliver
      return;
    }
    const attempt = msg.info.deliveryCount;
    const heartbeat = setInterval(() => msg.working(), heartbeatMs);
    let outcome: AttemptOutcome;
    try {
      // Continues the trace of the request that created the invite (carried by the outbox).
      outcome = await inSpan(
        `${msg.subject} deliver`,
        { kind: SpanKind.CONSUMER, parent: msg.headers?.get('traceparent') || undefined, attributes: { 'messaging.system': 'nats', 'invite.attempt': attempt } },
        (_span, traceparent) => deps.deliverer.deliver(event, { attempt, working: () => msg.working(), signal: stopping.signal, traceparent }),
      );
    } catch (error) {
      // Not a provider failure (those are settled above) but NATS or a bug: try again later.
      const delay = retryDelayMs(attempt, settings.backoffBaseMs, settings.backoffMaxMs);
      logger.error({ err: error, inviteId: event.inviteId, attempt, retryInMs: delay }, 'could not handle invite event; retrying');
      msg.nak(delay);
      return;
    } finally {
      clearInterval(heartbeat);
    }
    if (outcome.retryInMs === null) msg.ack();
    else msg.nak(outcome.retryInMs);
    // In the same tick as the ack, so both go out in one write; the slot stays taken until the results are out.
    await outcome.report();
  }

  const loop = (async () => {
    for await (const msg of messages) {
      if (stopping.signal.aborted) {
        msg.nak(); // buffered but not started: let another replica have it now
        continue;
      }
      await slots.acquire();
      const task = handle(msg).finally(() => {
        slots.release();
        inFlight.delete(task);
      });
      inFlight.add(task);
    }
  })();

  async function refreshGauges() {
    const info = await consumer.info();
    metrics.consumerPending.set(info.num_pending);
    metrics.consumerAckPending.set(info.num_ack_pending);
    metrics.consumerRedelivered.set(info.num_redelivered);
  }
  const gauges = setInterval(() => {
    refreshGauges().catch((error: unknown) => logger.debug({ err: error }, 'consumer info unavailable'));
  }, settings.infoEveryMs);
  gauges.unref();
  await refreshGauges().catch(() => {});

  return {
    refreshGauges,
    /** Stops pulling, lets the events in flight finish (rate-limit waits are cut short), and returns. */
    async stop(): Promise<void> {
      clearInterval(gauges);
      stopping.abort();
      await messages.close();
      await loop.catch(() => {});
      await Promise.allSettled([...inFlight]);
    },
  };
}

export type InviteIssuedConsumer = Awaited<ReturnType<typeof startInviteIssuedConsumer>>;
