import {
  DomainError,
  hashToken,
  type AcceptInviteReply,
  type AcceptInviteRequest,
  type DeclineInviteReply,
  type InviteLookup,
  type LookupInviteRequest,
} from '@invite/contracts';
import { Invite, Org, User } from '../db/entities.ts';
import { issueTokens, toUserView } from './auth.commands.ts';
import { inTransaction, type Context } from './context.ts';
import { alreadyMember, declineThroughKey, joinThroughInvite, lostRace, unusable } from './invite.join.ts';
import { assertNewAccountFields, newAccountConflict } from './new-account.ts';
import { hashPassword } from './passwords.ts';

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

/** Why a token that was usable a moment ago lost its race. */
export function lost(ctx: Context, inviteId: string, tokenHash: string): Promise<DomainError> {
  return lostRace(ctx, { inviteId, tokenHash });
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
    assertNewAccountFields(request, preview.email);
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
      // The session is written with the rest of what only this accept writes, before any lock.
      const session = issueTokens(tx, user);
      const joined = await joinThroughInvite(tx, { invite: preview, user, newAccount, key: { inviteId: preview.id, tokenHash }, via: 'link' });
      return {
        user: toUserView(user),
        membership: joined.membership,
        accessToken: session.accessToken,
        refreshToken: session.refreshToken,
        expiresIn: session.expiresIn,
        redirectUrl: joined.redirectUrl,
      };
    });
  } catch (error) {
    throw newAccountConflict(error, request.username, { accountExists, alreadyMember });
  }
}

/** `invite.decline`: the token holder says no; the seat is freed. */
export function declineInvite(ctx: Context, token: string): Promise<DeclineInviteReply> {
  return inTransaction(ctx, async (tx) => {
    const tokenHash = hashToken(token);
    const preview = await findUsable(tx, token);
    const invite = await declineThroughKey(tx, preview, { inviteId: preview.id, tokenHash }, 'link');
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
