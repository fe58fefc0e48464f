// Checks bulk rows before they are sent, with the very schema the API validates them
// against (NewInvite from libs/contracts, checked by TypeBox's interpreter, which
// needs no eval under the console's CSP), plus the API's other per-row rules:
// SMS needs a phone, no role above the inviter's own, one row per email.
import { Errors } from 'typebox/value';
import { NewInvite } from '../../../../libs/contracts/src/schemas/invites.ts';
import type { Role } from './types.ts';

const ranks: Record<Role, number> = { owner: 3, admin: 2, member: 1 };

const words: Record<string, Record<string, string>> = {
  email: { required: 'email is missing', default: 'email is not a valid email address' },
  role: { required: 'role is missing', default: 'role must be owner, admin or member' },
  phone: { default: 'phone must be in international form: + and 7 to 15 digits, e.g. +447700900123' },
  expiresInHours: { default: 'expiresInHours must be a whole number of hours from 1 to 720' },
  channels: { default: 'channels must be email, sms or both, separated by ;' },
  locale: { default: 'locale must be a language tag such as en or pt-BR' },
  message: { default: 'message must be at most 500 characters' },
};

/** Why `row` would be refused, in words for a person; empty when it would be accepted. */
export function rowProblems(row: Record<string, unknown>, inviterRole: Role): string[] {
  const problems = new Map<string, string>();
  for (const error of Errors(NewInvite, row)) {
    const params = (error.params ?? {}) as { requiredProperties?: string[] };
    if (error.keyword === 'required' && params.requiredProperties) {
      for (const field of params.requiredProperties) problems.set(field, words[field]?.required ?? `${field} is missing`);
      continue;
    }
    const field = error.instancePath.split('/')[1] ?? '';
    if (field && !problems.has(field)) problems.set(field, words[field]?.default ?? `${field} is not valid`);
  }
  const channels = Array.isArray(row.channels) ? row.channels : row.phone ? ['email', 'sms'] : ['email'];
  if (!problems.has('phone') && channels.includes('sms') && !row.phone) problems.set('phone', 'phone is needed for the sms channel');
  const role = row.role as Role;
  if (!problems.has('role') && role in ranks && ranks[role] > ranks[inviterRole]) problems.set('role', `an ${inviterRole} cannot invite an ${role}`);
  return [...problems.values()];
}

/** Problems of every row, duplicates of an earlier row's email included. */
export function checkRows(rows: Record<string, unknown>[], inviterRole: Role): string[][] {
  const seen = new Map<string, number>();
  return rows.map((row, index) => {
    const problems = rowProblems(row, inviterRole);
    const email = typeof row.email === 'string' ? row.email.toLowerCase() : null;
    if (email) {
      const first = seen.get(email);
      if (first !== undefined) problems.push(`${email} appears earlier in this file (row ${first + 1})`);
      else seen.set(email, index);
    }
    return problems;
  });
}
