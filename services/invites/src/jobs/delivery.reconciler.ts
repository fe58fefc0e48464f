import type { EntityManager } from '@mikro-orm/postgresql';
import type { OrgSettings } from '@invite/contracts';
import { Invite, Org, User } from '../db/entities.ts';
import { enqueueEvent } from '../domain/changes.ts';
import type { Context, Domain } from '../domain/context.ts';
import { issuedEvent } from '../domain/invite.commands.ts';
import { loadOrgSettings, templateOf } from '../domain/settings.commands.ts';
import type { Logger } from '@invite/telemetry';
import type { Metrics } from '../metrics.ts';
import { every, type Periodic } from './periodic.ts';

/**
 * JetStream on a 2.9 server can lose an acknowledged message in a crash, and a
 * notifier can fail without reporting. PostgreSQL knows which deliveries are still
 * unconfirmed: this job re-publishes the invite's current link for every channel
 * still `queued` or `failed` after `afterSeconds`, through the outbox. The notifier's
 * idempotency key (invite, token version, channel) keeps a confirmed send from repeating.
 */
export function createDeliveryReconciler(
  domain: Domain,
  logger: Logger,
  metrics: Metrics,
  options: { intervalMs: number; afterSeconds: number },
): Periodic & { reconcile(): Promise<number> } {
  async function reconcile(): Promise<number> {
    const em = domain.orm.em.fork() as EntityManager;
    const count = await em.transactional(async (tx) => {
      const ids = await tx.execute<{ id: string }[]>(
        `select id from invites
          where status = 'pending' and expires_at > now() and sealed_token is not null
            and ((email_status in ('queued', 'failed') and email_updated_at < now() - make_interval(secs => ?))
              or (sms_status in ('queued', 'failed') and sms_updated_at < now() - make_interval(secs => ?)))
          order by created_at limit 200 for update skip locked`,
        [options.afterSeconds, options.afterSeconds],
      );
      if (ids.length === 0) return 0;
      const invites = await tx.find(Invite, { id: { $in: ids.map((r) => r.id) } });
      const orgs = new Map((await tx.find(Org, { id: { $in: [...new Set(invites.map((i) => i.orgId))] } })).map((o) => [o.id, o.name]));
      const inviterIds = [...new Set(invites.flatMap((i) => (i.invitedBy ? [i.invitedBy] : [])))];
      const inviters = new Map((await tx.find(User, { id: { $in: inviterIds } })).map((u) => [u.id, u.name]));
      const ctx: Context = { domain, em: tx as EntityManager, actor: { kind: 'system', name: 'reconciler' }, traceparent: undefined };
      const settings = new Map<string, OrgSettings>();
      for (const orgId of orgs.keys()) settings.set(orgId, await loadOrgSettings(ctx, orgId));
      const cutoff = Date.now() - options.afterSeconds * 1000;
      const now = new Date();
      for (const invite of invites) {
        const stale = (['email', 'sms'] as const).filter(
          (c) => ['queued', 'failed'].includes(invite[`${c}Status`]) && invite[`${c}UpdatedAt`].getTime() < cutoff,
        );
        for (const channel of stale) invite[`${channel}UpdatedAt`] = now;
        const type = invite.tokenVersion === 1 ? 'invite.created' : 'invite.resent';
        const event = issuedEvent(invite, {
          orgName: orgs.get(invite.orgId) ?? '',
          inviterName: invite.invitedBy ? (inviters.get(invite.invitedBy) ?? null) : null,
          type,
          sealedToken: invite.sealedToken!,
          now,
          redelivery: true,
          template: templateOf(settings.get(invite.orgId)!, invite.locale),
        });
        enqueueEvent(ctx, { ...event, channels: stale });
      }
      return invites.length;
    });
    if (count > 0) {
      metrics.reconciled.inc(count);
      logger.warn({ invites: count }, 'reconciler: re-published unconfirmed deliveries');
    }
    return count;
  }
  return { ...every(options.intervalMs, reconcile, logger, 'delivery reconcile'), reconcile };
}
