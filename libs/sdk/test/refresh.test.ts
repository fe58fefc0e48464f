import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orgWithOwner, password, type OrgWithOwner } from '../../../services/invites/test/harness.ts';
import { createInviteClient, ProblemError, type SessionTokens } from '../src/index.ts';
import { isRoute, problemOf, startLiveApi, type LiveApi } from './support.ts';

/**
 * Sessions against a real gateway whose access tokens live 2 seconds: an expired access
 * token is refreshed once and the call retried, concurrent calls share one refresh, the
 * app is told every new pair, and a dead refresh token ends the session.
 */
const ttlSeconds = 2;
let api: LiveApi;
let org: OrgWithOwner;

beforeAll(async () => {
  api = await startLiveApi('sdkrefresh', {}, { ACCESS_TOKEN_TTL_SECONDS: String(ttlSeconds) });
  org = await orgWithOwner(api.g.invites, 20, 'Refresh Org');
});
afterAll(() => api?.close());

/** Waits until every access token issued so far has expired (the server compares whole seconds). */
const outliveAccessTokens = () => new Promise((resolve) => setTimeout(resolve, ttlSeconds * 1000 + 200));

/** The requests sent since `from` as `METHOD path status`, with ids left out. */
function sentSince(from: number): string[] {
  return api.sent.slice(from).map((r) => `${r.method} ${r.path.replace(/[0-9a-f-]{36}/g, ':id')} ${r.status}`);
}

describe('automatic refresh', () => {
  it('a call with an expired access token refreshes once, is retried, and onTokens gets the new pair', async () => {
    const seen: (SessionTokens | null)[] = [];
    const client = api.client({ onTokens: (tokens) => void seen.push(tokens) });
    const first = await client.auth.login({ email: org.ownerEmail, password });
    await outliveAccessTokens();

    const from = api.sent.length;
    const me = await client.auth.me();
    expect(me.user.email).toBe(org.ownerEmail);
    expect(sentSince(from)).toEqual(['GET /v1/me 401', 'POST /v1/auth/refresh 200', 'GET /v1/me 200']);
    expect(seen).toHaveLength(2);
    expect(seen[1]).toEqual(client.tokens);
    expect(client.tokens?.refreshToken).not.toBe(first.refreshToken);
    expect(client.tokens?.expiresIn).toBe(ttlSeconds);
  });

  it('concurrent calls that all hit an expired token share one refresh', async () => {
    const seen: (SessionTokens | null)[] = [];
    const client = api.client({ onTokens: (tokens) => void seen.push(tokens) });
    await client.auth.login({ email: org.ownerEmail, password });
    await outliveAccessTokens();

    const from = api.sent.length;
    const results = await Promise.all([
      client.auth.me(),
      client.orgs.usage(org.orgId),
      client.orgs.members(org.orgId),
      client.invites.list(org.orgId),
      client.orgs.settings(org.orgId),
      client.orgs.audit(org.orgId),
      client.invites.channels(),
      client.auth.me(),
    ]);
    expect(results).toHaveLength(8);
    const sent = api.sent.slice(from);
    expect(sent.filter((r) => isRoute(r, 'auth.refresh'))).toHaveLength(1);
    expect(sent.filter((r) => r.status === 401)).toHaveLength(8);
    expect(seen).toHaveLength(2);
  });

  it('a session persisted through onTokens resumes in a new client, and refreshes there', async () => {
    let persisted: SessionTokens | null = null;
    const first = api.client({ onTokens: (tokens) => void (persisted = tokens) });
    await first.auth.login({ email: org.ownerEmail, password });
    await outliveAccessTokens();

    const resumed = api.client({ tokens: persisted, onTokens: (tokens) => void (persisted = tokens) });
    const before = persisted!.refreshToken;
    expect((await resumed.orgs.usage(org.orgId)).seatLimit).toBe(20);
    expect(persisted!.refreshToken).not.toBe(before);
  });

  it('a refused refresh token ends the session: the call throws the refresh problem and onTokens gets null', async () => {
    const seen: (SessionTokens | null)[] = [];
    const client = api.client({ onTokens: (tokens) => void seen.push(tokens) });
    const pair = await client.auth.login({ email: org.ownerEmail, password });
    // Someone else rotates the same refresh token first (a second tab, a copied session).
    await api.client().auth.refresh(pair.refreshToken);
    await outliveAccessTokens();

    const problem = await problemOf(client.auth.me());
    expect(problem).toMatchObject({ status: 401, code: 'REFRESH_TOKEN_REUSED' });
    expect(client.tokens).toBeNull();
    expect(seen.at(-1)).toBeNull();
  });

  it('a signed-out call is not refreshed: there is no session to renew', async () => {
    const from = api.sent.length;
    expect(await problemOf(api.client().auth.me())).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect(sentSince(from)).toEqual(['GET /v1/me 401']);
  });

  it('the live event stream opens after a refresh too', async () => {
    const client = api.client();
    await client.auth.login({ email: org.ownerEmail, password });
    await outliveAccessTokens();
    const controller = new AbortController();
    const from = api.sent.length;
    const next = client.orgs.events(org.orgId, { signal: controller.signal }).next();
    await expect.poll(() => sentSince(from)).toEqual(['GET /v1/orgs/:id/events 401', 'POST /v1/auth/refresh 200', 'GET /v1/orgs/:id/events 200']);
    controller.abort();
    await expect(next).rejects.toThrow();
  });
});

describe('transport options', () => {
  let silent: Server;
  let silentUrl: string;
  beforeAll(async () => {
    // Accepts connections and never answers: what a hung upstream looks like.
    silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    silentUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(() => {
    silent.close();
  });

  it('timeoutMs aborts a request that gets no answer with a TimeoutError', async () => {
    const client = createInviteClient({ baseUrl: silentUrl, timeoutMs: 300 });
    const started = Date.now();
    const error = await client.invitee.lookup({ token: 'A'.repeat(43) }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a signal aborts a call', async () => {
    const client = createInviteClient({ baseUrl: silentUrl, timeoutMs: 0 });
    const controller = new AbortController();
    const call = client.auth.me({ signal: controller.signal });
    controller.abort(new Error('user left the page'));
    await expect(call).rejects.toThrow('user left the page');
  });

  it('userAgent is sent with every request', async () => {
    const client = api.client({ userAgent: 'acme-admin/2.1' });
    const from = api.sent.length;
    await client.auth.login({ email: org.ownerEmail, password });
    await client.auth.me();
    expect(api.sent.slice(from).map((r) => r.headers.get('user-agent'))).toEqual(['acme-admin/2.1', 'acme-admin/2.1']);
  });

  it('an error page that is not a problem document (a proxy’s) still throws a ProblemError, with the code of its status', async () => {
    const proxy = createHttpServer((_request, response) => {
      response.writeHead(502, { 'content-type': 'text/html', 'retry-after': '7' }).end('<h1>Bad Gateway</h1>');
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const address = proxy.address();
    try {
      const client = createInviteClient({ baseUrl: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` });
      const error = await client.auth.me().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProblemError);
      expect(error).toMatchObject({ status: 502, code: 'SERVICE_UNAVAILABLE', retryAfter: 7, type: 'about:blank' });
    } finally {
      proxy.close();
    }
  });
});
