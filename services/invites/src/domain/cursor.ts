import { raw } from '@mikro-orm/postgresql';
import { DomainError } from '@invite/contracts';

/** A keyset position: the sort timestamp and id of the last item of a page. */
export interface Position {
  at: Date;
  id: string;
}

export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify([position.at.toISOString(), position.id])).toString('base64url');
}

/** The form `encodeCursor` writes a time in: toISOString of a time since 1970 (four-digit years). */
const isoInstant = /^(19[7-9]\d|[2-9]\d{3})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The position a cursor names, or VALIDATION_FAILED. Only what `encodeCursor` could have
 * written gets through: a uuid and a time as toISOString writes it, from 1970 to 9999.
 * A forged cursor must never reach the query, where a bad uuid or a year PostgreSQL reads
 * differently would be an error of the database instead of the request.
 */
export function decodeCursor(cursor: string | undefined): Position | undefined {
  if (cursor === undefined) return undefined;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  if (Array.isArray(decoded) && decoded.length === 2) {
    const [at, id] = decoded as unknown[];
    if (typeof at === 'string' && typeof id === 'string' && isoInstant.test(at) && uuid.test(id)) {
      const date = new Date(at);
      if (!Number.isNaN(date.getTime()) && date.toISOString() === at) return { at: date, id };
    }
  }
  throw new DomainError('VALIDATION_FAILED', {
    detail: 'The cursor is not valid; pass the nextCursor of a previous page',
    errors: [{ path: '/cursor', message: 'is not a cursor this API issued; pass the nextCursor of a previous page, or none for the first page' }],
  });
}

/** Takes `limit + 1` rows and returns the page and the next cursor. */
export function pageOf<R, V>(rows: R[], limit: number, position: (row: R) => Position, view: (row: R) => V) {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map(view),
    nextCursor: rows.length > limit && last ? encodeCursor(position(last)) : null,
  };
}

/** The filter fragment `(ts, id) < (?, ?)` after a position, or nothing on the first page. */
export function keyset(after: Position | undefined, comparison: string): object {
  return after ? { [raw(comparison, [after.at, after.id])]: [] } : {};
}
