// The audit log, newest first.
import { explain } from '../lib/api.ts';
import { orgPath, type Ctx, type View } from '../lib/context.ts';
import { cell, h, table } from '../lib/dom.ts';
import { dateTime } from '../lib/format.ts';
import type { AuditPage } from '../lib/types.ts';

/** `{email: "a@b", role: "member"}` → `email: a@b, role: member`. */
function details(data: Record<string, unknown>): string {
  return Object.entries(data)
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(', ');
}

export const view: View = (ctx: Ctx, main: HTMLElement) => {
  const { el, body } = table('Audit log', ['When', 'Who', 'What', 'Target', 'Details'], { hiddenCaption: true });
  const status = h('p', { role: 'status', class: 'muted' }, 'Loading…');
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
  let cursor: string | null = null;
  let shown = 0;
  const self = `user:${ctx.me.user.id}`;

  const load = async () => {
    more.disabled = true;
    try {
      const page = await ctx.api.get<AuditPage>(orgPath(ctx, `/audit?limit=50${cursor ? `&cursor=${cursor}` : ''}`));
      for (const entry of page.items) {
        body.append(
          h(
            'tr',
            {},
            cell('When', dateTime(entry.at)),
            cell('Who', entry.actor === self ? `you (${ctx.me.user.email})` : entry.actor),
            cell('What', entry.action),
            cell('Target', entry.target),
            cell('Details', details(entry.data)),
          ),
        );
      }
      shown += page.items.length;
      cursor = page.nextCursor;
      more.hidden = !cursor;
      status.className = 'muted';
      status.textContent = `Showing ${shown} entr${shown === 1 ? 'y' : 'ies'}${cursor ? '; more below' : ''}.`;
    } catch (error) {
      status.className = 'error';
      status.textContent = explain(error);
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener('click', () => void load());
  main.append(h('h1', { tabindex: -1 }, 'Audit log'), el, h('div', { class: 'more' }, more, status));
  void load();
};
