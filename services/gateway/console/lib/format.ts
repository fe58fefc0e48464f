// Formatting shared by the console and its tests (no DOM here): the analytics test
// formats the API's numbers with these same functions and expects them on the page.

/** 0.4567 → "45.7 %". */
export function percent(rate: number): string {
  return `${(rate * 100).toFixed(1)} %`;
}

/** 1234 → "1,234". */
export function count(n: number): string {
  return n.toLocaleString('en');
}

/** Seconds as the two largest units: "3 d 4 h", "2 h 5 min", "4 min 10 s", "12 s"; null → "—". */
export function duration(seconds: number | null): string {
  if (seconds === null) return '—';
  const s = Math.round(seconds);
  const units: [string, number][] = [
    ['d', 86_400],
    ['h', 3600],
    ['min', 60],
    ['s', 1],
  ];
  const parts: string[] = [];
  let rest = s;
  for (const [name, size] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 || parts.length > 0) parts.push(`${n} ${name}`);
    if (parts.length === 2) break;
  }
  return parts.length ? parts.filter((p, i) => i === 0 || !p.startsWith('0 ')).join(' ') : '0 s';
}

/** A timestamp for tables: "12 Mar 2026, 14:05" in the browser's time zone. */
export function dateTime(iso: string | null): string {
  if (!iso) return '—';
  return new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

/** A UTC day as YYYY-MM-DD, `offsetDays` from `date`. */
export function utcDay(date: Date, offsetDays = 0): string {
  return new Date(date.getTime() + offsetDays * 86_400_000).toISOString().slice(0, 10);
}
