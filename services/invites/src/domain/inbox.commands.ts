import {
  DomainError,
  type DeclineInviteReply,
  type InboxAcceptReply,
  type InboxInviteRef,
  type InboxListRequest,
  type InboxPage,
} from '@invite/contracts';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Invite, User } from '../db/entities.ts';
import { requireUser } from './authorization.ts';
import { inTransaction, type Context } from './context.ts';
import { decodeCursor, pageOf } from './cursor.ts';
import { alreadyMember, declineThroughKey, joinThroughInvite, unusable } from './invite.join.ts';
import { redirectAllowed } from './redirects.ts';

/**
 * The invitee's inbox: the pending invites addressed to the signed-in account's email,
 * in every organisation, answered without the link. The account's email is trusted as
 * the invited address because it was proven: accounts are created only with an address
 * proof (the emailed link, or a code emailed to the address) or by the operator's
 * create-org for an organisation's first owner.
 *
 * An invite sent by SMS alone is addressed to a phone, not to the email it was given
 * with: it is not listed and cannot be answered here. A link-only invite (no channel)
 * with an email is.
 */

/** Invites addressed to an email: sent by email, or link-only. */
const addressedByEmail = `(i.channels @> '["email"]'::jsonb or i.channels = '[]'::jsonb)`;

function notYours(): DomainError {
  return new DomainError('NOT_FOUND', { detail: 'You have no invite with this id; your invites are listed at GET /v1/me/invites' });
}

async function caller(ctx: Context): Promise<User> {
  const user = await ctx.em.findOne(User, { id: requireUser(ctx) });
  if (!user) throw new DomainError('UNAUTHENTICATED');
  return user;
}

interface InboxRow {
  id: string;
  org_id: string;
  org_name: string;
  logo_url: string | null;
  role: InboxPage['items'][number]['role'];
  inviter_name: string | null;
  message: string | null;
  created_at: Date;
  expires_at: Date;
  redirect_url: string | null;
  redirect_origins: string[] | null;
}

/**
 * `inbox.list`: newest first, keyset-paginated on (created_at, id). One range scan of
 * `invites_inbox_idx` (pending invites by lower(email), newest first).
 */
export async function listInbox(ctx: Context, request: InboxListRequest): Promise<InboxPage> {
  const user = await caller(ctx);
  const limit = request.limit ?? 50;
  const after = decodeCursor(request.cursor);
  const rows = await ctx.em.execute<InboxRow[]>(
    `select i.id, i.org_id, o.name as org_name, s.logo_url, i.role, u.name as inviter_name, i.message,
            i.created_at, i.expires_at, i.redirect_url, s.redirect_origins
       from invites i
       join orgs o on o.id = i.org_id
       left join org_settings s on s.org_id = i.org_id
       left join users u on u.id = i.invited_by
      where lower(i.email) = lower(?) and i.status = 'pending' and i.expires_at > now() and ${addressedByEmail}
        ${after ? 'and (i.created_at, i.id) < (?, ?)' : ''}
      order by i.created_at desc, i.id desc
      limit ?`,
    [user.email, ...(after ? [after.at, after.id] : []), limit + 1],
  );
  return pageOf(
    rows,
    limit,
    (r) => ({ at: new Date(r.created_at), id: r.id }),
    (r) => ({
      id: r.id,
      org: { id: r.org_id, name: r.org_name, logoUrl: r.logo_url },
      role: r.role,
      inviterName: r.inviter_name,
      message: r.message,
      createdAt: new Date(r.created_at).toISOString(),
      expiresAt: new Date(r.expires_at).toISOString(),
      redirectUrl: r.redirect_url && redirectAllowed(ctx, r.redirect_url, r.redirect_origins ?? []) ? r.redirect_url : null,
    }),
  );
}

/**
 * The invite `inviteId` if it is addressed to `user` (NOT_FOUND otherwise, exactly as for
 * an id that does not exist), and still open (else the 404/410 the link's holder would get).
 */
async function addressedTo(ctx: Context, inviteId: string, user: User): Promise<Invite> {
  const [row] = await ctx.em.execute<{ id: string }[]>(
    `select i.id from invites i where i.id = ? and lower(i.email) = lower(?) and ${addressedByEmail}`,
    [inviteId, user.email],
  );
  if (!row) throw notYours();
  const invite = await ctx.em.findOneOrFail(Invite, { id: inviteId }, { refresh: true });
  const problem = unusable(invite);
  if (problem) throw problem;
  return invite;
}

/**
 * `inbox.accept`: the signed-in invitee joins through an invite of their inbox, by the
 * same rules as accepting by link (seat under the org lock, one conditional UPDATE, audit
 * entries, `invite.accepted` event), without the link. The session goes on as it was.
 */
export async function acceptFromInbox(ctx: Context, request: InboxInviteRef): Promise<InboxAcceptReply> {
  try {
    return await inTransaction(ctx, async (tx) => {
      const user = await caller(tx);
      const invite = await addressedTo(tx, request.inviteId, user);
      const joined = await joinThroughInvite(tx, { invite, user, newAccount: false, key: { inviteId: invite.id }, via: 'inbox' });
      return { inviteId: invite.id, membership: joined.membership, redirectUrl: joined.redirectUrl };
    });
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException && String((error as { constraint?: string }).constraint ?? error.message).includes('memberships')) {
      throw alreadyMember();
    }
    throw error;
  }
}

/** `inbox.decline`: the signed-in invitee says no to an invite of their inbox; the seat is freed. */
export function declineFromInbox(ctx: Context, request: InboxInviteRef): Promise<DeclineInviteReply> {
  return inTransaction(ctx, async (tx) => {
    const user = await caller(tx);
    const invite = await addressedTo(tx, request.inviteId, user);
    const closed = await declineThroughKey(tx, invite, { inviteId: invite.id }, 'inbox');
    return { inviteId: closed.id, status: 'declined' };
  });
}
