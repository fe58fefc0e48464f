import { parse, uuidv7, AccountEmailEvent, InviteEvent, type AccountEmailType, type InviteEventType } from '@invite/contracts';
import { AuditEntry, OutboxMessage } from '../db/entities.ts';
import { actorLabel, type Context } from './context.ts';

/**
 * Every state change goes through here, inside the command's transaction (or its one
 * statement): its audit entry and its outbox event are written with the change or not
 * at all (invariant 7).
 */

/** An `audit_log` row, for statements that insert it themselves. */
export interface AuditRow {
  id: string;
  org_id: string;
  actor: string;
  action: string;
  target: string;
  data: Record<string, unknown>;
  at: string;
}

/** An `outbox` row, for statements that insert it themselves. */
export interface OutboxRow {
  id: string;
  subject: string;
  payload: InviteEvent;
  headers: Record<string, string>;
  created_at: string;
}

export function auditRow(ctx: Context, orgId: string, action: string, target: string, data: Record<string, unknown> = {}, at = new Date()): AuditRow {
  return { id: uuidv7(), org_id: orgId, actor: actorLabel(ctx.actor), action, target, data, at: at.toISOString() };
}

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

/** The outbox row of an event, checked against its schema, on the subject of its type. */
export function outboxRow(ctx: Context, event: InviteEvent, at = new Date()): OutboxRow {
  const checked = parse(InviteEvent, event, 'The event');
  const headers: Record<string, string> = {};
  if (ctx.traceparent) headers.traceparent = ctx.traceparent;
  return { id: checked.id, subject: ctx.domain.names.inviteEvent(subjectOf[checked.type]), payload: checked, headers, created_at: at.toISOString() };
}

/** Queues an event in the outbox; the relay publishes it after commit. */
export function enqueueEvent(ctx: Context, event: InviteEvent): void {
  const row = outboxRow(ctx, event);
  ctx.em.create(OutboxMessage, { id: row.id, subject: row.subject, payload: row.payload as unknown as Record<string, unknown>, headers: row.headers });
}

const accountEmailSubject: Record<AccountEmailEvent['type'], AccountEmailType> = {
  'invite.address-code': 'address-code',
  'join.address-code': 'address-code',
  'account.password-reset': 'password-reset',
};

/** Queues an account email (checked against its schema) in the outbox, like an invite event. */
export function enqueueAccountEmail(ctx: Context, event: AccountEmailEvent): void {
  const checked = parse(AccountEmailEvent, event, 'The event');
  const headers: Record<string, string> = {};
  if (ctx.traceparent) headers.traceparent = ctx.traceparent;
  const subject = ctx.domain.names.accountEmail(accountEmailSubject[checked.type]);
  ctx.em.create(OutboxMessage, { id: checked.id, subject, payload: checked as unknown as Record<string, unknown>, headers });
}

/** Inserts audit rows from a `jsonb` parameter: `insert into audit_log ${auditInsert}` … */
export const auditColumns = `(id, org_id, actor, action, target, data, at)`;
export const auditRecordset = `jsonb_to_recordset(?::jsonb) as a(id uuid, org_id uuid, actor text, action text, target text, data jsonb, at timestamptz)`;
export const outboxColumns = `(id, subject, payload, headers, created_at)`;
export const outboxRecordset = `jsonb_to_recordset(?::jsonb) as e(id uuid, subject text, payload jsonb, headers jsonb, created_at timestamptz)`;

/** Fields every invite event carries. */
export function eventBase(orgId: string, inviteId: string, now = new Date()) {
  return { id: uuidv7(), occurredAt: now.toISOString(), orgId, inviteId };
}
