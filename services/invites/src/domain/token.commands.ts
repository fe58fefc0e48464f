import {
  DomainError,
  hashToken,
  uuidv7,
  type AcceptInviteReply,
  type AcceptInviteRequest,
  type DeclineInviteReply,
  type InviteLookup,
  type LookupInviteRequest,
} from '@invite/contracts';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Invite, Membership, Org, User } from '../db/entities.ts';
import { issueTokens, toUserView } from './auth.commands.ts';
import { enqueueEvent, eventBase, recordAudit } from './changes.ts';
import { afterCommit, inTransaction, type Context } from './context.ts';
import { assertStrongPassword } from './password-policy.ts';
import { hashPassword } from './passwords.ts';
import { overdueCount, seatColumns, seatLimitReached } from './seats.ts';

/** Why a token does not work, as the token holder should hear it (404 or 410). */
function unusable(invite: Invite | null, now = new Date()): DomainError | undefined {
  if (!invite) return new DomainError('INVITE_NOT_FOUND', { detail: 'This invite link is not valid; it may have been replaced by a newer one' });
  switch (invite.status) {
    case 'accepted':
    case 'declined':
      return new DomainError('INVITE_ALREADY_USED', { detail: `This invite was already ${invite.status}` });
    case 'withdrawn':
      return new DomainError('INVITE_WITHDRAWN', { detail: 'This invite was withdrawn; ask the organisation for a new one' });
    case 'expired':
      return new DomainError('INVITE_EXPIRED', { detail: 'This invite has expired; ask the organisation to resend it' });
    case 'pending':
      return invite.expiresAt <= now
        ? new DomainError('INVITE_EXPIRED', { detail: 'This invite has expired; ask the organisation to resend it' })
        : undefined;
  }
}

/** The pending, unexpired invite of `token`, or the 404/410 the token holder should get. */
export async function findUsable(ctx: Context, token: string): Promise<Invite> {
  const invite = await ctx.em.findOne(Invite, { tokenHash: hashToken(token) }, { refresh: true });
  const problem = unusable(invite);
  if (problem) throw problem;
  return invite!;
}

/** Whether `proof` is the address proof of `token` (the emailed link's, or one handed out for a confirmed code). */
export function provesAddress(ctx: Context, token: string, proof: string | undefined): boolean {
  return proof !== undefined && ctx.domain.proofs.verify(token, proof);
}

/**
 * `invite.lookup`: read-only; a link scanner's GET or lookup never changes the invite
 * (invariant 5). Whether the address has an account is told only to a holder who proved
 * the address: the inviter, who has the link from the API, must not learn it.
 */
export async function lookupInvite(ctx: Context, request: LookupInviteRequest): Promise<InviteLookup> {
  const invite = await findUsable(ctx, request.token);
  const org = await ctx.em.findOneOrFail(Org, { id: invite.orgId });
  const inviter = invite.invitedBy ? await ctx.em.findOne(User, { id: invite.invitedBy }) : null;
  const addressVerified = provesAddress(ctx, request.token, request.proof);
  const accountExists = addressVerified ? (await ctx.em.count(User, { email: invite.email })) > 0 : null;
  return {
    inviteId: invite.id,
    orgId: invite.orgId,
    orgName: org.name,
    inviterName: inviter?.name ?? null,
    role: invite.role,
    email: invite.email,
    expiresAt: invite.expiresAt.toISOString(),
    message: invite.message ?? null,
    accountExists,
    addressVerified,
  };
}

/**
 * Closes a pending invite whose token is `tokenHash` with one conditional UPDATE:
 * of concurrent accepts, declines, withdrawals, resends and expiry exactly one wins
 * (invariant 4). The loser gets the reason the token no longer works.
 */
async function consume(ctx: Context, invite: Invite, tokenHash: string, change: Record<string, unknown>): Promise<Invite> {
  const won = await ctx.em.nativeUpdate(
    Invite,
    { id: invite.id, tokenHash, status: 'pending', expiresAt: { $gt: new Date() } },
    { ...change, sealedToken: null },
  );
  if (won === 0) throw await lost(ctx, invite.id, tokenHash);
  return (await ctx.em.findOne(Invite, { id: invite.id }, { refresh: true }))!;
}

/** Why a token that was usable a moment ago lost its race. */
export async function lost(ctx: Context, inviteId: string, tokenHash: string): Promise<DomainError> {
  const fresh = await ctx.em.findOne(Invite, { id: inviteId }, { refresh: true });
  return unusable(fresh?.tokenHash === tokenHash ? fresh : null) ?? new DomainError('INVITE_NOT_FOUND');
}

/**
 * `invite.accept`. With a signed-in caller, the invite is accepted for that account,
 * whose email must match (else EMAIL_MISMATCH and the invite stays usable): the
 * password proved the person, so any copy of the link will do. Without one, an
 * account is created for the invited email, and only for a holder who proved the
 * address (the emailed link's proof, or a code emailed to it): an inviter's copy of
 * the link cannot take an address for himself. Until the address is proven, nothing
 * said here depends on whether it has an account. One transaction: the seat, the
 * invite, the account, the membership, the audit entry, the event and the session.
 */
export async function acceptInvite(ctx: Context, request: AcceptInviteRequest): Promise<AcceptInviteReply> {
  const preview = await findUsable(ctx, request.token);
  let passwordHash: string | undefined;
  if (ctx.actor.kind !== 'user') {
    const proven = provesAddress(ctx, request.token, request.proof);
    if (proven && (await ctx.em.count(User, { email: preview.email }))) throw accountExists();
    const missing = (['name', 'username', 'password'] as const).filter((f) => !request[f]);
    if (missing.length > 0) {
      throw new DomainError('VALIDATION_FAILED', {
        detail: `To create your account, give ${missing.join(', ')}`,
        errors: missing.map((f) => ({ path: `/${f}`, message: 'is required to create an account' })),
      });
    }
    assertStrongPassword(request.password!, { email: preview.email, username: request.username });
    if (!proven) throw addressNotVerified(request.proof !== undefined);
    // Hashing takes ~100 ms of CPU: done before the transaction so no lock waits on it.
    passwordHash = await hashPassword(request.password!);
  }
  const tokenHash = hashToken(request.token);
  try {
    return await inTransaction(ctx, async (tx) => {
      let user: User;
      let newAccount = false;
      if (tx.actor.kind === 'user') {
        user = await tx.em.findOneOrFail(User, { id: tx.actor.userId });
        if (user.email !== preview.email) {
          throw new DomainError('EMAIL_MISMATCH', {
            detail: `This invite is for ${maskEmail(preview.email)}, but you are signed in as ${user.email}; sign in with the invited address`,
          });
        }
      } else {
        if (await tx.em.count(User, { email: preview.email })) throw accountExists();
        user = tx.em.create(User, {
          email: preview.email,
          username: request.username!,
          name: request.name!,
          passwordHash: passwordHash!,
        });
        newAccount = true;
      }
      if (await tx.em.count(Membership, { orgId: preview.orgId, userId: user.id })) {
        throw new DomainError('ALREADY_MEMBER', { detail: 'You are already a member of this organisation' });
      }

      // What only this accept writes goes first, before any lock: the account, the audit
      // entries, the event and the session. A lost race rolls them back.
      const now = new Date();
      const actorCtx: Context = { ...tx, actor: { kind: 'user', userId: user.id, sessionId: undefined } };
      recordAudit(actorCtx, preview.orgId, 'invite.accepted', `invite:${preview.id}`, { userId: user.id, role: preview.role, newAccount });
      recordAudit(actorCtx, preview.orgId, 'member.added', `user:${user.id}`, { role: preview.role, inviteId: preview.id });
      enqueueEvent(actorCtx, { ...eventBase(preview.orgId, preview.id, now), type: 'invite.accepted', userId: user.id, role: preview.role, newAccount });
      const session = issueTokens(tx, user);
      await tx.em.flush();

      // Then the seat lock (before the invite row, as resend takes them), in a statement
      // of its own: the check below must read the org's seat releases from a snapshot
      // taken once the lock is ours. Another accept that committed while this one waited
      // added a member and released its pending seat; a snapshot from before the wait
      // would see the member (the locked row is re-read) but not the release.
      await tx.em.execute(`select 1 from orgs where id = ? for no key update`, [preview.orgId]);
      // Then, in one statement, the seat check, the token consumed by a conditional
      // update and the membership. This invite already holds one of the pending seats;
      // accepting turns it into a member, so the sum exceeds the limit only when the
      // limit was lowered.
      const [outcome] = await tx.em.execute<{ consumed: number; name: string; seat_limit: number; members_count: number; pending: number; overdue: number }[]>(
        `with o as (select ${seatColumns}, ${overdueCount} as overdue from orgs o where o.id = ? for no key update),
              c as (update invites set status = 'accepted', accepted_at = ?, accepted_user_id = ?, sealed_token = null
                     where id = ? and token_hash = ? and status = 'pending' and expires_at > now()
                       and (select members_count + pending - overdue <= seat_limit from o)
                    returning org_id, role),
              m as (insert into memberships (id, org_id, user_id, role, created_at) select ?, org_id, ?, role, ? from c)
         select (select count(*)::int from c) as consumed, o.* from o`,
        [preview.orgId, now, user.id, preview.id, tokenHash, uuidv7(), user.id, now],
      );
      if (!outcome?.consumed) {
        if (outcome && outcome.members_count + outcome.pending - outcome.overdue > outcome.seat_limit) {
          throw seatLimitReached({ orgName: outcome.name, seatLimit: outcome.seat_limit, members: outcome.members_count, pendingInvites: outcome.pending - outcome.overdue });
        }
        throw await lost(tx, preview.id, tokenHash);
      }
      const secondsToAccept = (now.getTime() - preview.createdAt.getTime()) / 1000;
      afterCommit(tx, () => tx.domain.counters.accepted(secondsToAccept));
      return {
        user: toUserView(user),
        membership: { orgId: preview.orgId, orgName: outcome.name, role: preview.role, createdAt: now.toISOString() },
        accessToken: session.accessToken,
        refreshToken: session.refreshToken,
        expiresIn: session.expiresIn,
      };
    });
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) {
      const constraint = String((error as { constraint?: string }).constraint ?? error.message);
      if (constraint.includes('username')) throw new DomainError('USERNAME_TAKEN', { detail: `The username ${request.username} is taken; choose another` });
      if (constraint.includes('email')) throw accountExists();
      if (constraint.includes('memberships')) throw new DomainError('ALREADY_MEMBER', { detail: 'You are already a member of this organisation' });
    }
    throw error;
  }
}

/** `invite.decline`: the token holder says no; the seat is freed. */
export function declineInvite(ctx: Context, token: string): Promise<DeclineInviteReply> {
  return inTransaction(ctx, async (tx) => {
    const tokenHash = hashToken(token);
    const preview = await findUsable(tx, token);
    const now = new Date();
    const invite = await consume(tx, preview, tokenHash, { status: 'declined', declinedAt: now });
    const invitee: Context = { ...tx, actor: { kind: 'anonymous' } };
    recordAudit(invitee, invite.orgId, 'invite.declined', `invite:${invite.id}`, { email: invite.email });
    enqueueEvent(invitee, { ...eventBase(invite.orgId, invite.id, now), type: 'invite.declined', actor: 'invitee' });
    return { inviteId: invite.id, status: 'declined' };
  });
}

function addressNotVerified(proofGiven: boolean): DomainError {
  return new DomainError('ADDRESS_NOT_VERIFIED', {
    detail: proofGiven
      ? 'The address proof does not belong to this link. Open the link from the invitation email, or ask for a code sent to the invited address'
      : 'To create an account, open the link from the invitation email, or ask for a code sent to the invited address; to join with an account you already have, sign in',
  });
}

function accountExists(): DomainError {
  return new DomainError('ACCOUNT_EXISTS', { detail: 'An account with this email already exists; sign in, then accept the invite' });
}

/** j***@example.com: enough to recognise, not enough to harvest. */
function maskEmail(email: string): string {
  const [local = '', domain = ''] = email.split('@');
  return `${local.slice(0, 1)}***@${domain}`;
}
