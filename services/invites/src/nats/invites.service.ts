import type { EntityManager } from '@mikro-orm/postgresql';
import type { NatsConnection } from '@nats-io/transport-node';
import { Svcm, type Service, type ServiceMsg } from '@nats-io/services';
import {
  bearerToken,
  DomainError,
  isDomainError,
  operationNames,
  operations,
  parseRequest,
  type OperationName,
} from '@invite/contracts';
import { inSpan, markFailed, SpanKind } from '@invite/telemetry';
import { databaseUnavailable, isDatabaseUnavailable } from '../db/unavailable.ts';
import { authenticate } from '../domain/auth.commands.ts';
import type { Actor, Context, Domain } from '../domain/context.ts';
import type { Logger } from '@invite/telemetry';
import type { Metrics } from '../metrics.ts';
import { handlers, type Handler } from './handlers.ts';

export interface InvitesServiceOptions {
  nc: NatsConnection;
  domain: Domain;
  logger: Logger;
  metrics: Metrics;
  /** Requests handled at once; more wait in memory for a slot. */
  concurrency: number;
}

/**
 * The `invites` NATS micro-service: one endpoint per operation, all in the queue group
 * `invites`, so replicas share the load. Each request: a concurrency slot, a fresh
 * entity manager, the caller authenticated from its own token, the body validated,
 * the domain function, and either the reply or a service error whose data is the
 * catalogue's wire error.
 */
export async function startInvitesService(options: InvitesServiceOptions): Promise<Service> {
  const { nc, domain, logger, metrics } = options;
  const service = await new Svcm(nc).add({
    name: domain.names.service,
    version: '1.0.0',
    description: 'Organisations, invites, memberships and sessions',
    queue: domain.names.service,
  });
  const slots = createLimiter(options.concurrency);
  for (const name of operationNames) {
    service.addEndpoint(name.replaceAll('.', '-'), {
      subject: domain.names.operation(name),
      metadata: { auth: operations[name].auth },
      handler: (error, msg) => {
        if (error) {
          logger.error({ err: error, operation: name }, 'endpoint failed');
          return;
        }
        void slots.run(() => answer(name, msg));
      },
    });
  }

  async function answer(name: OperationName, msg: ServiceMsg): Promise<void> {
    const started = performance.now();
    const em = domain.orm.em.fork() as EntityManager;
    let outcome = 'ok';
    const parent = msg.headers?.get('traceparent') || undefined;
    await inSpan(`${msg.subject} handle`, { kind: SpanKind.SERVER, parent, attributes: { 'messaging.system': 'nats', 'rpc.method': name } }, async (span, traceparent) => {
      try {
        const actor = await identify(name, msg, em);
        const request = parseRequest(operations[name].request, decode(msg));
        const ctx: Context = { domain, em, actor, traceparent };
        const handler = handlers[name] as Handler<OperationName>;
        const reply = await handler(ctx, request as never);
        msg.respond(JSON.stringify(reply));
      } catch (error) {
        // PostgreSQL down or restarting is not a bug: the caller may retry, and is told when.
        const unavailable = !isDomainError(error) && isDatabaseUnavailable(error);
        const domainError = isDomainError(error) ? error : unavailable ? databaseUnavailable() : new DomainError('INTERNAL');
        outcome = domainError.code;
        span.setAttribute('error.code', domainError.code);
        if (unavailable) {
          logger.warn({ err: error, operation: name }, 'database unavailable');
          markFailed(span, 'database unavailable');
        } else if (!isDomainError(error)) {
          logger.error({ err: error, operation: name }, 'operation failed');
          span.recordException(error as Error);
          markFailed(span, 'internal error');
        }
        msg.respondError(domainError.status, domainError.code, JSON.stringify(domainError.toJSON()));
      } finally {
        metrics.operationDuration.observe({ operation: name, outcome }, (performance.now() - started) / 1000);
      }
    });
  }

  async function identify(name: OperationName, msg: ServiceMsg, em: EntityManager): Promise<Actor> {
    const auth = operations[name].auth;
    const token = bearerToken(msg.headers?.get('Authorization'));
    if (!token) {
      if (auth === 'user' || auth === 'operator') throw new DomainError('UNAUTHENTICATED');
      return { kind: 'anonymous' };
    }
    if (auth === 'anyone') return { kind: 'anonymous' };
    const actor = await authenticate(domain, { em }, token);
    if (auth === 'operator' && actor.kind !== 'operator') throw new DomainError('FORBIDDEN', { detail: 'Only operators may do this' });
    if (auth !== 'operator' && actor.kind !== 'user') throw new DomainError('UNAUTHENTICATED');
    return actor;
  }

  return service;
}

function decode(msg: ServiceMsg): unknown {
  if (msg.data.length === 0) return {};
  try {
    return msg.json();
  } catch {
    throw new DomainError('VALIDATION_FAILED', { detail: 'The request body is not valid JSON' });
  }
}

/** Runs at most `limit` tasks at once; the rest wait in arrival order. */
export function createLimiter(limit: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
      active += 1;
      try {
        return await task();
      } finally {
        active -= 1;
        waiting.shift()?.();
      }
    },
  };
}
