import { errors, headers, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import { inSpan, SpanKind } from '@invite/telemetry';
import { DomainError } from './errors.ts';
import { operations, type ReplyOf, type RequestOf } from './operations.ts';
import type { NatsNames, OperationName } from './subjects.ts';
import { parse } from './validation.ts';

export interface CallOptions {
  /** The caller's access token; travels as `Authorization: Bearer …`. */
  accessToken?: string | undefined;
  /** W3C trace context of the caller. */
  traceparent?: string | undefined;
  /** Deadline of the request, in milliseconds (default 5000). */
  timeoutMs?: number;
}

export interface InvitesClient {
  call<N extends OperationName>(operation: N, request: RequestOf<N>, options?: CallOptions): Promise<ReplyOf<N>>;
}

/**
 * NATS_URL as nats.js takes it: one server, or a cluster's servers comma-separated. nats.js
 * reads a string as a single URL, so `nats://a:4222,nats://b:4222` failed to connect
 * ("connection refused") instead of trying each server of the cluster.
 */
export function natsServers(servers: string): string[] {
  return servers
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Options of a service process's NATS connection: every server of NATS_URL, reconnects
 * for as long as the process lives, and nats.js keeps no async stack traces (it would
 * build an Error on every request, publish and KV call to keep the caller's stack: a few
 * per cent of a service's CPU under load, for stacks that only a debugging session reads).
 */
export function serviceConnectionOptions(servers: string, name: string): NodeConnectionOptions {
  return { servers: natsServers(servers), name, maxReconnectAttempts: -1, noAsyncTraces: true };
}

/** Header names of NATS micro-service errors. */
const serviceErrorCode = 'Nats-Service-Error-Code';

/**
 * Typed request/reply client of the invites service. Both ends validate: the request
 * before it leaves, the reply when it arrives. Failures come back as DomainError:
 * the service's own, SERVICE_UNAVAILABLE when nothing answers, UPSTREAM_TIMEOUT at the deadline.
 */
export function createInvitesClient(nc: NatsConnection, names: NatsNames): InvitesClient {
  return {
    async call(operation, request, options = {}) {
      const contract = operations[operation];
      parse(contract.request, request);
      const subject = names.operation(operation);
      const reply = await inSpan(
        `${subject} request`,
        { kind: SpanKind.CLIENT, parent: options.traceparent, attributes: { 'messaging.system': 'nats', 'rpc.method': operation } },
        async (_span, traceparent) => {
          const h = headers();
          if (options.accessToken) h.set('Authorization', `Bearer ${options.accessToken}`);
          if (traceparent) h.set('traceparent', traceparent);
          try {
            return await nc.request(subject, JSON.stringify(request), { timeout: options.timeoutMs ?? 5000, headers: h });
          } catch (error) {
            if (error instanceof errors.RequestError && error.isNoResponders()) {
              throw new DomainError('SERVICE_UNAVAILABLE', { detail: 'The invites service is not running', retryAfter: 2 });
            }
            if (error instanceof errors.TimeoutError) throw new DomainError('UPSTREAM_TIMEOUT');
            throw new DomainError('SERVICE_UNAVAILABLE', { detail: 'The message bus is unavailable', retryAfter: 2 });
          }
        },
      );
      if (reply.headers?.get(serviceErrorCode)) {
        let wire: unknown;
        try {
          wire = reply.json();
        } catch {
          wire = undefined;
        }
        throw DomainError.fromWire(wire);
      }
      return parse(contract.reply, reply.json(), 'The reply of the invites service') as ReplyOf<typeof operation>;
    },
  };
}
