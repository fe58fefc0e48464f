import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import {
  checkContainers,
  checkCustomResources,
  checkDefaultDeny,
  checkEnvSources,
  checkReferences,
  parseYamlObjects,
  renderKustomization,
  type Obj,
} from './k8s-rules.ts';

/**
 * The Kubernetes manifests: each overlay renders with kubectl kustomize, every core
 * object passes the Kubernetes schema (kubernetes-models), custom resources carry
 * their required fields, and our own rules hold (probes, resources, restricted
 * security context, pinned images, selectors, default deny, rules in sync).
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const overlays = ['staging', 'production'];

const validator =
  <T,>(Model: new (data?: T) => { validate(): void }) =>
  (o: unknown) =>
    new Model(o as T).validate();
const schemas: Record<string, (o: unknown) => void> = {
  'v1/Namespace': validator(Namespace),
  'v1/ServiceAccount': validator(ServiceAccount),
  'v1/ConfigMap': validator(ConfigMap),
  'v1/Secret': validator(Secret),
  'v1/Service': validator(Service),
  'apps/v1/Deployment': validator(Deployment),
  'batch/v1/Job': validator(Job),
  'autoscaling/v2/HorizontalPodAutoscaler': validator(HorizontalPodAutoscaler),
  'policy/v1/PodDisruptionBudget': validator(PodDisruptionBudget),
  'networking.k8s.io/v1/Ingress': validator(Ingress),
  'networking.k8s.io/v1/NetworkPolicy': validator(NetworkPolicy),
};
/** Custom resources: checked by checkCustomResources, not by a schema. */
const customKinds = new Set(['keda.sh/v1alpha1/ScaledObject', 'postgresql.cnpg.io/v1/Cluster', 'monitoring.coreos.com/v1/ServiceMonitor', 'monitoring.coreos.com/v1/PrometheusRule']);

const secretTemplate = parseYamlObjects(readFileSync(`${root}k8s/base/config/secret.template.yaml`, 'utf8'))[0]!;
const rulesFile = parse(readFileSync(`${root}deploy/prometheus/rules/invite-platform.rules.yml`, 'utf8')) as { groups: unknown[] };

function allRules(objects: Obj[]): string[] {
  return [
    ...checkContainers(objects),
    ...checkReferences(objects),
    ...checkDefaultDeny(objects),
    ...checkEnvSources(objects, secretTemplate),
    ...checkCustomResources(objects),
  ];
}

describe.each(overlays)('k8s/overlays/%s', (overlay) => {
  const objects = renderKustomization(`k8s/overlays/${overlay}`, root);
  const kinds = (kind: string) => objects.filter((o) => o.kind === kind);

  it('renders the whole platform in one namespace', () => {
    for (const [kind, names] of Object.entries({
      Deployment: ['gateway', 'invites', 'notifier', 'webhooks'],
      Service: ['gateway', 'invites', 'notifier', 'webhooks'],
      HorizontalPodAutoscaler: ['gateway', 'invites'],
      ScaledObject: ['notifier'],
      PodDisruptionBudget: ['gateway', 'invites', 'notifier', 'webhooks'],
      ServiceMonitor: ['gateway', 'invites', 'notifier', 'webhooks'],
      Job: ['invites-migrate', 'nats-streams'],
      Ingress: ['gateway'],
      Cluster: ['invites-db'],
      PrometheusRule: ['invite-platform'],
    })) {
      expect(kinds(kind).map((o) => o.metadata.name).sort(), kind).toEqual(names.sort());
    }
    const namespaces = new Set(objects.filter((o) => o.kind !== 'Namespace').map((o) => o.metadata.namespace));
    expect(namespaces.size).toBe(1);
    expect(kinds('Namespace').map((o) => o.metadata.name)).toEqual([...namespaces]);
  });

  it('every core object passes the Kubernetes schema', () => {
    for (const o of objects) {
      const key = `${o.apiVersion}/${o.kind}`;
      if (customKinds.has(key)) continue;
      const validate = schemas[key];
      expect(validate, `no schema check for ${key}: add it to the test`).toBeDefined();
      expect(() => validate!(o), `${key} ${o.metadata.name}`).not.toThrow();
    }
  });

  it('follows our rules: probes, resources, restricted security, pinned images, selectors, default deny', () => {
    expect(allRules(objects)).toEqual([]);
  });

  it('carries the same alert rules as deploy/prometheus/rules', () => {
    const rule = kinds('PrometheusRule')[0]!;
    expect(rule.spec?.groups).toEqual(rulesFile.groups);
  });

  it('reaches the gateway only through the ingress, and only on the API paths', () => {
    const ingress = kinds('Ingress')[0]!;
    const paths = JSON.stringify(ingress.spec);
    expect(paths).not.toContain('"path":"/"');
    expect(paths).not.toContain('/metrics');
    const fromOutside = kinds('NetworkPolicy').filter((p) => JSON.stringify(p.spec).includes('ingress-nginx'));
    expect(fromOutside.map((p) => p.spec?.podSelector)).toEqual([{ matchLabels: { 'app.kubernetes.io/name': 'gateway' } }]);
  });
});

describe('k8s/base', () => {
  it('keeps the generated PrometheusRule file identical to the rules file', () => {
    const generated = parseYamlObjects(readFileSync(`${root}k8s/base/monitoring/prometheusrule.yaml`, 'utf8'))[0]!;
    expect(generated.spec?.groups, 'run: node scripts/sync-prometheus-rule.ts').toEqual(rulesFile.groups);
  });

  it('runs NATS as a 3-node JetStream cluster that fsyncs every write', () => {
    const values = parse(readFileSync(`${root}k8s/nats/values.yaml`, 'utf8')) as {
      config: { cluster: { enabled: boolean; replicas: number }; jetstream: { enabled: boolean; fileStore: { enabled: boolean }; merge: Record<string, unknown> } };
      container: { image: { tag: string } };
    };
    expect(values.config.cluster).toMatchObject({ enabled: true, replicas: 3 });
    expect(values.config.jetstream).toMatchObject({ enabled: true, fileStore: { enabled: true }, merge: { sync_interval: 'always' } });
    expect(values.container.image.tag).toMatch(/^2\.(1[1-9]|[2-9]\d)\.\d+/);
  });

  it('ships a Secret template with placeholders only', () => {
    expect(() => schemas['v1/Secret']!(secretTemplate)).not.toThrow();
    expect(Object.values(secretTemplate.stringData ?? {}).every((v) => v === 'REPLACE_ME')).toBe(true);
  });
});

/** The rules must bite: each deliberate breakage of the rendered manifests is reported. */
describe('the k8s rules catch broken manifests', () => {
  const pristine = renderKustomization('k8s/overlays/production', root);
  const broken = (mutate: (objects: Obj[]) => void) => {
    const objects = structuredClone(pristine);
    mutate(objects);
    return allRules(objects);
  };
  const find = (objects: Obj[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
  const container = (objects: Obj[], name: string) =>
    (find(objects, 'Deployment', name).spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec.containers[0]!;

  it.each([
    ['a missing liveness probe', /no livenessProbe/, (o: Obj[]) => delete container(o, 'gateway').livenessProbe],
    ['a readiness probe on the wrong path', /readinessProbe should GET \/readyz/, (o: Obj[]) => (container(o, 'notifier').readinessProbe = { httpGet: { path: '/healthz', port: 'ops' } })],
    ['missing limits', /no limits.memory/, (o: Obj[]) => (container(o, 'invites').resources = { requests: { cpu: '1', memory: '1Gi' } })],
    ['a root user', /runAsUser must be a non-zero uid/, (o: Obj[]) => ((container(o, 'gateway').securityContext as Record<string, unknown>).runAsUser = 0)],
    ['a writable root filesystem', /readOnlyRootFilesystem/, (o: Obj[]) => ((container(o, 'notifier').securityContext as Record<string, unknown>).readOnlyRootFilesystem = false)],
    ['an image on :latest', /uses :latest/, (o: Obj[]) => (container(o, 'gateway').image = 'ghcr.io/invite-platform/gateway:latest')],
    ['an image without a tag', /has no tag/, (o: Obj[]) => (container(o, 'invites').image = 'ghcr.io/invite-platform/invites')],
    ['a Service selecting nothing', /matches no pod template/, (o: Obj[]) => ((find(o, 'Service', 'notifier').spec as Record<string, unknown>).selector = { 'app.kubernetes.io/name': 'notfier' })],
    ['no default deny', /no default-deny NetworkPolicy/, (o: Obj[]) => o.splice(o.indexOf(find(o, 'NetworkPolicy', 'default-deny-all')), 1)],
    ['a KEDA trigger on the wrong consumer', /consumer notifier/, (o: Obj[]) => (((find(o, 'ScaledObject', 'notifier').spec as { triggers: { metadata: Record<string, string> }[] }).triggers[0]!.metadata.consumer = 'other'))],
    ['a Secret key the template lacks', /missing from the Secret template/, (o: Obj[]) => (container(o, 'gateway').env as { valueFrom?: { secretKeyRef?: { key: string } } }[]).find((e) => e.valueFrom?.secretKeyRef)!.valueFrom!.secretKeyRef!.key = 'NOPE'],
  ])('reports %s', (_name, message, mutate) => {
    const problems = broken(mutate);
    expect(problems.some((p) => message.test(p)), problems.join('\n')).toBe(true);
  });
});
