import { inSpan, SpanKind, type Logger } from '@invite/telemetry';
import { PasswordResetToken, matches, sealedAs, type AccountEmailEvent, type AccountEmailType, type TokenCipher } from '@invite/contracts';
import { passwordResetLink, renderAddressCode, renderPasswordReset } from '@invite/templates';
import { DeliveryError, isDeliveryError, type Channel, type Message, type Recipient } from '../channels/channel.ts';
import type { DeliveryLedger } from '../idempotency/delivery-ledger.ts';
import type { Metrics } from '../metrics.ts';
import { retryDelayMs } from './backoff.ts';
import type { AttemptContext, DeliveryPolicy } from './deliver-invite.ts';
import { waitWithHeartbeat, type RateLimiter } from './rate-limiter.ts';

export interface AccountMailerDeps {
  /** The email channel: account emails go nowhere else. */
  email: Channel;
  limiter: RateLimiter;
  ledger: DeliveryLedger;
  cipher: TokenCipher;
  /** APP_BASE_URL: the only origin a link may point to. */
  appBaseUrl: string;
  policy: DeliveryPolicy;
  metrics: Metrics;
  logger: Logger;
  now?: () => number;
}

const kindOf: Record<AccountEmailEvent['type'], AccountEmailType> = {
  'invite.address-code': 'address-code',
  'join.address-code': 'address-code',
  'account.password-reset': 'password-reset',
};

interface Prepared {
  to: Recipient;
  link: string;
  rendered: Message;
}

/** Ledger key of an account email: one send per event. */
export function accountEmailKey(eventId: string): string {
  return `mail.${eventId}`;
}

/**
 * Sends account emails (address codes, password reset links): one send per event, through the same ledger,
 * SMTP pool and rate limit as invitations, with the same retries. Unlike an invitation
 * no delivery result is published (there is no invite channel whose state it would be)
 * and no dead letter is kept (a code is worth minutes; the person asks for another):
 * outcomes are counted in `notifier_account_emails_total` and logged without the secret.
 */
export function createAccountMailer(deps: AccountMailerDeps) {
  const { email, policy, metrics, logger } = deps;
  const now = deps.now ?? Date.now;

  /** Opens the sealed secret and renders the message; null when the event cannot be read with our key. */
  function prepare(event: AccountEmailEvent): Prepared | null {
    try {
      switch (event.type) {
        case 'invite.address-code': {
          const code = deps.cipher.decrypt(event.encryptedCode, sealedAs.addressCode(event.inviteId));
          if (!/^[0-9]{6}$/.test(code)) return null;
          const rendered = renderAddressCode({ code, orgName: event.orgName, expiresAt: event.expiresAt, locale: event.locale });
          return { to: { email: event.email, phone: null }, link: '', rendered: { ...rendered, sms: '' } };
        }
        case 'join.address-code': {
          const code = deps.cipher.decrypt(event.encryptedCode, sealedAs.joinAddressCode(event.joinLinkId, event.email));
          if (!/^[0-9]{6}$/.test(code)) return null;
          const rendered = renderAddressCode({ code, orgName: event.orgName, expiresAt: event.expiresAt, locale: event.locale });
          return { to: { email: event.email, phone: null }, link: '', rendered: { ...rendered, sms: '' } };
        }
        case 'account.password-reset': {
          const token = deps.cipher.decrypt(event.encryptedToken, sealedAs.passwordReset(event.userId));
          if (!matches(PasswordResetToken, token)) return null;
          const link = passwordResetLink(deps.appBaseUrl, token);
          const rendered = renderPasswordReset({ link, expiresAt: event.expiresAt, locale: event.locale });
          return { to: { email: event.email, phone: null }, link, rendered: { ...rendered, sms: '' } };
        }
      }
    } catch {
      return null;
    }
  }

  return {
    /** Sends one account email; says whether the event is done (null) or must come back after a delay. */
    async deliver(event: AccountEmailEvent, ctx: AttemptContext): Promise<{ retryInMs: number | null }> {
      const kind = kindOf[event.type];
      const count = (outcome: 'sent' | 'failed' | 'dead' | 'skipped') => metrics.accountEmails.inc({ kind, outcome });
      const about = { eventId: event.id, kind, attempt: ctx.attempt };
      if (email.disabledReason) {
        count('skipped');
        logger.warn({ ...about, reason: email.disabledReason }, 'account email not sent');
        return { retryInMs: null };
      }
      if (Date.parse(event.expiresAt) <= now()) {
        count('skipped');
        logger.warn(about, 'account email not sent: what it carries expired before it could be delivered');
        return { retryInMs: null };
      }
      const prepared = prepare(event);
      if (!prepared) {
        count('dead');
        logger.error(about, 'account email dropped: its secret cannot be decrypted with TOKEN_ENCRYPTION_KEY');
        return { retryInMs: null };
      }

      const waitMs = deps.limiter.reserve();
      if (waitMs > 0 && !(await waitWithHeartbeat(waitMs, policy.heartbeatMs, ctx.working, ctx.signal))) return { retryInMs: 0 };

      const key = accountEmailKey(event.id);
      const claim = await deps.ledger.claim(key, ctx.attempt, email.provider);
      if (claim.kind === 'sent' || claim.kind === 'dead') return { retryInMs: null };
      if (claim.kind === 'busy') return { retryInMs: claim.retryInMs };

      const signal = AbortSignal.timeout(policy.sendTimeoutMs);
      try {
        const receipt = await inSpan('email send', { kind: SpanKind.CLIENT, attributes: { 'notifier.channel': 'email', 'notifier.kind': kind } }, () =>
          email.send({ key, ...prepared, mayHaveBeenSent: claim.mayHaveBeenSent, signal }),
        );
        await deps.ledger.settle(key, { state: 'sent', attempt: ctx.attempt, provider: email.provider, providerMessageId: receipt.providerMessageId });
        count('sent');
        return { retryInMs: null };
      } catch (caught) {
        const error = isDeliveryError(caught) ? caught : new DeliveryError('ambiguous', (caught as Error)?.message ?? String(caught));
        if (error.kind === 'permanent' || ctx.attempt >= policy.maxAttempts) {
          await deps.ledger.settle(key, { state: 'dead', attempt: ctx.attempt, provider: email.provider, error: error.message });
          count('dead');
          logger.warn({ ...about, error: error.message }, 'account email given up');
          return { retryInMs: null };
        }
        const delay = retryDelayMs(ctx.attempt, policy.backoffBaseMs, policy.backoffMaxMs);
        await deps.ledger.settle(key, { state: error.kind === 'ambiguous' ? 'unknown' : 'failed', attempt: ctx.attempt, provider: email.provider, error: error.message });
        count('failed');
        logger.info({ ...about, error: error.message, retryInMs: delay }, 'account email failed; will retry');
        return { retryInMs: delay };
      }
    },
  };
}

export type AccountMailer = ReturnType<typeof createAccountMailer>;
