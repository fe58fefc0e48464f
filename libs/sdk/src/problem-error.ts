import type { ErrorCode, FieldError, Problem } from './types.ts';

/**
 * Every failure the API answers (a 4xx or 5xx) is thrown as a ProblemError: the
 * `application/problem+json` body, its catalogue `code` as a typed union, and the
 * `Retry-After` of a 429 or 503. Failures that never reached an answer (no network, a
 * timeout, an abort) are thrown as fetch throws them.
 */
export class ProblemError extends Error {
  /** HTTP status. */
  readonly status: number;
  /** Stable error code from the catalogue, e.g. `INVITE_ALREADY_PENDING`. */
  readonly code: ErrorCode;
  /** URN naming the kind of problem. */
  readonly type: string;
  /** Short summary of the kind of problem. */
  readonly title: string;
  /** What went wrong this time, for a person. */
  readonly detail: string;
  /** Per-field problems (400s name each field by JSON pointer); empty otherwise. */
  readonly errors: FieldError[];
  /** Seconds to wait before retrying, from the `Retry-After` header (429, 503). */
  readonly retryAfter: number | undefined;
  /** The request id (`x-request-id`), to quote when reporting a problem. */
  readonly requestId: string | undefined;
  /** The problem document as received (or made from the status when the body was not one). */
  readonly problem: Problem;

  constructor(problem: Problem, options: { retryAfter?: number; requestId?: string } = {}) {
    super(`${problem.status} ${problem.code}: ${problem.detail}`);
    this.name = 'ProblemError';
    this.status = problem.status;
    this.code = problem.code;
    this.type = problem.type;
    this.title = problem.title;
    this.detail = problem.detail;
    this.errors = problem.errors ?? [];
    this.retryAfter = options.retryAfter;
    this.requestId = options.requestId;
    this.problem = problem;
  }
}

/** Whether `error` is a ProblemError, and when `code` is given, one with that code (then `error.code` is typed as it). */
export function isProblem<C extends ErrorCode = ErrorCode>(error: unknown, code?: C): error is ProblemError & { readonly code: C } {
  return error instanceof ProblemError && (code === undefined || error.code === code);
}

/** The catalogue code a bare status stands for, when an answer is not a problem document (a proxy's error page). */
const codeOfStatus: Record<number, ErrorCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  502: 'SERVICE_UNAVAILABLE',
  503: 'SERVICE_UNAVAILABLE',
  504: 'UPSTREAM_TIMEOUT',
};

/** Reads an error answer into a ProblemError, whatever its body. */
export async function problemFrom(response: Response): Promise<ProblemError> {
  const options = {
    retryAfter: retryAfterSeconds(response.headers.get('retry-after')),
    requestId: response.headers.get('x-request-id') ?? undefined,
  };
  const text = await response.text().catch(() => '');
  const body = parseJson(text);
  if (isProblemDocument(body)) return new ProblemError(body, options);
  const code = codeOfStatus[response.status] ?? 'INTERNAL';
  return new ProblemError(
    {
      type: 'about:blank',
      title: response.statusText || code,
      status: response.status,
      detail: `The server answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''} without a problem document`,
      code,
    },
    options,
  );
}

/** `Retry-After` as seconds: delta-seconds or an HTTP date. */
export function retryAfterSeconds(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isProblemDocument(value: unknown): value is Problem {
  if (typeof value !== 'object' || value === null) return false;
  const { status, code, detail, title, type } = value as Record<string, unknown>;
  return typeof status === 'number' && typeof code === 'string' && typeof detail === 'string' && typeof title === 'string' && typeof type === 'string';
}
