import { inSpan, SpanKind } from '@invite/telemetry';
import { InviteToken, matches, type Channel as ChannelName, type InviteIssuedEvent, type TokenCipher } from '@invite/contracts';
import { DeliveryError, isDeliveryError, type Channel } from '../channels/channel.ts';
import type { DeadLetterStore } from '../dead-letters.ts';
import { deliveryKey, type DeliveryLedger, type DeliveryRecord } from '../idempotency/delivery-ledger.ts';
import type { Logger } from '@invite/telemetry';
import type { Metrics, Outcome } from '../metrics.ts';
import { acceptLink, type TemplateRenderer } from '@invite/templates';
import { retryDelayMs } from './backoff.ts';
import { waitWithHeartbeat, type RateLimiter } from './rate-limiter.ts';
import type { ResultPublisher } from './results.ts';

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

/** null: every channel is settled, ack; a number: nak with this delay. */
export interface AttemptOutcome {
  retryInMs: number | null;
}

/** `${APP_BASE_URL}/invite#token=…`, shared with the gateway's preview. */
export { acceptLink };

/**
 * Delivers one invite event on each of its channels, at most once per (invite, token
 * version, channel), and says whether the event is done or must come back later.
 */
export function createInviteDeliverer(deps: InviteDelivererDeps) {
  const { policy, metrics, logger } = deps;
  const now = deps.now ?? Date.now;

  async function finish(event: InviteIssuedEvent, channel: Channel, outcome: Outcome, attempt: number, extra: { providerMessageId?: string | null; error?: string | null }, ctx: AttemptContext) {
    await deps.results.publish({ event, channel: channel.name, outcome, attempt, provider: channel.provider, ...extra }, ctx.traceparent);
  }

  async function giveUp(event: InviteIssuedEvent, channel: Channel, key: string, attempt: number, error: string, ctx: AttemptContext) {
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
    await finish(event, channel, 'dead', attempt, { error }, ctx);
  }

  /** Already final: say so again (same msgID as the first time, so JetStream drops the copy), send nothing. */
  async function repeatResult(event: InviteIssuedEvent, channel: Channel, record: DeliveryRecord, ctx: AttemptContext) {
    const outcome = record.state === 'sent' ? 'sent' : 'dead';
    await deps.results.publish(
      { event, channel: channel.name, outcome, attempt: record.attempt, provider: record.provider, providerMessageId: record.providerMessageId ?? null, error: record.error ?? null },
      ctx.traceparent,
    );
  }

  /** One channel of one event; returns null when settled, else the delay before the next attempt. */
  async function deliverOn(event: InviteIssuedEvent, channel: Channel, ctx: AttemptContext): Promise<number | null> {
    const { attempt } = ctx;
    const key = deliveryKey(event.inviteId, event.tokenVersion, channel.name);
    if (channel.disabledReason) {
      metrics.deliveries.inc({ channel: channel.name, provider: channel.provider, outcome: 'skipped' });
      await finish(event, channel, 'skipped', attempt, { error: channel.disabledReason }, ctx);
      return null;
    }

    // A redelivery or a reconciler re-publish of a settled delivery: cheap answer, no rate-limit slot.
    const settled = await deps.ledger.get(key);
    if (settled && (settled.record.state === 'sent' || settled.record.state === 'dead')) {
      await repeatResult(event, channel, settled.record, ctx);
      return null;
    }

    // Accepted, declined, withdrawn or expired while the event waited (a retry, a rate-limit
    // queue, a re-publish): the link would only lead to an error page.
    const closedAs = await deps.ledger.closedAs(event.inviteId);
    if (closedAs) {
      metrics.deliveries.inc({ channel: channel.name, provider: channel.provider, outcome: 'skipped' });
      await finish(event, channel, 'skipped', attempt, { error: `the invite was ${closedAs} before it was delivered` }, ctx);
      return null;
    }

    // Local work first: a token we cannot read or a link we cannot render will not get better.
    let link: string;
    try {
      const token = deps.cipher.decrypt(event.encryptedToken, event.inviteId);
      if (!matches(InviteToken, token)) throw new Error('not an invite token');
      link = acceptLink(deps.appBaseUrl, token);
    } catch {
      const claim = await deps.ledger.claim(key, attempt, channel.provider);
      if (claim.kind === 'busy') return claim.retryInMs;
      if (claim.kind === 'claimed') await giveUp(event, channel, key, attempt, 'the token cannot be decrypted with TOKEN_ENCRYPTION_KEY', ctx);
      return null;
    }
    const rendered = await deps.templates.render({ ...event, link });

    const waitMs = deps.limiters[channel.name].reserve();
    if (waitMs > 0) {
      const waited = await waitWithHeartbeat(waitMs, policy.heartbeatMs, ctx.working, ctx.signal);
      metrics.rateLimitWait.observe({ channel: channel.name }, waitMs / 1000);
      if (!waited) return 0; // stopping: hand the event back at once
    } else {
      metrics.rateLimitWait.observe({ channel: channel.name }, 0);
    }

    const claim = await deps.ledger.claim(key, attempt, channel.provider);
    if (claim.kind === 'busy') return claim.retryInMs;
    if (claim.kind === 'sent' || claim.kind === 'dead') {
      await repeatResult(event, channel, claim.record, ctx);
      return null;
    }

    const started = performance.now();
    // Not tied to ctx.signal: a send under way when the process stops is finished, not cut.
    const signal = AbortSignal.timeout(policy.sendTimeoutMs);
    try {
      const receipt = await inSpan(`${channel.name} send`, { kind: SpanKind.CLIENT, attributes: { 'notifier.channel': channel.name, 'notifier.provider': channel.provider } }, () =>
        channel.send({ key, event, link, rendered, mayHaveBeenSent: claim.mayHaveBeenSent, signal }),
      );
      metrics.duration.observe({ channel: channel.name }, (performance.now() - started) / 1000);
      await deps.ledger.settle(key, { state: 'sent', attempt, provider: channel.provider, providerMessageId: receipt.providerMessageId });
      metrics.deliveries.inc({ channel: channel.name, provider: channel.provider, outcome: 'sent' });
      metrics.attempts.observe({ channel: channel.name, outcome: 'sent' }, attempt);
      if (receipt.recovered) logger.info({ inviteId: event.inviteId, channel: channel.name, attempt }, 'an earlier ambiguous attempt had gone through; not sent again');
      await finish(event, channel, 'sent', attempt, { providerMessageId: receipt.providerMessageId }, ctx);
      return null;
    } catch (caught) {
      metrics.duration.observe({ channel: channel.name }, (performance.now() - started) / 1000);
      const error = isDeliveryError(caught) ? caught : new DeliveryError('ambiguous', (caught as Error)?.message ?? String(caught));
      if (error.kind === 'ambiguous') metrics.ambiguous.inc({ channel: channel.name });
      if (error.kind === 'permanent') {
        await giveUp(event, channel, key, attempt, error.message, ctx);
        return null;
      }
      if (attempt >= policy.maxAttempts) {
        await giveUp(event, channel, key, attempt, `gave up after ${attempt} attempts: ${error.message}`, ctx);
        return null;
      }
      const delay = retryDelayMs(attempt, policy.backoffBaseMs, policy.backoffMaxMs);
      await deps.ledger.settle(key, { state: error.kind === 'ambiguous' ? 'unknown' : 'failed', attempt, provider: channel.provider, error: error.message });
      metrics.deliveries.inc({ channel: channel.name, provider: channel.provider, outcome: 'failed' });
      logger.info({ inviteId: event.inviteId, channel: channel.name, attempt, kind: error.kind, providerCode: error.providerCode, error: error.message, retryInMs: delay }, 'delivery failed; will retry');
      await finish(event, channel, 'failed', attempt, { error: `${error.message} (next attempt in ${(delay / 1000).toFixed(3)} s)` }, ctx);
      return delay;
    }
  }

  return {
    async deliver(event: InviteIssuedEvent, ctx: AttemptContext): Promise<AttemptOutcome> {
      const channels = [...new Set(event.channels)].map((name) => deps.channels[name]);
      const delays = await Promise.all(channels.map((channel) => deliverOn(event, channel, ctx)));
      const pending = delays.filter((d): d is number => d !== null);
      return { retryInMs: pending.length ? Math.max(...pending) : null };
    },
    /** The invite closed: deliveries of it still waiting are skipped from now on. */
    async closed(inviteId: string, status: string): Promise<void> {
      await deps.ledger.markClosed(inviteId, status);
    },
  };
}

export type InviteDeliverer = ReturnType<typeof createInviteDeliverer>;
