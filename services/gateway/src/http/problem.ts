import type { FastifyError } from 'fastify';
import { DomainError, errorCatalogue, isDomainError, type FieldError } from '@invite/contracts';

/** An RFC 9457 problem document, as every error of the API is sent. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: FieldError[];
  instance?: string;
}

export interface ProblemResponse {
  status: number;
  body: Problem;
  headers: Record<string, string>;
}

/**
 * The one function that turns any error into an HTTP answer. Domain errors keep their
 * catalogue status and code; fastify's own errors (bad JSON, body too large, wrong
 * media type, schema validation) become the matching catalogue entry; anything else is
 * a 500 that says nothing about internals.
 */
export function toProblem(error: unknown, requestId?: string): ProblemResponse {
  const domain = asDomainError(error);
  const entry = errorCatalogue[domain.code];
  // Every 400 names what is wrong per field; errors without a field (bad JSON, a broken CSV) point at the body.
  const errors = domain.errors ?? (domain.status === 400 ? [{ path: '/', message: domain.detail }] : undefined);
  const body: Problem = {
    type: `urn:invite-platform:problem:${domain.code.toLowerCase().replaceAll('_', '-')}`,
    title: entry.title,
    status: domain.status,
    detail: domain.detail,
    code: domain.code,
    ...(errors ? { errors } : {}),
    ...(requestId ? { instance: `urn:request:${requestId}` } : {}),
  };
  const headers: Record<string, string> = { 'content-type': 'application/problem+json; charset=utf-8' };
  if (domain.retryAfter !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(domain.retryAfter)));
  return { status: domain.status, body, headers };
}

/** True when the error is ours to explain (a 4xx); a 5xx is logged with its cause. */
export function isClientError(error: unknown): boolean {
  return asDomainError(error).status < 500;
}

function asDomainError(error: unknown): DomainError {
  if (isDomainError(error)) return error;
  const fastifyError = error as Partial<FastifyError> & { validation?: unknown };
  if (fastifyError?.validation) {
    return new DomainError('VALIDATION_FAILED', { detail: fastifyError.message ?? 'The request is not valid' });
  }
  switch (fastifyError?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new DomainError('PAYLOAD_TOO_LARGE', { detail: 'The request body is larger than this endpoint accepts' });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new DomainError('UNSUPPORTED_MEDIA_TYPE', { detail: 'Send the body as application/json (bulk uploads also take text/csv)' });
    case 'FST_ERR_BAD_URL':
      return new DomainError('VALIDATION_FAILED', {
        detail: 'The URL path is not valid: one of its segments is not valid percent-encoded UTF-8',
        errors: [{ path: '/params', message: 'a path segment is not valid percent-encoded UTF-8 text' }],
      });
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new DomainError('VALIDATION_FAILED', {
        detail: 'The URL path is not valid: one of its parameters is longer than any id',
        errors: [{ path: '/params', message: 'a path parameter is longer than 100 characters' }],
      });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new DomainError('VALIDATION_FAILED', { detail: 'The body is empty; send a JSON object' });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new DomainError('VALIDATION_FAILED', { detail: 'The body is not valid JSON' });
  }
  if (fastifyError instanceof SyntaxError || (fastifyError?.statusCode === 400 && /JSON/i.test(fastifyError.message ?? ''))) {
    return new DomainError('VALIDATION_FAILED', { detail: 'The body is not valid JSON' });
  }
  if (fastifyError?.statusCode === 413) return new DomainError('PAYLOAD_TOO_LARGE');
  if (fastifyError?.statusCode === 415) return new DomainError('UNSUPPORTED_MEDIA_TYPE');
  if (fastifyError?.statusCode === 404) return new DomainError('NOT_FOUND');
  if (fastifyError?.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return new DomainError('VALIDATION_FAILED', { detail: fastifyError.message ?? 'The request is not valid' });
  }
  return new DomainError('INTERNAL');
}
