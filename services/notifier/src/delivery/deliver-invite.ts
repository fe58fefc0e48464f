import { inSpan, SpanKind } from '@invite/telemetry';
import { InviteToken, matches, type AddressProofs, type Channel as ChannelName, type InviteIssuedEvent, type TokenCipher } from '@invite/contracts';
import { DeliveryError, isDeliveryError, type Channel } from '../channels/channel.ts';
import type { DeadLetterStore } from '../dead-letters.ts';
import { deliveryKey, type DeliveryLedger, type DeliveryRecord } from '../idempotency/delivery-ledger.ts';
import type { Logger } from '@invite/telemetry';
import type { Metrics } from '../metrics.ts';
import { acceptLink, type TemplateRenderer } from '@invite/templates';
import { retryDelayMs } from './backoff.ts';
import { waitWithHeartbeat, type RateLimiter } from './rate-limiter.ts';
import type { ResultInput, ResultPublisher } from './results.ts';

export interface DeliveryPolicy {
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Longest one provider call may take; also bounds the ledger lease. */
  sendTimeoutMs: number;
  /** How often to tell JetStream we are still working on a message while it waits. */
  heartbeatMs: number;
}

export interface InviteDelivererDeps {
  channels: Record<ChannelName, Channel>;
  limiters: Record<ChannelName, RateLimiter>;
  ledger: DeliveryLedger;
  deadLetters: DeadLetterStore;
  results: ResultPublisher;
  templates: TemplateRenderer;
  cipher: TokenCipher;
  /** The emailed link carries the address proof of its token; an SMS link does not (a phone proves no email address). */
  proofs: AddressProofs;
  /** APP_BASE_URL: the only origin a link may point to. */
  appBaseUrl: string;
  policy: DeliveryPolicy;
  metrics: Metrics;
  logger: Logger;
  now?: () => number;
}

export interface AttemptContext {
  /** This attempt's number, from 1 (JetStream's delivery count). */
  attempt: number;
  /** Keeps the message's ack alive while it waits (rate limit). */
  working(): void;
  /** Aborted when the process stops: cuts rate-limit waits short (sends under way finish). */
  signal: AbortSignal;
  traceparent?: string | undefined;
}

/** What one attempt decided, and the results it has to tell. */
export interface AttemptOutcome {
  /** null: every channel is settled, ack; a number: nak with this delay. */
  retryInMs: number | null;
  /**
   * Publishes the attempt's delivery results; never throws. Called right after the ack or
   * nak, so that both leave in one socket write: every channel is settled in the ledger
   * by then, so a result lost after the ack is only late (the invites reconciler
   * re-publishes an unconfirmed delivery, whose settled record repeats it).
   */
  report(): Promise<void>;
}

/** `${APP_BASE_URL}/invite#token=…` (`&proof=…` by email), shared with the gateway's preview. */
export { acceptLink };

/** One channel's part of an attempt: its retry delay (null: settled) and its result, if it has one. */
interface ChannelOutcome {
  retryInMs: number | null;
  result?: ResultInput;
}

const isFinal = (record: DeliveryRecord) => record.state === 'sent' || record.state === 'dead';

/**
 * Delivers one invite event on each of its channels, at most once per (invite, token
 * version, channel), and says whether the event is done or must come back later.
 *
 * A new delivery costs three round trips to NATS: the claim with the closure read beside
 * it, the `sent` record, and the result with the ack.
 */
export function createInviteDeliverer(deps: InviteDelivererDeps) {
  const { policy, metrics, logger } = deps;
  const now = deps.now ?? Date.now;

  function skipped(event: InviteIssuedEvent, channel: Channel, attempt: number, reason: string): ChannelOutcome {
    metrics.deliveries.inc({ channel: channel.name, provider: channel.provider, outcome: 'skipped' });
    return { retryInMs: null, result: { event, channel: channel.name, outcome: 'skipped', attempt, provider: channel.provider, error: reason } };
  }

  /** Already final: say so again (same msgID as the first time, so JetStream drops the copy), send nothing. */
  function repeated(event: InviteIssuedEvent, channel: Channel, record: DeliveryRecord): ChannelOutcome {
    const outcome = record.state === 'sent' ? 'sent' : 'dead';
    return {
      retryInMs: null,
      result: { event, channel: channel.name, outcome, attempt: record.attempt, provider: record.provider, providerMessageId: record.providerMessageId ?? null, error: record.error ?? null },
    };
  }

  async function giveUp(event: InviteIssuedEvent, channel: Channel, key: string, attempt: number, error: string): Promise<ChannelOutcome> {
    await deps.deadLetters.put({
      id: key,
      inviteId: event.inviteId,
      orgId: event.orgId,
      channel: channel.name,
      tokenVersion: event.tokenVersion,
      attempts: attempt,
      provider: channel.provider,
      error,
      deadAt: new Date(now()).toISOString(),
      event,
    });
    await deps.ledger.settle(key, { state: 'dead', attempt, provider: channel.provider, error });
    metrics.deliveries.inc({ channel: channel.name, provider: channel.provider, outcome: 'dead' });
    metrics.deadLetters.inc({ channel: channel.name });
    metrics.attempts.observe({ channel: channel.name, outcome: 'dead' }, attempt);
    logger.warn({ inviteId: event.inviteId, channel: channel.name, attempt, error }, 'delivery dead-lettered');
    return { retryInMs: null, result: { event, channel: channel.name, outcome: 'dead', attempt, provider: channel.provider, error } };
  }

  /**
   * Claims the key and reads the invite's closure at once (one round trip). A claim that
   * turns out not to be needed (the invite closed, or the closure could not be read) is
   * handed back as it was: `unknown` when an earlier attempt may have sent, else `failed`.
   */
  async function claimUnlessClosed(event: InviteIssuedEvent, channel: Channel, key: string, attempt: number) {
    const [claimed, closure] = await Promise.allSettled([deps.ledger.claim(key, attempt, channel.provider), deps.ledger.closedAs(event.inviteId)]);
    if (claimed.status === 'rejected') throw claimed.reason;
    const claim = claimed.value;
    const closedAs = closure.status === 'fulfilled' ? closure.value : null;
    if (claim.kind === 'claimed' && (closure.status === 'rejected' || closedAs)) {
      const why = closedAs ? `not sent: the invite was ${closedAs}` : 'not sent: the invite could not be checked for closure';
      await deps.ledger.settle(key, { state: claim.mayHaveBeenSent ? 'unknown' : 'failed', attempt, provider: channel.provider, error: why });
    }
    if (closure.status === 'rejected' && claim.kind !== 'sent' && claim.kind !== 'dead') throw closure.reason;
    return { claim, closedAs };
  }

  /** One channel of one event: settled (with its result to publish), or the delay before the next attempt. */
  async function deliverOn(event: InviteIssuedEvent, channel: Channel, ctx: AttemptContext): Promise<ChannelOutcome> {
    const { attempt } = ctx;
    const key = deliveryKey(event.inviteId, event.tokenVersion, channel.name);
    if (channel.disabledReason) return skipped(event, channel, attempt, channel.disabledReason);
    const limiter = deps.limiters[channel.name];
    // Accepted, declined, withdrawn or expired while the event waited (a retry, a rate-limit
    // queue, a re-publish): the link would only lead to an error page.
    const closedReason = (status: string) => `the invite was ${status} before it was delivered`;

    if (limiter.limited) {
      // A redelivery of a settled delivery, or one of a closed invite, must not take one of
      // the provider's slots: look before booking one. Unlimited, the claim tells the same.
      const [current, closedAs] = await Promise.all([deps.ledger.get(key), deps.ledger.closedAs(event.inviteId)]);
      if (current && isFinal(current.record)) return repeated(event, channel, current.record);
      if (closedAs) return skipped(event, channel, attempt, closedReason(closedAs));
    }

    // Local work first: a token we cannot read or a link we cannot render will not get better.
    let link: string | null = null;
    try {
      const token = deps.cipher.decrypt(event.encryptedToken, event.inviteId);
      if (matches(InviteToken, token)) link = acceptLink(deps.appBaseUrl, token, channel.name === 'email' ? deps.proofs.proofOf(token) : undefined);
    } catch {
      link = null;
    }
    const rendered = link === null ? null : await deps.templates.render({ ...event, link });

    if (rendered) {
      const waitMs = limiter.reserve();
      if (waitMs > 0) {
        const waited = await waitWithHeartbeat(waitMs, policy.heartbeatMs, ctx.working, ctx.signal);
        metrics.rateLimitWait.observe({ channel: channel.name }, waitMs / 1000);
        if (!waited) return { retryInMs: 0 }; // stopping: hand the event back at once
      } else {
        metrics.rateLimitWait.observe({ channel: channel.name }, 0);
      }
    }

    // Checked after any rate-limit wait, so a closure that came during it is seen too.
    const { claim, closedAs } = await claimUnlessClosed(event, channel, key, attempt);
    if (claim.kind === 'sent' || claim.kind === 'dead') return repeated(event, channel, claim.record);
    if (closedAs) return skipped(event, channel, attempt, closedReason(closedAs));
    if (claim.kind === 'busy') return { retryInMs: claim.retryInMs };
    if (link === null || rendered === null) return giveUp(event, channel, key, attempt, 'the token cannot be decrypted with TOKEN_ENCRYPTION_KEY');

    const started = performance.now();
    // Not tied to ctx.signal: a send under way when the process stops is finished, not cut.
    const signal = AbortSignal.timeout(policy.sendTimeoutMs);
    try {
      const receipt = await inSpan(`${channel.name} send`, { kind: SpanKind.CLIENT, attributes: { 'notifier.channel': channel.name, 'notifier.provider': channel.provider } }, () =>
        channel.send({ key, to: event, link, rendered, mayHaveBeenSent: claim.mayHaveBeenSent, signal }),
      );
      metrics.duration.observe({ channel: channel.name }, (performance.now() - started) / 1000);
      await deps.ledger.settle(key, { state: 'sent', attempt, provider: channel.provider, providerMessageId: receipt.providerMessageId });
      metrics.deliveries.inc({ channel: channel.name, provider: channel.provider, outcome: 'sent' });
      metrics.attempts.observe({ channel: channel.name, outcome: 'sent' }, attempt);
      if (receipt.recovered) logger.info({ inviteId: event.inviteId, channel: channel.name, attempt }, 'an earlier ambiguous attempt had gone through; not sent again');
      return { retryInMs: null, result: { event, channel: channel.name, outcome: 'sent', attempt, provider: channel.provider, providerMessageId: receipt.providerMessageId } };
    } catch (caught) {
      metrics.duration.observe({ channel: channel.name }, (performance.now() - started) / 1000);
      const error = isDeliveryError(caught) ? caught : new DeliveryError('ambiguous', (caught as Error)?.message ?? String(caught));
      if (error.kind === 'ambiguous') metrics.ambiguous.inc({ channel: channel.name });
      if (error.kind === 'permanent') return giveUp(event, channel, key, attempt, error.message);
      if (attempt >= policy.maxAttempts) return giveUp(event, channel, key, attempt, `gave up after ${attempt} attempts: ${error.message}`);
      const delay = retryDelayMs(attempt, policy.backoffBaseMs, policy.backoffMaxMs);
      await deps.ledger.settle(key, { state: error.kind === 'ambiguous' ? 'unknown' : 'failed', attempt, provider: channel.provider, error: error.message });
      metrics.deliveries.inc({ channel: channel.name, provider: channel.provider, outcome: 'failed' });
      logger.info({ inviteId: event.inviteId, channel: channel.name, attempt, kind: error.kind, providerCode: error.providerCode, error: error.message, retryInMs: delay }, 'delivery failed; will retry');
      return {
        retryInMs: delay,
        result: { event, channel: channel.name, outcome: 'failed', attempt, provider: channel.provider, error: `${error.message} (next attempt in ${(delay / 1000).toFixed(3)} s)` },
      };
    }
  }

  /** A result that fails to publish is tried again a little; the event is acked already, so it must not throw. */
  async function publish(result: ResultInput, traceparent: string | undefined): Promise<void> {
    for (let round = 0; ; round++) {
      try {
        await deps.results.publish(result, traceparent);
        return;
      } catch (error) {
        if (round >= 2) {
          logger.warn(
            { err: error, inviteId: result.event.inviteId, channel: result.channel, outcome: result.outcome },
            'delivery result not published; the ledger holds the outcome, and the next handling of the event (a retry, or the invites reconciler re-publishing it) reports it',
          );
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** round));
      }
    }
  }

  return {
    async deliver(event: InviteIssuedEvent, ctx: AttemptContext): Promise<AttemptOutcome> {
      const channels = [...new Set(event.channels)].map((name) => deps.channels[name]);
      const outcomes = await Promise.all(channels.map((channel) => deliverOn(event, channel, ctx)));
      const pending = outcomes.flatMap((o) => (o.retryInMs === null ? [] : [o.retryInMs]));
      const results = outcomes.flatMap((o) => (o.result ? [o.result] : []));
      return {
        retryInMs: pending.length ? Math.max(...pending) : null,
        report: async () => {
          await Promise.all(results.map((result) => publish(result, ctx.traceparent)));
        },
      };
    },
    /** The invite closed: deliveries of it still waiting are skipped from now on. */
    async closed(inviteId: string, status: string): Promise<void> {
      await deps.ledger.markClosed(inviteId, status);
    },
  };
}

export type InviteDeliverer = ReturnType<typeof createInviteDeliverer>;
