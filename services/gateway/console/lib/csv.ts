// CSV in the browser, read like the gateway's bulk CSV endpoint reads it
// (services/gateway/src/routes/csv.ts): a header line naming the columns, empty
// lines skipped, cells trimmed, empty cells left out, channels split by ; or | (none: link only),
// expiresInHours as a number. No DOM here: unit-tested in node.

export const csvColumns = ['email', 'phone', 'role', 'expiresInHours', 'channels', 'locale', 'message'] as const;

export interface CsvRow {
  /** Line of the file where the row starts (the header is line 1). */
  line: number;
  /** The row as the bulk endpoint takes it. */
  row: Record<string, unknown>;
}

export class CsvError extends Error {}

/** RFC 4180 records with the line each starts on; quoted cells may hold commas, quotes ("") and line breaks. */
export function parseRecords(text: string): { line: number; cells: string[] }[] {
  const input = text.replace(/^\uFEFF/, '');
  const records: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cellText = '';
  let quoted = false;
  let wasQuoted = false;
  let line = 1;
  let start = 1;
  const endCell = () => {
    cells.push(wasQuoted ? cellText : cellText.trim());
    cellText = '';
    wasQuoted = false;
  };
  const endRecord = () => {
    endCell();
    if (!(cells.length === 1 && cells[0] === '' )) records.push({ line: start, cells });
    cells = [];
  };
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (quoted) {
      if (c === '"' && input[i + 1] === '"') {
        cellText += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        if (c === '\n') line++;
        cellText += c;
      }
    } else if (c === '"' && cellText.trim() === '') {
      quoted = true;
      wasQuoted = true;
      cellText = '';
    } else if (c === ',') {
      endCell();
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && input[i + 1] === '\n') i++;
      endRecord();
      line++;
      start = line;
    } else if (wasQuoted && c.trim() !== '') {
      throw new CsvError(`Line ${line}: text after a closing quote`);
    } else if (!wasQuoted) {
      cellText += c;
    }
  }
  if (quoted) throw new CsvError(`Line ${start}: a quote is never closed`);
  if (cellText !== '' || cells.length > 0 || wasQuoted) endRecord();
  return records;
}

/** The rows of a bulk CSV upload; throws CsvError for problems of the whole file. */
export function rowsFromCsv(text: string): CsvRow[] {
  const [header, ...records] = parseRecords(text);
  if (!header) throw new CsvError('The file is empty');
  const unknown = header.cells.filter((c) => !(csvColumns as readonly string[]).includes(c));
  if (unknown.length) throw new CsvError(`Unknown column${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; use ${csvColumns.join(', ')}`);
  if (records.length === 0) throw new CsvError('The file has no rows under its header line');
  return records.map(({ line, cells }) => {
    if (cells.length !== header.cells.length) throw new CsvError(`Line ${line}: ${cells.length} cells for ${header.cells.length} columns`);
    const row: Record<string, unknown> = {};
    header.cells.forEach((column, index) => {
      const value = cells[index] ?? '';
      if (value === '') return;
      if (column === 'channels') row.channels = value.toLowerCase() === 'none' ? [] : value.split(/[;|]/).map((c) => c.trim()).filter(Boolean);
      else if (column === 'expiresInHours' && /^\d+$/.test(value)) row.expiresInHours = Number(value);
      else row[column] = value;
    });
    return { line, row };
  });
}

/**
 * Rows as CSV text (RFC 4180: CRLF lines, fields quoted when they hold a comma, quote or
 * line break). A field a spreadsheet would run as a formula (=, +, -, @, tab, CR at its
 * start) gets a leading apostrophe, so an address or a name cannot become one.
 */
export function toCsv(rows: readonly (readonly string[])[]): string {
  const field = (value: string) => {
    const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
    return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  return rows.map((row) => row.map(field).join(',')).join('\r\n') + '\r\n';
}
