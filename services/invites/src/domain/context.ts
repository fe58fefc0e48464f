import type { KeyObject } from 'node:crypto';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { AddressProofs, NatsNames, TokenCipher } from '@invite/contracts';
import { inSpan, SpanKind } from '@invite/telemetry';
import type { InvitesConfig } from '../config.ts';

/** Who is calling. Established by the service from a verified token, never taken from the request body. */
export type Actor =
  | { kind: 'user'; userId: string; sessionId: string | undefined }
  | { kind: 'operator' }
  | { kind: 'anonymous' }
  | { kind: 'system'; name: string };

/** How an actor is written in the audit log and in events. */
export function actorLabel(actor: Actor): string {
  switch (actor.kind) {
    case 'user':
      return `user:${actor.userId}`;
    case 'operator':
      return 'operator';
    case 'anonymous':
      return 'invitee';
    case 'system':
      return `system:${actor.name}`;
  }
}

/**
 * What happened to invites, for the business counters (`invites_created_total`, …).
 * Told only after the transaction committed, so a rollback counts nothing.
 */
export interface BusinessCounters {
  created(count: number): void;
  accepted(secondsToAccept: number): void;
  withdrawn(): void;
  expired(count: number): void;
}

/** Counts nothing: the admin CLI and tests that build a domain without metrics. */
export const noCounters: BusinessCounters = { created() {}, accepted() {}, withdrawn() {}, expired() {} };

/** Everything the domain needs, built once in `main` and passed down explicitly. */
export interface Domain {
  orm: MikroORM;
  config: InvitesConfig;
  names: NatsNames;
  cipher: TokenCipher;
  /** Address proofs of invite links: checked on lookup and accept, handed out for a confirmed code. */
  proofs: AddressProofs;
  signingKey: KeyObject;
  verifyKey: KeyObject;
  counters: BusinessCounters;
}

/** One command or query: a forked entity manager, the caller and its trace context. */
export interface Context {
  domain: Domain;
  em: EntityManager;
  actor: Actor;
  traceparent: string | undefined;
  /** Set inside `inTransaction`: queues work to run once the outermost transaction has committed. */
  afterCommit?: (task: () => void) => void;
}

/**
 * Runs `work` in one transaction on a fresh fork; commits on return, rolls back on throw.
 * Inside another `inTransaction` it joins that transaction, and its after-commit tasks
 * wait for the outer commit.
 */
export async function inTransaction<T>(ctx: Context, work: (tx: Context) => Promise<T>): Promise<T> {
  if (ctx.afterCommit) return ctx.em.transactional((em) => work({ ...ctx, em: em as EntityManager }));
  const committed: (() => void)[] = [];
  const result = await transactionSpan(() =>
    ctx.em.transactional((em) => work({ ...ctx, em: em as EntityManager, afterCommit: (task) => committed.push(task) })),
  );
  for (const task of committed) task();
  return result;
}

function transactionSpan<T>(work: () => Promise<T>): Promise<T> {
  return inSpan('postgresql transaction', { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql' } }, work);
}

/**
 * Runs `work`, one statement that is a transaction of its own (outside `inTransaction`)
 * or part of the caller's, traced like a transaction.
 */
export function inStatement<T>(ctx: Context, work: () => Promise<T>): Promise<T> {
  return ctx.afterCommit ? work() : transactionSpan(work);
}

/**
 * Runs `task` after the current transaction commits. Outside `inTransaction` (a caller
 * that manages its own transaction) the task is dropped: that caller counts for itself.
 */
export function afterCommit(ctx: Context, task: () => void): void {
  ctx.afterCommit?.(task);
}

/**
 * Runs `task` once the work just done is committed: after the transaction when inside
 * `inTransaction`, now when that work was a statement of its own (committed already).
 */
export function whenCommitted(ctx: Context, task: () => void): void {
  if (ctx.afterCommit) ctx.afterCommit(task);
  else task();
}
