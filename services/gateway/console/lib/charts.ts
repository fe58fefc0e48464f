// Charts as inline SVG built here: no chart library. Each chart is an image with a
// text alternative; the numbers are also in a table next to it. Charts are drawn for
// the width they get (1 unit = 1 CSS pixel), so their text stays readable on a phone.
import { s } from './dom.ts';
import { count, percent } from './format.ts';
import type { Funnel } from './types.ts';

/**
 * Room for a number drawn beside a bar or an axis at the charts' 13px: a generous width per
 * character, so that "123,456 (100.0 %)" is never cut off by the edge of the SVG (which
 * clips whatever is drawn outside it), whatever the font.
 */
const textRoom = (text: string) => Math.ceil(text.length * 7.6) + 8;

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
  const valueText = (value: number) => `${count(value)}${funnel.created ? ` (${percent(value / funnel.created)})` : ''}`;
  const room = Math.max(...stages.map(([key]) => textRoom(valueText(funnel[key]))));
  return s(
    'svg',
    { class: 'chart', width, viewBox: `0 0 ${width} ${stages.length * rowHeight + 8}`, role: 'img', 'aria-label': `Funnel: ${label}` },
    stages.map(([key, name], i) => {
      const value = funnel[key];
      const barWidth = (Math.max(0, width - labelWidth - room) * value) / max;
      const y = i * rowHeight + 4;
      return s(
        'g',
        {},
        s('text', { x: 0, y: y + 19 }, name),
        s('rect', { x: labelWidth, y, width: Math.max(barWidth, value ? 2 : 0), height: rowHeight - 10, rx: 3, class: `bar-${key}` }),
        s('text', { x: labelWidth + barWidth + 8, y: y + 19 }, valueText(value)),
      );
    }),
  );
}

/** One row of bars (created, delivered, accepted) per group, e.g. per role or channel. */
export function groupChart(title: string, groups: [string, Funnel][], width = 640): SVGElement {
  const groupHeight = 64;
  const labelWidth = 90;
  const max = Math.max(1, ...groups.map(([, f]) => f.created));
  const room = Math.max(50, ...groups.flatMap(([, f]) => stages.map(([key]) => textRoom(count(f[key])))));
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
          const barWidth = (Math.max(0, width - labelWidth - room) * value) / max;
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
  const max = Math.max(1, ...days.map((d) => d.funnel.created));
  // The axis numbers sit left of the plot, in room of their own.
  const left = Math.max(36, textRoom(count(max)));
  const bottom = 24;
  const plotHeight = height - bottom - 10;
  const step = (width - left) / Math.max(1, days.length);
  // Two columns per day and a gap between days while there is room; never wider than the day's step (a year on a phone).
  const barWidth = step >= 4 ? step / 2 - 1 : step / 2;
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
