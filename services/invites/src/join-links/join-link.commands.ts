import {
  DomainError,
  hashToken,
  joinLinkDefaultHours,
  newInviteToken,
  roleRank,
  uuidv7,
  type CreateJoinLinkRequest,
  type JoinLinkList,
  type JoinLinkRef,
  type JoinLinkView,
  type JoinLinkWithUrl,
  type OrgRef,
  type UpdateJoinLinkRequest,
} from '@invite/contracts';
import { joinLinkUrl } from '@invite/templates';
import { requireRole } from '../domain/authorization.ts';
import { recordAudit } from '../domain/changes.ts';
import { inTransaction, type Context } from '../domain/context.ts';
import { joinLinkColumns, joinLinkFrom, joinLinkView, loadJoinLink, type JoinLinkRow } from './join-link.rows.ts';

/**
 * An organisation's join links, managed by its admins and owners. Every change is one
 * transaction with its audit entry; another organisation's link is NOT_FOUND.
 */

/** The allowed domains as stored: lower case, each once, in the order given. */
function normaliseDomains(domains: string[] = []): string[] {
  return [...new Set(domains.map((d) => d.toLowerCase()))];
}

/** `join-link.create`: the link and its URL, whose token is shown this once and kept only as its hash. */
export async function createJoinLink(ctx: Context, request: CreateJoinLinkRequest): Promise<JoinLinkWithUrl> {
  const membership = await requireRole(ctx, request.orgId, 'admin');
  if (roleRank[request.role] > roleRank[membership.role]) {
    throw new DomainError('ROLE_NOT_ALLOWED', { detail: `As ${membership.role} you cannot make a link that grants ${request.role}` });
  }
  const token = newInviteToken();
  const id = uuidv7();
  const allowedDomains = normaliseDomains(request.allowedDomains);
  const expiresAt = new Date(Date.now() + (request.expiresInHours ?? joinLinkDefaultHours) * 3_600_000);
  return inTransaction(ctx, async (tx) => {
    await tx.em.execute(
      `insert into join_links (id, org_id, token_hash, label, role, max_uses, allowed_domains, expires_at, created_by)
       values (?, ?, ?, ?, ?, ?, ?::text[], ?, ?)`,
      [id, request.orgId, hashToken(token), request.label ?? null, request.role, request.maxUses ?? null, toPgArray(allowedDomains), expiresAt, membership.userId],
    );
    recordAudit(tx, request.orgId, 'join_link.created', `join_link:${id}`, {
      label: request.label ?? null,
      role: request.role,
      maxUses: request.maxUses ?? null,
      expiresAt: expiresAt.toISOString(),
      allowedDomains,
    });
    const row = await loadJoinLink(tx, request.orgId, id);
    return { joinLink: joinLinkView(row), url: joinLinkUrl(tx.domain.config.APP_BASE_URL, token) };
  });
}

/** `join-link.list`: every link of the org, newest first, revoked and expired ones included. */
export async function listJoinLinks(ctx: Context, request: OrgRef): Promise<JoinLinkList> {
  await requireRole(ctx, request.orgId, 'admin');
  const rows = await ctx.em.execute<JoinLinkRow[]>(
    `select ${joinLinkColumns} from ${joinLinkFrom} where l.org_id = ? order by l.created_at desc, l.id desc limit 500`,
    [request.orgId],
  );
  const now = new Date();
  return { items: rows.map((row) => joinLinkView(row, now)) };
}

/** `join-link.get`. */
export async function getJoinLink(ctx: Context, request: JoinLinkRef): Promise<JoinLinkView> {
  await requireRole(ctx, request.orgId, 'admin');
  return joinLinkView(await loadJoinLink(ctx, request.orgId, request.joinLinkId));
}

function alreadyRevoked(): DomainError {
  return new DomainError('JOIN_LINK_ALREADY_REVOKED', { detail: 'This join link was revoked, which is final; create a new link instead' });
}

/** `join-link.update`: pauses or resumes a link. A revoked link stays revoked; a change to nothing writes nothing. */
export function updateJoinLink(ctx: Context, request: UpdateJoinLinkRequest): Promise<JoinLinkView> {
  return inTransaction(ctx, async (tx) => {
    await requireRole(tx, request.orgId, 'admin');
    const current = await loadJoinLink(tx, request.orgId, request.joinLinkId, true);
    if (current.revoked_at) throw alreadyRevoked();
    if (request.paused === (current.paused_at !== null)) return joinLinkView(current);
    await tx.em.execute(`update join_links set paused_at = ${request.paused ? 'now()' : 'null'} where id = ?`, [current.id]);
    recordAudit(tx, request.orgId, request.paused ? 'join_link.paused' : 'join_link.resumed', `join_link:${current.id}`, { label: current.label });
    return joinLinkView(await loadJoinLink(tx, request.orgId, current.id));
  });
}

/** `join-link.revoke`: the link stops working for good (its row stays, with its uses). */
export function revokeJoinLink(ctx: Context, request: JoinLinkRef): Promise<JoinLinkView> {
  return inTransaction(ctx, async (tx) => {
    await requireRole(tx, request.orgId, 'admin');
    const current = await loadJoinLink(tx, request.orgId, request.joinLinkId, true);
    if (current.revoked_at) throw alreadyRevoked();
    await tx.em.execute(`update join_links set revoked_at = now() where id = ?`, [current.id]);
    recordAudit(tx, request.orgId, 'join_link.revoked', `join_link:${current.id}`, { label: current.label, uses: current.uses });
    return joinLinkView(await loadJoinLink(tx, request.orgId, current.id));
  });
}

/**
 * Revokes the links `userId` made in `orgId`, in the caller's transaction: they lost the
 * right to grant what their links grant (removed, left, or no longer an admin or owner),
 * and a link must never let more in than its creator may. Called with the org row
 * locked (member commands take it first, as joins do), so no join slips in between.
 */
export async function revokeLinksOf(ctx: Context, orgId: string, userId: string, reason: 'creator_removed' | 'creator_demoted'): Promise<void> {
  const revoked = await ctx.em.execute<{ id: string; label: string | null; uses: number }[]>(
    `update join_links set revoked_at = now() where org_id = ? and created_by = ? and revoked_at is null returning id, label, uses`,
    [orgId, userId],
  );
  for (const link of revoked) recordAudit(ctx, orgId, 'join_link.revoked', `join_link:${link.id}`, { label: link.label, uses: link.uses, reason });
}

/** A text[] literal for a parameter: `{"a.com","b.org"}` (domains hold no quotes or commas). */
export function toPgArray(values: string[]): string {
  return `{${values.map((v) => `"${v}"`).join(',')}}`;
}
