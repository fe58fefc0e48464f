// Members of the organisation and its seats: change a role, remove someone or leave,
// hand over ownership, and (owners) the seat limit. The buttons shown follow the rules
// the invites service enforces; its refusals are shown as it words them.
import { explain } from '../lib/api.ts';
import { orgPath, type Ctx, type View } from '../lib/context.ts';
import { announce, cell, fieldError, h, replace, table } from '../lib/dom.ts';
import { count, dateTime } from '../lib/format.ts';
import type { MemberPage, MemberView, OrgView, OwnershipTransferred, Role, UsageView } from '../lib/types.ts';

const roleNames: Record<Role, string> = { owner: 'Owner', admin: 'Admin', member: 'Member' };
const roleWords: Record<Role, string> = {
  owner: 'Owners manage everyone, the seats and the organisation.',
  admin: 'Admins invite people and manage admins and members.',
  member: 'Members belong to the organisation; they do not manage it.',
};
const anOrA = (role: Role) => (role === 'owner' || role === 'admin' ? `an ${role}` : `a ${role}`);

export const view: View = (ctx: Ctx, main: HTMLElement) => {
  const mine = ctx.org.role;
  const myId = ctx.me.user.id;
  const orgName = ctx.org.orgName;
  const rows = new Map<string, { member: MemberView; tr: HTMLTableRowElement }>();
  let cursor: string | null = null;

  const usage = h('dl', { class: 'kpis', id: 'usage' });
  const { el, body } = table('Members', ['Name', 'Email', 'Role', 'Joined', 'Actions'], { hiddenCaption: true });
  el.id = 'members-table';
  const listStatus = h('p', { role: 'status', class: 'muted' }, 'Loading…');
  const actionStatus = h('p', { id: 'member-action-status', role: 'status' });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');

  const say = (text: string, tone: 'success' | 'error') => {
    actionStatus.className = tone;
    actionStatus.textContent = text;
  };

  const showUsage = (u: UsageView | OrgView) => {
    const kpi = (label: string, value: number) => h('div', {}, h('dt', {}, label), h('dd', {}, count(value)));
    replace(usage, kpi('Seats', u.seatLimit), kpi('Members', u.members), kpi('Pending invites', u.pendingInvites), kpi('Seats available', u.available));
    seatInput.placeholder = String(u.seatLimit);
    if (document.activeElement !== seatInput) seatInput.value = String(u.seatLimit);
  };
  const refreshUsage = () =>
    ctx.api
      .get<UsageView>(orgPath(ctx, '/usage'))
      .then(showUsage)
      .catch(() => undefined);

  // The seat limit: owners only.
  const seatInput = h('input', { id: 'seat-limit', name: 'seatLimit', type: 'number', min: 1, max: 1000000, step: 1, inputmode: 'numeric', required: true });
  const seatStatus = h('p', { id: 'seat-status', role: 'status' });
  const seatForm = h(
    'form',
    { class: 'seat-form', novalidate: true, 'aria-labelledby': 'seat-title' },
    h('h2', { id: 'seat-title' }, 'Seat limit'),
    h('p', { class: 'hint', id: 'seat-hint' }, 'Members plus pending invites may not exceed it. It cannot go below the seats in use.'),
    h('label', { for: 'seat-limit' }, 'Number of seats'),
    h('div', { class: 'inline-form' }, seatInput, h('button', { type: 'submit' }, 'Change seat limit')),
    seatStatus,
  );
  seatInput.setAttribute('aria-describedby', 'seat-hint');
  seatForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const seatLimit = Number(seatInput.value);
    if (!Number.isInteger(seatLimit) || seatLimit < 1 || seatLimit > 1_000_000) {
      fieldError(seatInput, 'Enter a whole number of seats from 1 to 1,000,000.');
      seatInput.focus();
      return;
    }
    fieldError(seatInput, null);
    seatStatus.className = '';
    seatStatus.textContent = 'Saving…';
    try {
      const org = await ctx.api.patch<OrgView>(orgPath(ctx, ''), { seatLimit });
      showUsage(org);
      seatStatus.className = 'success';
      seatStatus.textContent = `${org.name} now has ${count(org.seatLimit)} seat${org.seatLimit === 1 ? '' : 's'}.`;
    } catch (error) {
      seatStatus.textContent = '';
      fieldError(seatInput, explain(error));
      seatInput.focus();
    }
  });

  const mayChange = (target: MemberView) => (mine === 'owner' || (mine === 'admin' && target.role !== 'owner'));
  const grantable: Role[] = mine === 'owner' ? ['owner', 'admin', 'member'] : ['admin', 'member'];

  const render = (member: MemberView, tr: HTMLTableRowElement) => {
    const self = member.user.id === myId;
    const name = member.user.name;
    // Names repeat; with the address, each button says whom it acts on.
    const whom = `${name} (${member.user.email})`;
    const actions: HTMLElement[] = [];
    if (mine !== 'member' && mayChange(member)) {
      const change = h('button', { type: 'button', class: 'secondary small', 'data-key': 'role', 'aria-label': `Change role of ${whom}` }, 'Change role');
      change.addEventListener('click', () => editRole(member, tr));
      actions.push(change);
    }
    if (self) {
      const leave = h('button', { type: 'button', class: 'danger small', 'data-key': 'remove' }, 'Leave');
      leave.addEventListener('click', () => void remove(member));
      actions.push(leave);
    } else if (mine !== 'member' && mayChange(member)) {
      const removeButton = h('button', { type: 'button', class: 'danger small', 'data-key': 'remove', 'aria-label': `Remove ${whom}` }, 'Remove');
      removeButton.addEventListener('click', () => void remove(member));
      actions.push(removeButton);
    }
    tr.dataset.userId = member.user.id;
    tr.dataset.role = member.role;
    replace(
      tr,
      // One child per cell: on phones a cell is a two-column grid (label, value).
      cell('Name', h('span', {}, name, self ? h('span', { class: 'muted' }, ' (you)') : null)),
      cell('Email', member.user.email),
      h('td', { 'data-label': 'Role', class: 'role-cell', tabindex: -1 }, roleNames[member.role]),
      cell('Joined', dateTime(member.joinedAt)),
      cell('Actions', actions.length ? h('div', { class: 'table-actions' }, actions) : h('span', { class: 'muted' }, '—')),
    );
  };

  /** The role cell becomes a choice with Save and Cancel; Save asks first. */
  const editRole = (member: MemberView, tr: HTMLTableRowElement) => {
    const id = `role-${member.user.id}`;
    const select = h('select', { id }, grantable.map((role) => h('option', { value: role, selected: role === member.role }, roleNames[role])));
    const save = h('button', { type: 'button', class: 'small' }, 'Save');
    const cancel = h('button', { type: 'button', class: 'secondary small' }, 'Cancel');
    const roleCell = tr.querySelector<HTMLElement>('.role-cell')!;
    replace(roleCell, h('label', { for: id, class: 'visually-hidden' }, `New role for ${member.user.name} (${member.user.email})`), h('div', { class: 'inline-form' }, select, save, cancel));
    // While the choice is open, its own button would only open it again.
    const opener = tr.querySelector<HTMLElement>('[data-key="role"]');
    if (opener) opener.hidden = true;
    select.focus();
    cancel.addEventListener('click', () => {
      render(member, tr);
      tr.querySelector<HTMLElement>('[data-key="role"]')?.focus();
    });
    save.addEventListener('click', async () => {
      const role = select.value as Role;
      if (role === member.role) {
        cancel.click();
        return;
      }
      const self = member.user.id === myId;
      const question = self
        ? `You will be ${anOrA(role)} of ${orgName}. ${roleWords[role]}`
        : `${member.user.name} will be ${anOrA(role)} of ${orgName}. ${roleWords[role]}`;
      if (!(await ctx.confirm(self ? 'Change your own role?' : `Make ${member.user.name} ${anOrA(role)}?`, question, `Make ${roleNames[role].toLowerCase()}`))) return;
      try {
        const updated = await ctx.api.patch<MemberView>(orgPath(ctx, `/members/${member.user.id}`), { role });
        say(`${updated.user.name} is now ${anOrA(updated.role)}.`, 'success');
        if (self) {
          await ctx.reload();
          return;
        }
        rows.get(member.user.id)!.member = updated;
        render(updated, tr);
        updateTransfer();
        tr.querySelector<HTMLElement>('.role-cell')?.focus();
      } catch (error) {
        say(`${member.user.name}: ${explain(error)}`, 'error');
        select.focus();
      }
    });
  };

  const remove = async (member: MemberView) => {
    const self = member.user.id === myId;
    const confirmed = self
      ? await ctx.confirm(`Leave ${orgName}?`, `You will no longer see or manage ${orgName}; to come back you need a new invite.`, 'Leave')
      : await ctx.confirm(`Remove ${member.user.name}?`, `${member.user.name} (${member.user.email}) loses access to ${orgName} at once, and their seat is freed.`, 'Remove');
    if (!confirmed) return;
    try {
      await ctx.api.del<void>(orgPath(ctx, `/members/${member.user.id}`));
      if (self) {
        await ctx.reload();
        return;
      }
      rows.get(member.user.id)?.tr.remove();
      rows.delete(member.user.id);
      say(`${member.user.name} was removed from ${orgName}.`, 'success');
      announce(`${member.user.name} removed`);
      summary();
      updateTransfer();
      void refreshUsage();
      actionStatus.focus();
    } catch (error) {
      say(`${member.user.name}: ${explain(error)}`, 'error');
    }
  };

  // Handing over ownership: owners only; the chosen member becomes owner, you an admin.
  const transferSelect = h('select', { id: 'transfer-to' });
  const transferButton = h('button', { type: 'button', class: 'danger' }, 'Transfer ownership');
  const transfer = h(
    'section',
    { class: 'panel transfer', 'aria-labelledby': 'transfer-title' },
    h('h2', { id: 'transfer-title' }, 'Transfer ownership'),
    h('p', { class: 'hint', id: 'transfer-hint' }, 'The member you choose becomes owner of the organisation, and you become an admin.'),
    h('label', { for: 'transfer-to' }, 'New owner'),
    h('div', { class: 'inline-form' }, transferSelect, transferButton),
  );
  transferSelect.setAttribute('aria-describedby', 'transfer-hint');
  const updateTransfer = () => {
    const candidates = [...rows.values()].map((r) => r.member).filter((m) => m.role !== 'owner');
    replace(transferSelect, candidates.length ? candidates.map((m) => h('option', { value: m.user.id }, `${m.user.name} (${m.user.email})`)) : h('option', { value: '' }, 'Nobody else yet'));
    transferButton.disabled = candidates.length === 0;
  };
  transferButton.addEventListener('click', async () => {
    const target = rows.get(transferSelect.value)?.member;
    if (!target) return;
    const text = `${target.user.name} becomes owner of ${orgName}, with the seats and everyone's roles in their hands. You become an admin and cannot undo this yourself.`;
    if (!(await ctx.confirm(`Make ${target.user.name} the owner?`, text, 'Transfer ownership'))) return;
    try {
      const result = await ctx.api.post<OwnershipTransferred>(orgPath(ctx, '/transfer-ownership'), { userId: target.user.id });
      say(`${result.newOwner.user.name} is now the owner of ${orgName}; you are an admin.`, 'success');
      await ctx.reload();
    } catch (error) {
      say(explain(error), 'error');
    }
  });

  const summary = () => {
    listStatus.className = 'muted';
    listStatus.textContent = `Showing ${rows.size} member${rows.size === 1 ? '' : 's'}${cursor ? '; more below' : ''}.`;
    more.hidden = !cursor;
  };

  const load = async () => {
    more.disabled = true;
    try {
      const page = await ctx.api.get<MemberPage>(orgPath(ctx, `/members?limit=50${cursor ? `&cursor=${cursor}` : ''}`));
      for (const member of page.items) {
        if (rows.has(member.user.id)) continue;
        const tr = h('tr');
        rows.set(member.user.id, { member, tr });
        render(member, tr);
        body.append(tr);
      }
      cursor = page.nextCursor;
      summary();
      updateTransfer();
    } catch (error) {
      listStatus.className = 'error';
      listStatus.textContent = explain(error);
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener('click', () => void load());
  void refreshUsage();
  actionStatus.tabIndex = -1;

  replace(
    main,
    h('h1', { tabindex: -1 }, 'Members'),
    h('section', { 'aria-label': 'Seat usage' }, usage),
    mine === 'owner' ? h('div', { class: 'panel seat-panel' }, seatForm) : null,
    h('h2', {}, 'People'),
    actionStatus,
    el,
    h('div', { class: 'more' }, more, listStatus),
    mine === 'owner' ? transfer : null,
  );
  void load();
};
