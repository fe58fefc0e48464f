import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';

/**
 * The Prometheus side of operations: the rules load, their promtool unit tests pass,
 * every alert is documented and tested, and the dashboard and rules only use metrics
 * the services export (so renaming a metric breaks this test, not the pager).
 * promtool comes from Debian's `prometheus` package (.ci/run installs it).
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const rulesDir = 'deploy/prometheus/rules';
const testsDir = 'deploy/prometheus/tests';
const runbookBase = 'https://github.com/invite-platform/invite-platform/blob/main/README.md#runbook-';

type Rule = { record?: string; alert?: string; expr: string; labels?: Record<string, string>; annotations?: Record<string, string> };
const ruleFiles = readdirSync(`${root}${rulesDir}`).filter((f) => f.endsWith('.yml')).map((f) => `${rulesDir}/${f}`);
const testFiles = readdirSync(`${root}${testsDir}`).filter((f) => f.endsWith('.test.yml')).map((f) => `${testsDir}/${f}`);
const rules: Rule[] = ruleFiles.flatMap((f) => (parse(readFileSync(`${root}${f}`, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules));
const alerts = rules.filter((r) => r.alert);

function promtool(...args: string[]): { code: number | null; output: string } {
  const result = spawnSync('promtool', args, { cwd: root, encoding: 'utf8' });
  if (result.error) throw new Error(`promtool is needed (apt-get install prometheus): ${result.error.message}`);
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

const scratch = mkdtempSync(join(tmpdir(), 'alerts-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('Prometheus rules', () => {
  it('pass promtool check rules', () => {
    expect(ruleFiles.length).toBeGreaterThan(0);
    const { code, output } = promtool('check', 'rules', ...ruleFiles);
    expect(output).toContain('SUCCESS');
    expect(code, output).toBe(0);
  });

  it('pass their promtool unit tests', () => {
    expect(testFiles.length).toBeGreaterThan(0);
    const { code, output } = promtool('test', 'rules', ...testFiles);
    expect(output).not.toContain('FAILED');
    expect(code, output).toBe(0);
  });

  it('compose Prometheus configuration passes promtool check config', () => {
    const { code, output } = promtool('check', 'config', 'deploy/prometheus/prometheus.yml');
    expect(code, output).toBe(0);
  });

  it('every alert has a severity, a summary, a description and its runbook section', () => {
    const runbook = readFileSync(`${root}README.md`, 'utf8');
    // GitHub's heading anchors: lower case, punctuation dropped, spaces become hyphens.
    const anchors = new Set([...runbook.matchAll(/^#+ (.+)$/gm)].map((m) => m[1]!.toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-')));
    for (const alert of alerts) {
      const name = alert.alert!;
      expect(['critical', 'warning'], name).toContain(alert.labels?.severity);
      expect(alert.annotations?.summary, name).toBeTruthy();
      expect(alert.annotations?.description, name).toBeTruthy();
      expect(alert.annotations?.runbook_url, name).toBe(`${runbookBase}${name.toLowerCase()}`);
      expect(anchors.has(`runbook-${name.toLowerCase()}`), `README.md needs a heading "Runbook: ${name}"`).toBe(true);
    }
  });

  it('every alert has a unit test in which it fires', () => {
    const fired = new Set<string>();
    for (const file of testFiles) {
      const doc = parse(readFileSync(`${root}${file}`, 'utf8')) as { tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[] };
      for (const test of doc.tests) for (const t of test.alert_rule_test ?? []) if (t.exp_alerts?.length) fired.add(t.alertname);
    }
    expect(alerts.map((a) => a.alert).filter((name) => !fired.has(name!))).toEqual([]);
  });
});

/** Metric names the services register (prom-client `name: '...'`), with the series a histogram adds. */
function exportedMetrics(): Set<string> {
  const sources = ['services/gateway/src/http/metrics.ts', 'services/invites/src/metrics.ts', 'services/notifier/src/metrics.ts'];
  const names = new Set<string>();
  for (const source of sources) {
    const text = readFileSync(`${root}${source}`, 'utf8');
    for (const m of text.matchAll(/new (Counter|Gauge|Histogram|Summary)\(\{\s*name: '([a-z0-9_]+)'/g)) {
      names.add(m[2]!);
      if (m[1] === 'Histogram') for (const suffix of ['_bucket', '_count', '_sum']) names.add(`${m[2]}${suffix}`);
    }
  }
  return names;
}

/** Our own metric names in an expression: the services' prefixes and recording rules (with a colon). */
function ownMetricNames(expr: string): string[] {
  return [...expr.matchAll(/\b((?:gateway|invites|notifier)_[a-z0-9_]+|[a-z_]+:[a-z0-9_]+:[a-z0-9_]+)\b/g)].map((m) => m[1]!);
}

describe('metrics used by the rules and the dashboard', () => {
  const exported = exportedMetrics();
  const recorded = new Set(rules.filter((r) => r.record).map((r) => r.record!));
  const dashboard = JSON.parse(readFileSync(`${root}deploy/grafana/dashboards/invite-platform.json`, 'utf8')) as { uid: string; panels: { targets?: { expr: string }[] }[] };
  const dashboardExprs = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);

  it('the services export every metric the rules read', () => {
    expect(exported.size).toBeGreaterThan(10);
    const unknown = rules.flatMap((r) => ownMetricNames(r.expr)).filter((n) => !exported.has(n) && !recorded.has(n));
    expect([...new Set(unknown)]).toEqual([]);
  });

  it('the dashboard reads only exported or recorded metrics', () => {
    expect(dashboardExprs.length).toBeGreaterThan(10);
    const unknown = dashboardExprs.flatMap(ownMetricNames).filter((n) => !exported.has(n) && !recorded.has(n));
    expect([...new Set(unknown)]).toEqual([]);
  });

  it("every dashboard query is valid PromQL (promtool parses it as a rule)", () => {
    const file = join(scratch, 'dashboard.rules.yml');
    const asRules = dashboardExprs.map((expr, i) => ({ record: `dashboard:query:${i}`, expr: expr.replaceAll('$__rate_interval', '5m') }));
    writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules: asRules }] }));
    const { code, output } = promtool('check', 'rules', file);
    expect(code, output).toBe(0);
  });
});
