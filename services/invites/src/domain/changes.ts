import { parse, uuidv7, InviteEvent, type InviteEventType } from '@invite/contracts';
import { AuditEntry, OutboxMessage } from '../db/entities.ts';
import { actorLabel, type Context } from './context.ts';

/**
 * Every state change goes through here, inside the command's transaction: its audit
 * entry and its outbox event are written with the change or not at all (invariant 7).
 */
export function recordAudit(ctx: Context, orgId: string, action: string, target: string, data: Record<string, unknown> = {}): void {
  ctx.em.create(AuditEntry, { orgId, actor: actorLabel(ctx.actor), action, target, data });
}

const subjectOf: Record<InviteEvent['type'], InviteEventType> = {
  'invite.created': 'created',
  'invite.resent': 'resent',
  'invite.accepted': 'accepted',
  'invite.declined': 'declined',
  'invite.withdrawn': 'withdrawn',
  'invite.expired': 'expired',
};

/** Queues an event in the outbox, on the subject of its type; the relay publishes it after commit. */
export function enqueueEvent(ctx: Context, event: InviteEvent): void {
  const checked = parse(InviteEvent, event, 'The event');
  const type = subjectOf[checked.type];
  const headers: Record<string, string> = {};
  if (ctx.traceparent) headers.traceparent = ctx.traceparent;
  ctx.em.create(OutboxMessage, {
    id: checked.id,
    subject: ctx.domain.names.inviteEvent(type),
    payload: checked as unknown as Record<string, unknown>,
    headers,
  });
}

/** Fields every invite event carries. */
export function eventBase(orgId: string, inviteId: string, now = new Date()) {
  return { id: uuidv7(), occurredAt: now.toISOString(), orgId, inviteId };
}
