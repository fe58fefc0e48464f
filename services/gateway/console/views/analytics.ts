// Analytics of the invites created in a period: the funnel, the rates, per role, per
// channel and per day, drawn as inline SVG with the numbers in tables beside.
import { explain } from '../lib/api.ts';
import { dailyChart, funnelChart, groupChart } from '../lib/charts.ts';
import { orgPath, type Ctx, type View } from '../lib/context.ts';
import { cell, debounce, h, replace, table } from '../lib/dom.ts';
import { groupColumns, headlineFigures } from '../lib/figures.ts';
import { count, utcDay } from '../lib/format.ts';
import type { AnalyticsView, Funnel } from '../lib/types.ts';

/** A wide table that scrolls sideways on a phone (focusable, so the keyboard can scroll it too). */
function funnelTable(caption: string, groups: [string, Funnel][]) {
  const body = h('tbody');
  for (const [name, f] of groups) {
    body.append(h('tr', { 'data-group': name }, h('th', { scope: 'row' }, name), groupColumns.map(([label, value]) => h('td', { 'data-label': label, class: 'num' }, value(f)))));
  }
  return h(
    'div',
    { class: 'scroll-x', tabindex: 0, role: 'region', 'aria-labelledby': 'group-table-caption' },
    h('table', {}, h('caption', { id: 'group-table-caption' }, caption), h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Group'), groupColumns.map(([label]) => h('th', { scope: 'col', class: 'num' }, label)))), body),
  );
}

const legend = () =>
  h('ul', { class: 'legend', 'aria-hidden': 'true' }, [
    h('li', {}, h('span', { class: 'created' }), 'Created'),
    h('li', {}, h('span', { class: 'delivered' }), 'Delivered'),
    h('li', {}, h('span', { class: 'accepted' }), 'Accepted'),
  ]);

export const view: View = (ctx: Ctx, main: HTMLElement) => {
  const today = new Date();
  const from = h('input', { id: 'analytics-from', type: 'date', value: utcDay(today, -29), max: utcDay(today), required: true });
  const to = h('input', { id: 'analytics-to', type: 'date', value: utcDay(today), max: utcDay(today), required: true });
  const status = h('p', { id: 'analytics-status', role: 'status' });
  const output = h('div', { id: 'analytics-output' });
  let ticket = 0;
  let shown: AnalyticsView | null = null;

  const show = (a: AnalyticsView) => {
    shown = a;
    const width = Math.max(280, Math.min(960, output.clientWidth || main.clientWidth));
    const half = width >= 720 ? (width - 24) / 2 : width;
    const roles: [string, Funnel][] = [
      ['Owner', a.byRole.owner],
      ['Admin', a.byRole.admin],
      ['Member', a.byRole.member],
    ];
    const channels: [string, Funnel][] = [
      ['Email', a.byChannel.email],
      ['SMS', a.byChannel.sms],
    ];
    const { el: daily, body } = table('Per day', ['Day', 'Created', 'Delivered', 'Accepted', 'Withdrawn', 'Expired']);
    for (const { day, funnel: f } of a.daily) {
      body.append(h('tr', {}, cell('Day', day), cell('Created', count(f.created)), cell('Delivered', count(f.delivered)), cell('Accepted', count(f.accepted)), cell('Withdrawn', count(f.withdrawn)), cell('Expired', count(f.expired))));
    }
    replace(
      output,
      h('h2', { id: 'totals-title' }, `Invites created from ${a.from} to ${a.to}`),
      h('dl', { class: 'kpis', id: 'kpis' }, headlineFigures.map(([id, label, value]) => h('div', {}, h('dt', {}, label), h('dd', { id: `kpi-${id}` }, value(a.totals))))),
      h('h2', {}, 'Funnel'),
      funnelChart(a.totals, Math.min(width, 720)),
      h('div', { class: 'grid-2' },
        h('section', { 'aria-labelledby': 'by-role-title' }, h('h2', { id: 'by-role-title' }, 'By role'), legend(), groupChart('By role', roles, half)),
        h('section', { 'aria-labelledby': 'by-channel-title' }, h('h2', { id: 'by-channel-title' }, 'By channel'), legend(), groupChart('By channel', channels, half)),
      ),
      funnelTable('By role and channel', [...roles, ...channels]),
      h('h2', {}, 'Per day'),
      h('ul', { class: 'legend', 'aria-hidden': 'true' }, h('li', {}, h('span', { class: 'created' }), 'Created'), h('li', {}, h('span', { class: 'accepted' }), 'Accepted')),
      dailyChart(a.daily, width),
      h('details', {}, h('summary', {}, 'Numbers per day'), daily),
    );
  };

  const load = async () => {
    if (!from.value || !to.value || from.value > to.value) {
      status.className = 'error';
      status.textContent = 'Choose a first day on or before the last day.';
      from.focus();
      return;
    }
    const mine = ++ticket;
    status.className = '';
    status.textContent = 'Loading…';
    try {
      const a = await ctx.api.get<AnalyticsView>(orgPath(ctx, `/analytics?from=${from.value}&to=${to.value}`));
      if (mine !== ticket) return;
      show(a);
      status.textContent = `Showing ${a.from} to ${a.to}.`;
    } catch (error) {
      if (mine !== ticket) return;
      status.className = 'error';
      status.textContent = explain(error);
      output.replaceChildren();
    }
  };

  const form = h(
    'form',
    { class: 'toolbar', novalidate: true, 'aria-label': 'Period' },
    h('div', {}, h('label', { for: 'analytics-from' }, 'From'), from),
    h('div', {}, h('label', { for: 'analytics-to' }, 'To'), to),
    h('div', {}, h('button', { type: 'submit' }, 'Show')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void load();
  });
  main.append(h('h1', { tabindex: -1 }, 'Analytics'), form, status, output);
  void load();
  // Charts are drawn for their width: draw them again when it changes.
  let lastWidth = output.clientWidth;
  const redraw = debounce(() => {
    if (shown && output.clientWidth !== lastWidth) {
      lastWidth = output.clientWidth;
      show(shown);
    }
  }, 200);
  window.addEventListener('resize', redraw);
  return () => {
    window.removeEventListener('resize', redraw);
    redraw.cancel();
  };
};
