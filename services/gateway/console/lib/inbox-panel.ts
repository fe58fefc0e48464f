// "Invitations for you": the signed-in person's pending invites from every organisation
// (GET /v1/me/invites), accepted or declined here without their links. Shown on
// "Your organisations", which is the whole console for someone who administers none.
import { explain, type Api } from './api.ts';
import { h, replace } from './dom.ts';
import { dateTime } from './format.ts';
import type { InboxAcceptReply, InboxInvite, InboxPage, Role } from './types.ts';

const roleNames: Record<Role, string> = { owner: 'an owner', admin: 'an admin', member: 'a member' };

export interface InboxPanelDeps {
  api: Api;
  /** Asks in the page's modal dialog; resolves true on confirm. */
  confirm(title: string, text: string, confirmLabel: string): Promise<boolean>;
  /** After joining: the memberships shown beside the panel are read again. */
  onJoined(reply: InboxAcceptReply): void | Promise<void>;
}

/**
 * Where an accept reply may lead: an absolute https URL (http only to this machine, for
 * development). Anything else (javascript:, data:) is never turned into a link.
 */
export function safeRedirect(url: string | null | undefined): URL | null {
  if (!url) return null;
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return null;
  }
  if (target.username || target.password) return null;
  if (target.protocol === 'https:') return target;
  if (target.protocol === 'http:' && ['localhost', '127.0.0.1'].includes(target.hostname)) return target;
  return null;
}

/** How many invitations are waiting (up to 100), for the navigation; 0 when they cannot be read. */
export async function pendingInvitations(api: Api): Promise<number> {
  try {
    return (await api.get<InboxPage>('/v1/me/invites?limit=100')).items.length;
  } catch {
    return 0;
  }
}

/** Fills `panel` with the invitations, or leaves it empty and hidden when there are none. */
export async function renderInboxPanel(panel: HTMLElement, deps: InboxPanelDeps): Promise<number> {
  let page: InboxPage;
  try {
    page = await deps.api.get<InboxPage>('/v1/me/invites?limit=100');
  } catch (error) {
    replace(panel, h('h2', {}, 'Invitations for you'), h('p', { class: 'error', role: 'alert' }, explain(error)));
    panel.hidden = false;
    return 0;
  }
  const list = h('ul', { class: 'cards', id: 'my-invitations' }, page.items.map((invite) => card(invite, deps)));
  replace(
    panel,
    h('h2', { id: 'invitations-title' }, 'Invitations for you'),
    h('p', { class: 'meta' }, 'Organisations that invited you by email. Answer here; no link needed.'),
    list,
  );
  panel.setAttribute('aria-labelledby', 'invitations-title');
  panel.hidden = page.items.length === 0;
  return page.items.length;
}

function card(invite: InboxInvite, deps: InboxPanelDeps): HTMLLIElement {
  const outcome = h('p', { class: 'outcome', role: 'status' });
  const accept = h('button', { type: 'button', class: 'small', 'aria-label': `Accept the invitation to ${invite.org.name}` }, 'Accept');
  const decline = h('button', { type: 'button', class: 'secondary small', 'aria-label': `Decline the invitation to ${invite.org.name}` }, 'Decline');
  const actions = h('div', { class: 'table-actions' }, accept, decline);
  const item = h(
    'li',
    { class: 'card', 'data-invite-id': invite.id },
    h('h3', { class: 'card-title' }, invite.org.name),
    h('p', { class: 'meta' }, `As ${roleNames[invite.role]} · invited by ${invite.inviterName ?? 'the organisation'} · expires ${dateTime(invite.expiresAt)}`),
    invite.message ? h('blockquote', { class: 'invite-message' }, invite.message) : null,
    actions,
    outcome,
  );
  const say = (text: string, isError = false) => {
    outcome.className = `outcome ${isError ? 'error' : 'success'}`;
    outcome.setAttribute('role', isError ? 'alert' : 'status');
    outcome.textContent = text;
  };

  accept.addEventListener('click', async () => {
    accept.disabled = decline.disabled = true;
    try {
      const reply = await deps.api.post<InboxAcceptReply>(`/v1/me/invites/${encodeURIComponent(invite.id)}/accept`, {});
      actions.remove();
      say(`You joined ${reply.membership.orgName} as ${roleNames[reply.membership.role]}.`);
      const target = safeRedirect(reply.redirectUrl);
      if (target) outcome.append(' ', h('a', { href: target.href, rel: 'noopener noreferrer', class: 'continue-link' }, `Continue to ${target.host}`));
      await deps.onJoined(reply);
    } catch (error) {
      accept.disabled = decline.disabled = false;
      say(explain(error), true);
    }
  });

  decline.addEventListener('click', async () => {
    const text = `${invite.org.name} sees that you declined, and the invitation stops working. To join later, someone has to invite you again.`;
    if (!(await deps.confirm(`Decline the invitation to ${invite.org.name}?`, text, 'Decline'))) return;
    accept.disabled = decline.disabled = true;
    try {
      await deps.api.post(`/v1/me/invites/${encodeURIComponent(invite.id)}/decline`, {});
      actions.remove();
      say(`You declined the invitation to ${invite.org.name}.`);
    } catch (error) {
      accept.disabled = decline.disabled = false;
      say(explain(error), true);
    }
  });
  return item;
}
