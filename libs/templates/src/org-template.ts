import { templatePlaceholders } from '@invite/contracts';

/**
 * An organisation's own subject and body: plain text with `{{placeholder}}`s from
 * `templatePlaceholders`. Filling is done piece by piece, so the HTML renderer can
 * escape the organisation's text and every value separately and never has to trust
 * either.
 */
export type PlaceholderName = (typeof templatePlaceholders)[number];

export const placeholderNames: readonly PlaceholderName[] = templatePlaceholders;

const placeholder = /\{\{\s*([A-Za-z]+)\s*\}\}/g;

/** A template cut into literal text and known placeholders (unknown ones stay literal). */
export type Piece = { text: string } | { name: PlaceholderName };

export function piecesOf(template: string): Piece[] {
  const pieces: Piece[] = [];
  let last = 0;
  for (const match of template.matchAll(placeholder)) {
    const name = match[1] as PlaceholderName;
    if (!placeholderNames.includes(name)) continue;
    if (match.index > last) pieces.push({ text: template.slice(last, match.index) });
    pieces.push({ name });
    last = match.index + match[0].length;
  }
  if (last < template.length) pieces.push({ text: template.slice(last) });
  return pieces;
}

/** The template as plain text with every known placeholder replaced by its value. */
export function fillPlaceholders(template: string, values: Record<PlaceholderName, string>): string {
  return piecesOf(template)
    .map((piece) => ('name' in piece ? values[piece.name] : piece.text))
    .join('');
}

/** Whether the template uses `name`. */
export function usesPlaceholder(template: string, name: PlaceholderName): boolean {
  return piecesOf(template).some((piece) => 'name' in piece && piece.name === name);
}

/** `{{names}}` in the template that are not placeholders we know, for a clear validation error. */
export function unknownPlaceholders(template: string): string[] {
  return [...template.matchAll(placeholder)].map((m) => m[1]!).filter((name) => !placeholderNames.includes(name as PlaceholderName));
}

/** Paragraphs of a body: separated by blank lines, trimmed, empty ones dropped. */
export function paragraphsOf(body: string): string[] {
  return body
    .split(/\r?\n[ \t]*\r?\n/)
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}
