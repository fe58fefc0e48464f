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

export function decodeCursor(cursor: string | undefined): Position | undefined {
  if (cursor === undefined) return undefined;
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(at);
    if (typeof id !== 'string' || Number.isNaN(date.getTime())) throw new Error('bad cursor');
    return { at: date, id };
  } catch {
    throw new DomainError('VALIDATION_FAILED', {
      detail: 'The cursor is not valid; pass the nextCursor of a previous page',
      errors: [{ path: '/cursor', message: 'is not a cursor this API issued' }],
    });
  }
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
