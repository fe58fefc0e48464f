// The detail panel of one invite: its delivery per channel (status, attempts for the
// current link, the last error, when sent) and its timeline from the audit log, in
// sentences, kept up to date by the live events of that invite.
import { explain } from './api.ts';
import { orgPath, type Ctx } from './context.ts';
import { h, replace } from './dom.ts';
import { dateTime } from './format.ts';
import { channelNames, channelsOf, deliveryBadge, inviteBadge, linkOnlyText } from './status.ts';
import type { InviteTimeline, TimelineEntry } from './types.ts';

export interface InviteDetail {
  el: HTMLElement;
  /** Stops following the invite's events. */
  close(): void;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** Who acted, in words. */
function who(ctx: Ctx, entry: TimelineEntry): string {
  if (entry.actor === `user:${ctx.me.user.id}`) return 'you';
  if (entry.actorName) return entry.actorName;
  if (entry.actor === 'invitee') return 'the invitee';
  if (entry.actor === 'operator') return 'an operator';
  if (entry.actor.startsWith('system')) return 'the system';
  return 'a former member';
}

/** One audit entry as a sentence. */
function sentence(ctx: Ctx, entry: TimelineEntry): string {
  const by = who(ctx, entry);
  const data = entry.data;
  const channels = Array.isArray(data.channels) ? (data.channels as string[]) : [];
  switch (entry.action) {
    case 'invite.created':
      return `Created by ${by} as ${String(data.role ?? 'member')}, ${channels.length ? `to be sent by ${channels.map((c) => (c === 'sms' ? 'SMS' : c)).join(' and ')}` : 'as a link to share (nothing sent)'}`;
    case 'invite.resent':
      return `Sent again by ${by} with a new link; the old link stopped working`;
    case 'invite.accepted':
      return `Accepted${data.newAccount === true ? ', with a new account' : ''}`;
    case 'invite.declined':
      return 'Declined by the invitee';
    case 'invite.withdrawn':
      return `Withdrawn by ${by}`;
    case 'invite.expired':
      return 'Expired: the link is no longer valid';
    case 'invite.address_code_sent':
      return 'A code to confirm the address was emailed to the invitee';
    case 'invite.address_code_failed':
      return 'A wrong confirmation code was entered';
    case 'invite.address_verified':
      return 'The invitee confirmed the email address';
    default:
      return `${entry.action.replace(/^invite\./, '').replaceAll('_', ' ')} (${by})`;
  }
}

/** The panel for `inviteId`; `onClose` runs when the person closes it. */
export function inviteDetail(ctx: Ctx, inviteId: string, onClose: () => void): InviteDetail {
  const titleId = `detail-${inviteId}`;
  const title = h('h2', { id: titleId, tabindex: -1 }, 'Invite');
  const body = h('div', {}, h('p', { role: 'status', class: 'muted' }, 'Loading…'));
  const closeButton = h('button', { type: 'button', class: 'secondary small' }, 'Close');
  closeButton.addEventListener('click', () => {
    close();
    onClose();
  });
  const el = h('section', { class: 'panel invite-detail', id: 'invite-detail', 'aria-labelledby': titleId }, h('div', { class: 'detail-head' }, title, closeButton), body);

  const show = (t: InviteTimeline) => {
    const invite = t.invite;
    title.textContent = `Invite to ${invite.email}`;
    const delivery = channelsOf(invite).map((channel) => {
      const d = invite.delivery[channel];
      return h(
        'li',
        { class: 'card', 'data-channel': channel },
        h('h4', {}, channelNames[channel], channel === 'sms' && invite.phone ? h('span', { class: 'muted nowrap' }, ` ${invite.phone}`) : null),
        h(
          'dl',
          { class: 'facts' },
          h('dt', {}, 'Status'),
          h('dd', {}, deliveryBadge(d)),
          h('dt', {}, 'Attempts'),
          h('dd', {}, `${plural(d.attempts, 'attempt', 'attempts')} for the current link`),
          h('dt', {}, 'Sent'),
          h('dd', {}, d.sentAt ? dateTime(d.sentAt) : 'Not yet'),
          d.lastError ? [h('dt', {}, 'Last error'), h('dd', { class: 'wrap' }, d.lastError)] : null,
          d.providerMessageId ? [h('dt', {}, 'Provider id'), h('dd', { class: 'wrap' }, d.providerMessageId)] : null,
        ),
      );
    });
    // Delivery is not in the audit log: the current link's sends join the timeline at their time.
    const sends = channelsOf(invite)
      .filter((c) => invite.delivery[c].sentAt)
      .map((c) => ({ at: invite.delivery[c].sentAt!, text: `Delivered by ${c === 'sms' ? 'SMS' : 'email'}` }));
    const events = [...t.entries.map((e) => ({ at: e.at, text: sentence(ctx, e) })), ...sends].sort((a, b) => a.at.localeCompare(b.at));
    replace(
      body,
      h(
        'p',
        { class: 'meta' },
        inviteBadge(invite.status),
        ` ${invite.role} · created ${dateTime(invite.createdAt)} · ${invite.status === 'pending' ? `expires ${dateTime(invite.expiresAt)}` : `closed ${dateTime(invite.closedAt)}`}`,
      ),
      invite.message ? h('p', { class: 'wrap' }, `Message: “${invite.message}”`) : null,
      invite.redirectUrl ? h('p', { class: 'wrap', id: 'detail-redirect' }, `After accepting, goes to ${invite.redirectUrl}`) : null,
      h('h3', {}, 'Delivery'),
      delivery.length ? h('ul', { class: 'cards channels' }, delivery) : h('p', { class: 'muted' }, `${linkOnlyText}: nothing is sent; the link was shared by whoever created the invite.`),
      h('h3', {}, 'Timeline'),
      h(
        'ol',
        { class: 'timeline' },
        events.map((e) => h('li', {}, h('time', { datetime: e.at }, dateTime(e.at)), h('span', {}, e.text))),
      ),
    );
  };

  let reading = false;
  let again = false;
  const read = async (): Promise<void> => {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      show(await ctx.api.get<InviteTimeline>(orgPath(ctx, `/invites/${inviteId}/timeline`)));
    } catch (error) {
      replace(body, h('p', { class: 'error', role: 'alert' }, explain(error)));
    } finally {
      reading = false;
      if (again) {
        again = false;
        void read();
      }
    }
  };
  const unsubscribe = ctx.live.subscribe((event) => {
    if (event.inviteId === inviteId) void read();
  });
  const close = () => {
    unsubscribe();
    el.remove();
  };
  void read().then(() => title.focus());
  return { el, close };
}
