import { DomainError } from '@invite/contracts';
import type { Context } from './context.ts';

export interface Quota {
  /** Takes one invite from the quota, or throws RATE_LIMITED. */
  take(): void;
  /** Writes what was taken; call once, after the rows were created. */
  save(): Promise<void>;
}

/**
 * How many invites an organisation may still create this clock hour. Kept in
 * PostgreSQL and read under the org row lock that every create already holds, so it
 * is exact across any number of gateway and invites replicas, at no extra lock.
 */
export async function openQuota(ctx: Context, orgId: string): Promise<Quota> {
  const limit = ctx.domain.config.INVITE_RATE_PER_HOUR;
  const [row] = await ctx.em.execute<{ window_start: string; created: number | null; retry_after: number }[]>(
    `select date_trunc('hour', now()) as window_start,
            (select created from invite_quota where org_id = ? and window_start = date_trunc('hour', now())) as created,
            ceil(extract(epoch from date_trunc('hour', now()) + interval '1 hour' - now()))::int as retry_after`,
    [orgId],
  );
  const used = row?.created ?? 0;
  let taken = 0;
  return {
    take() {
      if (limit > 0 && used + taken >= limit) {
        throw new DomainError('RATE_LIMITED', {
          detail: `This organisation has created ${limit} invites this hour, its limit; try again in ${row!.retry_after} s`,
          retryAfter: row!.retry_after,
        });
      }
      taken += 1;
    },
    async save() {
      if (taken === 0) return;
      await ctx.em.execute(
        `insert into invite_quota (org_id, window_start, created) values (?, date_trunc('hour', now()), ?)
           on conflict (org_id, window_start) do update set created = invite_quota.created + excluded.created`,
        [orgId, taken],
      );
    },
  };
}
