import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * docker-compose.yml cannot be run here (no Docker engine in CI), so its promises are
 * checked on the file: the services are built from the Dockerfile, run as in
 * production and non-root, and start only once what they need is healthy.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
type ComposeService = {
  image?: string;
  build?: { context: string; args?: Record<string, string> };
  user?: string;
  read_only?: boolean;
  cap_drop?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
};
const compose = parse(readFileSync(`${root}docker-compose.yml`, 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };
const apps = ['gateway', 'invites', 'notifier', 'webhooks'];

describe('docker-compose.yml', () => {
  it('has the platform and its infrastructure', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['gateway', 'grafana', 'invites', 'jaeger', 'mailpit', 'nats', 'nats-exporter', 'notifier', 'postgres', 'prometheus', 'webhooks'].sort(),
    );
  });

  it.each(apps)('%s is built from the Dockerfile and runs as in production, non-root', (name) => {
    const service = compose.services[name]!;
    expect(service.build?.args?.SERVICE).toBe(name);
    expect(service.user).toBe('1000:1000');
    expect(service.read_only).toBe(true);
    expect(service.cap_drop).toEqual(['ALL']);
    expect(service.environment).toMatchObject({ NODE_ENV: 'production', NATS_URL: 'nats://nats:4222', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' });
    expect(service.depends_on?.nats?.condition).toBe('service_healthy');
  });

  it('wires the database, the SMTP server and the secrets', () => {
    expect(compose.services.invites!.environment?.DATABASE_URL).toMatch(/^postgres:\/\/.*@postgres:5432\/invites$/);
    expect(compose.services.invites!.depends_on?.postgres?.condition).toBe('service_healthy');
    expect(compose.services.webhooks!.environment?.DATABASE_URL).toBe(compose.services.invites!.environment?.DATABASE_URL);
    expect(compose.services.webhooks!.depends_on?.invites?.condition).toBe('service_healthy');
    expect(compose.services.notifier!.environment?.SMTP_URL).toBe('smtp://mailpit:1025');
    for (const [name, keys] of Object.entries({ invites: ['JWT_PRIVATE_KEY', 'JWT_PUBLIC_KEY', 'TOKEN_ENCRYPTION_KEY'], notifier: ['TOKEN_ENCRYPTION_KEY'], webhooks: ['TOKEN_ENCRYPTION_KEY'], gateway: ['JWT_PUBLIC_KEY'] })) {
      // `${VAR:?message}`: compose refuses to start without the secret instead of running with none.
      for (const key of keys) expect(compose.services[name]!.environment?.[key], `${name} ${key}`).toMatch(new RegExp(`^\\$\\{${key}:\\?`));
    }
  });

  it('every service that others wait for has a healthcheck', () => {
    const awaited = new Set(Object.values(compose.services).flatMap((s) => Object.entries(s.depends_on ?? {}).filter(([, d]) => d.condition === 'service_healthy').map(([n]) => n)));
    for (const name of awaited) {
      const service = compose.services[name]!;
      // The app images carry a HEALTHCHECK of their own (Dockerfile).
      if (apps.includes(name)) continue;
      expect(service.healthcheck?.test, name).toBeDefined();
    }
  });

  it('runs a NATS server that fsyncs every write, and pins every image', () => {
    expect(readFileSync(`${root}deploy/nats/nats.conf`, 'utf8')).toMatch(/^\s*sync_interval:\s*always\s*$/m);
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.build) continue;
      expect(service.image, name).toMatch(/:[\w.-]+$/);
      expect(service.image, name).not.toMatch(/:latest$/);
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(`${root}Dockerfile`, 'utf8');

  it('copies the manifest of every workspace before npm ci (the lockfile covers them all)', () => {
    const workspaces = ['libs', 'services'].flatMap((dir) =>
      readdirSync(`${root}${dir}`, { withFileTypes: true })
        .filter((d) => d.isDirectory() && existsSync(`${root}${dir}/${d.name}/package.json`))
        .map((d) => `${dir}/${d.name}`),
    );
    expect(workspaces.length).toBeGreaterThan(3);
    for (const ws of workspaces) expect(dockerfile, ws).toContain(`COPY ${ws}/package.json ${ws}/`);
  });

  it('installs production dependencies only and runs as a non-root user under tini, with a health check', () => {
    expect(dockerfile).toMatch(/npm ci --omit=dev --include-workspace-root=false/);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24\.\d+\.\d+-bookworm-slim$/m);
    expect(dockerfile).toMatch(/^USER 1000:1000$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
    expect(dockerfile).toMatch(/NODE_ENV=production/);
  });
});
