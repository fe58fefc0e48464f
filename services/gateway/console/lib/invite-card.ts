// The live card of an invite just sent: created, then per channel queued → sent (or
// failed, retrying, gave up), updated in place and announced to screen readers.
import { announce, h, replace } from './dom.ts';
import { dateTime } from './format.ts';
import { channelNames, channelsOf, deliveryBadge, deliveryText, inviteBadge, inviteText, linkOnlyText } from './status.ts';
import type { InviteView } from './types.ts';

export interface InviteCard {
  el: HTMLElement;
  update(invite: InviteView): void;
}

export function inviteCard(first: InviteView): InviteCard {
  const steps = h('ol', { class: 'steps', 'aria-label': 'Progress' });
  const el = h('li', { class: 'card', 'data-invite-id': first.id });
  let last: InviteView | null = null;

  const render = (invite: InviteView) => {
    replace(
      el,
      h('h3', {}, invite.email),
      h('p', { class: 'meta' }, `${invite.role} · created ${dateTime(invite.createdAt)}`, invite.phone ? ' · ' : null, invite.phone ? h('span', { class: 'nowrap' }, invite.phone) : null),
      steps,
    );
    replace(
      steps,
      h('li', { 'data-step': 'invite' }, h('span', {}, 'Invite:'), inviteBadge(invite.status)),
      channelsOf(invite).map((channel) =>
        h('li', { 'data-channel': channel }, h('span', {}, `${channelNames[channel]}:`), deliveryBadge(invite.delivery[channel])),
      ),
      channelsOf(invite).length === 0 ? h('li', { 'data-channel': 'none' }, h('span', { class: 'muted' }, `${linkOnlyText}: nothing is sent; share the link yourself.`)) : null,
    );
  };

  const update = (invite: InviteView) => {
    const changes: string[] = [];
    if (last && last.status !== invite.status) changes.push(`invite ${inviteText(invite.status).toLowerCase()}`);
    for (const channel of channelsOf(invite)) {
      if (last && last.delivery[channel].status !== invite.delivery[channel].status) {
        changes.push(`${channelNames[channel]} ${deliveryText(invite.delivery[channel]).toLowerCase()}`);
      }
    }
    last = invite;
    render(invite);
    if (changes.length) announce(`${invite.email}: ${changes.join(', ')}`);
  };

  update(first);
  return { el, update };
}

/** The accept link, shown once, with a copy button. */
export function linkPanel(title: string, url: string): HTMLElement {
  const id = `link-${Math.random().toString(36).slice(2, 8)}`;
  const input = h('input', { id, type: 'text', readonly: true, value: url, 'aria-describedby': `${id}-hint` });
  const result = h('span', { role: 'status', class: 'success' });
  const copy = h('button', { type: 'button', class: 'secondary' }, 'Copy link');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(url);
      result.textContent = 'Copied';
    } catch {
      input.select();
      result.textContent = 'Select the link and copy it with Ctrl+C';
    }
    setTimeout(() => (result.textContent = ''), 4000);
  });
  return h(
    'section',
    { class: 'panel link-panel', 'aria-labelledby': `${id}-title` },
    h('h2', { id: `${id}-title`, tabindex: -1 }, title),
    h('p', { id: `${id}-hint`, class: 'hint' }, 'This link is shown only this once. Anyone with it can accept the invite: share it only with the invitee.'),
    h('label', { for: id, class: 'visually-hidden' }, 'Accept link'),
    h('div', { class: 'link-box' }, input, copy, result),
  );
}
