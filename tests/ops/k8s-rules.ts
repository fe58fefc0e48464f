import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';

/**
 * Our own rules for the Kubernetes manifests, as pure functions over the rendered
 * objects: each returns the list of violations (empty when the manifests comply), so
 * tests/ops/k8s.test.ts can run them on the real overlays and on broken copies.
 */

export type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
};

type Rec = Record<string, unknown>;
type Container = Rec & { name: string; image?: string; securityContext?: Rec; resources?: Rec; ports?: Rec[] };
type PodSpec = Rec & { containers: Container[]; initContainers?: Container[]; securityContext?: Rec };

/** `kubectl kustomize <dir>`, parsed. Throws with kubectl's message when it fails. */
export function renderKustomization(dir: string, cwd: string): Obj[] {
  const result = spawnSync('kubectl', ['kustomize', dir], { cwd, encoding: 'utf8' });
  if (result.error) throw new Error(`kubectl is needed for these tests: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${result.stderr}`);
  return parseYamlObjects(result.stdout);
}

export function parseYamlObjects(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length) throw new Error(doc.errors.map(String).join('\n'));
      return doc.toJS() as Obj | null;
    })
    .filter((o): o is Obj => o !== null);
}

const asRec = (value: unknown): Rec => (value && typeof value === 'object' ? (value as Rec) : {});
const id = (o: Obj) => `${o.kind} ${o.metadata.namespace ?? '-'}/${o.metadata.name}`;

/** The pod templates of the workloads, with whether they are long-running (probes apply). */
export function podTemplates(objects: Obj[]): { owner: Obj; labels: Record<string, string>; spec: PodSpec; longRunning: boolean }[] {
  return objects.flatMap((o) => {
    if (!['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(o.kind)) return [];
    const template = asRec(asRec(o.spec).template);
    const labels = (asRec(template.metadata).labels ?? {}) as Record<string, string>;
    return [{ owner: o, labels, spec: template.spec as PodSpec, longRunning: o.kind !== 'Job' }];
  });
}

function matches(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** Probes, resources, the restricted security context and pinned images. */
export function checkContainers(objects: Obj[]): string[] {
  const problems: string[] = [];
  for (const { owner, spec, longRunning } of podTemplates(objects)) {
    const pod = asRec(spec.securityContext);
    for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
      const where = `${id(owner)} container ${c.name}`;
      const sc = asRec(c.securityContext);
      const effective = (key: string) => (sc[key] !== undefined ? sc[key] : pod[key]);
      if (longRunning) {
        for (const [probe, path] of [['livenessProbe', '/healthz'], ['readinessProbe', '/readyz']] as const) {
          const get = asRec(asRec(c[probe]).httpGet);
          if (!c[probe]) problems.push(`${where}: no ${probe}`);
          else if (get.path !== path) problems.push(`${where}: ${probe} should GET ${path}, not ${String(get.path)}`);
          else if (typeof get.port === 'string' && !(c.ports ?? []).some((p) => p.name === get.port)) {
            problems.push(`${where}: ${probe} uses port "${get.port}" which the container does not declare`);
          }
        }
      }
      const resources = asRec(c.resources);
      for (const kind of ['requests', 'limits']) {
        for (const resource of ['cpu', 'memory']) {
          if (asRec(resources[kind])[resource] === undefined) problems.push(`${where}: no ${kind}.${resource}`);
        }
      }
      if (effective('runAsNonRoot') !== true) problems.push(`${where}: runAsNonRoot is not true`);
      const uid = effective('runAsUser');
      if (typeof uid !== 'number' || uid === 0) problems.push(`${where}: runAsUser must be a non-zero uid`);
      if (sc.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation is not false`);
      if (sc.readOnlyRootFilesystem !== true) problems.push(`${where}: readOnlyRootFilesystem is not true`);
      const drop = (asRec(sc.capabilities).drop ?? []) as string[];
      if (!drop.includes('ALL')) problems.push(`${where}: capabilities do not drop ALL`);
      if (asRec(effective('seccompProfile')).type !== 'RuntimeDefault') problems.push(`${where}: seccompProfile is not RuntimeDefault`);
      problems.push(...checkImage(where, c.image));
    }
  }
  return problems;
}

/** Pinned: a tag that is not `latest`, or a digest. */
export function checkImage(where: string, image: string | undefined): string[] {
  if (!image) return [`${where}: no image`];
  const [name, digest] = image.split('@');
  const lastSegment = name!.split('/').pop()!;
  const tag = lastSegment.includes(':') ? lastSegment.split(':').pop() : undefined;
  if (digest && !/^sha256:[a-f0-9]{64}$/.test(digest)) return [`${where}: malformed digest in ${image}`];
  if (!tag && !digest) return [`${where}: image ${image} has no tag`];
  if (tag === 'latest') return [`${where}: image ${image} uses :latest`];
  return [];
}

/** Every selector (Service, PDB) selects some pod template; every scale target exists. */
export function checkReferences(objects: Obj[]): string[] {
  const problems: string[] = [];
  const templates = podTemplates(objects);
  const inNamespace = (o: Obj) => templates.filter((t) => t.owner.metadata.namespace === o.metadata.namespace);
  for (const o of objects) {
    const spec = asRec(o.spec);
    if (o.kind === 'Service') {
      const selector = spec.selector as Record<string, string> | undefined;
      if (!inNamespace(o).some((t) => matches(selector, t.labels))) problems.push(`${id(o)}: selector ${JSON.stringify(selector)} matches no pod template`);
      for (const port of (spec.ports ?? []) as Rec[]) {
        if (typeof port.targetPort !== 'string') continue;
        const declared = inNamespace(o)
          .filter((t) => matches(selector, t.labels))
          .some((t) => t.spec.containers.some((c) => (c.ports ?? []).some((p) => p.name === port.targetPort)));
        if (!declared) problems.push(`${id(o)}: targetPort "${port.targetPort}" is not a named port of the selected pods`);
      }
    }
    if (o.kind === 'PodDisruptionBudget') {
      const selector = asRec(spec.selector).matchLabels as Record<string, string> | undefined;
      if (!inNamespace(o).some((t) => matches(selector, t.labels))) problems.push(`${id(o)}: selector matches no pod template`);
    }
    if (o.kind === 'HorizontalPodAutoscaler' || o.kind === 'ScaledObject') {
      const ref = asRec(spec.scaleTargetRef);
      const target = objects.find((t) => t.kind === (ref.kind ?? 'Deployment') && t.metadata.name === ref.name && t.metadata.namespace === o.metadata.namespace);
      if (!target) problems.push(`${id(o)}: scale target ${String(ref.kind ?? 'Deployment')} ${String(ref.name)} does not exist`);
      else if (asRec(target.spec).replicas !== undefined) problems.push(`${id(o)}: ${id(target)} sets replicas, which fights the autoscaler`);
    }
    if (o.kind === 'Ingress') {
      for (const rule of (spec.rules ?? []) as Rec[]) {
        for (const path of (asRec(rule.http).paths ?? []) as Rec[]) {
          const backend = asRec(asRec(path.backend).service);
          const service = objects.find((s) => s.kind === 'Service' && s.metadata.name === backend.name && s.metadata.namespace === o.metadata.namespace);
          const portName = asRec(backend.port).name;
          if (!service) problems.push(`${id(o)}: backend service ${String(backend.name)} does not exist`);
          else if (!((asRec(service.spec).ports ?? []) as Rec[]).some((p) => p.name === portName)) problems.push(`${id(o)}: service port ${String(portName)} does not exist`);
        }
      }
    }
  }
  return problems;
}

/** Every namespace that holds workloads or NetworkPolicies has a default deny of both directions. */
export function checkDefaultDeny(objects: Obj[]): string[] {
  const namespaces = new Set(
    objects.filter((o) => o.kind === 'NetworkPolicy' || podTemplates([o]).length > 0).map((o) => o.metadata.namespace ?? 'default'),
  );
  const problems: string[] = [];
  for (const ns of namespaces) {
    const denies = objects.some((o) => {
      if (o.kind !== 'NetworkPolicy' || (o.metadata.namespace ?? 'default') !== ns) return false;
      const spec = asRec(o.spec);
      const everyPod = Object.keys(asRec(spec.podSelector)).length === 0;
      const types = (spec.policyTypes ?? []) as string[];
      return everyPod && types.includes('Ingress') && types.includes('Egress') && !spec.ingress && !spec.egress;
    });
    if (!denies) problems.push(`namespace ${ns}: no default-deny NetworkPolicy (empty podSelector, Ingress and Egress, no rules)`);
  }
  return problems;
}

/** ConfigMaps and Secret keys that containers read exist (the CNPG app Secret is written by the operator). */
export function checkEnvSources(objects: Obj[], secretTemplate: Obj): string[] {
  const problems: string[] = [];
  const cnpgSecrets = new Set(objects.filter((o) => o.kind === 'Cluster').map((o) => `${o.metadata.name}-app`));
  for (const { owner, spec } of podTemplates(objects)) {
    for (const c of spec.containers) {
      const configMaps = [
        ...((c.envFrom ?? []) as Rec[]).map((e) => asRec(e.configMapRef).name),
        ...((c.env ?? []) as Rec[]).map((e) => asRec(asRec(e.valueFrom).configMapKeyRef).name),
      ].filter(Boolean);
      for (const name of configMaps) {
        if (!objects.some((o) => o.kind === 'ConfigMap' && o.metadata.name === name && o.metadata.namespace === owner.metadata.namespace)) {
          problems.push(`${id(owner)}: ConfigMap ${String(name)} does not exist`);
        }
      }
      for (const e of (c.env ?? []) as Rec[]) {
        const ref = asRec(asRec(e.valueFrom).secretKeyRef);
        if (!ref.name) continue;
        if (cnpgSecrets.has(String(ref.name))) continue;
        if (ref.name !== secretTemplate.metadata.name) problems.push(`${id(owner)}: Secret ${String(ref.name)} is neither the template nor a CNPG app secret`);
        else if (!(String(ref.key) in (secretTemplate.stringData ?? {}))) problems.push(`${id(owner)}: key ${String(ref.key)} is missing from the Secret template`);
      }
    }
  }
  return problems;
}

/** Required fields of the custom resources, which no schema package validates for us. */
export function checkCustomResources(objects: Obj[]): string[] {
  const problems: string[] = [];
  for (const o of objects) {
    const spec = asRec(o.spec);
    if (o.apiVersion === 'keda.sh/v1alpha1' && o.kind === 'ScaledObject') {
      const trigger = asRec(((spec.triggers ?? []) as Rec[])[0]);
      const meta = asRec(trigger.metadata);
      if (trigger.type !== 'nats-jetstream') problems.push(`${id(o)}: trigger type is not nats-jetstream`);
      if (meta.stream !== 'INVITES' || meta.consumer !== 'notifier') problems.push(`${id(o)}: must watch stream INVITES, consumer notifier`);
      for (const key of ['natsServerMonitoringEndpoint', 'account', 'lagThreshold']) if (!meta[key]) problems.push(`${id(o)}: trigger metadata ${key} missing`);
      if (!String(meta.natsServerMonitoringEndpoint).includes(`.${o.metadata.namespace}.svc`)) {
        problems.push(`${id(o)}: natsServerMonitoringEndpoint ${String(meta.natsServerMonitoringEndpoint)} is not in namespace ${o.metadata.namespace}`);
      }
      if (typeof spec.minReplicaCount !== 'number' || typeof spec.maxReplicaCount !== 'number') problems.push(`${id(o)}: min/maxReplicaCount missing`);
    } else if (o.apiVersion === 'postgresql.cnpg.io/v1' && o.kind === 'Cluster') {
      if (spec.instances !== 3) problems.push(`${id(o)}: instances should be 3`);
      if (!asRec(spec.storage).size) problems.push(`${id(o)}: storage.size missing`);
      const initdb = asRec(asRec(spec.bootstrap).initdb);
      if (!initdb.database || !initdb.owner) problems.push(`${id(o)}: bootstrap.initdb database/owner missing`);
      if (!String(spec.imageName ?? '').includes(':')) problems.push(`${id(o)}: imageName must carry a tag`);
    } else if (o.apiVersion === 'monitoring.coreos.com/v1' && o.kind === 'ServiceMonitor') {
      const selector = asRec(spec.selector).matchLabels as Record<string, string> | undefined;
      const services = objects.filter((s) => s.kind === 'Service' && s.metadata.namespace === o.metadata.namespace && matches(selector, s.metadata.labels ?? {}));
      if (services.length === 0) problems.push(`${id(o)}: selector matches no Service`);
      for (const endpoint of (spec.endpoints ?? []) as Rec[]) {
        const ok = services.some((s) => ((asRec(s.spec).ports ?? []) as Rec[]).some((p) => p.name === endpoint.port));
        if (!ok) problems.push(`${id(o)}: endpoint port ${String(endpoint.port)} is not a port of the selected Service`);
        if (endpoint.path !== '/metrics') problems.push(`${id(o)}: endpoint path should be /metrics`);
      }
    } else if (o.apiVersion === 'monitoring.coreos.com/v1' && o.kind === 'PrometheusRule') {
      if (!Array.isArray(spec.groups) || spec.groups.length === 0) problems.push(`${id(o)}: no rule groups`);
    }
  }
  return problems;
}
