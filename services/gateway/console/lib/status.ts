// Words and tones for invite and delivery states, shared by every view.
import { h } from './dom.ts';
import type { Channel, ChannelDelivery, DeliveryStatus, InviteStatus, InviteView } from './types.ts';

type Tone = 'ok' | 'bad' | 'wait' | 'none';

const deliveryWords: Record<DeliveryStatus, [string, Tone]> = {
  queued: ['Queued', 'wait'],
  sent: ['Sent', 'ok'],
  failed: ['Failed, retrying', 'bad'],
  dead: ['Failed', 'bad'],
  skipped: ['Not sent', 'none'],
};

const inviteWords: Record<InviteStatus, [string, Tone]> = {
  pending: ['Pending', 'wait'],
  accepted: ['Accepted', 'ok'],
  declined: ['Declined', 'none'],
  withdrawn: ['Withdrawn', 'none'],
  expired: ['Expired', 'none'],
};

export const channelNames: Record<Channel, string> = { email: 'Email', sms: 'SMS' };

export function deliveryText(delivery: ChannelDelivery): string {
  return deliveryWords[delivery.status][0];
}

/** A badge with the delivery state and, for failures, the attempt and the provider's error. */
export function deliveryBadge(delivery: ChannelDelivery): HTMLElement {
  const [text, tone] = deliveryWords[delivery.status];
  const detail =
    delivery.status === 'failed' || delivery.status === 'dead'
      ? `${delivery.attempts} attempt${delivery.attempts === 1 ? '' : 's'}${delivery.lastError ? `: ${delivery.lastError}` : ''}`
      : // Not sent: why (the channel is not set up here, the invite closed first).
        delivery.status === 'skipped' && delivery.lastError
        ? delivery.lastError
        : null;
  return h('span', {}, h('span', { class: 'badge', 'data-tone': tone }, text), detail ? h('span', { class: 'muted' }, ` ${detail}`) : null);
}

export function inviteBadge(status: InviteStatus): HTMLElement {
  const [text, tone] = inviteWords[status];
  return h('span', { class: 'badge', 'data-tone': tone }, text);
}

export function inviteText(status: InviteStatus): string {
  return inviteWords[status][0];
}

/** Channels the invite is delivered on; none for a link the inviter shares themselves. */
export function channelsOf(invite: InviteView): Channel[] {
  return (['email', 'sms'] as const).filter((c) => invite.channels.includes(c));
}

/** The words for an invite that is sent on no channel. */
export const linkOnlyText = 'Link only';

/** Nothing more will change by itself: every channel settled, or the invite closed. */
export function settled(invite: InviteView): boolean {
  if (invite.status !== 'pending') return true;
  return channelsOf(invite).every((c) => ['sent', 'dead', 'skipped'].includes(invite.delivery[c].status));
}
