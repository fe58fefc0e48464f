// The invites of the organisation: search, status filter, keyset "load more",
// withdraw and resend per row or for a selection, rows that update themselves, and an
// invite's details (delivery per channel, its timeline) when its address is clicked.
import { ApiError, explain } from '../lib/api.ts';
import { orgPath, type Ctx, type View } from '../lib/context.ts';
import { announce, cell, debounce, h, replace, table } from '../lib/dom.ts';
import { dateTime } from '../lib/format.ts';
import { linkPanel } from '../lib/invite-card.ts';
import { inviteDetail, type InviteDetail } from '../lib/invite-detail.ts';
import { channelsOf, deliveryBadge, inviteBadge, linkOnlyText } from '../lib/status.ts';
import type { InvitePage, InviteView, InviteWithLink } from '../lib/types.ts';

const statuses = ['pending', 'accepted', 'declined', 'withdrawn', 'expired'] as const;
const pageSize = 50;

export const view: View = (ctx: Ctx, main: HTMLElement) => {
  const rows = new Map<string, { invite: InviteView; tr: HTMLTableRowElement }>();
  const selected = new Set<string>();
  let nextCursor: string | null = null;
  let generation = 0;

  const search = h('input', { id: 'invite-search', type: 'search', name: 'q', autocomplete: 'off', placeholder: 'name@example.com' });
  const statusFilter = h('select', { id: 'invite-status-filter', name: 'status' }, h('option', { value: '' }, 'All'), statuses.map((s) => h('option', { value: s }, s)));
  const selectAll = h('input', { type: 'checkbox', id: 'select-all', 'aria-label': 'Select all pending invites shown' });
  const { el: tableEl, body } = table('Invites', [selectAll, 'Email', 'Role', 'Status', 'Email delivery', 'SMS', 'Created', 'Expires', 'Actions'], { hiddenCaption: true });
  tableEl.id = 'invites-table';
  const listStatus = h('p', { id: 'invites-status', role: 'status', class: 'muted' });
  const more = h('button', { type: 'button', class: 'secondary', id: 'load-more', hidden: true }, 'Load more');
  const selection = h('span', { id: 'selection-count' }, 'None selected');
  const bulkResend = h('button', { type: 'button', class: 'secondary small', disabled: true, id: 'bulk-resend' }, 'Resend selected');
  const bulkWithdraw = h('button', { type: 'button', class: 'danger small', disabled: true, id: 'bulk-withdraw' }, 'Withdraw selected');
  const actionStatus = h('p', { id: 'action-status', role: 'status' });
  const linkSlot = h('div');
  const detailSlot = h('div');
  let detail: InviteDetail | null = null;
  const openDetail = (invite: InviteView) => {
    detail?.close();
    detail = inviteDetail(ctx, invite.id, () => {
      detail = null;
      rows.get(invite.id)?.tr.querySelector<HTMLElement>('[data-key="details"]')?.focus();
    });
    detailSlot.replaceChildren(detail.el);
    detail.el.scrollIntoView({ block: 'nearest' });
  };

  const query = (cursor?: string | null) => {
    const params = new URLSearchParams({ limit: String(pageSize) });
    if (search.value.trim()) params.set('q', search.value.trim());
    if (statusFilter.value) params.set('status', statusFilter.value);
    if (cursor) params.set('cursor', cursor);
    return orgPath(ctx, `/invites?${params}`);
  };
  const matchesFilter = (invite: InviteView) =>
    (!statusFilter.value || invite.status === statusFilter.value) && (!search.value.trim() || invite.email.includes(search.value.trim().toLowerCase()));

  const updateSelection = () => {
    for (const id of selected) if (rows.get(id)?.invite.status !== 'pending') selected.delete(id);
    const n = selected.size;
    selection.textContent = n === 0 ? 'None selected' : `${n} selected`;
    bulkResend.disabled = bulkWithdraw.disabled = n === 0;
    const pending = [...rows.values()].filter((r) => r.invite.status === 'pending').length;
    selectAll.checked = n > 0 && n === pending;
    selectAll.indeterminate = n > 0 && n < pending;
  };

  /** Renders a row; what had focus in it keeps it (or its status cell, when that control is gone). */
  const renderRow = (invite: InviteView, tr: HTMLTableRowElement) => {
    const focused = tr.contains(document.activeElement) ? ((document.activeElement as HTMLElement).dataset.key ?? 'status') : null;
    const pending = invite.status === 'pending';
    const check = h('input', { type: 'checkbox', 'data-key': 'select', id: `select-${invite.id}`, 'aria-label': `Select ${invite.email}`, disabled: !pending, checked: selected.has(invite.id) });
    check.addEventListener('change', () => {
      if (check.checked) selected.add(invite.id);
      else selected.delete(invite.id);
      updateSelection();
    });
    const resend = h('button', { type: 'button', 'data-key': 'resend', class: 'secondary small', 'aria-label': `Resend invite to ${invite.email}` }, 'Resend');
    const withdraw = h('button', { type: 'button', 'data-key': 'withdraw', class: 'danger small', 'aria-label': `Withdraw invite to ${invite.email}` }, 'Withdraw');
    // Sent moments ago: the button counts down to when a resend goes through.
    const wait = Math.ceil(((cooldowns.get(invite.id) ?? 0) - Date.now()) / 1000);
    if (wait > 0) {
      resend.disabled = true;
      resend.textContent = `Resend in ${wait} s`;
    }
    resend.addEventListener('click', () => void resendOne(invite));
    withdraw.addEventListener('click', () => void withdrawOne(invite));
    tr.dataset.inviteId = invite.id;
    tr.dataset.status = invite.status;
    replace(
      tr,
      cell('Select', check),
      cell(
        'Email',
        h('button', { type: 'button', class: 'link', 'data-key': 'details', title: 'Delivery and timeline', onclick: () => openDetail(invite) }, invite.email),
        invite.phone ? h('span', { class: 'muted nowrap' }, ` ${invite.phone}`) : null,
      ),
      cell('Role', invite.role),
      h('td', { 'data-label': 'Status', 'data-key': 'status', class: 'status-cell', tabindex: -1 }, inviteBadge(invite.status)),
      cell(
        'Email delivery',
        channelsOf(invite).includes('email')
          ? deliveryBadge(invite.delivery.email)
          : h('span', { class: 'muted', title: 'Not sent: the link was shared by whoever created the invite' }, channelsOf(invite).length ? '—' : linkOnlyText),
      ),
      cell('SMS', channelsOf(invite).includes('sms') ? deliveryBadge(invite.delivery.sms) : h('span', { class: 'muted' }, '—')),
      cell('Created', dateTime(invite.createdAt)),
      cell('Expires', dateTime(invite.expiresAt)),
      cell('Actions', pending ? h('div', { class: 'table-actions' }, resend, withdraw) : h('span', { class: 'muted' }, '—')),
    );
    if (focused) (tr.querySelector<HTMLElement>(`[data-key="${focused}"]`) ?? tr.querySelector<HTMLElement>('[data-key="status"]'))?.focus();
  };

  const upsert = (invite: InviteView, where: 'append' | 'prepend' | 'in-place') => {
    const known = rows.get(invite.id);
    if (known) {
      if (JSON.stringify(known.invite) === JSON.stringify(invite)) return;
      known.invite = invite;
      renderRow(invite, known.tr);
    } else if (where !== 'in-place') {
      const tr = h('tr');
      rows.set(invite.id, { invite, tr });
      renderRow(invite, tr);
      if (where === 'prepend') body.prepend(tr);
      else body.append(tr);
    }
  };

  const summary = () => {
    listStatus.textContent = rows.size === 0 ? 'No invites match.' : `Showing ${rows.size} invite${rows.size === 1 ? '' : 's'}${nextCursor ? '; more below' : ''}.`;
    more.hidden = !nextCursor;
    updateSelection();
  };

  const load = async (reset: boolean) => {
    const ticket = reset ? ++generation : generation;
    more.disabled = true;
    if (reset) listStatus.textContent = 'Loading…';
    try {
      const page = await ctx.api.get<InvitePage>(query(reset ? null : nextCursor));
      if (ticket !== generation) return;
      if (reset) {
        rows.clear();
        selected.clear();
        body.replaceChildren();
      }
      nextCursor = page.nextCursor;
      for (const invite of page.items) upsert(invite, 'append');
      summary();
    } catch (error) {
      listStatus.textContent = explain(error);
      listStatus.className = 'error';
    } finally {
      more.disabled = false;
    }
  };

  const focusRow = (id: string) => rows.get(id)?.tr.querySelector<HTMLElement>('.status-cell')?.focus();

  const withdrawOne = async (invite: InviteView) => {
    if (!(await ctx.confirm('Withdraw invite?', `The link sent to ${invite.email} will stop working.`, 'Withdraw'))) return;
    try {
      upsert(await ctx.api.del<InviteView>(orgPath(ctx, `/invites/${invite.id}`)), 'in-place');
      actionStatus.className = 'success';
      actionStatus.textContent = `Invite to ${invite.email} withdrawn.`;
      updateSelection();
      focusRow(invite.id);
    } catch (error) {
      actionStatus.className = 'error';
      actionStatus.textContent = `${invite.email}: ${explain(error)}`;
    }
  };

  /** Invite id → when the server lets it be sent again (from a RESEND_COOLDOWN's Retry-After). */
  const cooldowns = new Map<string, number>();
  const countdown = setInterval(() => {
    for (const [id, until] of cooldowns) {
      if (until <= Date.now()) cooldowns.delete(id);
      const row = rows.get(id);
      if (row) renderRow(row.invite, row.tr);
    }
  }, 1000);

  const resendOne = async (invite: InviteView) => {
    try {
      const result = await ctx.api.post<InviteWithLink>(orgPath(ctx, `/invites/${invite.id}/resend`));
      upsert(result.invite, 'in-place');
      actionStatus.className = 'success';
      actionStatus.textContent = `Invite to ${invite.email} sent again with a new link; the old link no longer works.`;
      const panel = linkPanel(`New accept link for ${invite.email}`, result.acceptUrl);
      linkSlot.replaceChildren(panel);
      panel.querySelector<HTMLElement>('h2')?.focus();
    } catch (error) {
      actionStatus.className = 'error';
      actionStatus.textContent = `${invite.email}: ${explain(error)}`;
      if (error instanceof ApiError && error.problem.code === 'RESEND_COOLDOWN' && error.problem.retryAfter) {
        cooldowns.set(invite.id, Date.now() + error.problem.retryAfter * 1000);
        const row = rows.get(invite.id);
        if (row) renderRow(row.invite, row.tr);
      }
    }
  };

  const runBulk = async (kind: 'withdraw' | 'resend') => {
    const targets = [...selected].map((id) => rows.get(id)!.invite);
    const verb = kind === 'withdraw' ? 'Withdraw' : 'Resend';
    const text =
      kind === 'withdraw'
        ? `The links sent to ${targets.length} people will stop working.`
        : `${targets.length} people get a new link by email; their old links stop working.`;
    if (!(await ctx.confirm(`${verb} ${targets.length} invite${targets.length === 1 ? '' : 's'}?`, text, verb))) return;
    bulkResend.disabled = bulkWithdraw.disabled = true;
    actionStatus.className = '';
    actionStatus.textContent = `${kind === 'withdraw' ? 'Withdrawing' : 'Resending'} ${targets.length}…`;
    const failures: string[] = [];
    let done = 0;
    const queue = [...targets];
    const worker = async () => {
      for (let invite = queue.shift(); invite; invite = queue.shift()) {
        try {
          const path = orgPath(ctx, `/invites/${invite.id}${kind === 'resend' ? '/resend' : ''}`);
          const result = kind === 'withdraw' ? await ctx.api.del<InviteView>(path) : (await ctx.api.post<InviteWithLink>(path)).invite;
          upsert(result, 'in-place');
          done += 1;
        } catch (error) {
          failures.push(`${invite.email}: ${explain(error)}`);
        }
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    selected.clear();
    for (const { invite, tr } of rows.values()) renderRow(invite, tr);
    updateSelection();
    const past = kind === 'withdraw' ? 'withdrawn' : 'sent again';
    actionStatus.className = failures.length ? 'error' : 'success';
    actionStatus.textContent = `${done} invite${done === 1 ? '' : 's'} ${past}.${failures.length ? ` Not done: ${failures.join('; ')}` : ''}`;
  };

  selectAll.addEventListener('change', () => {
    for (const { invite } of rows.values()) {
      if (invite.status !== 'pending') continue;
      if (selectAll.checked) selected.add(invite.id);
      else selected.delete(invite.id);
    }
    for (const { invite, tr } of rows.values()) renderRow(invite, tr);
    updateSelection();
  });
  bulkWithdraw.addEventListener('click', () => void runBulk('withdraw'));
  bulkResend.addEventListener('click', () => void runBulk('resend'));
  more.addEventListener('click', () => void load(false));
  const research = debounce(() => void load(true), 300);
  search.addEventListener('input', research);
  statusFilter.addEventListener('change', () => void load(true));
  const filters = h(
    'form',
    { class: 'toolbar', role: 'search', 'aria-label': 'Filter invites', novalidate: true },
    h('div', {}, h('label', { for: 'invite-search' }, 'Search by email'), search),
    h('div', {}, h('label', { for: 'invite-status-filter' }, 'Status'), statusFilter),
  );
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    research.cancel();
    void load(true);
  });

  // Live: rows re-read themselves on events; new invites appear on top. An event during
  // a read of the same invite asks for one more read after it (the first may be stale).
  const reloading = new Map<string, boolean>();
  const reread = async (id: string): Promise<void> => {
    if (reloading.has(id)) {
      reloading.set(id, true);
      return;
    }
    reloading.set(id, false);
    try {
      const invite = await ctx.api.get<InviteView>(orgPath(ctx, `/invites/${id}`));
      if (rows.has(invite.id)) upsert(invite, 'in-place');
      else if (matchesFilter(invite)) {
        upsert(invite, 'prepend');
        summary();
        announce(`New invite: ${invite.email}`);
      }
    } catch {
      // The next event or poll catches up.
    } finally {
      const again = reloading.get(id);
      reloading.delete(id);
      if (again) void reread(id);
    }
  };
  const unsubscribe = ctx.live.subscribe((event) => {
    if (rows.has(event.inviteId) || event.type === 'invite.created') void reread(event.inviteId);
  });
  /** Re-reads the first page and merges it: updated rows in place, new ones on top. */
  const catchUp = async () => {
    try {
      const page = await ctx.api.get<InvitePage>(query(null));
      const fresh = page.items.filter((i) => !rows.has(i.id)).reverse();
      for (const invite of page.items) upsert(invite, 'in-place');
      for (const invite of fresh) upsert(invite, 'prepend');
      if (fresh.length) summary();
    } catch {
      // Try again at the next tick.
    }
  };
  // Without live events: catch up every few seconds; a (re)connected stream replays nothing, so catch up then too.
  const poll = setInterval(() => {
    if (ctx.live.mode !== 'live' && !document.hidden) void catchUp();
  }, 5000);
  const unsubscribeMode = ctx.live.onMode((mode) => {
    if (mode === 'live') void catchUp();
  });

  main.append(
    h('h1', { tabindex: -1 }, 'Invites'),
    filters,
    linkSlot,
    detailSlot,
    h('div', { class: 'bulk-bar', role: 'group', 'aria-label': 'Selected invites' }, selection, bulkResend, bulkWithdraw),
    actionStatus,
    tableEl,
    h('div', { class: 'more' }, more, listStatus),
  );
  void load(true);
  return () => {
    detail?.close();
    unsubscribe();
    unsubscribeMode();
    clearInterval(poll);
    clearInterval(countdown);
    research.cancel();
  };
};
