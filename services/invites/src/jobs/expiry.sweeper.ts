import type { EntityManager } from '@mikro-orm/postgresql';
import { inTransaction, type Context, type Domain } from '../domain/context.ts';
import { expireOverdue } from '../domain/invite.expiry.ts';
import { foldSeatReleases } from '../domain/seats.ts';
import { pruneSendCounts } from '../domain/sends.ts';
import type { Logger } from '@invite/telemetry';
import { every, type Periodic } from './periodic.ts';

/**
 * Moves overdue pending invites to `expired` in batches, each with its audit entry and
 * `invites.events.expired`, then folds closed invites into the orgs' seat counters and
 * deletes daily send counts older than a day.
 * Safe on several replicas: rows are claimed with SKIP LOCKED.
 */
export function createExpirySweeper(domain: Domain, logger: Logger, intervalMs: number): Periodic & { sweep(): Promise<number> } {
  async function sweep(): Promise<number> {
    let total = 0;
    for (;;) {
      const ctx: Context = { domain, em: domain.orm.em.fork() as EntityManager, actor: { kind: 'system', name: 'expiry' }, traceparent: undefined };
      // inTransaction: the business counter (invites_expired_total) moves only after the commit.
      const expired = await inTransaction(ctx, (tx) => expireOverdue(tx, { limit: 500 }));
      total += expired;
      if (expired < 500) break;
    }
    if (total > 0) logger.info({ expired: total }, 'expiry: invites expired');
    const system: Context = { domain, em: domain.orm.em.fork() as EntityManager, actor: { kind: 'system', name: 'expiry' }, traceparent: undefined };
    await foldSeatReleases(system);
    await pruneSendCounts(system);
    return total;
  }
  return { ...every(intervalMs, sweep, logger, 'expiry sweep'), sweep };
}
