import { DomainError, type InviteWithLink, type NewInvite } from '@invite/contracts';
import { acceptLink } from '@invite/templates';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Invite } from '../db/entities.ts';
import type { Context } from './context.ts';
import { toInviteView } from './invite.view.ts';

/**
 * A create is retried with its Idempotency-Key when its answer was lost: the gateway or
 * this service killed after the commit, a deadline passed, a connection dropped. The
 * retry must get the invite the key created, not INVITE_ALREADY_PENDING. The gateway
 * sends a hash of the key (`requestKey`), stored with the invite it created.
 */

/** The unique index of (org, inviter, request key): a concurrent create with the same key lost to it. */
export const requestKeyIndex = 'invites_request_key';

/**
 * The answer to a create under `requestKey`, when an earlier one with this key created an
 * invite: the invite and its current link. Read outside the caller's transaction (a
 * refused statement may have aborted it).
 */
export async function inviteOfRequestKey(ctx: Context, orgId: string, inviterId: string, requestKey: string, row: NewInvite): Promise<InviteWithLink | undefined> {
  const em = ctx.domain.orm.em.fork() as EntityManager;
  const [found] = await em.execute<{ id: string }[]>('select id from invites where org_id = ? and invited_by = ? and request_key = ?', [orgId, inviterId, requestKey]);
  if (!found) return undefined;
  const invite = await em.findOneOrFail(Invite, { id: found.id });
  if (invite.email !== row.email.toLowerCase()) {
    throw new DomainError('IDEMPOTENCY_KEY_REUSED', { detail: 'This Idempotency-Key created an invite for another address; use a new key' });
  }
  if (invite.status !== 'pending' || !invite.sealedToken) {
    throw new DomainError('INVITE_NOT_PENDING', { detail: `The invite this Idempotency-Key created is ${invite.status} now` });
  }
  // The current link: the first one, unless the invite was re-sent since (which killed it).
  const token = ctx.domain.cipher.decrypt(invite.sealedToken, invite.id);
  return { invite: toInviteView(invite), acceptUrl: acceptLink(ctx.domain.config.APP_BASE_URL, token) };
}
