import { parse } from 'csv-parse/sync';
import { DomainError, maxBulkRows } from '@invite/contracts';

const columns = new Set(['email', 'phone', 'role', 'expiresInHours', 'channels', 'locale', 'message', 'redirectUrl']);

/**
 * Turns a CSV upload into bulk rows. The first line names the columns (any of
 * email, phone, role, expiresInHours, channels, locale, message, redirectUrl; channels separated
 * by `;` or `|`, or `none` for a link-only invite). Empty cells are left out, so each row is then validated exactly
 * like a JSON row. Structural problems (unknown column, unbalanced quotes) are a 400
 * for the whole upload, naming the line.
 */
export function rowsFromCsv(text: string): Record<string, unknown>[] {
  let records: Record<string, string>[];
  try {
    records = parse(text, { columns: true, bom: true, skip_empty_lines: true, trim: true });
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    throw new DomainError('VALIDATION_FAILED', {
      detail: `The CSV could not be read${line ? ` at line ${line}` : ''}: ${(error as Error).message}`,
    });
  }
  const header = records[0] ? Object.keys(records[0]) : [];
  const unknown = header.filter((c) => !columns.has(c));
  if (unknown.length) {
    throw new DomainError('VALIDATION_FAILED', {
      detail: `Unknown CSV column${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}; use ${[...columns].join(', ')}`,
    });
  }
  if (records.length === 0) throw new DomainError('VALIDATION_FAILED', { detail: 'The CSV has no rows under its header line' });
  if (records.length > maxBulkRows) {
    throw new DomainError('VALIDATION_FAILED', { detail: `The CSV has ${records.length} rows; send at most ${maxBulkRows} per request` });
  }
  return records.map((record) => {
    const row: Record<string, unknown> = {};
    for (const [column, cell] of Object.entries(record)) {
      if (cell === '') continue;
      if (column === 'channels') row.channels = cell.toLowerCase() === 'none' ? [] : cell.split(/[;|]/).map((c) => c.trim()).filter(Boolean);
      else if (column === 'expiresInHours' && /^\d+$/.test(cell)) row.expiresInHours = Number(cell);
      else row[column] = cell;
    }
    return row;
  });
}
