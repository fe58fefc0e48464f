import { DeliveryResultEvent, InviteEvent, matches, type ConsoleEvent, type InviteStatus } from '@invite/contracts';

const statusAfter: Record<InviteEvent['type'], InviteStatus> = {
  'invite.created': 'pending',
  'invite.resent': 'pending',
  'invite.accepted': 'accepted',
  'invite.declined': 'declined',
  'invite.withdrawn': 'withdrawn',
  'invite.expired': 'expired',
};

/**
 * The console's view of a NATS event, or undefined when it is not one to show. Fields
 * are picked one by one, never spread: the encrypted token and the invitee's contact
 * details stay behind. Re-publishes (reconciler, dead-letter replay) are not news.
 */
export function toConsoleEvent(value: unknown): ConsoleEvent | undefined {
  if (matches(DeliveryResultEvent, value)) {
    return {
      id: value.id,
      type: value.type,
      orgId: value.orgId,
      inviteId: value.inviteId,
      occurredAt: value.occurredAt,
      channel: value.channel,
      attempt: value.attempt,
      error: value.error ?? null,
    };
  }
  if (!matches(InviteEvent, value)) return undefined;
  if ('redelivery' in value && value.redelivery) return undefined;
  return {
    id: value.id,
    type: value.type,
    orgId: value.orgId,
    inviteId: value.inviteId,
    occurredAt: value.occurredAt,
    status: statusAfter[value.type],
    ...('role' in value ? { role: value.role } : {}),
  };
}
