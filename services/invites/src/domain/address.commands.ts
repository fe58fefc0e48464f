import { hashToken, sealedAs, uuidv7, type AddressCodeSent, type AddressConfirmed, type ConfirmAddressRequest } from '@invite/contracts';
import { Org, User } from '../db/entities.ts';
import { assertMaySendCode, storeNewCode, tryNewestCode } from './address-codes.ts';
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
  return inTransaction(ctx, async (tx) => {
    // One request at a time per invite, so the caps below hold under concurrent requests.
    await lockPending(tx, invite.id, token);
    const owner = { inviteId: invite.id, tokenVersion: invite.tokenVersion };
    const now = await assertMaySendCode(tx, owner, (today, hours) => `${today} codes were sent for this invite in the last 24 hours, the most we send; try again in ${hours} h`);
    const org = await tx.em.findOneOrFail(Org, { id: invite.orgId });
    const { code, expiresAt } = storeNewCode(tx, owner, now);
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

/**
 * `invite.address.confirm`: the newest code of the invite, typed back, buys the address
 * proof. A wrong code counts against it (committed even though the caller gets an error).
 */
export async function confirmAddress(ctx: Context, request: ConfirmAddressRequest): Promise<AddressConfirmed> {
  const invite = await findUsable(ctx, request.token);
  const outcome = await inTransaction(ctx, async (tx) => {
    await lockPending(tx, invite.id, request.token);
    const invitee: Context = { ...tx, actor: { kind: 'anonymous' } };
    const target = `invite:${invite.id}`;
    const error = await tryNewestCode(tx, { inviteId: invite.id, tokenVersion: invite.tokenVersion }, request.code, {
      noCodeDetail: 'No code was sent for this link yet; ask for one',
      onWrong: (attemptsLeft) => recordAudit(invitee, invite.orgId, 'invite.address_code_failed', target, { attemptsLeft }),
    });
    if (error) return { error } as const;
    recordAudit(invitee, invite.orgId, 'invite.address_verified', target, { method: 'code' });
    const accountExists = (await tx.em.count(User, { email: invite.email })) > 0;
    return { reply: { proof: tx.domain.proofs.proofOf(request.token), accountExists } } as const;
  });
  if ('error' in outcome) throw outcome.error;
  return outcome.reply;
}
