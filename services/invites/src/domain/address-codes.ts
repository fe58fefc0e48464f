import { randomInt, timingSafeEqual } from 'node:crypto';
import { DomainError, hashToken, uuidv7 } from '@invite/contracts';
import { AddressCode } from '../db/entities.ts';
import type { Context } from './context.ts';

/**
 * The six-digit codes that prove an address, for an invite (`address.commands.ts`) and for
 * a join link (`join-links/join-address.commands.ts`): one table, `address_codes`, and one
 * set of limits. A code dies after ADDRESS_CODE_MAX_ATTEMPTS wrong entries or
 * ADDRESS_CODE_TTL_MINUTES, only the newest code of its owner counts, and an owner gets at
 * most ADDRESS_CODES_PER_DAY codes, one per ADDRESS_CODE_COOLDOWN_SECONDS. Each caller
 * locks the owner, audits and emails in its own words.
 */

const minute = 60_000;
const day = 24 * 60 * minute;

/** Whose codes: an invite (under its current token version), or a join link and one address. */
export type CodeOwner = { inviteId: string; tokenVersion: number } | { joinLinkId: string; email: string };

function ownerWhere(owner: CodeOwner): [string, string[]] {
  return 'inviteId' in owner ? ['invite_id = ?', [owner.inviteId]] : ['join_link_id = ? and email = ?', [owner.joinLinkId, owner.email]];
}

/** Six random digits, leading zeros kept. */
function newCode(): string {
  return String(randomInt(1_000_000)).padStart(6, '0');
}

function codeHash(id: string, code: string): string {
  return hashToken(`${id}:${code}`);
}

/**
 * RATE_LIMITED while the cooldown since the owner's last code runs, or once its codes of
 * the last 24 hours reach the daily cap (`capReached` says so in the caller's words);
 * else the time the new code is sent at. Call with the owner locked.
 */
export async function assertMaySendCode(tx: Context, owner: CodeOwner, capReached: (today: number, hours: number) => string): Promise<Date> {
  const { config } = tx.domain;
  const [where, params] = ownerWhere(owner);
  const [recent] = await tx.em.execute<{ today: number; first: Date | null; last: Date | null }[]>(
    `select count(*)::int as today, min(created_at) as first, max(created_at) as last
       from address_codes where ${where} and created_at > now() - interval '1 day'`,
    params,
  );
  const now = new Date();
  if (recent?.last) {
    const wait = new Date(recent.last).getTime() + config.ADDRESS_CODE_COOLDOWN_SECONDS * 1000 - now.getTime();
    if (wait > 0) {
      const retryAfter = Math.ceil(wait / 1000);
      throw new DomainError('RATE_LIMITED', { detail: `A code was sent to this address moments ago; ask for another in ${retryAfter} s`, retryAfter });
    }
  }
  if (recent && recent.today >= config.ADDRESS_CODES_PER_DAY && recent.first) {
    const retryAfter = Math.max(1, Math.ceil((new Date(recent.first).getTime() + day - now.getTime()) / 1000));
    throw new DomainError('RATE_LIMITED', { detail: capReached(recent.today, Math.ceil(retryAfter / 3600)), retryAfter });
  }
  return now;
}

/** A new code for `owner`, stored as its hash; the code itself is for the caller to seal into the email. */
export function storeNewCode(tx: Context, owner: CodeOwner, now: Date): { code: string; expiresAt: Date } {
  const code = newCode();
  const id = uuidv7();
  const expiresAt = new Date(now.getTime() + tx.domain.config.ADDRESS_CODE_TTL_MINUTES * minute);
  const stored = { id, codeHash: codeHash(id, code), expiresAt };
  if ('inviteId' in owner) tx.em.create(AddressCode, { ...stored, inviteId: owner.inviteId, tokenVersion: owner.tokenVersion });
  else tx.em.create(AddressCode, { ...stored, inviteId: null, joinLinkId: owner.joinLinkId, email: owner.email, tokenVersion: 1 });
  return { code, expiresAt };
}

interface CodeRow {
  id: string;
  token_version: number;
  code_hash: string;
  attempts: number;
  expires_at: Date;
  used_at: Date | null;
}

export interface CodeAttempt {
  /** The detail of VERIFICATION_CODE_EXPIRED when the owner has no code at all. */
  noCodeDetail: string;
  /** Audits a wrong code, with the tries it leaves. */
  onWrong: (attemptsLeft: number) => void;
}

/**
 * Checks `code` against the owner's newest code: the error to give (a wrong code counts
 * against it, the count written even though the caller gets an error), or undefined
 * when it is right, and then used up. Call with the owner locked.
 */
export async function tryNewestCode(tx: Context, owner: CodeOwner, code: string, attempt: CodeAttempt): Promise<DomainError | undefined> {
  const maxAttempts = tx.domain.config.ADDRESS_CODE_MAX_ATTEMPTS;
  const [where, params] = ownerWhere(owner);
  const [row] = await tx.em.execute<CodeRow[]>(
    `select id, token_version, code_hash, attempts, expires_at, used_at from address_codes
      where ${where} order by created_at desc limit 1 for update`,
    params,
  );
  const staleVersion = row !== undefined && 'inviteId' in owner && row.token_version !== owner.tokenVersion;
  if (!row || row.used_at || staleVersion || new Date(row.expires_at) <= new Date() || row.attempts >= maxAttempts) {
    return new DomainError('VERIFICATION_CODE_EXPIRED', { detail: row ? undefined : attempt.noCodeDetail });
  }
  if (!timingSafeEqual(Buffer.from(codeHash(row.id, code)), Buffer.from(row.code_hash))) {
    const attemptsLeft = maxAttempts - row.attempts - 1;
    await tx.em.nativeUpdate(AddressCode, { id: row.id }, { attempts: row.attempts + 1 });
    attempt.onWrong(attemptsLeft);
    const detail =
      attemptsLeft > 0
        ? `That is not the code we sent; ${attemptsLeft} ${attemptsLeft === 1 ? 'try' : 'tries'} left`
        : 'That is not the code we sent, and it was the last try; ask for a new code';
    return new DomainError('VERIFICATION_CODE_INVALID', { detail, errors: [{ path: '/code', message: 'is not the code we sent' }] });
  }
  await tx.em.nativeUpdate(AddressCode, { id: row.id }, { usedAt: new Date() });
  return undefined;
}
