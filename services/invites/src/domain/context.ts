import type { KeyObject } from 'node:crypto';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { NatsNames, TokenCipher } from '@invite/contracts';
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

/** Everything the domain needs, built once in `main` and passed down explicitly. */
export interface Domain {
  orm: MikroORM;
  config: InvitesConfig;
  names: NatsNames;
  cipher: TokenCipher;
  signingKey: KeyObject;
  verifyKey: KeyObject;
}

/** One command or query: a forked entity manager, the caller and its trace context. */
export interface Context {
  domain: Domain;
  em: EntityManager;
  actor: Actor;
  traceparent: string | undefined;
}

/** Runs `work` in one transaction on a fresh fork; commits on return, rolls back on throw. */
export function inTransaction<T>(ctx: Context, work: (tx: Context) => Promise<T>): Promise<T> {
  return inSpan('postgresql transaction', { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql' } }, () =>
    ctx.em.transactional((em) => work({ ...ctx, em: em as EntityManager })),
  );
}
