import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { uuidv7, type TokenCipher, type WebhookAttempt } from '@invite/contracts';
import type { Logger } from '@invite/telemetry';
import type { Resolve } from './address-policy.ts';
import { createLanes, type LaneJob } from './endpoint.lanes.ts';
import { messagesOf, type OutgoingMessage } from './webhook.messages.ts';
import type { WebhookMetrics } from './webhook.metrics.ts';
import { signingSecrets, type EndpointRow } from './webhook.rows.ts';
import { createWebhookSender, type AttemptResult } from './webhook.sender.ts';

/**
 * The dispatcher's core: stream events become `webhook_deliveries` rows (one per
 * subscribed endpoint), rows are claimed with a lease and sent through per-endpoint
 * lanes, and each attempt is recorded on its row (the delivery log) and on its
 * endpoint's failure streak, which disables the endpoint when it lasts.
 *
 * Fresh deliveries are claimed by the process that created them and start at once;
 * retries, test messages, replays and anything a stopped process left are found by
 * the poll. Rows are the only state that matters: kill the process at any moment and
 * another (or the next) takes over once the leases lapse.
 */
export interface DispatcherSettings {
  allowPrivate: boolean;
  timeoutMs: number;
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  perEndpoint: number;
  total: number;
  disableAfterHours: number;
  /** 0: only the time rule. */
  disableAfterFailures: number;
  pollMs: number;
  retentionDays: number;
}

export interface DispatcherDeps {
  orm: MikroORM;
  cipher: TokenCipher;
  logger: Logger;
  metrics: WebhookMetrics;
  settings: DispatcherSettings;
  /** Name resolution for the address checks (the system's by default). */
  resolve?: Resolve;
}

interface Job extends LaneJob {
  messageId: string;
  body: string;
  /** Attempts made before this one. */
  attempts: number;
  occurredAt: string;
}

/** How long a claimed row stays ours without renewal: well beyond an attempt and a wait in a lane. */
const leaseMs = (timeoutMs: number) => Math.max(60_000, timeoutMs * 6);
/** How long an endpoint's URL, state and secrets are trusted before they are read again. */
const endpointTtlMs = 2000;

/** The wait before attempt `attempt + 1`: base × 2^(attempt-1), capped, with ±20 % jitter. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(raw * (0.8 + Math.random() * 0.4));
}

type CachedEndpoint = { row: EndpointRow | undefined; secrets: string[]; at: number; failing: boolean };

export function createWebhookDispatcher(deps: DispatcherDeps) {
  const { orm, cipher, logger, metrics, settings } = deps;
  const lease = leaseMs(settings.timeoutMs);
  const em = () => orm.em.fork() as EntityManager;
  const sender = createWebhookSender({ allowPrivate: settings.allowPrivate, timeoutMs: settings.timeoutMs, socketsPerEndpoint: settings.perEndpoint, resolve: deps.resolve });
  const endpoints = new Map<string, CachedEndpoint>();
  const loading = new Map<string, Promise<CachedEndpoint>>();
  const lanes = createLanes<Job>({ perEndpoint: settings.perEndpoint, total: settings.total, buffer: settings.perEndpoint * 4, run: attempt, onRoom });
  /** Endpoints with due rows in PostgreSQL beyond what their lanes took: a lane that drains pulls more at once. */
  const backlogged = new Set<string>();

  async function endpoint(id: string): Promise<CachedEndpoint> {
    const cached = endpoints.get(id);
    if (cached && Date.now() - cached.at < endpointTtlMs) return cached;
    let pending = loading.get(id);
    if (!pending) {
      pending = (async () => {
        const [row] = await em().execute<EndpointRow[]>(
          `select id, org_id, url, enabled, secret_sealed, previous_secret_sealed, previous_secret_expires_at, consecutive_failures, failing_since
             from webhook_endpoints where id = ?`,
          [id],
        );
        const usable = row && row.enabled ? row : undefined;
        const failing = Boolean(usable && (usable.consecutive_failures > 0 || usable.failing_since));
        const entry = { row: usable, secrets: usable ? signingSecrets(usable, cipher) : [], at: Date.now(), failing };
        endpoints.set(id, entry);
        return entry;
      })().finally(() => loading.delete(id));
      loading.set(id, pending);
    }
    return pending;
  }

  /** Queues one message for every enabled endpoint of its org that subscribes to it and existed when it happened. */
  async function queueMessage(message: OutgoingMessage): Promise<void> {
    const full = lanes.fullEndpoints();
    const rows = await em().execute<{ id: string; endpoint_id: string; leased: boolean }[]>(
      `insert into webhook_deliveries (id, endpoint_id, org_id, message_id, event_type, body, lease_until)
       select gen_random_uuid(), e.id, e.org_id, ?, ?, ?,
              case when e.id::text = any(string_to_array(?, ',')) then null else now() + make_interval(secs => ?) end
         from webhook_endpoints e
        where e.org_id = ? and e.enabled and e.deleted_at is null and ? = any(e.event_types) and e.created_at <= ?::timestamptz
       on conflict (endpoint_id, message_id) where replay_of is null do nothing
       returning id, endpoint_id, lease_until is not null as leased`,
      [message.messageId, message.type, message.body, full.join(','), lease / 1000, message.orgId, message.type, message.occurredAt],
    );
    metrics.queued.inc(rows.length);
    const refused: string[] = [];
    for (const row of rows) {
      const job = { deliveryId: row.id, endpointId: row.endpoint_id, messageId: message.messageId, body: message.body, attempts: 0, occurredAt: message.occurredAt };
      if (row.leased && lanes.offer(job)) continue;
      if (row.leased) refused.push(row.id);
      backlogged.add(row.endpoint_id);
    }
    await release(refused);
  }

  /** Hands rows back to the poll (any process). */
  async function release(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    // SKIP LOCKED: a row someone is changing (cancelling it, say) is left to them; never a wait, never a deadlock.
    await em().execute(
      `update webhook_deliveries set lease_until = null
        where id in (select id from webhook_deliveries where id in (?) and status = 'pending' for update skip locked)`,
      [ids],
    );
  }

  /** One stream event: its messages, each queued for its endpoints. */
  async function ingest(event: unknown): Promise<void> {
    for (const message of messagesOf(event)) await queueMessage(message);
  }

  async function attempt(job: Job): Promise<void> {
    try {
      const target = await endpoint(job.endpointId);
      if (!target.row) {
        await finishCancelled(job.deliveryId);
        return;
      }
      const startedAt = new Date();
      const result = await sender.send({ endpointId: job.endpointId, url: target.row.url, secrets: target.secrets }, job.messageId, job.body);
      metrics.attempts.inc({ outcome: result.ok ? 'success' : 'failure' });
      metrics.attemptDuration.observe(result.latencyMs / 1000);
      if (result.ok) {
        metrics.eventToDelivery.observe(Math.max(0, Date.now() - Date.parse(job.occurredAt)) / 1000);
        await recordSuccess(job, startedAt, result, target);
      } else {
        await recordFailure(job, startedAt, result, target);
      }
    } catch (error) {
      // The database is away: the row keeps its lease, and its next claim tries again.
      logger.warn({ err: error, deliveryId: job.deliveryId }, 'webhooks: could not record an attempt');
    }
  }

  const logEntry = (startedAt: Date, result: AttemptResult): string =>
    JSON.stringify([{ at: startedAt.toISOString(), responseStatus: result.status, latencyMs: result.latencyMs, error: result.error } satisfies WebhookAttempt]);

  async function finishCancelled(deliveryId: string): Promise<void> {
    const rows = await em().execute<{ id: string }[]>(
      `update webhook_deliveries set status = 'cancelled', last_error = coalesce(last_error, 'the endpoint was disabled or deleted'), lease_until = null
        where id = ? and status = 'pending' returning id`,
      [deliveryId],
    );
    if (rows.length) metrics.finished.inc({ status: 'cancelled' });
  }

  /*
   * A delivery row and its endpoint row are never locked in one transaction here: the
   * API locks the endpoint, then its deliveries (disable, delete); taking them the
   * other way round in one statement would deadlock with it.
   */
  async function recordSuccess(job: Job, startedAt: Date, result: AttemptResult, target: CachedEndpoint): Promise<void> {
    const rows = await em().execute<{ id: string }[]>(
      `update webhook_deliveries
          set status = 'delivered', attempts = attempts + 1, last_attempt_at = ?, delivered_at = now(), response_status = ?,
              latency_ms = ?, last_error = null, lease_until = null, attempt_log = attempt_log || ?::jsonb
        where id = ? and status = 'pending' returning id`,
      [startedAt, result.status, result.latencyMs, logEntry(startedAt, result), job.deliveryId],
    );
    if (rows.length === 0) return;
    metrics.finished.inc({ status: 'delivered' });
    // The failure streak ends; known from the endpoint as last read or from a failure seen here since.
    if (target.failing) {
      target.failing = false;
      await em().execute(
        `update webhook_endpoints set consecutive_failures = 0, failing_since = null where id = ? and (consecutive_failures <> 0 or failing_since is not null)`,
        [job.endpointId],
      );
    }
  }

  async function recordFailure(job: Job, startedAt: Date, result: AttemptResult, target: CachedEndpoint): Promise<void> {
    const attempts = job.attempts + 1;
    const last = attempts >= settings.maxAttempts;
    const waitMs = last ? 0 : backoffMs(attempts, settings.backoffBaseMs, settings.backoffMaxMs);
    const rows = await em().execute<{ id: string }[]>(
      `update webhook_deliveries
          set attempts = attempts + 1, last_attempt_at = ?, response_status = ?, latency_ms = ?, last_error = ?, lease_until = null,
              attempt_log = attempt_log || ?::jsonb, status = case when ? then 'failed' else 'pending' end,
              next_attempt_at = now() + make_interval(secs => ?)
        where id = ? and status = 'pending' returning id`,
      [startedAt, result.status, result.latencyMs, result.error, logEntry(startedAt, result), last, waitMs / 1000, job.deliveryId],
    );
    if (rows.length === 0) return;
    if (last) metrics.finished.inc({ status: 'failed' });
    target.failing = true;
    const [streak] = await em().execute<{ id: string; org_id: string; consecutive_failures: number; failing_since: Date }[]>(
      `update webhook_endpoints set consecutive_failures = consecutive_failures + 1, failing_since = coalesce(failing_since, ?::timestamptz)
        where id = ? and enabled returning id, org_id, consecutive_failures, failing_since`,
      [startedAt, job.endpointId],
    );
    if (!streak) return;
    const failingMs = Date.now() - new Date(streak.failing_since).getTime();
    const byTime = failingMs >= settings.disableAfterHours * 3_600_000;
    const byCount = settings.disableAfterFailures > 0 && streak.consecutive_failures >= settings.disableAfterFailures;
    if (byTime || byCount) await disable(streak, byTime ? 'time' : 'count');
  }

  /** Disables an endpoint whose attempts have failed too long or too often, with its audit entry, and cancels what it had queued. */
  async function disable(streak: { id: string; org_id: string; consecutive_failures: number; failing_since: Date }, rule: 'time' | 'count'): Promise<void> {
    const disabled = await em().transactional(async (tx) => {
      const rows = await tx.execute<{ id: string }[]>(
        `update webhook_endpoints set enabled = false, disabled_reason = 'failing', disabled_at = now(), updated_at = now()
          where id = ? and enabled returning id`,
        [streak.id],
      );
      if (rows.length === 0) return false;
      await tx.execute(
        `update webhook_deliveries set status = 'cancelled', last_error = coalesce(last_error, 'the endpoint was disabled after sustained failure'), lease_until = null
          where endpoint_id = ? and status = 'pending'`,
        [streak.id],
      );
      const failingSince = new Date(streak.failing_since).toISOString();
      const why =
        rule === 'time'
          ? `every attempt has failed since ${failingSince} (${settings.disableAfterHours} h or more)`
          : `${streak.consecutive_failures} attempts in a row failed (limit ${settings.disableAfterFailures})`;
      await tx.execute(
        `insert into audit_log (id, org_id, actor, action, target, data, at) values (?, ?, 'system:webhooks', 'webhook.disabled', ?, ?::jsonb, now())`,
        [uuidv7(), streak.org_id, `webhook:${streak.id}`, JSON.stringify({ reason: 'failing', why, failingSince, consecutiveFailures: streak.consecutive_failures })],
      );
      return true;
    });
    if (!disabled) return;
    endpoints.delete(streak.id);
    metrics.disabled.inc();
    logger.warn({ webhookId: streak.id, orgId: streak.org_id, consecutiveFailures: streak.consecutive_failures }, 'webhooks: endpoint disabled after sustained failure');
  }

  /**
   * Claims due rows and queues them: per endpoint, the oldest due rows up to the room its
   * lane has (none for a full one), so that one endpoint's backlog (a dead endpoint's
   * retries, a slow one's queue) never fills a claim meant for all of them.
   */
  async function claimDue(): Promise<number> {
    const rooms = lanes.rooms();
    const full = Object.keys(rooms).filter((id) => rooms[id] === 0);
    const rows = await em().execute<{ id: string; endpoint_id: string; message_id: string; body: string; attempts: number }[]>(
      `update webhook_deliveries d set lease_until = now() + make_interval(secs => ?)
         from (
           select c.id from webhook_endpoints e
           cross join lateral (
             select id from webhook_deliveries
              where endpoint_id = e.id and status = 'pending' and next_attempt_at <= now() and (lease_until is null or lease_until < now())
              order by next_attempt_at limit coalesce((?::jsonb ->> e.id::text)::int, ?)) c
            where e.enabled and e.deleted_at is null and not (e.id::text = any(string_to_array(?, ',')))
         ) due
        where d.id = due.id and d.status = 'pending' and (d.lease_until is null or d.lease_until < now())
       returning d.id, d.endpoint_id, d.message_id, d.body, d.attempts`,
      [lease / 1000, JSON.stringify(rooms), lanes.buffer, full.join(',')],
    );
    const claimed = new Map<string, number>();
    const refused: string[] = [];
    for (const row of rows) {
      claimed.set(row.endpoint_id, (claimed.get(row.endpoint_id) ?? 0) + 1);
      const occurredAt = (JSON.parse(row.body) as { timestamp?: string }).timestamp ?? new Date().toISOString();
      const job = { deliveryId: row.id, endpointId: row.endpoint_id, messageId: row.message_id, body: row.body, attempts: row.attempts, occurredAt };
      if (!lanes.offer(job)) refused.push(row.id);
    }
    await release(refused);
    // An endpoint that got all the room it asked for may have more waiting.
    for (const id of backlogged) if (!full.includes(id) && (claimed.get(id) ?? 0) < (rooms[id] ?? lanes.buffer)) backlogged.delete(id);
    for (const [id, n] of claimed) if (n >= (rooms[id] ?? lanes.buffer)) backlogged.add(id);
    return rows.length - refused.length;
  }

  /** Keeps the leases of what this process holds, so nobody else sends it meanwhile. */
  async function renewLeases(): Promise<void> {
    const ids = lanes.heldIds();
    if (ids.length === 0) return;
    await em().execute(
      `update webhook_deliveries set lease_until = now() + make_interval(secs => ?)
        where id in (select id from webhook_deliveries where id in (?) and status = 'pending' for update skip locked)`,
      [lease / 1000, ids],
    );
  }

  async function cleanUp(): Promise<void> {
    await em().execute(
      `delete from webhook_deliveries where id in (
         select id from webhook_deliveries where status <> 'pending' and created_at < now() - make_interval(days => ?) limit 10000)`,
      [settings.retentionDays],
    );
  }

  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let polling: Promise<void> | undefined;
  let again = false;
  let lastRenew = Date.now();
  let lastCleanUp = 0;

  async function poll(): Promise<void> {
    try {
      await claimDue();
      if (Date.now() - lastRenew > lease / 3) {
        lastRenew = Date.now();
        await renewLeases();
      }
      if (Date.now() - lastCleanUp > 10 * 60_000) {
        lastCleanUp = Date.now();
        await cleanUp();
        const [row] = await em().execute<{ n: number }[]>(`select count(*)::int as n from webhook_deliveries where status = 'pending' and next_attempt_at <= now()`);
        metrics.due.set(row?.n ?? 0);
      }
    } catch (error) {
      logger.warn({ err: error }, 'webhooks: poll failed; trying again');
    }
    const stats = lanes.stats();
    metrics.waiting.set(stats.waiting);
    metrics.inFlight.set(stats.active);
  }

  /** Polls now, and again at once if woken meanwhile; then every WEBHOOKS_POLL_MS. */
  function pollNow(): void {
    clearTimeout(timer);
    polling = (async () => {
      do {
        again = false;
        await poll();
      } while (again && running);
    })().finally(() => {
      polling = undefined;
      if (running) timer = setTimeout(pollNow, settings.pollMs);
    });
  }

  /** A lane drained: if its endpoint has rows waiting in PostgreSQL, claim them now rather than at the next tick. */
  function onRoom(endpointId: string): void {
    if (!running || !backlogged.has(endpointId)) return;
    if (polling) again = true;
    else pollNow();
  }

  return {
    ingest,
    /** Runs one poll now (tests and benchmarks). */
    poll: () => poll(),
    start(): void {
      running = true;
      timer = setTimeout(pollNow, settings.pollMs);
    },
    /** Stops claiming, lets attempts in flight finish, hands back what had not started, closes connections. */
    async stop(): Promise<void> {
      running = false;
      clearTimeout(timer);
      await polling;
      await release(lanes.drainWaiting()).catch(() => {});
      await lanes.idle();
      sender.close();
    },
    stats: () => lanes.stats(),
  };
}

export type WebhookDispatcher = ReturnType<typeof createWebhookDispatcher>;
