import { problemFrom } from './problem-error.ts';
import { pathOf, routes, type PathParams, type Route } from './routes.ts';
import type { TokenPair } from './types.ts';

/** What a session is: the bearer token, the refresh token that renews it, and how long the bearer lasts. */
export type SessionTokens = Pick<TokenPair, 'accessToken' | 'refreshToken' | 'expiresIn'>;

export interface ClientOptions {
  /** Where the API is, e.g. `https://invites.example.com` (a path prefix is kept). */
  baseUrl: string;
  /** A session to resume, e.g. tokens an earlier `onTokens` persisted. */
  tokens?: SessionTokens | null;
  /**
   * Called whenever the session changes: after a sign-in, a refresh (automatic or not)
   * and an accept that signs in, with the new tokens; with null after a sign-out or when
   * the refresh token was refused (sign in again). Refresh tokens are single-use, so an
   * app that keeps sessions across restarts persists every pair it is given here.
   */
  onTokens?: (tokens: SessionTokens | null) => void | Promise<void>;
  /** The fetch to use (default: the global one), e.g. one with a proxy agent or instrumentation. */
  fetch?: typeof globalThis.fetch;
  /** Milliseconds a request may take before it is aborted with a `TimeoutError` (default 60000, the gateway's own request limit; 0: no limit). A live event stream is limited only until it opens. */
  timeoutMs?: number;
  /** A `User-Agent` header for every request (servers' logs then name your app). */
  userAgent?: string;
}

/** Options every method takes. */
export interface RequestOptions {
  /** Aborts the request (its fetch throws the signal's reason). */
  signal?: AbortSignal;
}

/** Who a route is for: nobody signed in, a signed-in caller, or either (the bearer goes when there is a session). */
type Auth = 'none' | 'bearer' | 'optional';

type QueryValue = string | number | boolean | undefined;

export interface Call<R extends Route> {
  params: PathParams<R['path']>;
  auth: Auth;
  query?: { [name: string]: QueryValue };
  /** A JSON body. */
  json?: unknown;
  /** A CSV body (bulk uploads). */
  csv?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
}

export interface Http {
  /** Sends a call and reads its JSON answer (undefined for a 204); an error answer is thrown as a ProblemError. */
  request<T, R extends Route = Route>(route: R, call: Call<R>): Promise<T>;
  /** Sends a call and hands back the open response, for a body read as it arrives (server-sent events). */
  open<R extends Route>(route: R, call: Call<R>): Promise<Response>;
  /** Trades the refresh token for a new pair; concurrent callers share one request. */
  refresh(refreshToken?: string): Promise<TokenPair>;
  /** Replaces the session (null ends it) and tells `onTokens`. */
  setTokens(tokens: SessionTokens | null): Promise<void>;
  tokens(): SessionTokens | null;
}

const defaultTimeoutMs = 60_000;

export function createHttp(options: ClientOptions): Http {
  const base = options.baseUrl.replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  let session: SessionTokens | null = options.tokens ?? null;
  let refreshing: Promise<TokenPair> | undefined;

  async function setTokens(tokens: SessionTokens | null): Promise<void> {
    session = tokens && { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresIn: tokens.expiresIn };
    await options.onTokens?.(session);
  }

  function urlOf<R extends Route>(route: R, call: Call<R>): string {
    const url = new URL(base + pathOf(route, call.params));
    for (const [name, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    return url.href;
  }

  /** One fetch; `streaming` limits the time to the headers only, so a long-lived body is not cut. */
  async function fetchOnce<R extends Route>(route: R, call: Call<R>, accessToken: string | undefined, streaming = false): Promise<Response> {
    const headers = new Headers({ accept: 'application/json, application/problem+json' });
    if (options.userAgent) headers.set('user-agent', options.userAgent);
    if (accessToken) headers.set('authorization', `Bearer ${accessToken}`);
    let body: string | undefined;
    if (call.csv !== undefined) {
      headers.set('content-type', 'text/csv; charset=utf-8');
      body = call.csv;
    } else if (call.json !== undefined) {
      headers.set('content-type', 'application/json');
      body = JSON.stringify(call.json);
    }
    for (const [name, value] of Object.entries(call.headers ?? {})) headers.set(name, value);

    // A plain call's deadline covers its body too; a stream's only the wait for its headers.
    const deadline = timeoutMs > 0 && streaming ? new AbortController() : undefined;
    const timer = deadline && setTimeout(() => deadline.abort(new DOMException(`No answer within ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
    const signals = [call.signal, deadline?.signal ?? (timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined)].filter((signal) => signal !== undefined);
    try {
      return await fetchImpl(urlOf(route, call), {
        method: route.method,
        headers,
        ...(body !== undefined ? { body } : {}),
        ...(signals.length > 0 ? { signal: AbortSignal.any(signals) } : {}),
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends a call with the session's bearer. A 401 UNAUTHENTICATED to a call that carried
   * one, while a refresh token is held, means the access token is no longer good (it
   * expired): the session is refreshed once, shared by every call that hit the same
   * 401, and the call is sent again with the new token.
   */
  async function send<R extends Route>(route: R, call: Call<R>, streaming = false): Promise<Response> {
    const sent = call.auth === 'none' ? undefined : session?.accessToken;
    let response = await fetchOnce(route, call, sent, streaming);
    if (response.status === 401 && sent !== undefined && session?.refreshToken) {
      const problem = await problemFrom(response);
      if (problem.code !== 'UNAUTHENTICATED') throw problem;
      // Another call may have refreshed while this one was on its way: use its token.
      const accessToken = session.accessToken !== sent ? session.accessToken : (await refresh()).accessToken;
      response = await fetchOnce(route, call, accessToken, streaming);
    }
    if (!response.ok) throw await problemFrom(response);
    return response;
  }

  function refresh(refreshToken?: string): Promise<TokenPair> {
    if (refreshing) return refreshing;
    const token = refreshToken ?? session?.refreshToken;
    if (!token) return Promise.reject(new TypeError('There is no refresh token: sign in first (auth.login) or pass tokens to createInviteClient'));
    refreshing = rotate(token).finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  }

  async function rotate(refreshToken: string): Promise<TokenPair> {
    const response = await fetchOnce(routes['auth.refresh'], { params: {}, auth: 'none', json: { refreshToken } }, undefined);
    if (!response.ok) {
      const problem = await problemFrom(response);
      // The refresh token is dead (used, revoked, expired): so is the session.
      if (problem.status === 401 && session?.refreshToken === refreshToken) await setTokens(null);
      throw problem;
    }
    const pair = (await response.json()) as TokenPair;
    await setTokens(pair);
    return pair;
  }

  return {
    async request<T, R extends Route = Route>(route: R, call: Call<R>): Promise<T> {
      const response = await send(route, call);
      const text = await response.text();
      return (text === '' ? undefined : JSON.parse(text)) as T;
    },
    open: (route, call) => send(route, call, true),
    refresh,
    setTokens,
    tokens: () => session,
  };
}
