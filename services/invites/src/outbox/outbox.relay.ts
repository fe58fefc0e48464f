import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { headers } from '@nats-io/transport-node';
import type { JetStreamClient } from '@nats-io/jetstream';
import pg from 'pg';
import { inSpan, SpanKind } from '@invite/telemetry';
import type { Logger } from '@invite/telemetry';
import type { Metrics } from '../metrics.ts';

export interface OutboxRelayOptions {
  orm: MikroORM;
  js: JetStreamClient;
  databaseUrl: string;
  logger: Logger;
  metrics: Metrics;
  /** Fallback poll interval when no NOTIFY arrives. */
  pollMs: number;
  /** Rows per transaction. */
  batchSize: number;
  /** Published rows older than this are deleted. */
  retentionHours: number;
}

export interface OutboxRelay {
  start(): void;
  stop(): Promise<void>;
  /** Publishes until nothing is left; returns how many rows it published. */
  flush(): Promise<number>;
}

interface OutboxRow {
  id: string;
  subject: string;
  payload: unknown;
  headers: Record<string, string>;
}

/** How often the pending and lag gauges are read from the table. */
const observeEveryMs = 1000;

/**
 * Longest wait between two tries while PostgreSQL or JetStream fails (publishing, and
 * re-opening the LISTEN connection). Trying costs one refused connection; at 30 s, the
 * events committed right after a 30 s PostgreSQL outage waited another 30 s for it.
 */
const maxBackoffMs = 5000;

/**
 * Publishes committed outbox rows to JetStream. A row is marked published only after
 * JetStream acknowledged it; a crash in between re-publishes it under the same msgID,
 * which JetStream's duplicate window drops. Rows are claimed with
 * `FOR UPDATE SKIP LOCKED`, so any number of replicas can relay at once without
 * publishing a row twice. Wakes on the `outbox` NOTIFY (sent at commit) and polls as
 * a fallback, so a lost notification only delays, never loses, an event.
 */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { orm, js, logger, metrics } = options;
  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let listener: pg.Client | undefined;
  let lastCleanup = 0;
  let lastObserved = 0;
  /** Set by a NOTIFY that arrives while a batch is in flight, so it is not slept through. */
  let signalled = false;

  async function publishBatch(): Promise<number> {
    const em = orm.em.fork() as EntityManager;
    return em.transactional(async (tx) => {
      const rows = await tx.execute<OutboxRow[]>(
        `select id, subject, payload, headers from outbox
          where published_at is null order by created_at, id limit ? for update skip locked`,
        [options.batchSize],
      );
      if (rows.length === 0) return 0;
      await Promise.all(
        rows.map((row) =>
          // Continues the trace of the command that wrote the row.
          inSpan(`${row.subject} publish`, { kind: SpanKind.PRODUCER, parent: row.headers?.traceparent, attributes: { 'messaging.system': 'nats', 'messaging.message.id': row.id } }, (_span, traceparent) => {
            const h = headers();
            for (const [name, value] of Object.entries(row.headers ?? {})) h.set(name, value);
            if (traceparent) h.set('traceparent', traceparent);
            return js.publish(row.subject, JSON.stringify(row.payload), { msgID: row.id, headers: h });
          }),
        ),
      );
      await tx.execute(`update outbox set published_at = now() where id in (?)`, [rows.map((r) => r.id)]);
      metrics.outboxPublished.inc(rows.length);
      return rows.length;
    });
  }

  async function flush(): Promise<number> {
    let total = 0;
    for (;;) {
      const published = await publishBatch();
      total += published;
      if (published < options.batchSize) return total;
    }
  }

  async function observe(): Promise<void> {
    const em = orm.em.fork() as EntityManager;
    const [row] = await em.execute<{ pending: number; age: number | null }[]>(
      `select count(*)::int as pending, extract(epoch from now() - min(created_at))::float8 as age
         from outbox where published_at is null`,
    );
    metrics.outboxPending.set(row?.pending ?? 0);
    metrics.outboxLag.set(row?.age ?? 0);
    if (Date.now() - lastCleanup > 10 * 60_000) {
      lastCleanup = Date.now();
      const deleted = await em.execute<{ affectedRows: number }>(
        `delete from outbox where id in (
           select id from outbox where published_at < now() - make_interval(hours => ?) limit 10000)`,
        [options.retentionHours],
        'run',
      );
      if (deleted.affectedRows) logger.info({ deleted: deleted.affectedRows }, 'outbox: removed old published rows');
    }
  }

  /**
   * Keeps one LISTEN connection open for as long as the relay runs: a lost or refused
   * connection is retried with backoff, and meanwhile the poll keeps events moving.
   */
  async function listen(attempt = 0): Promise<void> {
    if (!running) return;
    const client = new pg.Client({ connectionString: options.databaseUrl });
    let lost = false;
    const reconnect = (error?: Error) => {
      if (lost) return;
      lost = true;
      if (listener === client) listener = undefined;
      client.end().catch(() => {});
      if (!running) return;
      logger.warn({ err: error }, 'outbox: LISTEN connection lost; polling until it is back');
      const delay = Math.min(maxBackoffMs, options.pollMs * 2 ** Math.min(attempt, 5));
      setTimeout(() => void listen(attempt + 1), delay).unref();
    };
    client.on('notification', () => {
      signalled = true;
      wake?.();
    });
    client.on('error', reconnect);
    client.on('end', () => reconnect());
    try {
      await client.connect();
      await client.query('LISTEN outbox');
      listener = client;
      attempt = 0;
    } catch (error) {
      reconnect(error as Error);
    }
  }

  async function run(): Promise<void> {
    await listen();
    let backoff = options.pollMs;
    while (running) {
      signalled = false;
      try {
        await flush();
        // The gauges need not follow every commit: under load the relay loops many times a second.
        if (Date.now() - lastObserved >= observeEveryMs) {
          lastObserved = Date.now();
          await observe();
        }
        backoff = options.pollMs;
      } catch (error) {
        metrics.outboxPublishErrors.inc();
        logger.warn({ err: error }, 'outbox: publish failed; will retry');
        backoff = Math.min(backoff * 2, Math.max(maxBackoffMs, options.pollMs));
      }
      if (!running) break;
      if (signalled) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, backoff);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
      await listener?.end().catch(() => {});
      listener = undefined;
    },
    flush,
  };
}
