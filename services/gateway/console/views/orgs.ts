// "Your organisations": every organisation the signed-in person belongs to, their role
// there, and leaving it. The whole console for someone who administers none of them.
import { explain, type Api } from '../lib/api.ts';
import type { Ctx, View } from '../lib/context.ts';
import { h, replace } from '../lib/dom.ts';
import { dateTime } from '../lib/format.ts';
import { renderInboxPanel } from '../lib/inbox-panel.ts';
import type { MeView, Role } from '../lib/types.ts';

const roleNames: Record<Role, string> = { owner: 'Owner', admin: 'Admin', member: 'Member' };

export interface MembershipsDeps {
  api: Api;
  me: MeView;
  confirm: Ctx['confirm'];
  /** Reads the account again and shows the console as it now is. */
  reload(): Promise<void>;
}

/**
 * Fills `main` with the caller's organisations and the invitations waiting for them;
 * `managesNone` adds why the rest of the console is not there.
 */
export function renderMemberships(main: HTMLElement, deps: MembershipsDeps, managesNone: boolean): void {
  let me = deps.me;
  const status = h('p', { id: 'orgs-status', role: 'status', tabindex: -1 });
  const cards = h('ul', { class: 'cards', id: 'my-orgs' });
  const notice = h('div', {});
  const invitations = h('section', { class: 'invitations', id: 'invitations', hidden: true });

  function showMemberships(): void {
    replace(notice,
      managesNone && me.memberships.length > 0
        ? h(
            'p',
            { class: 'notice', id: 'member-notice' },
            'You are a member here, not an admin: inviting people and managing members is for admins and owners. Ask an owner to make you an admin if you need to.',
          )
        : null,
      me.memberships.length === 0
        ? h('p', { class: 'notice', id: 'member-notice' }, invitations.hidden ? 'You do not belong to any organisation. To join one, open the invite link you were sent.' : 'You do not belong to any organisation yet: answer your invitations below.')
        : null,
    );
    cards.hidden = me.memberships.length === 0;
    replace(cards, me.memberships.map(card));
  }

  function card(membership: MeView['memberships'][number]): HTMLLIElement {
    const leave = h('button', { type: 'button', class: 'danger small', 'aria-label': `Leave ${membership.orgName}` }, 'Leave');
    leave.addEventListener('click', async () => {
      const text = `You will no longer belong to ${membership.orgName}; to come back you need a new invite.`;
      if (!(await deps.confirm(`Leave ${membership.orgName}?`, text, 'Leave'))) return;
      leave.disabled = true;
      try {
        await deps.api.del<void>(`/v1/orgs/${membership.orgId}/members/${me.user.id}`);
        status.className = 'success';
        status.textContent = `You left ${membership.orgName}.`;
        await deps.reload();
      } catch (error) {
        status.className = 'error';
        status.textContent = `${membership.orgName}: ${explain(error)}`;
        leave.disabled = false;
        status.focus();
      }
    });
    return h(
      'li',
      { class: 'card', 'data-org-id': membership.orgId },
      h('h2', { class: 'card-title' }, membership.orgName),
      h('p', { class: 'meta' }, `${roleNames[membership.role]} · since ${dateTime(membership.createdAt)}`),
      h('div', { class: 'table-actions' }, leave),
    );
  }

  /** After joining from an invitation: the organisations are read again, and the console offers to open it. */
  async function joined(): Promise<void> {
    try {
      me = await deps.api.get<MeView>('/v1/me');
    } catch {
      return;
    }
    showMemberships();
    if (managesNone && me.memberships.some((m) => m.role !== 'member')) {
      const open = h('button', { type: 'button', class: 'small', id: 'open-console' }, 'Open the console');
      open.addEventListener('click', () => void deps.reload());
      status.className = 'success';
      replace(status, 'You can now manage an organisation. ', open);
    }
  }

  showMemberships();
  replace(main, h('h1', { tabindex: -1 }, 'Your organisations'), h('p', {}, `Signed in as ${me.user.name} (${me.user.email}).`), notice, cards, invitations, status);
  void renderInboxPanel(invitations, { api: deps.api, confirm: deps.confirm, onJoined: joined }).then((count) => {
    if (count > 0 && me.memberships.length === 0) showMemberships();
  });
}

/** The page in the console's navigation, for admins and owners. */
export const view: View = (ctx: Ctx, main: HTMLElement) => {
  renderMemberships(main, { api: ctx.api, me: ctx.me, confirm: ctx.confirm, reload: ctx.reload }, false);
};
