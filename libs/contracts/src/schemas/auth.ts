import { Type, type Static } from 'typebox';
import { MembershipView, Role, UserView, Uuid } from './common.ts';

const strict = { additionalProperties: false } as const;

/** `auth.login` request. */
export const LoginRequest = Type.Object(
  {
    /** The account's email address, or its username (a value without `@`). */
    email: Type.String({ minLength: 1, maxLength: 254, description: "The account's email address, or its username" }),
    /** Account password. */
    password: Type.String({ minLength: 1, maxLength: 128 }),
  },
  strict,
);
export type LoginRequest = Static<typeof LoginRequest>;

/** A fresh token pair. */
export const TokenPair = Type.Object(
  {
    /** Short-lived signed access token (Bearer). */
    accessToken: Type.String(),
    /** Single-use refresh token; rotated on every refresh. */
    refreshToken: Type.String(),
    /** Seconds until the access token expires. */
    expiresIn: Type.Integer(),
    /** The signed-in account. */
    user: UserView,
  },
  strict,
);
export type TokenPair = Static<typeof TokenPair>;

/** `auth.refresh` request. */
export const RefreshRequest = Type.Object(
  {
    /** The current refresh token. */
    refreshToken: Type.String({ minLength: 20, maxLength: 200 }),
  },
  strict,
);
export type RefreshRequest = Static<typeof RefreshRequest>;

/** `auth.me` reply. */
export const MeView = Type.Object(
  {
    /** The account. */
    user: UserView,
    /** Its memberships. */
    memberships: Type.Array(MembershipView),
  },
  strict,
);
export type MeView = Static<typeof MeView>;

/**
 * `auth.check` request: does the caller, on a live session, hold at least `minimumRole`
 * in the org? The gateway asks before it hands out an answer it stored earlier.
 */
export const AccessCheckRequest = Type.Object(
  {
    /** Organisation the caller acts in. */
    orgId: Uuid,
    /** The least role the caller must hold there. */
    minimumRole: Role,
  },
  strict,
);
export type AccessCheckRequest = Static<typeof AccessCheckRequest>;

/** `auth.check` reply: the caller passed. */
export const AccessCheckReply = Type.Object(
  {
    /** The caller. */
    userId: Uuid,
    /** The organisation. */
    orgId: Uuid,
    /** The caller's role there. */
    role: Role,
  },
  strict,
);
export type AccessCheckReply = Static<typeof AccessCheckReply>;
