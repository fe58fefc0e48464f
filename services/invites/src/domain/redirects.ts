import { DomainError, maxRedirectOrigins, type FieldError } from '@invite/contracts';
import type { Context } from './context.ts';

/**
 * Redirect after accept: an invite may name a page to send the new member to, and only
 * on an origin its organisation allows (settings `redirectOrigins`). The allow-list is
 * checked when the invite is made and again when it is accepted, so an origin the org
 * removed is not followed any more. Nothing else is ever redirected to: the accept page
 * follows only the URL in the accept reply, never one from its own address bar.
 */

/** Hosts that may be allowed over plain http, for a development machine. */
const localHosts = new Set(['localhost', '127.0.0.1']);

/** Whether plain http to localhost may be allowed: in development, or with REDIRECTS_ALLOW_LOCALHOST. */
function localhostAllowed(ctx: Context): boolean {
  return ctx.domain.config.NODE_ENV === 'development' || ctx.domain.config.REDIRECTS_ALLOW_LOCALHOST;
}

/**
 * The origin of `url` as the allow-list writes it (`https://host[:port]`, lower case,
 * default port left out), or undefined when it is not an absolute http(s) URL with a
 * host and no user name or password.
 */
export function originOf(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if ((parsed.protocol !== 'https:' && parsed.protocol !== 'http:') || !parsed.hostname || parsed.username || parsed.password) return undefined;
  return parsed.origin;
}

/** Why `origin` cannot be on an allow-list, or undefined when it can. */
function originProblem(ctx: Context, origin: string): string | undefined {
  const normal = originOf(origin);
  if (!normal || !/^https?:\/\/[^/?#@\s]+$/i.test(origin)) {
    return 'must be an origin such as https://app.example.com or https://app.example.com:8443, without a path';
  }
  const { protocol, hostname } = new URL(normal);
  if (protocol === 'http:') {
    if (!localHosts.has(hostname)) return 'must use https (plain http is allowed only for localhost in development)';
    if (!localhostAllowed(ctx)) return 'uses plain http, allowed only in development (or with REDIRECTS_ALLOW_LOCALHOST)';
  }
  return undefined;
}

/**
 * The allow-list as it is saved: each origin checked and normalised (lower case, no
 * default port), duplicates dropped. Refuses the whole list with VALIDATION_FAILED at
 * `/settings/redirectOrigins/<i>` naming what is wrong with the first bad origin.
 */
export function normaliseRedirectOrigins(ctx: Context, origins: string[]): string[] {
  const errors: FieldError[] = [];
  const saved: string[] = [];
  origins.forEach((origin, index) => {
    const problem = originProblem(ctx, origin);
    if (problem) errors.push({ path: `/settings/redirectOrigins/${index}`, message: problem });
    else {
      const normal = originOf(origin)!;
      if (!saved.includes(normal)) saved.push(normal);
    }
  });
  if (errors.length) {
    throw new DomainError('VALIDATION_FAILED', { detail: `The redirect origin ${origins[Number(errors[0]!.path.split('/').pop())]} ${errors[0]!.message}`, errors });
  }
  if (saved.length > maxRedirectOrigins) {
    throw new DomainError('VALIDATION_FAILED', {
      detail: `An organisation may allow at most ${maxRedirectOrigins} redirect origins`,
      errors: [{ path: '/settings/redirectOrigins', message: `must have at most ${maxRedirectOrigins} origins` }],
    });
  }
  return saved;
}

/** Whether `url` may be redirected to now under `allowed`, the org's saved origins. */
export function redirectAllowed(ctx: Context, url: string, allowed: readonly string[]): boolean {
  const origin = originOf(url);
  if (!origin || !allowed.includes(origin)) return false;
  return new URL(origin).protocol === 'https:' || (localHosts.has(new URL(origin).hostname) && localhostAllowed(ctx));
}

/** The org's saved redirect origins (none when it never saved settings). */
export async function redirectOriginsOf(ctx: Context, orgId: string): Promise<string[]> {
  const [row] = await ctx.em.execute<{ redirect_origins: string[] }[]>(`select redirect_origins from org_settings where org_id = ?`, [orgId]);
  return row?.redirect_origins ?? [];
}

/**
 * A new invite's `redirectUrl`, checked against the org's allow-list: VALIDATION_FAILED at
 * `/redirectUrl` naming the origin and where to allow it, when it is not on it.
 */
export function checkRedirectUrl(ctx: Context, url: string | undefined, allowed: readonly string[], path = '/redirectUrl'): string | null {
  if (url === undefined) return null;
  const origin = originOf(url);
  if (!origin || (new URL(origin).protocol === 'http:' && !localHosts.has(new URL(origin).hostname))) {
    throw new DomainError('VALIDATION_FAILED', {
      detail: 'The redirect URL must be an absolute https URL, such as https://app.example.com/welcome',
      errors: [{ path, message: 'must be an absolute https URL' }],
    });
  }
  if (!redirectAllowed(ctx, url, allowed)) {
    throw new DomainError('VALIDATION_FAILED', {
      detail: `The redirect URL's origin ${origin} is not on this organisation's allowed redirect origins; an admin can add it in the console's Settings, or with PATCH /v1/orgs/{orgId}/settings (redirectOrigins)`,
      errors: [{ path, message: `has the origin ${origin}, which is not on the organisation's redirectOrigins` }],
    });
  }
  return url;
}

/** Where accepting `redirectUrl`'s invite leads now: the URL while its origin is still allowed, else null. */
export async function redirectOnAccept(ctx: Context, orgId: string, redirectUrl: string | null | undefined): Promise<string | null> {
  if (!redirectUrl) return null;
  return redirectAllowed(ctx, redirectUrl, await redirectOriginsOf(ctx, orgId)) ? redirectUrl : null;
}
