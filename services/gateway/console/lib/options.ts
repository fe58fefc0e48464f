import { h } from './dom.ts';
import type { Role, TemplateLocale } from './types.ts';

const ranks: Record<Role, number> = { owner: 3, admin: 2, member: 1 };

/** Roles an inviter may grant: up to their own. */
export function allowedRoles(own: Role): Role[] {
  return (['member', 'admin', 'owner'] as const).filter((r) => ranks[r] <= ranks[own]);
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

export function localeOptions(selected?: string): HTMLOptionElement[] {
  return locales.map(([code, name]) => h('option', { value: code, selected: code === selected }, `${name} (${code})`));
}
