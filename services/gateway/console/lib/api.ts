// The API client: JSON over fetch with the bearer token, problem+json errors, and one
// shared token refresh when an access token has expired.
//
// Tokens: the access token lives in memory only; the refresh token in sessionStorage,
// so a reload of this tab keeps the session while closing the tab ends it, and no
// other tab or later visitor of the machine finds it (localStorage would keep it for
// good). Script injection is what could read either, and the console's CSP plus
// text-only rendering is the defence against that; an httpOnly cookie would need a
// cookie session and CSRF defences the API does not have.
import type { MeView, TokenPair } from './types.ts';

export interface Problem {
  status: number;
  code: string;
  title?: string;
  detail: string;
  errors?: { path: string; message: string }[];
  retryAfter?: number;
}

export class ApiError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail);
    this.problem = problem;
  }
  get status(): number {
    return this.problem.status;
  }
}

const refreshKey = 'invites-console.refresh';

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export type Api = ReturnType<typeof createApi>;

/** `onSignedOut` runs when the session ends by itself (refresh refused). */
export function createApi(onSignedOut: (reason: string) => void) {
  let accessToken: string | null = null;
  let refreshing: Promise<boolean> | null = null;

  const store = {
    get: () => sessionStorage.getItem(refreshKey),
    set: (token: string) => sessionStorage.setItem(refreshKey, token),
    clear: () => sessionStorage.removeItem(refreshKey),
  };

  function adopt(pair: TokenPair): void {
    accessToken = pair.accessToken;
    store.set(pair.refreshToken);
  }

  async function problemOf(response: Response): Promise<Problem> {
    const body = (await response.json().catch(() => null)) as Partial<Problem> | null;
    const retry = Number(response.headers.get('retry-after'));
    return {
      status: response.status,
      code: body?.code ?? 'INTERNAL',
      title: body?.title,
      detail: body?.detail ?? `The server answered ${response.status}.`,
      errors: body?.errors,
      retryAfter: Number.isFinite(retry) && retry > 0 ? retry : undefined,
    };
  }

  async function rawFetch(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (accessToken) headers.authorization = `Bearer ${accessToken}`;
    try {
      return await fetch(path, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        credentials: 'omit',
        cache: 'no-store',
        signal: options.signal,
      });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      throw new ApiError({ status: 0, code: 'NETWORK', detail: 'The server could not be reached. Check your connection and try again.' });
    }
  }

  /** One refresh at a time: concurrent 401s wait for the same one. */
  function refresh(): Promise<boolean> {
    refreshing ??= (async () => {
      const refreshToken = store.get();
      if (!refreshToken) return false;
      const response = await rawFetch('POST', '/v1/auth/refresh', { body: { refreshToken } }).catch(() => null);
      if (!response?.ok) {
        // A network failure keeps the token for a later try; a refusal ends the session.
        if (response) {
          accessToken = null;
          store.clear();
          onSignedOut('Your session has ended. Sign in again.');
        }
        return false;
      }
      adopt((await response.json()) as TokenPair);
      return true;
    })().finally(() => (refreshing = null));
    return refreshing;
  }

  /** A request whose 401 triggers one refresh and one retry; the raw response. */
  async function open(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const response = await rawFetch(method, path, options);
    if (response.status !== 401 || path.startsWith('/v1/auth/') || !store.get()) return response;
    return (await refresh()) ? rawFetch(method, path, options) : response;
  }

  async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await open(method, path, options);
    if (!response.ok) throw new ApiError(await problemOf(response));
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  return {
    request,
    open,
    get: <T>(path: string, signal?: AbortSignal) => request<T>('GET', path, { signal }),
    post: <T>(path: string, body?: unknown, headers?: Record<string, string>) => request<T>('POST', path, { body: body ?? {}, headers }),
    patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, { body }),
    del: <T>(path: string) => request<T>('DELETE', path),

    async login(email: string, password: string): Promise<MeView> {
      adopt(await request<TokenPair>('POST', '/v1/auth/login', { body: { email, password } }));
      return request<MeView>('GET', '/v1/me');
    },

    /** Resumes the session of this tab after a reload, if it has one. */
    async restore(): Promise<MeView | null> {
      if (!store.get() || !(await refresh())) return null;
      return request<MeView>('GET', '/v1/me');
    },

    async logout(): Promise<void> {
      if (accessToken) await rawFetch('POST', '/v1/auth/logout').catch(() => undefined);
      accessToken = null;
      store.clear();
    },
  };
}

/** A problem in words for a person. */
export function explain(error: unknown): string {
  if (error instanceof ApiError) {
    // The server's details are written for people, and say when to retry and which role is needed.
    return error.problem.detail;
  }
  return 'Something went wrong. Try again.';
}
