import { DomainError } from '@invite/contracts';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { assertStrongPassword } from './password-policy.ts';

/**
 * What an invite's accept and a join link's join share when the caller has no account
 * yet and one is created for them: the fields it is made from, and what a unique
 * violation in the transaction that makes it means to the caller.
 */

/** The fields a new account is made from, as the caller gave them. */
export interface NewAccountFields {
  name?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
}

/** VALIDATION_FAILED naming every missing field; then the password rules for an account at `email`. */
export function assertNewAccountFields(fields: NewAccountFields, email: string): void {
  const missing = (['name', 'username', 'password'] as const).filter((f) => !fields[f]);
  if (missing.length > 0) {
    throw new DomainError('VALIDATION_FAILED', {
      detail: `To create your account, give ${missing.join(', ')}`,
      errors: missing.map((f) => ({ path: `/${f}`, message: 'is required to create an account' })),
    });
  }
  assertStrongPassword(fields.password!, { email, username: fields.username });
}

/** The errors a caller gets when the account's email, or the membership, was taken meanwhile. */
export interface AccountConflicts {
  accountExists: () => DomainError;
  alreadyMember: () => DomainError;
}

/**
 * `error` as the caller should see it: a unique violation on the username, the email or
 * the membership (a concurrent request took it first) becomes the matching domain error;
 * anything else is returned as it is.
 */
export function newAccountConflict(error: unknown, username: string | undefined, conflicts: AccountConflicts): unknown {
  if (error instanceof UniqueConstraintViolationException) {
    const constraint = String((error as { constraint?: string }).constraint ?? error.message);
    if (constraint.includes('username')) return new DomainError('USERNAME_TAKEN', { detail: `The username ${username} is taken; choose another` });
    if (constraint.includes('email')) return conflicts.accountExists();
    if (constraint.includes('memberships')) return conflicts.alreadyMember();
  }
  return error;
}
