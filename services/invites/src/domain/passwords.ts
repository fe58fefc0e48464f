import argon2 from 'argon2';

/**
 * argon2id at OWASP's minimum (m = 19 MiB, t = 2, p = 1). The argon2 package hashes on
 * libuv's thread pool, so a ~100 ms hash never blocks the event loop (invariant 10).
 */
export const passwordHashOptions = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, passwordHashOptions);
}

/** A hash of a random password, verified against when the account does not exist, so timing does not tell. */
let decoy: Promise<string> | undefined;

export async function verifyPassword(hash: string | undefined, password: string): Promise<boolean> {
  if (!hash) {
    decoy ??= hashPassword(crypto.randomUUID());
    await argon2.verify(await decoy, password).catch(() => false);
    return false;
  }
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}
