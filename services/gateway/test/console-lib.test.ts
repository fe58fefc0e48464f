import { describe, expect, it } from 'vitest';
import { templateLocales, templatePlaceholders } from '@invite/contracts';
import { templateLocaleOf } from '@invite/templates';
import { rowsFromCsv as gatewayRows } from '../src/routes/csv.ts';
import { CsvError, rowsFromCsv, toCsv } from '../console/lib/csv.ts';
import { duration, percent } from '../console/lib/format.ts';
import { createSseParser, type SseMessage } from '../console/lib/sse.ts';
import { locales, placeholders, templateLocaleOf as consoleTemplateLocaleOf, unknownPlaceholders } from '../console/lib/template.ts';

/** The console's pure modules (no DOM), run in node. */
describe('console CSV writing', () => {
  it('quotes what needs quoting and keeps spreadsheet formulas inert', () => {
    expect(toCsv([['When', 'Who', 'What'], ['2026-12-06', 'Olivia, "O" Owner', 'line one\nline two'], ['=HYPERLINK("x")', '+1', '@me']])).toBe(
      'When,Who,What\r\n2026-12-06,"Olivia, ""O"" Owner","line one\nline two"\r\n"\'=HYPERLINK(""x"")",\'+1,\'@me\r\n',
    );
  });
});

describe('console CSV reading', () => {
  it('reads a file exactly as the bulk CSV endpoint does', () => {
    const text = [
      '\uFEFFemail,role,phone,channels,expiresInHours,message',
      'a@example.test,member,,,,',
      '',
      ' b@example.test , admin ,+447700900123,email;sms,24,"Hello, ""friend"""',
      'c@example.test,member,,email|sms,abc,"two',
      'lines"',
    ].join('\r\n');
    const mine = rowsFromCsv(text);
    expect(mine.map((r) => r.row)).toEqual(gatewayRows(text));
    expect(mine.map((r) => r.line)).toEqual([2, 4, 5]);
    expect(mine[1]!.row).toEqual({ email: 'b@example.test', role: 'admin', phone: '+447700900123', channels: ['email', 'sms'], expiresInHours: 24, message: 'Hello, "friend"' });
    expect(mine[2]!.row.message).toBe('two\r\nlines');
  });

  it('refuses what the endpoint refuses, naming the problem', () => {
    expect(() => rowsFromCsv('email,name\na@example.test,A')).toThrow(/Unknown column name/);
    expect(() => rowsFromCsv('email,role\n')).toThrow(/no rows/);
    expect(() => rowsFromCsv('email,role\n"a@example.test,member')).toThrow(CsvError);
    expect(() => rowsFromCsv('email,role\na@example.test,member,extra')).toThrow(/Line 2: 3 cells for 2 columns/);
    expect(() => rowsFromCsv('')).toThrow(/empty/);
  });
});

describe('console SSE parsing', () => {
  it('splits messages across chunks, skips comments and joins data lines', () => {
    const messages: SseMessage[] = [];
    const feed = createSseParser((m) => messages.push(m));
    for (const chunk of ['retry: 3000\n: connected\n\nevent: inv', 'ite\nid: 1\ndata: {"a":', '1}\r', '\n\r\n: heartbeat\n\ndata: x\ndata: y\n\n']) feed(chunk);
    expect(messages).toEqual([
      { event: 'invite', data: '{"a":1}', id: '1' },
      { event: 'message', data: 'x\ny', id: '1' },
    ]);
  });
});

describe('console template placeholders and formats', () => {
  it('knows the contract placeholders', () => {
    expect([...placeholders]).toEqual([...templatePlaceholders]);
    expect(unknownPlaceholders('Hi {{orgName}} {{ nmae }} {{link}}')).toEqual(['nmae']);
  });

  it('knows the template languages, and which one an invite\'s locale gets, as the notifier does', () => {
    expect(locales.map(([code]) => code)).toEqual([...templateLocales]);
    for (const locale of ['fr', 'fr-CA', 'de-AT', 'es', 'pt-BR', 'nl', 'en-GB']) expect(consoleTemplateLocaleOf(locale), locale).toBe(templateLocaleOf(locale));
  });

  it('formats rates and durations', () => {
    expect(percent(0.4286)).toBe('42.9 %');
    expect(duration(null)).toBe('—');
    expect(duration(0)).toBe('0 s');
    expect(duration(59.6)).toBe('1 min');
    expect(duration(3 * 3600 + 5 * 60 + 7)).toBe('3 h 5 min');
    expect(duration(2 * 86_400 + 30)).toBe('2 d');
  });
});
