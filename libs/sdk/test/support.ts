import { expect } from 'vitest';
import { errorCatalogue } from '@invite/contracts';
import { createInviteClient, ProblemError, routes, type ClientOptions, type InviteClient, type RouteName } from '../src/index.ts';
import { startTestGateway, type TestGateway } from '../../../services/gateway/test/harness.ts';

/** One request the SDK sent, as its fetch saw it, and the status it got. */
export interface Sent {
  method: string;
  path: string;
  headers: Headers;
  status: number;
}

/** A gateway in front of the invites service on a real port, and the requests SDK clients sent it. */
export interface LiveApi {
  g: TestGateway;
  origin: string;
  sent: Sent[];
  /** An SDK client of this gateway whose requests are recorded in `sent`. */
  client(options?: Partial<ClientOptions>): InviteClient;
  close(): Promise<void>;
}

export async function startLiveApi(label: string, gatewayEnv: Record<string, string> = {}, invitesEnv: Record<string, string> = {}): Promise<LiveApi> {
  const g = await startTestGateway(label, gatewayEnv, invitesEnv);
  await g.app.listen({ port: 0, host: '127.0.0.1' });
  const address = g.app.server.address();
  const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const sent: Sent[] = [];
  const recording: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const response = await fetch(request);
    sent.push({ method: request.method, path: new URL(request.url).pathname, headers: request.headers, status: response.status });
    return response;
  };
  return {
    g,
    origin,
    sent,
    client: (options = {}) => createInviteClient({ baseUrl: origin, fetch: recording, ...options }),
    close: () => g.close(),
  };
}

/** Whether a request went to `route` (its method, and its path template with any value in each parameter). */
export function isRoute(request: Pick<Sent, 'method' | 'path'>, name: RouteName): boolean {
  const route = routes[name];
  const pattern = new RegExp(`^${route.path.replace(/\{\w+\}/g, '[^/]+')}$`);
  return request.method === route.method && pattern.test(request.path);
}

/**
 * Awaits a call that must fail and returns its ProblemError, checked against the
 * catalogue: the code's status and title, a detail, and for a 400 its field errors.
 */
export async function problemOf(call: Promise<unknown>): Promise<ProblemError> {
  const error = await call.then(
    (value: unknown) => {
      throw new Error(`expected a problem, got ${JSON.stringify(value)}`);
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ProblemError);
  const problem = error as ProblemError;
  expect(problem.status).toBe(errorCatalogue[problem.code].status);
  expect(problem.title).toBe(errorCatalogue[problem.code].title);
  expect(problem.type).toMatch(/^urn:invite-platform:problem:/);
  expect(problem.detail.length).toBeGreaterThan(0);
  expect(problem.requestId).toBeTruthy();
  if (problem.status === 400) expect(problem.errors.length).toBeGreaterThan(0);
  return problem;
}
