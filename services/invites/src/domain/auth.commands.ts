import { randomBytes } from 'node:crypto';
import {
  DomainError,
  hashToken,
  signAccessToken,
  uuidv7,
  verifyAccessToken,
  type AccessCheckReply,
  type AccessCheckRequest,
  type LoginRequest,
  type MeView,
  type TokenPair,
  type UserView,
} from '@invite/contracts';
import { Membership, Org, RefreshToken, User } from '../db/entities.ts';
import { requireRole, requireUser } from './authorization.ts';
import { inTransaction, type Actor, type Context, type Domain } from './context.ts';
import { verifyPassword } from './passwords.ts';

const day = 86_400_000;

export function toUserView(user: User): UserView {
  return { id: user.id, email: user.email, username: user.username, name: user.name };
}


/**
 * Starts a session for `user` in the caller's transaction: a refresh token of a new
 * family (or of `family` when rotating) and an access token naming that family.
 */
export function issueTokens(ctx: Context, user: User, family = uuidv7()): TokenPair {
  const refreshToken = randomBytes(32).toString('base64url');
  ctx.em.create(RefreshToken, {
    hash: hashToken(refreshToken),
    userId: user.id,
    family,
    expiresAt: new Date(Date.now() + ctx.domain.config.REFRESH_TOKEN_TTL_DAYS * day),
  });
  const ttl = ctx.domain.config.ACCESS_TOKEN_TTL_SECONDS;
  const accessToken = signAccessToken(ctx.domain.signingKey, { sub: user.id, sid: family, scope: 'user' }, ttl);
  return { accessToken, refreshToken, expiresIn: ttl, user: toUserView(user) };
}

/** The account an identifier names: an email address, or (without `@`) a username, in any letter case. */
async function accountNamed(ctx: Context, identifier: string): Promise<User | null> {
  const name = identifier.trim();
  if (name.includes('@')) return ctx.em.findOne(User, { email: name.toLowerCase() });
  const [row] = await ctx.em.execute<{ id: string }[]>(`select id from users where lower(username) = lower(?)`, [name]);
  return row ? ctx.em.findOne(User, { id: row.id }) : null;
}

/**
 * `auth.login`, by email address or username. Unknown accounts and wrong passwords
 * answer alike, in about the same time.
 */
export function login(ctx: Context, request: LoginRequest): Promise<TokenPair> {
  return inTransaction(ctx, async (tx) => {
    const user = await accountNamed(tx, request.email);
    const ok = await verifyPassword(user?.passwordHash, request.password);
    if (!user || !ok) throw new DomainError('INVALID_CREDENTIALS');
    return issueTokens(tx, user);
  });
}

/**
 * `auth.refresh`: single use. The presented token is revoked by a conditional update
 * (one winner under races) and a new one of the same family issued. Presenting an
 * already-rotated token means it leaked: the whole family is revoked.
 */
export async function refresh(ctx: Context, refreshToken: string): Promise<TokenPair> {
  const hash = hashToken(refreshToken);
  const outcome = await inTransaction(ctx, async (tx) => {
    const stored = await tx.em.findOne(RefreshToken, { hash });
    if (!stored) return { error: new DomainError('INVALID_REFRESH_TOKEN') } as const;
    const now = new Date();
    const rotated = await tx.em.nativeUpdate(RefreshToken, { hash, revokedAt: null }, { revokedAt: now });
    if (rotated === 0) {
      await tx.em.nativeUpdate(RefreshToken, { family: stored.family, revokedAt: null }, { revokedAt: now });
      return { error: new DomainError('REFRESH_TOKEN_REUSED'), revokedFamily: stored.family } as const;
    }
    if (stored.expiresAt <= now) return { error: new DomainError('INVALID_REFRESH_TOKEN', { detail: 'The session has expired; sign in again' }) } as const;
    const user = await tx.em.findOneOrFail(User, { id: stored.userId });
    return { pair: issueTokens(tx, user, stored.family) } as const;
  });
  // The family revocation above must commit even though the caller gets an error.
  if ('error' in outcome) throw outcome.error;
  return outcome.pair;
}

/** `auth.logout`: revokes the session's family; its access tokens stop working at once. */
export async function logout(ctx: Context): Promise<Record<string, never>> {
  if (ctx.actor.kind !== 'user' || !ctx.actor.sessionId) throw new DomainError('UNAUTHENTICATED');
  await ctx.em.nativeUpdate(RefreshToken, { family: ctx.actor.sessionId, revokedAt: null }, { revokedAt: new Date() });
  return {};
}

/** `auth.me`: the caller and their memberships. */
export async function me(ctx: Context): Promise<MeView> {
  const userId = requireUser(ctx);
  const user = await ctx.em.findOneOrFail(User, { id: userId });
  const memberships = await ctx.em.find(Membership, { userId }, { orderBy: { createdAt: 'asc' } });
  const orgs = await ctx.em.find(Org, { id: { $in: memberships.map((m) => m.orgId) } });
  const names = new Map(orgs.map((o) => [o.id, o.name]));
  return {
    user: toUserView(user),
    memberships: memberships.map((m) => ({
      orgId: m.orgId,
      orgName: names.get(m.orgId) ?? '',
      role: m.role,
      createdAt: m.createdAt.toISOString(),
    })),
  };
}

/**
 * `auth.check`: the caller's session is alive (checked on arrival, like every call) and
 * the caller holds at least `minimumRole` in the org; refused exactly as a command of
 * that org would refuse them (UNAUTHENTICATED, NOT_FOUND, FORBIDDEN).
 */
export async function checkAccess(ctx: Context, request: AccessCheckRequest): Promise<AccessCheckReply> {
  const membership = await requireRole(ctx, request.orgId, request.minimumRole);
  return { userId: membership.userId, orgId: membership.orgId, role: membership.role };
}

/**
 * Turns the bearer token of a request into an actor. The signature proves the token
 * was issued by this service; the session lookup makes logout and family revocation
 * take effect before the token's own expiry.
 */
export async function authenticate(domain: Domain, ctx: Pick<Context, 'em'>, token: string): Promise<Actor> {
  const claims = verifyAccessToken(domain.verifyKey, token);
  if (claims.scope === 'operator') return { kind: 'operator' };
  if (!claims.sid) throw new DomainError('UNAUTHENTICATED', { detail: 'The access token has no session' });
  const alive = await ctx.em.execute<{ alive: boolean }[]>(
    `select exists (select 1 from refresh_tokens where family = ? and user_id = ? and revoked_at is null and expires_at > now()) as alive`,
    [claims.sid, claims.sub],
  );
  if (!alive[0]?.alive) throw new DomainError('UNAUTHENTICATED', { detail: 'The session has ended; sign in again' });
  return { kind: 'user', userId: claims.sub, sessionId: claims.sid };
}

/** An operator token for the admin CLI, signed with the service key. */
export function operatorToken(domain: Domain, ttlSeconds = 300): string {
  return signAccessToken(domain.signingKey, { sub: 'operator', scope: 'operator' }, ttlSeconds);
}
