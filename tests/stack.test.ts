import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv } from '../services/invites/test/harness.ts';
import { deleteNotifierState, eventually } from '../services/notifier/test/support/harness.ts';
import { startSmtpMailbox, type SmtpMailbox } from '../services/notifier/test/support/smtp-mailbox.ts';
import { freePort, run, startService, type ServiceProcess } from './support/processes.ts';

/**
 * The system as `npm start` runs it: scripts/start.ts spawning gateway, invites and
 * notifier as separate processes, with a real SMTP server and an OTLP/HTTP collector
 * in this test. One invite sent over HTTP must arrive by email, and its trace must
 * span all three services.
 */
interface CollectedSpan {
  service: string;
  traceId: string;
  name: string;
}

let stack: ServiceProcess;
let smtp: SmtpMailbox;
let collector: Server;
const spans: CollectedSpan[] = [];
let env: Record<string, string>;
let base: string;
let dropDatabase: () => Promise<void>;

/** An OTLP/HTTP (JSON) trace receiver keeping (service, traceId, span name). */
async function startCollector(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const payload = JSON.parse(body) as {
          resourceSpans?: {
            resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
            scopeSpans?: { spans?: { traceId: string; name: string }[] }[];
          }[];
        };
        for (const resourceSpans of payload.resourceSpans ?? []) {
          const service = resourceSpans.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '?';
          for (const scope of resourceSpans.scopeSpans ?? []) for (const span of scope.spans ?? []) spans.push({ service, traceId: span.traceId, name: span.name });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function http<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

beforeAll(async () => {
  smtp = await startSmtpMailbox();
  const otlp = await startCollector();
  collector = otlp.server;
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const isolated = await isolatedEnv('stack');
  dropDatabase = isolated.db.drop;
  // As on a fresh PostgreSQL server: the database does not exist until the invites service creates it.
  await isolated.db.drop();
  env = {
    ...isolated.env,
    LOG_LEVEL: 'info',
    GATEWAY_HOST: '127.0.0.1',
    GATEWAY_PORT: String(port),
    APP_BASE_URL: base,
    INVITES_HTTP_PORT: '0',
    NOTIFIER_HTTP_PORT: '0',
    WEBHOOKS_HTTP_PORT: '0',
    SMTP_URL: smtp.url,
    SMTP_FROM: 'invites@stack.test',
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '200',
  };
  stack = startService('scripts/start.ts', env);
  await Promise.all([
    stack.waitFor(/\[invites\].*"msg":"invites ready"/, 60_000),
    stack.waitFor(/\[notifier\].*"msg":"notifier ready"/, 60_000),
    stack.waitFor(/\[webhooks\].*"msg":"webhooks ready"/, 60_000),
    stack.waitFor(/\[gateway\].*Server listening at/, 60_000),
  ]);
  // The console's address, once all three are ready (and only then: it comes after each ready line).
  await stack.waitFor(/^Ready in [\d.]+ s → http:\/\/127\.0\.0\.1:\d+\/console$/m, 10_000);
  // A database without an organisation: the next step is named.
  await stack.waitFor(/^No organisation yet\. Create the first one /, 10_000);
  await stack.waitFor(/^ {2}npm run admin -- create-org$/, 10_000);
});

afterAll(async () => {
  await stack?.stop('SIGINT');
  const nc = await connect({ servers: env.NATS_URL });
  const jsm = await jetstreamManager(nc);
  await deleteNotifierState(nc, jsm, env.NATS_PREFIX!);
  for (const info of await jsm.streams.list().next()) {
    if (info.config.name.includes(env.NATS_PREFIX!)) await jsm.streams.delete(info.config.name).catch(() => {});
  }
  await nc.drain();
  await dropDatabase?.();
  await smtp?.close();
  collector?.close();
});

describe('the three services as npm start runs them', () => {
  it('delivers an invite created over HTTP by email, in one trace across gateway, invites and notifier', async () => {
    const ownerEmail = `owner.${Date.now()}@stack.test`;
    const created = await run('scripts/admin.ts', ['create-org', '--name', 'Stack Org', '--seats', '5', '--owner-email', ownerEmail], env);
    expect(created.code, created.stderr).toBe(0);
    const bootstrap = JSON.parse(created.stdout) as { orgId: string; ownerInvite: { acceptUrl: string } };
    // The operator's link: the token and the address proof (the operator vouches for the owner's address).
    const ownerLink = new URLSearchParams(new URL(bootstrap.ownerInvite.acceptUrl).hash.slice(1));
    // The owner's invite is delivered too: the relay and notifier work without any HTTP request.
    await eventually(() => smtp.deliveredTo(ownerEmail)[0], 30_000, "the owner's email");

    expect((await http('POST', '/v1/invites/accept', { token: ownerLink.get('token'), proof: ownerLink.get('proof'), name: 'Sam Owner', username: `sam${Date.now()}`, password: 'owner password 123' })).status).toBe(201);
    const login = await http<{ accessToken: string }>('POST', '/v1/auth/login', { email: ownerEmail, password: 'owner password 123' });

    const traceId = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    const invitee = `invitee.${Date.now()}@stack.test`;
    const invite = await http<{ acceptUrl: string }>('POST', `/v1/orgs/${bootstrap.orgId}/invites`, { email: invitee, role: 'member' }, {
      authorization: `Bearer ${login.body.accessToken}`,
      traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
    });
    expect(invite.status).toBe(201);

    const email = await eventually(() => smtp.deliveredTo(invitee)[0], 30_000, "the invitee's email");
    expect(email.parsed.text).toContain(invite.body.acceptUrl);

    const expected = [
      /^gateway: POST \/v1\/orgs\/:orgId\/invites$/,
      /^gateway: .*invite\.create request$/,
      /^invites: .*invite\.create handle$/,
      /^invites: postgresql transaction$/,
      /^invites: .*invites\.events\.created publish$/,
      /^notifier: .*invites\.events\.created deliver$/,
      /^notifier: email send$/,
      /^invites: .*notifications\.events\.sent record$/,
    ];
    const names = await eventually(
      () => {
        const seen = spans.filter((s) => s.traceId === traceId).map((s) => `${s.service}: ${s.name}`);
        return expected.every((pattern) => seen.some((name) => pattern.test(name))) ? seen : undefined;
      },
      30_000,
      'the spans of every hop in the invite trace',
    );
    expect(new Set(names.map((n) => n.split(':')[0]))).toEqual(new Set(['gateway', 'invites', 'notifier']));
  });

  it('names a port that is already in use in one line, and starts nothing', async () => {
    const busy = stack.output().match(/Server listening at http:\/\/127\.0\.0\.1:(\d+)/)![1]!;
    const second = await run('scripts/start.ts', [], { ...env, GATEWAY_PORT: busy });
    expect(second.code).toBe(1);
    expect(second.stderr).toBe(`Cannot start:\n  port ${busy} (GATEWAY_PORT, the gateway) is already in use: stop what holds it, or set GATEWAY_PORT to a free port\n`);
    expect(second.stdout).toBe('');
  });

  it('stops every service cleanly on Ctrl-C', async () => {
    const code = await stack.stop('SIGINT');
    expect(code).toBe(0);
    expect(stack.output()).toMatch(/\[gateway\]/);
    expect(stack.output()).toMatch(/"msg":"invites stopping"/);
    expect(stack.output()).toMatch(/"msg":"notifier stopping/);
    expect(stack.output()).toMatch(/"msg":"webhooks stopping/);
  });
});
