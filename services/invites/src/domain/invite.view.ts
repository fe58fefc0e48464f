import type { ChannelDelivery, InviteView } from '@invite/contracts';
import type { Invite } from '../db/entities.ts';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/** What a view or an event reads of an invite: an entity, or the fields of one about to be written. */
export type InviteFields = Omit<Invite, 'tokenHash' | 'sealedToken' | 'emailUpdatedAt' | 'smsUpdatedAt'>;

export function toInviteView(invite: InviteFields): InviteView {
  return {
    id: invite.id,
    orgId: invite.orgId,
    email: invite.email,
    phone: invite.phone ?? null,
    role: invite.role,
    status: invite.status,
    locale: invite.locale,
    message: invite.message ?? null,
    invitedBy: invite.invitedBy ?? null,
    tokenVersion: invite.tokenVersion,
    expiresAt: invite.expiresAt.toISOString(),
    createdAt: invite.createdAt.toISOString(),
    sentAt: invite.sentAt.toISOString(),
    closedAt: iso(invite.acceptedAt ?? invite.declinedAt ?? invite.withdrawnAt ?? invite.expiredAt),
    acceptedUserId: invite.acceptedUserId ?? null,
    channels: [...invite.channels],
    delivery: {
      email: channelView(invite.emailStatus, invite.emailAttempts, invite.emailLastError, invite.emailSentAt, invite.emailProviderId),
      sms: channelView(invite.smsStatus, invite.smsAttempts, invite.smsLastError, invite.smsSentAt, invite.smsProviderId),
    },
    redirectUrl: invite.redirectUrl ?? null,
  };
}

function channelView(
  status: ChannelDelivery['status'],
  attempts: number,
  lastError: string | null | undefined,
  sentAt: Date | null | undefined,
  providerMessageId: string | null | undefined,
): ChannelDelivery {
  return { status, attempts, lastError: lastError ?? null, sentAt: iso(sentAt), providerMessageId: providerMessageId ?? null };
}
