import { DomainError, uuidv7, type MembershipView } from '@invite/contracts';
import { Invite, Membership, type User } from '../db/entities.ts';
import { enqueueEvent, eventBase, recordAudit } from './changes.ts';
import { afterCommit, type Context } from './context.ts';
import { redirectOnAccept } from './redirects.ts';
import { overdueCount, seatColumns, seatLimitReached } from './seats.ts';

/**
 * What accepting and declining share, whether the invitee holds the link (token.commands)
 * or answers from their inbox (inbox.commands): the seat rule under the org lock, the
 * one conditional UPDATE that closes the invite (of concurrent accepts, declines,
 * withdrawals, resends and expiry exactly one wins: invariant 4), the audit entries and
 * the events.
 */

/** Where an answer to an invite came from: the link's holder, or the signed-in invitee's inbox. */
export type AnswerVia = 'link' | 'inbox';

/** How the invite to close is named: by its link's token (which a resend replaces) or, from the inbox, by id alone. */
export interface InviteKey {
  inviteId: string;
  /** SHA-256 of the link's token; absent from the inbox, where the account's proven email is the key. */
  tokenHash?: string;
}

/** Why a pending invite's key stopped working, as the invitee should hear it (404 or 410). */
export function unusable(invite: Invite | null, now = new Date()): DomainError | undefined {
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

/** Why a key that was usable a moment ago lost its race. */
export async function lostRace(ctx: Context, key: InviteKey): Promise<DomainError> {
  const fresh = await ctx.em.findOne(Invite, { id: key.inviteId }, { refresh: true });
  const same = key.tokenHash === undefined || fresh?.tokenHash === key.tokenHash;
  return unusable(same ? fresh : null) ?? new DomainError('INVITE_NOT_FOUND');
}

export function alreadyMember(): DomainError {
  return new DomainError('ALREADY_MEMBER', { detail: 'You are already a member of this organisation' });
}

export interface Joining {
  /** The invite as read before the transaction (pending and unexpired then). */
  invite: Invite;
  /** The account that joins; created in this transaction when `newAccount`. */
  user: User;
  newAccount: boolean;
  key: InviteKey;
  via: AnswerVia;
}

export interface Joined {
  membership: MembershipView;
  /** The invite's redirect, if its origin is still on the org's allow-list. */
  redirectUrl: string | null;
}

/**
 * Makes `user` a member through `invite`, in the caller's transaction. Whatever the
 * caller wrote already (an account, a session) is flushed with the audit entries and the
 * event before any lock is taken; a lost race rolls all of it back.
 */
export async function joinThroughInvite(tx: Context, joining: Joining): Promise<Joined> {
  const { invite, user, newAccount, key, via } = joining;
  if (await tx.em.count(Membership, { orgId: invite.orgId, userId: user.id })) throw alreadyMember();

  // What only this accept writes goes first, before any lock: the account, the audit
  // entries, the event and the session. A lost race rolls them back.
  const now = new Date();
  const actorCtx: Context = { ...tx, actor: { kind: 'user', userId: user.id, sessionId: undefined } };
  const source = via === 'inbox' ? { via } : {};
  recordAudit(actorCtx, invite.orgId, 'invite.accepted', `invite:${invite.id}`, { userId: user.id, role: invite.role, newAccount, ...source });
  recordAudit(actorCtx, invite.orgId, 'member.added', `user:${user.id}`, { role: invite.role, inviteId: invite.id });
  enqueueEvent(actorCtx, { ...eventBase(invite.orgId, invite.id, now), type: 'invite.accepted', userId: user.id, role: invite.role, newAccount });
  await tx.em.flush();

  // Then the seat lock (before the invite row, as resend takes them), in a statement
  // of its own: the check below must read the org's seat releases from a snapshot
  // taken once the lock is ours. Another accept that committed while this one waited
  // added a member and released its pending seat; a snapshot from before the wait
  // would see the member (the locked row is re-read) but not the release.
  await tx.em.execute(`select 1 from orgs where id = ? for no key update`, [invite.orgId]);
  // Then, in one statement, the seat check, the invite closed by a conditional update
  // and the membership. This invite already holds one of the pending seats; accepting
  // turns it into a member, so the sum exceeds the limit only when the limit was lowered.
  const [outcome] = await tx.em.execute<{ consumed: number; name: string; seat_limit: number; members_count: number; pending: number; overdue: number }[]>(
    `with o as (select ${seatColumns}, ${overdueCount} as overdue from orgs o where o.id = ? for no key update),
          c as (update invites set status = 'accepted', accepted_at = ?, accepted_user_id = ?, sealed_token = null
                 where id = ? and (?::text is null or token_hash = ?) and status = 'pending' and expires_at > now()
                   and (select members_count + pending - overdue <= seat_limit from o)
                returning org_id, role),
          m as (insert into memberships (id, org_id, user_id, role, created_at) select ?, org_id, ?, role, ? from c)
     select (select count(*)::int from c) as consumed, o.* from o`,
    [invite.orgId, now, user.id, invite.id, key.tokenHash ?? null, key.tokenHash ?? null, uuidv7(), user.id, now],
  );
  if (!outcome?.consumed) {
    if (outcome && outcome.members_count + outcome.pending - outcome.overdue > outcome.seat_limit) {
      throw seatLimitReached({ orgName: outcome.name, seatLimit: outcome.seat_limit, members: outcome.members_count, pendingInvites: outcome.pending - outcome.overdue });
    }
    throw await lostRace(tx, key);
  }
  const secondsToAccept = (now.getTime() - invite.createdAt.getTime()) / 1000;
  afterCommit(tx, () => tx.domain.counters.accepted(secondsToAccept));
  return {
    membership: { orgId: invite.orgId, orgName: outcome.name, role: invite.role, createdAt: now.toISOString() },
    redirectUrl: await redirectOnAccept(tx, invite.orgId, invite.redirectUrl),
  };
}

/**
 * Declines `invite` in the caller's transaction: closed by one conditional UPDATE (the
 * seat is free), audited as the invitee's (`actor`: the link's anonymous holder, or the
 * signed-in account from the inbox) and evented as `invite.declined` by the invitee.
 */
export async function declineThroughKey(tx: Context, invite: Invite, key: InviteKey, via: AnswerVia): Promise<Invite> {
  const now = new Date();
  const won = await tx.em.nativeUpdate(
    Invite,
    { id: invite.id, ...(key.tokenHash === undefined ? {} : { tokenHash: key.tokenHash }), status: 'pending', expiresAt: { $gt: now } },
    { status: 'declined', declinedAt: now, sealedToken: null },
  );
  if (won === 0) throw await lostRace(tx, key);
  const closed = (await tx.em.findOne(Invite, { id: invite.id }, { refresh: true }))!;
  const invitee: Context = via === 'inbox' ? tx : { ...tx, actor: { kind: 'anonymous' } };
  recordAudit(invitee, closed.orgId, 'invite.declined', `invite:${closed.id}`, { email: closed.email, ...(via === 'inbox' ? { via } : {}) });
  enqueueEvent(invitee, { ...eventBase(closed.orgId, closed.id, now), type: 'invite.declined', actor: 'invitee' });
  return closed;
}
