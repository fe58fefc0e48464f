import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { expect } from 'vitest';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { errorCatalogue, type ErrorCode } from '@invite/contracts';
import { buildGateway } from '../src/app.ts';
import { loadGatewayConfig, type GatewayConfig } from '../src/config.ts';
import { createGatewayDeps } from '../src/deps.ts';
import { testPrefix } from '../../../tests/support/database.ts';
import type { TestGateway } from './harness.ts';
import { orgRowJson } from '../../invites/test/harness.ts';

/** Helpers shared by the gateway's HTTP tests (the harness files stay untouched). */

export type Response = LightMyRequestResponse;
export type App = TestGateway['app'];

/** Authorization header of a bearer token. */
export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** Parses a JSON body (problem or not). */
export function json<T = Record<string, unknown>>(res: Response): T {
  return JSON.parse(res.body) as T;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: { path: string; message: string }[];
  instance?: string;
}

/**
 * Asserts that `res` is an RFC 9457 problem with the given status and code, shaped as
 * the design requires ({type, title, status, detail, code}, 400s with errors[{path, message}]),
 * and that a 5xx says nothing about internals. Returns the body.
 */
export function expectProblem(res: Response, status: number, code?: ErrorCode): ProblemBody {
  const context = `${res.statusCode} ${res.body}`;
  expect(res.statusCode, context).toBe(status);
  expect(String(res.headers['content-type']), context).toMatch(/^application\/problem\+json/);
  const body = json<ProblemBody>(res);
  expect(typeof body.type, context).toBe('string');
  expect(body.type.length, context).toBeGreaterThan(0);
  expect(typeof body.title, context).toBe('string');
  expect(typeof body.detail, context).toBe('string');
  expect(body.detail.length, context).toBeGreaterThan(0);
  expect(body.status, context).toBe(status);
  expect(typeof body.code, context).toBe('string');
  expect(body.code in errorCatalogue, context).toBe(true);
  expect(errorCatalogue[body.code as ErrorCode].status, context).toBe(status);
  if (code) expect(body.code, context).toBe(code);
  if (status === 400) {
    expect(Array.isArray(body.errors), `400 without errors[]: ${context}`).toBe(true);
    expect(body.errors!.length, context).toBeGreaterThan(0);
    for (const e of body.errors!) {
      expect(typeof e.path, context).toBe('string');
      expect(typeof e.message, context).toBe('string');
      expect(e.message.length, context).toBeGreaterThan(0);
    }
  }
  if (status >= 500) {
    expect(res.body, context).not.toMatch(/\bat .*\.ts:\d+|node_modules|Error:|stack|postgres|nats:\/\//i);
  }
  return body;
}

/** Asserts a 429 carries a positive integer Retry-After no longer than `maxSeconds`. */
export function expectRetryAfter(res: Response, maxSeconds: number): number {
  const header = res.headers['retry-after'];
  expect(header, `no Retry-After on ${res.statusCode} ${res.body}`).toBeDefined();
  expect(String(header)).toMatch(/^\d+$/);
  const seconds = Number(header);
  expect(seconds).toBeGreaterThanOrEqual(1);
  expect(seconds).toBeLessThanOrEqual(maxSeconds);
  return seconds;
}

/** Row counts of every table a request could change. */
export async function tableCounts(g: TestGateway): Promise<Record<string, number>> {
  const tables = ['orgs', 'users', 'memberships', 'invites', 'audit_log', 'outbox', 'refresh_tokens'];
  const out: Record<string, number> = {};
  for (const table of tables) {
    const rows = await g.invites.sql<{ n: number }>(`select count(*)::int as n from ${table}`);
    out[table] = rows[0]!.n;
  }
  return out;
}

/** Rows of every org-scoped table of one org, in a stable order, for before/after comparisons. */
export async function orgSnapshot(g: TestGateway, orgId: string) {
  const q = (query: string) => g.invites.sql(query, [orgId]);
  return {
    org: await q(`select ${orgRowJson} from orgs o where id = ?`),
    invites: await q(`select to_jsonb(i) as row from invites i where org_id = ? order by id`),
    memberships: await q(`select to_jsonb(m) as row from memberships m where org_id = ? order by id`),
    audit: await q(`select to_jsonb(a) as row from audit_log a where org_id = ? order by id`),
    outbox: await q(`select id, subject, payload from outbox where payload->>'orgId' = ? order by id`),
  };
}

/** A JSON POST (or other method) with a body. */
export function send(app: App, method: InjectOptions['method'], url: string, payload?: unknown, headers: Record<string, string> = {}) {
  return app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as InjectOptions['payload'] }), headers });
}

/** A 43-character token in the right alphabet that no invite has. */
export function unknownToken(): string {
  return randomBytes(32).toString('base64url');
}

export interface ExtraGateway {
  app: App;
  config: GatewayConfig;
  nc: NatsConnection;
  close(): Promise<void>;
}

/**
 * Another gateway instance, on its own NATS connection, built exactly as the server
 * does it (createGatewayDeps + buildGateway). With `prefix` = the harness's prefix it
 * is a second replica sharing the invites service and the KV buckets; with a fresh
 * prefix no invites service answers it. `ownsBuckets`: destroy its KV buckets on close
 * (only for a prefix of its own).
 */
export async function extraGateway(
  natsUrl: string,
  prefix: string,
  env: Record<string, string> = {},
  ownsBuckets = false,
  logger: boolean | object = false,
): Promise<ExtraGateway> {
  const nc = await connect({ servers: natsUrl, name: `gateway-test-${prefix}` });
  const config = loadGatewayConfig({ NODE_ENV: 'test', NATS_URL: natsUrl, NATS_PREFIX: prefix, GATEWAY_PORT: '0', LOG_LEVEL: 'warn', ...env });
  const deps = await createGatewayDeps(nc, config);
  const app = await buildGateway(deps, { logger });
  await app.ready();
  return {
    app,
    config,
    nc,
    async close() {
      await app.close();
      if (ownsBuckets) {
        const kvm = new Kvm(nc);
        for (const bucket of ['gateway_rate_limits', 'gateway_idempotency']) {
          await kvm.open(`${prefix}_${bucket}`).then((kv) => kv.destroy()).catch(() => {});
        }
      }
      await nc.drain();
    },
  };
}

/** A gateway on a NATS prefix where no invites service runs; `logger` as fastify takes it (default: silent). */
export function orphanGateway(natsUrl: string, env: Record<string, string> = {}, logger: boolean | object = false): Promise<ExtraGateway> {
  return extraGateway(natsUrl, testPrefix('orphan'), env, true, logger);
}

const uuidPattern = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
export { uuidPattern };
