// Join links: the organisation's multi-use links (create, pause or resume, revoke) with
// their state and uses. A link's URL holds its token and is shown once, when created.
import { explain } from '../lib/api.ts';
import { orgPath, type Ctx, type View } from '../lib/context.ts';
import { cell, fieldError, h, listAction, replace, shownOnce, table } from '../lib/dom.ts';
import { count, dateTime } from '../lib/format.ts';
import type { JoinLinkList, JoinLinkState, JoinLinkView, JoinLinkWithUrl } from '../lib/types.ts';

const stateWords: Record<JoinLinkState, string> = { active: 'Active', paused: 'Paused', revoked: 'Revoked', expired: 'Expired', used_up: 'Used up' };
const stateTone: Record<JoinLinkState, string> = { active: 'ok', paused: 'wait', revoked: 'none', expired: 'none', used_up: 'bad' };

const nameOf = (link: JoinLinkView) => (link.label ? `“${link.label}”` : `the ${link.role} link of ${dateTime(link.createdAt)}`);

/** The URL, once, with a copy button. */
function urlBox(link: JoinLinkView, url: string): HTMLElement {
  return shownOnce({
    id: 'join-link-url',
    buttonId: 'copy-join-link',
    value: url,
    noun: 'link',
    label: `${link.label ? `Join link “${link.label}”` : 'Join link'} for ${link.role}s`,
    hint: 'Copy it now: it will not be shown again (only a fingerprint of it is kept). Anyone who has it can join until it expires, is used up, paused or revoked.',
  });
}

export const view: View = (ctx: Ctx, main: HTMLElement) => {
  const urlSlot = h('div', { id: 'join-link-created' });
  const listStatus = h('p', { role: 'status', class: 'muted', id: 'join-links-status' }, 'Loading…');
  const { el, body } = table('Join links', ['Link', 'Role', 'State', 'Uses', 'Expires', 'Who may join', 'Created by', 'Actions'], { hiddenCaption: true });
  el.id = 'join-links-table';
  let stopped = false;

  // ---- create a link
  const label = h('input', { id: 'join-label', name: 'label', type: 'text', maxlength: 100, placeholder: 'Onboarding' });
  // Admins and owners alike may grant member or admin (never owner) through a link.
  const role = h('select', { id: 'join-role', name: 'role' }, h('option', { value: 'member' }, 'Member'), h('option', { value: 'admin' }, 'Admin'));
  const maxUses = h('input', { id: 'join-max-uses', name: 'maxUses', type: 'number', min: 1, max: 100000, step: 1, inputmode: 'numeric', placeholder: 'No limit', 'aria-describedby': 'join-max-uses-hint' });
  const days = h('input', { id: 'join-days', name: 'expiresInDays', type: 'number', min: 1, max: 90, step: 1, inputmode: 'numeric', value: '7', required: true, 'aria-describedby': 'join-days-hint' });
  const domains = h('input', { id: 'join-domains', name: 'allowedDomains', type: 'text', placeholder: 'example.com, example.org', 'aria-describedby': 'join-domains-hint' });
  const formStatus = h('p', { role: 'status', id: 'join-form-status' });
  const form = h(
    'form',
    { novalidate: true, 'aria-labelledby': 'create-join-title', class: 'panel', id: 'join-link-form' },
    h('h2', { id: 'create-join-title' }, 'Create a join link'),
    h('p', { class: 'hint' }, 'One link that many people can use to join, each taking a seat. Share it where only the right people see it.'),
    h('label', { for: label.id }, 'Name (optional)'),
    label,
    h('label', { for: role.id }, 'They join as'),
    role,
    h('label', { for: maxUses.id }, 'Most people who may join (optional)'),
    maxUses,
    h('p', { class: 'hint', id: 'join-max-uses-hint' }, 'Leave empty to let it work until the seats run out.'),
    h('label', { for: days.id }, 'Works for (days)'),
    days,
    h('p', { class: 'hint', id: 'join-days-hint' }, '1 to 90 days.'),
    h('label', { for: domains.id }, 'Only these email domains (optional)'),
    domains,
    h('p', { class: 'hint', id: 'join-domains-hint' }, 'Separate them with commas; leave empty to let any address join.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'create-join-link' }, 'Create link'), formStatus),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const uses = maxUses.value.trim() ? Number(maxUses.value) : undefined;
    const lifetime = Number(days.value);
    const allowed = domains.value.split(/[\s,;]+/).map((d) => d.trim().replace(/^@/, '')).filter(Boolean);
    const bad = allowed.find((d) => !/^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/.test(d));
    fieldError(maxUses, uses !== undefined && (!Number.isInteger(uses) || uses < 1 || uses > 100_000) ? 'Enter a whole number from 1 to 100,000, or leave it empty.' : null);
    fieldError(days, !Number.isInteger(lifetime) || lifetime < 1 || lifetime > 90 ? 'Enter a whole number of days from 1 to 90.' : null);
    fieldError(domains, bad ? `${bad} is not a domain such as example.com.` : null);
    const invalid = form.querySelector<HTMLElement>('[aria-invalid="true"]');
    if (invalid) return invalid.focus();
    formStatus.className = '';
    formStatus.textContent = 'Creating…';
    try {
      const created = await ctx.api.post<JoinLinkWithUrl>(orgPath(ctx, '/join-links'), {
        role: role.value,
        expiresInHours: lifetime * 24,
        ...(label.value.trim() ? { label: label.value.trim() } : {}),
        ...(uses !== undefined ? { maxUses: uses } : {}),
        ...(allowed.length ? { allowedDomains: allowed } : {}),
      });
      formStatus.className = 'success';
      formStatus.textContent = 'Link created.';
      label.value = '';
      maxUses.value = '';
      domains.value = '';
      replace(urlSlot, urlBox(created.joinLink, created.url));
      urlSlot.querySelector('input')?.focus();
      await load();
    } catch (error) {
      formStatus.className = 'error';
      formStatus.textContent = explain(error);
    }
  });

  // ---- the links
  const act = listAction(listStatus, () => load(), explain);

  const row = (link: JoinLinkView): HTMLTableRowElement => {
    const path = orgPath(ctx, `/join-links/${link.id}`);
    const button = (text: string, tone = 'secondary') => h('button', { type: 'button', class: `${tone} small`, 'aria-label': `${text} ${nameOf(link)}` }, text);
    const actions: HTMLElement[] = [];
    if (link.state === 'active' || link.state === 'paused') {
      const toggle = button(link.state === 'paused' ? 'Resume' : 'Pause');
      toggle.addEventListener('click', () =>
        void act(() => ctx.api.patch(path, { paused: link.state !== 'paused' }), link.state === 'paused' ? `Join link ${nameOf(link)} resumed.` : `Join link ${nameOf(link)} paused.`),
      );
      actions.push(toggle);
    }
    if (link.state !== 'revoked') {
      const revoke = button('Revoke', 'danger');
      revoke.addEventListener('click', async () => {
        if (!(await ctx.confirm('Revoke this join link?', `Nobody can join through ${nameOf(link)} any more, and it cannot be turned back on. People who joined stay members.`, 'Revoke link'))) return;
        await act(() => ctx.api.del(path), `Join link ${nameOf(link)} revoked.`);
      });
      actions.push(revoke);
    }
    const who = link.allowedDomains.length ? link.allowedDomains.map((d) => `@${d}`).join(', ') : 'Any address';
    return h(
      'tr',
      { 'data-join-link-id': link.id, 'data-state': link.state },
      cell('Link', link.label ?? h('span', { class: 'muted' }, 'No name')),
      cell('Role', link.role),
      cell('State', h('span', { class: 'badge', 'data-tone': stateTone[link.state] }, stateWords[link.state])),
      cell('Uses', link.maxUses === null ? count(link.uses) : `${count(link.uses)} of ${count(link.maxUses)}`),
      cell('Expires', dateTime(link.expiresAt)),
      cell('Who may join', who),
      cell('Created by', link.createdByName ?? 'A former member'),
      cell('Actions', h('div', { class: 'table-actions' }, actions)),
    );
  };

  async function load(): Promise<void> {
    try {
      const { items } = await ctx.api.get<JoinLinkList>(orgPath(ctx, '/join-links'));
      if (stopped) return;
      replace(body, items.map(row));
      el.hidden = items.length === 0;
      const active = items.filter((l) => l.state === 'active').length;
      listStatus.className = 'muted';
      listStatus.textContent = items.length ? `${items.length} link${items.length === 1 ? '' : 's'}, ${active} active.` : 'No join link yet: create one above.';
    } catch (error) {
      listStatus.className = 'error';
      listStatus.textContent = explain(error);
    }
  }

  replace(main, h('h1', {}, 'Join links'), form, urlSlot, h('h2', {}, 'Links'), listStatus, el);
  void load();
  return () => {
    stopped = true;
  };
};
