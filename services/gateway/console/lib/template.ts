// Template placeholders, checked before a preview or a save, and the template languages. No DOM here.
import type { TemplateLocale } from './types.ts';

/**
 * templatePlaceholders of libs/contracts (schemas/console.ts), copied as plain text so
 * that the settings chunk does not carry the schema library; a test keeps the two equal.
 */
export const placeholders = ['orgName', 'inviterName', 'role', 'link', 'expiresAt', 'message', 'email'] as const;

/** Placeholders in `text` that the template engine does not know, e.g. `{{nmae}}`. */
export function unknownPlaceholders(text: string): string[] {
  return [...text.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)].map((m) => m[1]!).filter((name) => !(placeholders as readonly string[]).includes(name));
}

/**
 * Languages the notifier has built-in emails in, each with its own name (others fall back
 * to English): templateLocales of libs/contracts, copied so that the console does not carry
 * the schema library; a test keeps the two equal.
 */
export const locales: [TemplateLocale, string][] = [
  ['en', 'English'],
  ['es', 'Español'],
  ['de', 'Deutsch'],
  ['fr', 'Français'],
];

/** The language whose template an invite in `locale` gets: `fr-CA` → `fr`; one without a built-in email → `en`, as the notifier does. */
export function templateLocaleOf(locale: string): TemplateLocale {
  const known = (code: string) => locales.find(([c]) => c === code)?.[0];
  return known(locale) ?? known(locale.split('-')[0] ?? '') ?? 'en';
}
