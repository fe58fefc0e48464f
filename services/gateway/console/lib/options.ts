import { h } from './dom.ts';
import { locales } from './template.ts';
import type { Role } from './types.ts';

const ranks: Record<Role, number> = { owner: 3, admin: 2, member: 1 };

/** Roles an inviter may grant: up to their own. */
export function allowedRoles(own: Role): Role[] {
  return (['member', 'admin', 'owner'] as const).filter((r) => ranks[r] <= ranks[own]);
}

export { locales, templateLocaleOf } from './template.ts';

export function localeOptions(selected?: string): HTMLOptionElement[] {
  return locales.map(([code, name]) => h('option', { value: code, selected: code === selected }, `${name} (${code})`));
}
