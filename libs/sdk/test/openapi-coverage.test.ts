import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../src/index.ts';
import { startTestGateway, type TestGateway } from '../../../services/gateway/test/harness.ts';

/**
 * The SDK covers the whole public API: every operation under /v1 in the gateway's
 * OpenAPI document has an SDK route (and so a method), and every SDK route is an
 * operation of the document. A route added to the gateway without an SDK method fails here.
 */
let g: TestGateway;
let operations: string[];

beforeAll(async () => {
  g = await startTestGateway('sdkopenapi');
  const document = (await g.app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, Record<string, unknown>> }>();
  const methods = new Set(['get', 'post', 'put', 'patch', 'delete']);
  operations = Object.entries(document.paths)
    .filter(([path]) => path.startsWith('/v1/'))
    .flatMap(([path, item]) => Object.keys(item).filter((method) => methods.has(method)).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
});
afterAll(() => g?.close());

describe('the SDK and the OpenAPI document', () => {
  it('reads a document with the API in it', () => {
    expect(operations).toContain('POST /v1/orgs/{orgId}/invites');
    expect(operations.length).toBeGreaterThan(20);
  });

  it('every /v1 operation of the gateway has an SDK method', () => {
    const covered = new Set(Object.values(routes).map((route) => `${route.method} ${route.path}`));
    expect(operations.filter((operation) => !covered.has(operation))).toEqual([]);
  });

  it('every SDK route is an operation of the gateway', () => {
    const stale = Object.entries(routes).filter(([, route]) => !operations.includes(`${route.method} ${route.path}`));
    expect(stale.map(([name]) => name)).toEqual([]);
  });
});
