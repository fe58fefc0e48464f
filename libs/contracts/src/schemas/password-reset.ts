import { Type, type Static } from 'typebox';
import { Email, Locale } from './common.ts';
import { Password } from './invites.ts';

const strict = { additionalProperties: false } as const;

/** `auth.password-reset.request`: asks for a link, by email, to choose a new password. */
export const PasswordResetRequest = Type.Object(
  {
    /** The account's email. */
    email: Email,
    /** Language of the email (default en). */
    locale: Type.Optional(Locale),
  },
  strict,
);
export type PasswordResetRequest = Static<typeof PasswordResetRequest>;

/**
 * `auth.password-reset.request` reply: the same whether or not the address has an
 * account, so that it tells nobody which addresses have one.
 */
export const PasswordResetRequested = Type.Object(
  {
    /** How long the emailed link works, if the address has an account. */
    linkValidMinutes: Type.Integer({ minimum: 1 }),
  },
  strict,
);
export type PasswordResetRequested = Static<typeof PasswordResetRequested>;

/** The secret of a password reset link: 32 random bytes in base64url. */
export const PasswordResetToken = Type.String({
  minLength: 43,
  maxLength: 43,
  pattern: '^[A-Za-z0-9_-]{43}$',
  description: 'The token from the password reset link',
});

/** `auth.password-reset.confirm`: the link's token and the new password. */
export const PasswordResetConfirm = Type.Object(
  {
    /** The token from the link. */
    token: PasswordResetToken,
    /** The new password. */
    password: Password,
  },
  strict,
);
export type PasswordResetConfirm = Static<typeof PasswordResetConfirm>;
