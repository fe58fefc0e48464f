import { DomainError } from '@invite/contracts';

/**
 * Socket errors and SQLSTATEs that say PostgreSQL cannot be reached or is restarting
 * (refused, reset, shutting down, in recovery, out of connections), rather than that the
 * statement was wrong: a retry after a moment may succeed.
 */
const unavailableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  // Class 08: connection exception.
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '08007',
  '08P01',
  // admin_shutdown, crash_shutdown, cannot_connect_now (starting up, in recovery).
  '57P01',
  '57P02',
  '57P03',
  // too_many_connections.
  '53300',
]);

/** What node-postgres says when a connection dies or cannot be had, without a code. */
const unavailableMessages = /Connection terminated|Connection ended|timeout exceeded when trying to connect|is not queryable/i;

/** Whether `error` (or its cause) means the database is unavailable right now. */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 4) return false;
  const { code, cause } = error as { code?: unknown; cause?: unknown };
  if (typeof code === 'string' && unavailableCodes.has(code)) return true;
  if (error instanceof Error && unavailableMessages.test(error.message)) return true;
  // Node reports a refused connection to every address of a host as one AggregateError.
  if (error instanceof AggregateError && error.errors.some((e) => isDatabaseUnavailable(e, depth + 1))) return true;
  return isDatabaseUnavailable(cause, depth + 1);
}

/** Seconds a client is told to wait when the database is unavailable. */
export const databaseRetryAfterSeconds = 2;

/** The answer to a request the database could not serve: 503 with a Retry-After, never a 500. */
export function databaseUnavailable(): DomainError {
  return new DomainError('SERVICE_UNAVAILABLE', { detail: 'The database is unavailable; try again shortly', retryAfter: databaseRetryAfterSeconds });
}
