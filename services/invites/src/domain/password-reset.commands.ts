import {
  DomainError,
  hashToken,
  newInviteToken,
  sealedAs,
  uuidv7,
  type PasswordResetConfirm,
  type PasswordResetRequest,
  type PasswordResetRequested,
} from '@invite/contracts';
import { AuditEntry, PasswordReset, RefreshToken, User } from '../db/entities.ts';
import { enqueueAccountEmail } from './changes.ts';
import { inTransaction, type Context } from './context.ts';
import { hashPassword } from './passwords.ts';
import { assertStrongPassword } from './password-policy.ts';

/**
 * Password reset by email. Whoever reads mail at an account's address can choose a new
 * password: a single-use link (32 random bytes, stored only as SHA-256) goes out through
 * the outbox with its token sealed for the notifier, and works PASSWORD_RESET_TTL_MINUTES.
 *
 * Asking never tells whether the address has an account: the reply is one constant, and
 * nothing is written for an address without one. An account gets at most
 * PASSWORD_RESETS_PER_HOUR links an hour; past that the reply is the same and nothing is
 * sent (the gateway also limits per address and per client, with 429s that do not
 * depend on the account either). Setting the password ends every session of the account.
 */

export const passwordResetMinutes = 30;
const minute = 60_000;

/** An account's own audit entry: no organisation. */
function recordAccountAudit(ctx: Context, actor: string, action: string, userId: string, data: Record<string, unknown> = {}): void {
  ctx.em.create(AuditEntry, { orgId: null, actor, action, target: `user:${userId}`, data });
}

/** `auth.password-reset.request`: emails a link to choose a new password, if the address has an account. */
export async function requestPasswordReset(ctx: Context, request: PasswordResetRequest): Promise<PasswordResetRequested> {
  const reply = { linkValidMinutes: passwordResetMinutes };
  await inTransaction(ctx, async (tx) => {
    const user = await tx.em.findOne(User, { email: request.email.toLowerCase() });
    if (!user) return;
    // One request at a time per account, so the hourly cap holds under concurrent requests.
    await tx.em.execute(`select id from users where id = ? for update`, [user.id]);
    const [recent] = await tx.em.execute<{ n: number }[]>(
      `select count(*)::int as n from password_resets where user_id = ? and created_at > now() - interval '1 hour'`,
      [user.id],
    );
    if ((recent?.n ?? 0) >= tx.domain.config.PASSWORD_RESETS_PER_HOUR) return;
    const now = new Date();
    const token = newInviteToken();
    const expiresAt = new Date(now.getTime() + passwordResetMinutes * minute);
    tx.em.create(PasswordReset, { tokenHash: hashToken(token), userId: user.id, expiresAt });
    recordAccountAudit(tx, 'anonymous', 'account.password_reset_requested', user.id, { expiresAt: expiresAt.toISOString() });
    enqueueAccountEmail(tx, {
      id: uuidv7(),
      type: 'account.password-reset',
      occurredAt: now.toISOString(),
      userId: user.id,
      email: user.email,
      locale: request.locale ?? 'en',
      expiresAt: expiresAt.toISOString(),
      encryptedToken: tx.domain.cipher.encrypt(token, sealedAs.passwordReset(user.id)),
    });
  });
  return reply;
}

function linkInvalid(): DomainError {
  return new DomainError('PASSWORD_RESET_LINK_INVALID', {
    detail: 'This password reset link does not work any more: it was used, replaced by a password change, or it expired. Ask for a new one',
  });
}

/**
 * `auth.password-reset.confirm`: the link's token sets a new password, once. The token
 * is consumed by one conditional UPDATE (of two concurrent confirms one wins); every
 * other link of the account dies with it and every session of the account is revoked.
 */
export async function confirmPasswordReset(ctx: Context, request: PasswordResetConfirm): Promise<Record<string, never>> {
  const tokenHash = hashToken(request.token);
  // Checked before hashing (~100 ms of CPU), so a made-up token costs one lookup.
  const [pending] = await ctx.em.execute<{ user_id: string; email: string; username: string }[]>(
    `select r.user_id, u.email, u.username from password_resets r join users u on u.id = r.user_id
      where r.token_hash = ? and r.used_at is null and r.expires_at > now()`,
    [tokenHash],
  );
  if (!pending) throw linkInvalid();
  assertStrongPassword(request.password, { email: pending.email, username: pending.username });
  const passwordHash = await hashPassword(request.password);
  await inTransaction(ctx, async (tx) => {
    const now = new Date();
    const won = await tx.em.nativeUpdate(PasswordReset, { tokenHash, usedAt: null, expiresAt: { $gt: now } }, { usedAt: now });
    if (won === 0) throw linkInvalid();
    await tx.em.nativeUpdate(PasswordReset, { userId: pending.user_id, usedAt: null }, { usedAt: now });
    await tx.em.nativeUpdate(User, { id: pending.user_id }, { passwordHash });
    const sessions = await tx.em.nativeUpdate(RefreshToken, { userId: pending.user_id, revokedAt: null }, { revokedAt: now });
    recordAccountAudit(tx, `user:${pending.user_id}`, 'account.password_reset', pending.user_id, { refreshTokensRevoked: sessions });
  });
  return {};
}
