import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build, stop } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The analytics charts in chromium, with the console's styles: an SVG clips whatever it
 * draws outside its box, so a number beside a bar or an axis must get room for its length.
 * A regression test: "123,456 (100.0 %)" was cut off at the right edge on a phone.
 */
const consoleDir = fileURLToPath(new URL('../console/', import.meta.url));
let browser: Browser;
let script: string;
let css: string;

beforeAll(async () => {
  const entry = `
    import { dailyChart, funnelChart, groupChart } from './lib/charts.ts';
    const funnel = (created) => ({ created, delivered: created, accepted: Math.round(created * 0.9), declined: 0, withdrawn: 0, expired: 0, pending: 0,
      deliveryFailed: 0, acceptanceRate: 0.9, withdrawalRate: 0, expiryRate: 0, deliveryFailureRate: 0, medianSecondsToAccept: 60 });
    globalThis.drawCharts = (width, created, days) => document.body.replaceChildren(
      funnelChart(funnel(created), Math.min(width, 720)),
      groupChart('By role', [['Member', funnel(created)], ['Admin', funnel(12)]], width),
      dailyChart(Array.from({ length: days }, (_, i) => ({ day: '2026-11-' + String((i % 28) + 1).padStart(2, '0'), funnel: funnel(Math.round((created * i) / days)) })), width),
    );`;
  const result = await build({ stdin: { contents: entry, resolveDir: consoleDir, loader: 'ts' }, bundle: true, format: 'iife', platform: 'browser', write: false, logLevel: 'silent' });
  script = result.outputFiles[0]!.text;
  css = await readFile(`${consoleDir}console.css`, 'utf8');
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
  await stop();
});

describe('analytics charts', () => {
  it('keep every bar and number inside the chart, from a phone to a desktop, for small and large counts', async () => {
    const page = await browser.newPage();
    await page.setContent(`<!doctype html><html><head><style>${css}</style></head><body></body></html>`);
    await page.addScriptTag({ content: script });
    for (const width of [300, 366, 720, 960]) {
      for (const [created, days] of [
        [7, 1],
        [10, 30],
        [123_456, 30],
        [9_876_543, 366],
      ] as const) {
        await page.setViewportSize({ width, height: 900 });
        const cut = await page.evaluate(`(() => {
          drawCharts(${width}, ${created}, ${days});
          return [...document.querySelectorAll('svg.chart')].flatMap((svg) => {
            const box = svg.getBoundingClientRect();
            return [...svg.querySelectorAll('rect, text')]
              .filter((el) => { const r = el.getBoundingClientRect(); return r.width > 0 && (r.left < box.left - 0.5 || r.right > box.right + 0.5); })
              .map((el) => el.textContent || el.getAttribute('class'));
          });
        })()`);
        expect(cut, `${width} px, ${created} invites over ${days} days`).toEqual([]);
      }
    }
    await page.close();
  });
});
