import { h } from './dom.ts';
import type { Role } from './types.ts';

const ranks: Record<Role, number> = { owner: 3, admin: 2, member: 1 };

/** Roles an inviter may grant: up to their own. */
export function allowedRoles(own: Role): Role[] {
  return (['member', 'admin', 'owner'] as const).filter((r) => ranks[r] <= ranks[own]);
}

/** Languages the notifier has templates for (others fall back to English). */
export const locales: [string, string][] = [
  ['en', 'English'],
  ['es', 'Español'],
  ['de', 'Deutsch'],
];

export function localeOptions(selected?: string): HTMLOptionElement[] {
  return locales.map(([code, name]) => h('option', { value: code, selected: code === selected }, `${name} (${code})`));
}
