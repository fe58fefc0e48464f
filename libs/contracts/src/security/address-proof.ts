import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * The address proof of an invite link: evidence that whoever holds it received mail at
 * the invited address. The API's create and resend replies give the inviter the token
 * only; the notifier adds the proof to the link it emails, and the invites service
 * hands it out once a code it emailed to the address is typed back. Creating an
 * account through an invite requires it, so an inviter's copy of the link cannot
 * create an account for an address the inviter does not read.
 *
 * The proof is HMAC-SHA256 of the token under a key derived from TOKEN_ENCRYPTION_KEY
 * (the key the invites service and the notifier already share): nothing is stored,
 * and a resend, which issues a new token, makes the old proof worthless with it.
 */
export interface AddressProofs {
  /** The proof of the email channel for `token`: 43 characters, base64url. */
  proofOf(token: string): string;
  /** Whether `proof` is the proof of `token`, compared in constant time. */
  verify(token: string, proof: string): boolean;
}

/** @param keyBase64 TOKEN_ENCRYPTION_KEY: 32 bytes, base64 or base64url encoded. */
export function createAddressProofs(keyBase64: string): AddressProofs {
  const master = Buffer.from(keyBase64, 'base64');
  if (master.length !== 32) throw new Error('TOKEN_ENCRYPTION_KEY must be 32 bytes, base64 encoded');
  // A key of its own, so that no value of the token cipher can ever serve as a proof.
  const key = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), 'invite address proof v1', 32));
  const proofOf = (token: string) => createHmac('sha256', key).update(`email\0${token}`).digest('base64url');
  return {
    proofOf,
    verify(token, proof) {
      const expected = Buffer.from(proofOf(token));
      const given = Buffer.from(proof);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}
