// Members of the organisation and its seats.
import { explain } from '../lib/api.ts';
import { orgPath, type Ctx, type View } from '../lib/context.ts';
import { cell, h, table } from '../lib/dom.ts';
import { count, dateTime } from '../lib/format.ts';
import type { MemberPage, UsageView } from '../lib/types.ts';

export const view: View = (ctx: Ctx, main: HTMLElement) => {
  const usage = h('dl', { class: 'kpis', id: 'usage' });
  const { el, body } = table('Members', ['Name', 'Email', 'Username', 'Role', 'Joined'], { hiddenCaption: true });
  const status = h('p', { role: 'status', class: 'muted' }, 'Loading…');
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
  let cursor: string | null = null;
  let shown = 0;

  const load = async () => {
    more.disabled = true;
    try {
      const page = await ctx.api.get<MemberPage>(orgPath(ctx, `/members?limit=50${cursor ? `&cursor=${cursor}` : ''}`));
      for (const m of page.items) {
        body.append(h('tr', {}, cell('Name', m.user.name), cell('Email', m.user.email), cell('Username', m.user.username), cell('Role', m.role), cell('Joined', dateTime(m.joinedAt))));
      }
      shown += page.items.length;
      cursor = page.nextCursor;
      more.hidden = !cursor;
      status.className = 'muted';
      status.textContent = `Showing ${shown} member${shown === 1 ? '' : 's'}${cursor ? '; more below' : ''}.`;
    } catch (error) {
      status.className = 'error';
      status.textContent = explain(error);
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener('click', () => void load());

  ctx.api
    .get<UsageView>(orgPath(ctx, '/usage'))
    .then((u) => {
      const kpi = (label: string, value: number) => h('div', {}, h('dt', {}, label), h('dd', {}, count(value)));
      usage.append(kpi('Seats', u.seatLimit), kpi('Members', u.members), kpi('Pending invites', u.pendingInvites), kpi('Seats available', u.available));
    })
    .catch(() => usage.remove());

  main.append(h('h1', { tabindex: -1 }, 'Members'), h('section', { 'aria-label': 'Seats' }, usage), h('h2', {}, 'People'), el, h('div', { class: 'more' }, more, status));
  void load();
};
