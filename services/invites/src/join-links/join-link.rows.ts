import { DomainError, hashToken, type JoinLinkState, type JoinLinkView } from '@invite/contracts';
import type { Context } from '../domain/context.ts';

/** A `join_links` row as the queries here select it (with its creator's name). */
export interface JoinLinkRow {
  id: string;
  org_id: string;
  label: string | null;
  role: 'admin' | 'member';
  uses: number;
  max_uses: number | null;
  allowed_domains: string[];
  expires_at: Date;
  created_by: string | null;
  created_by_name: string | null;
  created_at: Date;
  paused_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

/** The select list of a join link `l` with its creator `u` (left joined). */
export const joinLinkColumns = `l.id, l.org_id, l.label, l.role, l.uses, l.max_uses, l.allowed_domains, l.expires_at, l.created_by,
  u.name as created_by_name, l.created_at, l.paused_at, l.revoked_at, l.last_used_at`;
export const joinLinkFrom = `join_links l left join users u on u.id = l.created_by`;

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

/** Where a link stands now. A revoked link is revoked for good, whatever else is true of it. */
export function stateOf(row: Pick<JoinLinkRow, 'revoked_at' | 'expires_at' | 'max_uses' | 'uses' | 'paused_at'>, now = new Date()): JoinLinkState {
  if (row.revoked_at) return 'revoked';
  if (new Date(row.expires_at) <= now) return 'expired';
  if (row.max_uses !== null && row.uses >= row.max_uses) return 'used_up';
  if (row.paused_at) return 'paused';
  return 'active';
}

export function joinLinkView(row: JoinLinkRow, now = new Date()): JoinLinkView {
  return {
    id: row.id,
    orgId: row.org_id,
    label: row.label,
    role: row.role,
    state: stateOf(row, now),
    uses: row.uses,
    maxUses: row.max_uses,
    allowedDomains: row.allowed_domains,
    expiresAt: iso(row.expires_at)!,
    createdBy: row.created_by,
    createdByName: row.created_by_name,
    createdAt: iso(row.created_at)!,
    pausedAt: iso(row.paused_at),
    revokedAt: iso(row.revoked_at),
    lastUsedAt: iso(row.last_used_at),
  };
}

/**
 * Why a link cannot be joined through now, as its holder should hear it (the same
 * statuses as an invite link's: 410 for what will not come back, 409 for a pause).
 */
export function unusableProblem(row: JoinLinkRow, now = new Date()): DomainError | undefined {
  switch (stateOf(row, now)) {
    case 'revoked':
      return new DomainError('JOIN_LINK_REVOKED', { detail: 'This join link was revoked by the organisation; ask them for a new one' });
    case 'expired':
      return new DomainError('JOIN_LINK_EXPIRED', { detail: 'This join link has expired; ask the organisation for a new one' });
    case 'used_up':
      return new DomainError('JOIN_LINK_USED_UP', {
        detail: `This join link was used ${row.max_uses === 1 ? 'once, as often as it allows' : `${row.max_uses} times, as often as it allows`}; ask the organisation for a new one`,
      });
    case 'paused':
      return new DomainError('JOIN_LINK_PAUSED', { detail: 'This join link is paused; ask the organisation to resume it, then try again' });
    case 'active':
      return undefined;
  }
}

/** The link whose token is `token`, or 404 JOIN_LINK_NOT_FOUND. */
export async function findByToken(ctx: Context, token: string): Promise<JoinLinkRow> {
  const [row] = await ctx.em.execute<JoinLinkRow[]>(`select ${joinLinkColumns} from ${joinLinkFrom} where l.token_hash = ?`, [hashToken(token)]);
  if (!row) throw new DomainError('JOIN_LINK_NOT_FOUND', { detail: 'This join link is not valid; check that you copied all of it' });
  return row;
}

/** The link `joinLinkId` of `orgId` (locked when asked), or NOT_FOUND: another org's link is never disclosed. */
export async function loadJoinLink(ctx: Context, orgId: string, joinLinkId: string, lock = false): Promise<JoinLinkRow> {
  const [row] = await ctx.em.execute<JoinLinkRow[]>(
    `select ${joinLinkColumns} from ${joinLinkFrom} where l.id = ? and l.org_id = ?${lock ? ' for no key update of l' : ''}`,
    [joinLinkId, orgId],
  );
  if (!row) throw new DomainError('NOT_FOUND', { detail: 'No such join link' });
  return row;
}

/** The domain of an address, lower case. */
export function domainOf(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}

/** Whether `email` may join through a link with these allowed domains (none: any address). */
export function domainAllowed(allowedDomains: string[], email: string): boolean {
  return allowedDomains.length === 0 || allowedDomains.includes(domainOf(email));
}

/** "example.com", "example.com or example.org", "a.com, b.com or c.com". */
export function listOfDomains(domains: string[]): string {
  if (domains.length <= 1) return domains.join('');
  return `${domains.slice(0, -1).join(', ')} or ${domains.at(-1)}`;
}

/** The domain rule as the join page says it; null when any address may join. */
export function domainRule(allowedDomains: string[]): string | null {
  return allowedDomains.length === 0 ? null : `Only email addresses at ${listOfDomains(allowedDomains)} can join through this link.`;
}

/** 403 EMAIL_DOMAIN_NOT_ALLOWED, naming the domains that are. */
export function domainNotAllowed(allowedDomains: string[], email: string): DomainError {
  return new DomainError('EMAIL_DOMAIN_NOT_ALLOWED', {
    detail: `This join link is only for email addresses at ${listOfDomains(allowedDomains)}; ${email} is at ${domainOf(email)}`,
  });
}
