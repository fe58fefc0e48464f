import { parse, uuidv7, OrgEvent, type OrgEventType } from '@invite/contracts';
import { OutboxMessage } from '../db/entities.ts';
import { actorLabel, type Context } from './context.ts';

const subjectOf: Record<OrgEvent['type'], OrgEventType> = {
  'member.role-changed': 'member-role-changed',
  'member.removed': 'member-removed',
  'org.ownership-transferred': 'ownership-transferred',
  'org.seats-changed': 'seats-changed',
  'member.joined': 'member-joined',
};

/** Fields every organisation event carries. */
export function orgEventBase(ctx: Context, orgId: string, now = new Date()) {
  return { id: uuidv7(), occurredAt: now.toISOString(), orgId, actor: actorLabel(ctx.actor) };
}

/** Queues an organisation event (checked against its schema) in the outbox, in the caller's transaction. */
export function enqueueOrgEvent(ctx: Context, event: OrgEvent): void {
  const checked = parse(OrgEvent, event, 'The event');
  const headers: Record<string, string> = {};
  if (ctx.traceparent) headers.traceparent = ctx.traceparent;
  const subject = ctx.domain.names.orgEvent(subjectOf[checked.type]);
  ctx.em.create(OutboxMessage, { id: checked.id, subject, payload: checked as unknown as Record<string, unknown>, headers });
}
