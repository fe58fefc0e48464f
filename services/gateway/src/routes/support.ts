import type { KeyObject } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  bearerToken,
  DomainError,
  ProblemDocument,
  verifyAccessToken,
  type AccessClaims,
  type CallOptions,
  type InvitesClient,
  type NatsNames,
} from '@invite/contracts';
import type { GatewayConfig } from '../config.ts';
import type { HttpMetrics } from '../http/metrics.ts';
import { toProblem } from '../http/problem.ts';
import { traceparentFor } from '../http/trace.ts';
import { requestKeyOf, type IdempotencyStore } from '../limits/idempotency.ts';
import { clientKey, type RateLimiter } from '../limits/rate-limiter.ts';

/** What the routes need; built once by the server and passed in. */
export interface GatewayDeps {
  config: GatewayConfig;
  client: InvitesClient;
  /** The NATS connection and names: the live event streams subscribe to the event subjects. */
  nc: NatsConnection;
  names: NatsNames;
  verifyKey: KeyObject;
  /** Absent when RATE_LIMIT=off. */
  limiter: RateLimiter | undefined;
  idempotency: IdempotencyStore;
  metrics: HttpMetrics;
  /** Whether NATS is connected and the invites service answers. */
  ready(): Promise<boolean>;
}

/** Problem responses for the given statuses, for the route schemas and OpenAPI. */
export function problems(...statuses: number[]): Record<number, typeof ProblemDocument> {
  return Object.fromEntries(statuses.map((s) => [s, ProblemDocument]));
}

/** Verifies the bearer token here too, so a bad one is a 401 without a trip to the service. */
export function requireUser(deps: GatewayDeps, request: FastifyRequest): { token: string; claims: AccessClaims } {
  const token = bearerToken(request.headers.authorization);
  if (!token) throw new DomainError('UNAUTHENTICATED', { detail: 'Send an access token: Authorization: Bearer <token>' });
  const claims = verifyAccessToken(deps.verifyKey, token);
  if (claims.scope !== 'user') throw new DomainError('UNAUTHENTICATED');
  return { token, claims };
}

/** Options of a call to the invites service on behalf of `request`. */
export function callOptions(deps: GatewayDeps, request: FastifyRequest, accessToken?: string): CallOptions {
  return {
    accessToken,
    traceparent: traceparentFor(request),
    timeoutMs: deps.config.UPSTREAM_TIMEOUT_MS,
  };
}

export interface LimitRule {
  name: string;
  limit: number;
  windowMs: number;
}

/**
 * Counts the request against `rule` for its client (IPv6 per /64) and refuses it with
 * 429 RATE_LIMITED and Retry-After when over. Sets RateLimit-* headers either way.
 */
export async function enforceLimit(deps: GatewayDeps, rule: LimitRule, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (!deps.limiter) return;
  const decision = await deps.limiter.hit(rule.name, clientKey(request.ip), rule.limit, rule.windowMs);
  reply.header('ratelimit-limit', String(decision.limit));
  reply.header('ratelimit-remaining', String(decision.remaining));
  if (!decision.allowed) {
    deps.metrics.rateLimited.inc({ rule: rule.name });
    throw new DomainError('RATE_LIMITED', {
      detail: `Too many requests of this kind from your network; try again in ${decision.retryAfter} s`,
      retryAfter: decision.retryAfter,
    });
  }
}

const idempotencyKeyPattern = /^[\x21-\x7e]{1,255}$/;

/**
 * Refusals of the caller rather than of the request (no session, not a member, too low a
 * role): not kept as the key's answer, so the same key from a caller who may gets a real one.
 */
const callerRefusals = new Set<string>(['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND']);

/** What `idempotent` keys an answer by, and who may have it back. */
export interface IdempotencyScope {
  /** Caller, route and organisation: a key is never shared between them. */
  scope: string;
  /**
   * The authentication and authorisation a fresh call would pass (live session, role in
   * the org), refusing as it would. Run before any earlier answer is given, because a
   * stored answer holds accept links and the session that made it may have ended.
   */
  authorise(): Promise<unknown>;
  /** Longest `work` may take (its upstream deadline; default UPSTREAM_TIMEOUT_MS): the key's claim outlives it by a margin, then a retry may take it over. */
  deadlineMs?: number;
}

/** How much longer than its deadline a claim holds a key: the reply's way back and a busy event loop. */
const claimMarginMs = 2000;

/** Idempotency of an admin's write: a stored answer goes back only to a caller who is still an admin or owner of the org. */
export function adminScope(deps: GatewayDeps, request: FastifyRequest, token: string, scope: string, orgId: string, deadlineMs?: number): IdempotencyScope {
  return { scope, deadlineMs, authorise: () => deps.client.call('auth.check', { orgId, minimumRole: 'admin' }, callOptions(deps, request, token)) };
}

/**
 * Runs `work` once per `Idempotency-Key` (per caller and route) for 24 hours: a retry
 * with the same key and body gets the first answer again, marked `Idempotent-Replayed`.
 * Without the header, `work` just runs. `work` gets a hash of the key to hand to the
 * service, which keeps its own record: a retry whose first answer never reached this
 * store (a gateway killed after the service committed, a deadline) still gets it.
 */
export async function idempotent(
  deps: GatewayDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  { scope, authorise, deadlineMs }: IdempotencyScope,
  work: (requestKey?: string) => Promise<{ status: number; body: unknown }>,
): Promise<{ status: number; body: unknown }> {
  const header = request.headers['idempotency-key'];
  if (header === undefined) return work();
  const key = Array.isArray(header) ? header[0] : header;
  if (!key || !idempotencyKeyPattern.test(key)) {
    throw new DomainError('VALIDATION_FAILED', {
      detail: 'The Idempotency-Key header must be 1 to 255 printable characters',
      errors: [{ path: '/headers/idempotency-key', message: 'must be 1 to 255 printable ASCII characters' }],
    });
  }
  const claim = await deps.idempotency.claim(scope, key, request.body, (deadlineMs ?? deps.config.UPSTREAM_TIMEOUT_MS) + claimMarginMs);
  if (claim.kind !== 'new') await authorise();
  if (claim.kind === 'replay') {
    reply.header('idempotent-replayed', 'true');
    return claim.response;
  }
  if (claim.kind === 'in-progress') throw new DomainError('IDEMPOTENCY_IN_PROGRESS', { retryAfter: 1 });
  if (claim.kind === 'mismatch') throw new DomainError('IDEMPOTENCY_KEY_REUSED');
  try {
    const response = await work(requestKeyOf(scope, key));
    await claim.complete(response);
    return response;
  } catch (error) {
    // A client error is the answer to this request for good, unless it says when to retry
    // or is about the caller rather than the request (checked again on every retry).
    if (error instanceof DomainError && error.status < 500 && error.retryAfter === undefined && !callerRefusals.has(error.code)) {
      await claim.complete({ status: error.status, body: toProblem(error).body });
    } else {
      await claim.release();
    }
    throw error;
  }
}

/** Sends a result of `idempotent`; a replayed client error keeps its problem media type. */
export function sendResult(reply: FastifyReply, result: { status: number; body: unknown }) {
  if (result.status >= 400) reply.header('content-type', 'application/problem+json; charset=utf-8');
  return reply.code(result.status).send(result.body);
}
