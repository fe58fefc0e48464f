// Charts as inline SVG built here: no chart library. Each chart is an image with a
// text alternative; the numbers are also in a table next to it. Charts are drawn for
// the width they get (1 unit = 1 CSS pixel), so their text stays readable on a phone.
import { s } from './dom.ts';
import { count, percent } from './format.ts';
import type { Funnel } from './types.ts';

const stages = [
  ['created', 'Created'],
  ['delivered', 'Delivered'],
  ['accepted', 'Accepted'],
] as const;

/** Created → delivered → accepted as three horizontal bars. */
export function funnelChart(funnel: Funnel, width = 640): SVGElement {
  const rowHeight = 34;
  const labelWidth = 90;
  const max = Math.max(1, funnel.created);
  const label = stages.map(([key, name]) => `${name} ${count(funnel[key])}`).join(', ');
  return s(
    'svg',
    { class: 'chart', width, viewBox: `0 0 ${width} ${stages.length * rowHeight + 8}`, role: 'img', 'aria-label': `Funnel: ${label}` },
    stages.map(([key, name], i) => {
      const value = funnel[key];
      const barWidth = ((width - labelWidth - 110) * value) / max;
      const y = i * rowHeight + 4;
      const share = funnel.created ? ` (${percent(value / funnel.created)})` : '';
      return s(
        'g',
        {},
        s('text', { x: 0, y: y + 19 }, name),
        s('rect', { x: labelWidth, y, width: Math.max(barWidth, value ? 2 : 0), height: rowHeight - 10, rx: 3, class: `bar-${key}` }),
        s('text', { x: labelWidth + barWidth + 8, y: y + 19 }, `${count(value)}${share}`),
      );
    }),
  );
}

/** One row of bars (created, delivered, accepted) per group, e.g. per role or channel. */
export function groupChart(title: string, groups: [string, Funnel][], width = 640): SVGElement {
  const groupHeight = 64;
  const labelWidth = 90;
  const max = Math.max(1, ...groups.map(([, f]) => f.created));
  const label = groups.map(([name, f]) => `${name}: ${count(f.created)} created, ${count(f.delivered)} delivered, ${count(f.accepted)} accepted`).join('; ');
  return s(
    'svg',
    { class: 'chart', width, viewBox: `0 0 ${width} ${groups.length * groupHeight}`, role: 'img', 'aria-label': `${title}: ${label}` },
    groups.map(([name, funnel], g) =>
      s(
        'g',
        {},
        s('text', { x: 0, y: g * groupHeight + 30 }, name),
        stages.map(([key], i) => {
          const value = funnel[key];
          const barWidth = ((width - labelWidth - 50) * value) / max;
          const y = g * groupHeight + 4 + i * 18;
          return s(
            'g',
            {},
            s('rect', { x: labelWidth, y, width: Math.max(barWidth, value ? 2 : 0), height: 14, rx: 2, class: `bar-${key}` }),
            s('text', { x: labelWidth + barWidth + 6, y: y + 12 }, count(value)),
          );
        }),
      ),
    ),
  );
}

/** Created and accepted per day as paired columns, with a few date labels. */
export function dailyChart(days: { day: string; funnel: Funnel }[], width = 720): SVGElement {
  const height = 220;
  const left = 36;
  const bottom = 24;
  const plotHeight = height - bottom - 10;
  const max = Math.max(1, ...days.map((d) => d.funnel.created));
  const step = (width - left) / Math.max(1, days.length);
  const barWidth = Math.max(1, step / 2 - 1);
  const y = (v: number) => 10 + plotHeight - (plotHeight * v) / max;
  const labelEvery = Math.ceil(days.length / Math.max(2, Math.floor((width - left) / 70)));
  const totalCreated = days.reduce((n, d) => n + d.funnel.created, 0);
  const totalAccepted = days.reduce((n, d) => n + d.funnel.accepted, 0);
  return s(
    'svg',
    {
      class: 'chart',
      width,
      viewBox: `0 0 ${width} ${height}`,
      role: 'img',
      'aria-label': `Per day from ${days[0]?.day ?? ''} to ${days.at(-1)?.day ?? ''}: ${count(totalCreated)} created, ${count(totalAccepted)} accepted; the busiest day had ${count(max === 1 && totalCreated === 0 ? 0 : max)} invites.`,
    },
    s('line', { x1: left, x2: width, y1: y(0), y2: y(0), class: 'axis' }),
    s('line', { x1: left, x2: width, y1: y(max), y2: y(max), class: 'axis', 'stroke-dasharray': '4 4' }),
    s('text', { x: 0, y: y(max) + 4 }, count(max)),
    s('text', { x: 0, y: y(0) + 4 }, '0'),
    days.map(({ day, funnel }, i) => {
      const x = left + i * step;
      return s(
        'g',
        {},
        s('title', {}, `${day}: ${count(funnel.created)} created, ${count(funnel.accepted)} accepted`),
        s('rect', { x, y: y(funnel.created), width: barWidth, height: y(0) - y(funnel.created), class: 'bar-created' }),
        s('rect', { x: x + barWidth, y: y(funnel.accepted), width: barWidth, height: y(0) - y(funnel.accepted), class: 'bar-accepted' }),
        i % labelEvery === 0 ? s('text', { x, y: height - 6 }, day.slice(5)) : null,
      );
    }),
  );
}
