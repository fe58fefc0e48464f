// The audit log, newest first, in sentences: who did what, with filters and a CSV export.
import { explain } from '../lib/api.ts';
import { orgPath, type Ctx, type View } from '../lib/context.ts';
import { toCsv } from '../lib/csv.ts';
import { cell, h, replace, table } from '../lib/dom.ts';
import { dateTime } from '../lib/format.ts';
import type { AuditEntryView, AuditPage } from '../lib/types.ts';

const kinds: [string, string][] = [
  ['', 'Everything'],
  ['invite.', 'Invites'],
  ['member.', 'Members'],
  ['org.', 'Organisation and settings'],
  ['webhook.', 'Webhooks'],
  ['join_link.', 'Join links'],
];

/** The most rows one export reads (100 per request). */
const exportLimit = 10_000;

export const view: View = (ctx: Ctx, main: HTMLElement) => {
  const { el, body } = table('Audit log', ['When', 'Who', 'What happened'], { hiddenCaption: true });
  const status = h('p', { role: 'status', class: 'muted' }, 'Loading…');
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
  const kind = h('select', { id: 'audit-kind' }, kinds.map(([value, label]) => h('option', { value }, label)));
  const mine = h('input', { id: 'audit-mine', type: 'checkbox' });
  const exportButton = h('button', { type: 'button', class: 'secondary', id: 'audit-export' }, 'Export CSV');
  const exportStatus = h('span', { role: 'status', class: 'muted', id: 'audit-export-status' });
  const self = `user:${ctx.me.user.id}`;
  let cursor: string | null = null;
  let shown = 0;
  let generation = 0;

  const query = (limit: number, after: string | null) => {
    const params = new URLSearchParams({ limit: String(limit) });
    if (after) params.set('cursor', after);
    if (kind.value) params.set('action', kind.value);
    if (mine.checked) params.set('actor', self);
    return orgPath(ctx, `/audit?${params}`);
  };
  const others: Record<string, string> = { invitee: 'The invitee', system: 'The platform', operator: 'An operator', anonymous: 'Someone not signed in' };
  const who = (entry: AuditEntryView) =>
    entry.actor === self ? `You (${ctx.me.user.name})` : (entry.actorName ?? others[entry.actor] ?? 'A former member');

  const load = async () => {
    const current = generation;
    more.disabled = true;
    try {
      const page = await ctx.api.get<AuditPage>(query(50, cursor));
      if (current !== generation) return;
      for (const entry of page.items) {
        body.append(
          h(
            'tr',
            { 'data-action': entry.action },
            cell('When', dateTime(entry.at)),
            cell('Who', who(entry)),
            cell('What happened', h('span', { title: entry.action }, entry.summary)),
          ),
        );
      }
      shown += page.items.length;
      cursor = page.nextCursor;
      more.hidden = !cursor;
      status.className = 'muted';
      status.textContent = shown === 0 ? 'Nothing here yet for this choice.' : `Showing ${shown} entr${shown === 1 ? 'y' : 'ies'}${cursor ? '; more below' : ''}.`;
    } catch (error) {
      status.className = 'error';
      status.textContent = explain(error);
    } finally {
      more.disabled = false;
    }
  };

  const reload = () => {
    generation += 1;
    cursor = null;
    shown = 0;
    replace(body);
    status.className = 'muted';
    status.textContent = 'Loading…';
    void load();
  };

  /** Every entry of the current choice, page by page, as one CSV file. */
  const exportCsv = async () => {
    exportButton.disabled = true;
    exportStatus.className = 'muted';
    const rows: string[][] = [['When (UTC)', 'Who', 'What happened', 'Action', 'Actor', 'Target']];
    try {
      let after: string | null = null;
      do {
        const page: AuditPage = await ctx.api.get<AuditPage>(query(100, after));
        for (const entry of page.items) rows.push([entry.at, who(entry), entry.summary, entry.action, entry.actor, entry.target]);
        after = page.nextCursor;
        exportStatus.textContent = `Reading… ${rows.length - 1} entries`;
      } while (after && rows.length - 1 < exportLimit);
      const file = new Blob([toCsv(rows)], { type: 'text/csv;charset=utf-8' });
      const link = h('a', { href: URL.createObjectURL(file), download: `audit-${ctx.org.orgId}-${new Date().toISOString().slice(0, 10)}.csv`, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
      exportStatus.className = 'success';
      exportStatus.textContent = `Exported ${rows.length - 1} entr${rows.length === 2 ? 'y' : 'ies'}${after ? ` (the first ${exportLimit}; narrow the choice for the rest)` : ''}.`;
    } catch (error) {
      exportStatus.className = 'error';
      exportStatus.textContent = explain(error);
    } finally {
      exportButton.disabled = false;
    }
  };

  kind.addEventListener('change', reload);
  mine.addEventListener('change', reload);
  more.addEventListener('click', () => void load());
  exportButton.addEventListener('click', () => void exportCsv());
  main.append(
    h('h1', { tabindex: -1 }, 'Audit log'),
    h(
      'div',
      { class: 'toolbar' },
      h('div', {}, h('label', { for: 'audit-kind' }, 'Show'), kind),
      h('div', {}, h('label', { class: 'inline', for: 'audit-mine' }, mine, 'Only what I did')),
      h('div', {}, exportButton, ' ', exportStatus),
    ),
    el,
    h('div', { class: 'more' }, more, status),
  );
  void load();
};
