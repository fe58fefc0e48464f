import { randomInt, timingSafeEqual } from 'node:crypto';
import {
  DomainError,
  hashToken,
  sealedAs,
  uuidv7,
  type AddressCodeSent,
  type AddressConfirmed,
  type ConfirmAddressRequest,
} from '@invite/contracts';
import { AddressCode, Org, User } from '../db/entities.ts';
import { enqueueAccountEmail, recordAudit } from './changes.ts';
import { inTransaction, type Context } from './context.ts';
import { findUsable, lost } from './token.commands.ts';

/**
 * Codes emailed to an invited address. A holder of the link who did not get it by email
 * (the inviter's copy, an SMS) asks for one, types it back, and receives the address
 * proof the emailed link carries: then, and only then, an account can be created for the
 * address. The code goes through the outbox to the notifier, sealed like an accept token.
 *
 * Guessing is bounded three ways: a code dies after ADDRESS_CODE_MAX_ATTEMPTS wrong
 * entries or ADDRESS_CODE_TTL_MINUTES, only the newest code of an invite counts, and an
 * invite gets at most ADDRESS_CODES_PER_DAY codes, one per ADDRESS_CODE_COOLDOWN_SECONDS
 * (which also keeps a link holder from flooding the address with mail).
 */

const minute = 60_000;
const day = 24 * 60 * minute;

/** Six random digits, leading zeros kept. */
function newCode(): string {
  return String(randomInt(1_000_000)).padStart(6, '0');
}

function codeHash(id: string, code: string): string {
  return hashToken(`${id}:${code}`);
}

/** Locks the invite of `token` while it is still pending under this token; else the reason it no longer works. */
async function lockPending(ctx: Context, inviteId: string, token: string): Promise<void> {
  const tokenHash = hashToken(token);
  const rows = await ctx.em.execute<{ id: string }[]>(
    `select id from invites where id = ? and token_hash = ? and status = 'pending' and expires_at > now() for update`,
    [inviteId, tokenHash],
  );
  if (!rows[0]) throw await lost(ctx, inviteId, tokenHash);
}

/** `invite.address.send-code`: emails a new six-digit code to the invited address. */
export async function sendAddressCode(ctx: Context, token: string): Promise<AddressCodeSent> {
  const invite = await findUsable(ctx, token);
  const { config } = ctx.domain;
  return inTransaction(ctx, async (tx) => {
    // One request at a time per invite, so the caps below hold under concurrent requests.
    await lockPending(tx, invite.id, token);
    const [recent] = await tx.em.execute<{ today: number; first: Date | null; last: Date | null }[]>(
      `select count(*)::int as today, min(created_at) as first, max(created_at) as last
         from address_codes where invite_id = ? and created_at > now() - interval '1 day'`,
      [invite.id],
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
      throw new DomainError('RATE_LIMITED', {
        detail: `${recent.today} codes were sent for this invite in the last 24 hours, the most we send; try again in ${Math.ceil(retryAfter / 3600)} h`,
        retryAfter,
      });
    }

    const org = await tx.em.findOneOrFail(Org, { id: invite.orgId });
    const code = newCode();
    const id = uuidv7();
    const expiresAt = new Date(now.getTime() + config.ADDRESS_CODE_TTL_MINUTES * minute);
    tx.em.create(AddressCode, { id, inviteId: invite.id, tokenVersion: invite.tokenVersion, codeHash: codeHash(id, code), expiresAt });
    const invitee: Context = { ...tx, actor: { kind: 'anonymous' } };
    recordAudit(invitee, invite.orgId, 'invite.address_code_sent', `invite:${invite.id}`, { expiresAt: expiresAt.toISOString() });
    enqueueAccountEmail(invitee, {
      id: uuidv7(),
      type: 'invite.address-code',
      occurredAt: now.toISOString(),
      orgId: invite.orgId,
      inviteId: invite.id,
      email: invite.email,
      locale: invite.locale,
      orgName: org.name,
      expiresAt: expiresAt.toISOString(),
      encryptedCode: tx.domain.cipher.encrypt(code, sealedAs.addressCode(invite.id)),
    });
    return { email: invite.email, expiresAt: expiresAt.toISOString() };
  });
}

interface CodeRow {
  id: string;
  token_version: number;
  code_hash: string;
  attempts: number;
  expires_at: Date;
  used_at: Date | null;
}

/**
 * `invite.address.confirm`: the newest code of the invite, typed back, buys the address
 * proof. A wrong code counts against it (committed even though the caller gets an error).
 */
export async function confirmAddress(ctx: Context, request: ConfirmAddressRequest): Promise<AddressConfirmed> {
  const invite = await findUsable(ctx, request.token);
  const maxAttempts = ctx.domain.config.ADDRESS_CODE_MAX_ATTEMPTS;
  const outcome = await inTransaction(ctx, async (tx) => {
    await lockPending(tx, invite.id, request.token);
    const [row] = await tx.em.execute<CodeRow[]>(
      `select id, token_version, code_hash, attempts, expires_at, used_at from address_codes
        where invite_id = ? order by created_at desc limit 1 for update`,
      [invite.id],
    );
    const invitee: Context = { ...tx, actor: { kind: 'anonymous' } };
    const target = `invite:${invite.id}`;
    if (!row || row.used_at || row.token_version !== invite.tokenVersion || new Date(row.expires_at) <= new Date() || row.attempts >= maxAttempts) {
      return { error: new DomainError('VERIFICATION_CODE_EXPIRED', { detail: row ? undefined : 'No code was sent for this link yet; ask for one' }) } as const;
    }
    const given = Buffer.from(codeHash(row.id, request.code));
    if (!timingSafeEqual(given, Buffer.from(row.code_hash))) {
      const attemptsLeft = maxAttempts - row.attempts - 1;
      await tx.em.nativeUpdate(AddressCode, { id: row.id }, { attempts: row.attempts + 1 });
      recordAudit(invitee, invite.orgId, 'invite.address_code_failed', target, { attemptsLeft });
      const detail =
        attemptsLeft > 0
          ? `That is not the code we sent; ${attemptsLeft} ${attemptsLeft === 1 ? 'try' : 'tries'} left`
          : 'That is not the code we sent, and it was the last try; ask for a new code';
      return { error: new DomainError('VERIFICATION_CODE_INVALID', { detail, errors: [{ path: '/code', message: 'is not the code we sent' }] }) } as const;
    }
    await tx.em.nativeUpdate(AddressCode, { id: row.id }, { usedAt: new Date() });
    recordAudit(invitee, invite.orgId, 'invite.address_verified', target, { method: 'code' });
    const accountExists = (await tx.em.count(User, { email: invite.email })) > 0;
    return { reply: { proof: tx.domain.proofs.proofOf(request.token), accountExists } } as const;
  });
  if ('error' in outcome) throw outcome.error;
  return outcome.reply;
}
