import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

/**
 * Writes k8s/base/monitoring/prometheusrule.yaml from deploy/prometheus/rules/invite-platform.rules.yml,
 * so Kubernetes (Prometheus Operator) and docker compose evaluate the same rules.
 *
 *   node scripts/sync-prometheus-rule.ts           # regenerate
 *   node scripts/sync-prometheus-rule.ts --check   # exit 1 when the copy is stale
 *
 * tests/ops/k8s.test.ts compares the two as well, so drift fails the tests.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const source = 'deploy/prometheus/rules/invite-platform.rules.yml';
const target = 'k8s/base/monitoring/prometheusrule.yaml';

const rules = parse(readFileSync(`${root}${source}`, 'utf8')) as { groups: unknown[] };
const resource = {
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'PrometheusRule',
  metadata: {
    name: 'invite-platform',
    labels: { 'app.kubernetes.io/name': 'invite-platform', release: 'kube-prometheus-stack' },
  },
  spec: { groups: rules.groups },
};
const text = `# GENERATED from ${source} by scripts/sync-prometheus-rule.ts: do not edit.\n${stringify(resource, { lineWidth: 0 })}`;

if (process.argv.includes('--check')) {
  const current = readFileSync(`${root}${target}`, 'utf8');
  if (current !== text) {
    process.stderr.write(`${target} is stale: run node scripts/sync-prometheus-rule.ts\n`);
    process.exit(1);
  }
} else {
  writeFileSync(`${root}${target}`, text);
  process.stdout.write(`wrote ${target}\n`);
}
