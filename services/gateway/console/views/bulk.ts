// Bulk invites from a CSV file: read and checked in the browser, a preview that
// flags bad rows, sent in chunks with a progress bar, and a result for every row.
import { ApiError, explain } from '../lib/api.ts';
import { orgPath, type Ctx, type View } from '../lib/context.ts';
import { announce, cell, h, replace, table } from '../lib/dom.ts';
import { count } from '../lib/format.ts';
import { csvColumns, CsvError, rowsFromCsv, type CsvRow } from '../lib/csv.ts';
import { checkRows } from '../lib/rows.ts';
import type { BulkInviteReply } from '../lib/types.ts';

/** Rows per request: small enough that the bar moves, large enough to be quick. */
export const chunkSize = 25;
const maxRows = 5000;

interface Checked extends CsvRow {
  problems: string[];
}

interface Outcome {
  line: number;
  email: string;
  created: boolean;
  reason: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const view: View = (ctx: Ctx, main: HTMLElement) => {
  const file = h('input', { id: 'bulk-file', type: 'file', accept: '.csv,text/csv', 'aria-describedby': 'bulk-file-hint' });
  const fileStatus = h('p', { id: 'bulk-file-status', role: 'status' });
  const preview = h('section', { id: 'bulk-preview', 'aria-labelledby': 'bulk-preview-title', hidden: true });
  const progressSection = h('section', { id: 'bulk-run', 'aria-labelledby': 'bulk-run-title', hidden: true });
  const results = h('section', { id: 'bulk-results', 'aria-labelledby': 'bulk-results-title', hidden: true });
  let leaving = false;

  const rowTable = (rows: Checked[]) => {
    const { el, body } = table('Rows of the file', ['Line', 'Email', 'Role', 'Phone', 'Channels', 'Check'], { hiddenCaption: true });
    el.id = 'bulk-preview-table';
    for (const { line, row, problems } of rows) {
      const str = (v: unknown) => (v === undefined ? '' : Array.isArray(v) ? (v.length ? v.join(', ') : 'none (link only)') : String(v));
      body.append(
        h(
          'tr',
          { class: problems.length ? 'bad' : null, 'data-line': line },
          cell('Line', String(line)),
          cell('Email', str(row.email)),
          cell('Role', str(row.role)),
          cell('Phone', str(row.phone)),
          cell('Channels', str(row.channels)),
          cell('Check', problems.length ? h('span', { class: 'error' }, `Problem: ${problems.join('; ')}`) : h('span', { class: 'success' }, 'Ready')),
        ),
      );
    }
    return el;
  };

  const showPreview = (rows: Checked[]) => {
    const good = rows.filter((r) => r.problems.length === 0);
    const bad = rows.length - good.length;
    // With problems, the problem rows come first: the rest is one click away.
    const onlyBad = h('input', { type: 'checkbox', id: 'bulk-only-bad', checked: bad > 0 });
    const holder = h('div', {}, rowTable(bad ? rows.filter((r) => r.problems.length) : rows));
    onlyBad.addEventListener('change', () => replace(holder, rowTable(onlyBad.checked ? rows.filter((r) => r.problems.length) : rows)));
    const send = h('button', { type: 'button', id: 'bulk-send', disabled: good.length === 0 }, `Send ${count(good.length)} invite${good.length === 1 ? '' : 's'}`);
    send.addEventListener('click', () => void run(rows, good));
    replace(
      preview,
      h('h2', { id: 'bulk-preview-title', tabindex: -1 }, 'Check the rows'),
      h(
        'p',
        { id: 'bulk-summary', class: bad ? 'error' : 'success' },
        `${count(rows.length)} rows: ${count(good.length)} ready to send, ${count(bad)} with problems${bad ? ' (they will not be sent; fix them and upload them again)' : ''}.`,
      ),
      h('div', { class: 'actions' }, send, bad ? h('label', { class: 'inline', for: 'bulk-only-bad' }, onlyBad, 'Show only rows with problems') : null),
      holder,
    );
    preview.hidden = false;
    progressSection.hidden = true;
    results.hidden = true;
    preview.querySelector<HTMLElement>('h2')?.focus();
  };

  file.addEventListener('change', async () => {
    const chosen = file.files?.[0];
    preview.hidden = progressSection.hidden = results.hidden = true;
    if (!chosen) return;
    fileStatus.className = '';
    fileStatus.textContent = `Reading ${chosen.name}…`;
    try {
      const rows = rowsFromCsv(await chosen.text());
      if (rows.length > maxRows) throw new CsvError(`The file has ${count(rows.length)} rows; upload at most ${count(maxRows)} at a time`);
      const problems = checkRows(rows.map((r) => r.row), ctx.org.role);
      fileStatus.textContent = '';
      showPreview(rows.map((r, i) => ({ ...r, problems: problems[i]! })));
    } catch (error) {
      fileStatus.className = 'error';
      fileStatus.textContent = error instanceof CsvError ? `${chosen.name} cannot be used: ${error.message}.` : `${chosen.name} could not be read.`;
    }
  });

  /** One chunk, retried on network errors, 5xx and 429 with the same Idempotency-Key. */
  const sendChunk = async (rows: Checked[]): Promise<BulkInviteReply> => {
    const key = crypto.randomUUID();
    for (let attempt = 1; ; attempt++) {
      try {
        return await ctx.api.post<BulkInviteReply>(orgPath(ctx, '/invites/bulk'), rows.map((r) => r.row), { 'idempotency-key': key });
      } catch (error) {
        const status = error instanceof ApiError ? error.status : 0;
        const retriable = status === 0 || status === 429 || status === 409 || status >= 500;
        if (!retriable || attempt >= 4 || leaving) throw error;
        const wait = error instanceof ApiError && error.problem.retryAfter ? error.problem.retryAfter * 1000 : 1000 * attempt;
        await sleep(wait);
      }
    }
  };

  const run = async (all: Checked[], good: Checked[]) => {
    preview.querySelector<HTMLButtonElement>('#bulk-send')!.disabled = true;
    file.disabled = true;
    preview.hidden = true;
    const bar = h('progress', { id: 'bulk-progress', max: good.length, value: 0 });
    const text = h('p', { id: 'bulk-progress-text', role: 'status' }, `0 of ${count(good.length)} rows sent`);
    replace(progressSection, h('h2', { id: 'bulk-run-title' }, 'Sending'), h('label', { for: 'bulk-progress' }, 'Progress'), bar, text);
    progressSection.hidden = false;
    const outcomes = new Map<number, Outcome>();
    for (const r of all) {
      if (r.problems.length) outcomes.set(r.line, { line: r.line, email: String(r.row.email ?? ''), created: false, reason: `Not sent: ${r.problems.join('; ')}` });
    }
    let sent = 0;
    for (let start = 0; start < good.length && !leaving; start += chunkSize) {
      const chunk = good.slice(start, start + chunkSize);
      try {
        const reply = await sendChunk(chunk);
        for (const result of reply.results) {
          const source = chunk[result.row]!;
          outcomes.set(source.line, {
            line: source.line,
            email: String(source.row.email),
            created: result.status === 'created',
            reason: result.status === 'created' ? 'Created' : `Failed: ${result.detail ?? result.code ?? 'refused'}`,
          });
        }
      } catch (error) {
        for (const source of chunk) outcomes.set(source.line, { line: source.line, email: String(source.row.email), created: false, reason: `Not sent: ${explain(error)}` });
      }
      sent += chunk.length;
      bar.value = sent;
      text.textContent = `${count(sent)} of ${count(good.length)} rows sent`;
    }
    file.disabled = false;
    if (!leaving) showResults([...outcomes.values()].sort((a, b) => a.line - b.line));
  };

  const showResults = (outcomes: Outcome[]) => {
    const created = outcomes.filter((o) => o.created).length;
    const failed = outcomes.filter((o) => !o.created);
    const { el, body } = table('Result per row', ['Line', 'Email', 'Result'], { hiddenCaption: true });
    el.id = 'bulk-results-table';
    for (const o of outcomes) {
      body.append(h('tr', { class: o.created ? null : 'bad', 'data-line': o.line }, cell('Line', String(o.line)), cell('Email', o.email), cell('Result', h('span', { class: o.created ? 'success' : 'error' }, o.reason))));
    }
    const summary = `${count(created)} invite${created === 1 ? '' : 's'} created${failed.length ? `, ${count(failed.length)} row${failed.length === 1 ? '' : 's'} not created` : ''}.`;
    replace(
      results,
      h('h2', { id: 'bulk-results-title', tabindex: -1 }, 'Results'),
      // Some created and some not is a partial success: amber, not the red of nothing done.
      h('p', { id: 'bulk-result-summary', class: failed.length === 0 ? 'success' : created > 0 ? 'partial' : 'error' }, summary),
      failed.length
        ? h('div', {}, h('h3', {}, 'Rows not created'), h('ul', { id: 'bulk-problems' }, failed.map((o) => h('li', {}, `Line ${o.line}${o.email ? ` (${o.email})` : ''}: ${o.reason}`))))
        : null,
      h('details', {}, h('summary', {}, `Result of every row (${count(outcomes.length)})`), el),
    );
    results.hidden = false;
    results.querySelector<HTMLElement>('h2')?.focus();
    announce(summary);
  };

  main.append(
    h('h1', { tabindex: -1 }, 'Bulk upload'),
    h(
      'section',
      { class: 'panel', 'aria-label': 'Choose a file' },
      h('label', { for: 'bulk-file' }, 'CSV file'),
      file,
      h(
        'p',
        { id: 'bulk-file-hint', class: 'hint' },
        `First line: column names, any of ${csvColumns.join(', ')} (email and role are required). Channels: email;sms, or none to create the link without sending. Rows are checked here before anything is sent.`,
      ),
      fileStatus,
    ),
    preview,
    progressSection,
    results,
  );
  return () => {
    leaving = true;
  };
};
