import { createPrivateKey, createPublicKey, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import { DomainError } from '../errors.ts';

/**
 * Access tokens are compact JWTs signed with Ed25519 (`alg: EdDSA`). The invites
 * service holds the private key and signs; anyone holding the public key (the
 * gateway, the invites service itself) verifies. A forged or altered token fails
 * verification, so identity can travel in a NATS header without trusting the sender.
 */
export interface AccessClaims {
  /** User id, or `operator` for an operator token. */
  sub: string;
  /** Session (refresh token family) id; absent on operator tokens. */
  sid?: string;
  /** `user` or `operator`. */
  scope: 'user' | 'operator';
  /** Issued at, seconds since the epoch. */
  iat: number;
  /** Expires at, seconds since the epoch. */
  exp: number;
}

const issuer = 'invite-platform';
const header = base64url(JSON.stringify({ alg: 'EdDSA', typ: 'JWT' }));

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

export function loadPrivateKey(pem: string): KeyObject {
  return createPrivateKey(pem);
}

export function loadPublicKey(pem: string): KeyObject {
  return createPublicKey(pem);
}

export function signAccessToken(
  key: KeyObject,
  claims: Omit<AccessClaims, 'iat' | 'exp'>,
  ttlSeconds: number,
  now = Date.now(),
): string {
  const iat = Math.floor(now / 1000);
  // jti: two tokens issued in the same second are still distinct.
  const payload = base64url(JSON.stringify({ ...claims, iss: issuer, iat, exp: iat + ttlSeconds, jti: randomUUID() }));
  const signature = sign(null, Buffer.from(`${header}.${payload}`), key).toString('base64url');
  return `${header}.${payload}.${signature}`;
}

/** Verifies signature, issuer and expiry; throws UNAUTHENTICATED otherwise. */
export function verifyAccessToken(key: KeyObject, token: string, now = Date.now()): AccessClaims {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== header) throw unauthenticated('The access token is malformed');
  const [, payload, signature] = parts as [string, string, string];
  const ok = verify(null, Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url'));
  if (!ok) throw unauthenticated('The access token signature is not valid');
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    throw unauthenticated('The access token is malformed');
  }
  if (claims.iss !== issuer || typeof claims.sub !== 'string' || typeof claims.exp !== 'number') {
    throw unauthenticated('The access token is malformed');
  }
  if (claims.exp * 1000 <= now) throw unauthenticated('The access token has expired; refresh it');
  if (claims.scope !== 'user' && claims.scope !== 'operator') throw unauthenticated('The access token is malformed');
  return {
    sub: claims.sub,
    scope: claims.scope,
    iat: Number(claims.iat),
    exp: claims.exp,
    ...(typeof claims.sid === 'string' ? { sid: claims.sid } : {}),
  };
}

/** Extracts the token of an `Authorization: Bearer …` value. */
export function bearerToken(authorization: string | undefined | null): string | undefined {
  if (!authorization) return undefined;
  const match = /^Bearer\s+([A-Za-z0-9_.-]+)$/i.exec(authorization.trim());
  return match?.[1];
}

function unauthenticated(detail: string): DomainError {
  return new DomainError('UNAUTHENTICATED', { detail });
}
