import {
  DomainError,
  hashToken,
  uuidv7,
  type AcceptInviteReply,
  type JoinLookup,
  type JoinLookupRequest,
  type JoinRequest,
} from '@invite/contracts';
import { Invite, Membership, User } from '../db/entities.ts';
import { issueTokens, toUserView } from '../domain/auth.commands.ts';
import { enqueueEvent, eventBase, recordAudit } from '../domain/changes.ts';
import { actorLabel, afterCommit, inTransaction, type Context } from '../domain/context.ts';
import { enqueueOrgEvent, orgEventBase } from '../domain/org.events.ts';
import { assertNewAccountFields, newAccountConflict } from '../domain/new-account.ts';
import { hashPassword } from '../domain/passwords.ts';
import { overdueCount, seatColumns, seatLimitReached } from '../domain/seats.ts';
import { provesJoinAddress } from './join-address.commands.ts';
import {
  domainAllowed,
  domainNotAllowed,
  domainRule,
  findByToken,
  joinLinkColumns,
  joinLinkFrom,
  unusableProblem,
  type JoinLinkRow,
} from './join-link.rows.ts';

/**
 * What the holder of a join link can do: look at it, and join. Lookups never change
 * anything (a link scanner's visit is harmless); only the join, a POST, takes a seat.
 */

/** `join.lookup`: the organisation, the role, whether the link works now and why not; for a signed-in caller, whether they can join. */
export async function lookupJoinLink(ctx: Context, request: JoinLookupRequest): Promise<JoinLookup> {
  const link = await findByToken(ctx, request.token);
  const [org] = await ctx.em.execute<{ name: string; logo_url: string | null }[]>(
    `select o.name, s.logo_url from orgs o left join org_settings s on s.org_id = o.id where o.id = ?`,
    [link.org_id],
  );
  const problem = unusableProblem(link);
  let you: JoinLookup['you'] = null;
  if (ctx.actor.kind === 'user') {
    const user = await ctx.em.findOneOrFail(User, { id: ctx.actor.userId });
    you = {
      email: user.email,
      domainAllowed: domainAllowed(link.allowed_domains, user.email),
      alreadyMember: (await ctx.em.count(Membership, { orgId: link.org_id, userId: user.id })) > 0,
    };
  }
  return {
    orgId: link.org_id,
    orgName: org?.name ?? '',
    logoUrl: org?.logo_url ?? null,
    label: link.label,
    role: link.role,
    expiresAt: new Date(link.expires_at).toISOString(),
    usable: !problem,
    unusableCode: problem?.code ?? null,
    unusableReason: problem?.detail ?? null,
    allowedDomains: link.allowed_domains,
    domainRule: domainRule(link.allowed_domains),
    you,
  };
}

/**
 * Withdraws the pending invite of someone who has just joined through `link`: the join
 * took its seat. Done by the system (`system:join-link`), audited with the link, evented
 * as any withdrawal is.
 */
async function closeSupersededInvite(tx: Context, inviteId: string, link: JoinLinkRow, now: Date): Promise<void> {
  const invite = await tx.em.findOneOrFail(Invite, { id: inviteId });
  Object.assign(invite, { status: 'withdrawn', withdrawnAt: now, sealedToken: null });
  const system: Context = { ...tx, actor: { kind: 'system', name: 'join-link' } };
  recordAudit(system, link.org_id, 'invite.withdrawn', `invite:${invite.id}`, { email: invite.email, joinLinkId: link.id, label: link.label });
  enqueueEvent(system, { ...eventBase(link.org_id, invite.id, now), type: 'invite.withdrawn', actor: actorLabel(system.actor) });
  afterCommit(tx, () => tx.domain.counters.withdrawn());
}

function alreadyMember(): DomainError {
  return new DomainError('ALREADY_MEMBER', { detail: 'You are already a member of this organisation' });
}

function accountExists(): DomainError {
  return new DomainError('ACCOUNT_EXISTS', { detail: 'An account with this email already exists; sign in, then join' });
}

/** Why a link that was usable a moment ago refused this join, if the link changed (else the seats ran out). */
async function changedLink(ctx: Context, linkId: string): Promise<DomainError | undefined> {
  const [fresh] = await ctx.em.execute<JoinLinkRow[]>(`select ${joinLinkColumns} from ${joinLinkFrom} where l.id = ?`, [linkId]);
  return fresh ? unusableProblem(fresh) : new DomainError('JOIN_LINK_NOT_FOUND');
}

/**
 * `join.join`. A signed-in caller joins with their account. Without one, an account is
 * created for `email`, and only with the proof that the holder reads mail there (a code
 * emailed to it for this link): a join link is shared widely, and nobody may claim an
 * address they have not proven. Either way the address must be at an allowed domain.
 *
 * One transaction: the account, the audit entry, the event and the session first; then,
 * under the org row's lock, one statement that checks the seats, counts the use with a
 * conditional UPDATE of the link (state, expiry and cap re-checked on the row as it is
 * now) and inserts the membership. Concurrent joins queue on the org lock, so neither
 * the seats nor the link's cap can be exceeded.
 */
export async function joinThroughLink(ctx: Context, request: JoinRequest): Promise<AcceptInviteReply> {
  const link = await findByToken(ctx, request.token);
  const problem = unusableProblem(link);
  if (problem) throw problem;

  let passwordHash: string | undefined;
  let address: string;
  if (ctx.actor.kind === 'user') {
    const user = await ctx.em.findOneOrFail(User, { id: ctx.actor.userId });
    address = user.email;
    if (!domainAllowed(link.allowed_domains, address)) throw domainNotAllowed(link.allowed_domains, address);
    if (await ctx.em.count(Membership, { orgId: link.org_id, userId: user.id })) throw alreadyMember();
  } else {
    if (!request.email) {
      throw new DomainError('VALIDATION_FAILED', {
        detail: 'To join, sign in; or, to create an account, give the email address you proved with a code',
        errors: [{ path: '/email', message: 'is required to create an account' }],
      });
    }
    address = request.email.toLowerCase();
    if (!domainAllowed(link.allowed_domains, address)) throw domainNotAllowed(link.allowed_domains, address);
    const proven = provesJoinAddress(ctx, request.token, address, request.proof);
    if (proven && (await ctx.em.count(User, { email: address }))) throw accountExists();
    assertNewAccountFields(request, address);
    if (!proven) {
      throw new DomainError('ADDRESS_NOT_VERIFIED', {
        detail: request.proof
          ? 'The address proof does not belong to this link and address; ask for a new code'
          : 'To create an account, first confirm your email address with the code we email you; to join with an account you already have, sign in',
      });
    }
    // ~100 ms of CPU: before the transaction, so no lock waits on it.
    passwordHash = await hashPassword(request.password!);
  }

  try {
    return await inTransaction(ctx, async (tx) => {
      let user: User;
      let newAccount = false;
      if (tx.actor.kind === 'user') {
        user = await tx.em.findOneOrFail(User, { id: tx.actor.userId });
      } else {
        if (await tx.em.count(User, { email: address })) throw accountExists();
        user = tx.em.create(User, { email: address, username: request.username!, name: request.name!, passwordHash: passwordHash! });
        newAccount = true;
      }

      // What only this join writes goes first, before any lock; a lost race rolls it back.
      const now = new Date();
      const member: Context = { ...tx, actor: { kind: 'user', userId: user.id, sessionId: undefined } };
      const [org] = await tx.em.execute<{ name: string }[]>(`select name from orgs where id = ?`, [link.org_id]);
      recordAudit(member, link.org_id, 'member.joined', `user:${user.id}`, {
        role: link.role,
        joinLinkId: link.id,
        label: link.label,
        orgName: org?.name ?? null,
        name: user.name,
        newAccount,
      });
      enqueueOrgEvent(member, { ...orgEventBase(member, link.org_id, now), type: 'member.joined', userId: user.id, role: link.role, joinLinkId: link.id, newAccount });
      const session = issueTokens(tx, user);
      await tx.em.flush();

      // The seat lock, in a statement of its own, so that the next one reads the seats
      // (and the link) from a snapshot taken once the lock is ours.
      await tx.em.execute(`select 1 from orgs where id = ? for no key update`, [link.org_id]);
      // An invite of theirs still pending here holds a seat: the join takes that seat over
      // and the invite closes with it, rather than keeping a second seat until it expires.
      const [held] = await tx.em.execute<{ id: string }[]>(
        `select id from invites where org_id = ? and email = ? and status = 'pending' and expires_at > now() for update`,
        [link.org_id, user.email],
      );
      const [outcome] = await tx.em.execute<{ joined: number; name: string; seat_limit: number; members_count: number; pending: number; overdue: number }[]>(
        `with o as (select ${seatColumns}, ${overdueCount} as overdue from orgs o where o.id = ? for no key update),
              l as (update join_links set uses = uses + 1, last_used_at = ?
                     where id = ? and token_hash = ? and revoked_at is null and paused_at is null and expires_at > now()
                       and (max_uses is null or uses < max_uses)
                       and (select members_count + pending - overdue + 1 - ? <= seat_limit from o)
                    returning org_id, role),
              m as (insert into memberships (id, org_id, user_id, role, created_at) select ?, org_id, ?, role, ? from l)
         select (select count(*)::int from l) as joined, o.* from o`,
        [link.org_id, now, link.id, hashToken(request.token), held ? 1 : 0, uuidv7(), user.id, now],
      );
      if (!outcome?.joined) {
        const changed = await changedLink(tx, link.id);
        if (changed) throw changed;
        const seats = outcome ?? { name: '', seat_limit: 0, members_count: 0, pending: 0, overdue: 0 };
        throw seatLimitReached({ orgName: seats.name, seatLimit: seats.seat_limit, members: seats.members_count, pendingInvites: seats.pending - seats.overdue });
      }
      if (held) await closeSupersededInvite(tx, held.id, link, now);
      return {
        user: toUserView(user),
        membership: { orgId: link.org_id, orgName: outcome.name, role: link.role, createdAt: now.toISOString() },
        accessToken: session.accessToken,
        refreshToken: session.refreshToken,
        expiresIn: session.expiresIn,
      };
    });
  } catch (error) {
    throw newAccountConflict(error, request.username, { accountExists, alreadyMember });
  }
}
