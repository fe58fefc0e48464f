import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * The accept token travels to the notifier encrypted with AES-256-GCM under
 * TOKEN_ENCRYPTION_KEY, so it never rests in plaintext in the outbox, the stream
 * or a log. Format: `v1.<iv>.<ciphertext>.<tag>`, each part base64url. The invite
 * id is bound as additional authenticated data: a ciphertext cannot be replayed
 * onto another invite.
 */
export interface TokenCipher {
  encrypt(token: string, inviteId: string): string;
  decrypt(sealed: string, inviteId: string): string;
}

/** @param keyBase64 32 bytes, base64 or base64url encoded. */
export function createTokenCipher(keyBase64: string): TokenCipher {
  const key = Buffer.from(keyBase64, 'base64');
  if (key.length !== 32) throw new Error('TOKEN_ENCRYPTION_KEY must be 32 bytes, base64 encoded');
  return {
    encrypt(token, inviteId) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(inviteId));
      const ciphertext = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
      return ['v1', iv, ciphertext, cipher.getAuthTag()].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
    },
    decrypt(sealed, inviteId) {
      const [version, iv, ciphertext, tag] = sealed.split('.');
      if (version !== 'v1' || !iv || !ciphertext || !tag) throw new Error('unknown token envelope');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(inviteId));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}

/** A new invite token: 32 random bytes, base64url (43 characters). */
export function newInviteToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The only form in which a token is stored: its SHA-256, hex. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
