/**
 * The one catalogue of expected failures. Every service throws `DomainError` with one
 * of these codes; the gateway maps it to `application/problem+json` with the status
 * given here, and NATS carries it as a service error (code = status, description =
 * JSON body). Messages are written for the person reading the API response.
 */
export const errorCatalogue = {
  VALIDATION_FAILED: { status: 400, title: 'The request is not valid' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication is required' },
  INVALID_CREDENTIALS: { status: 401, title: 'The email, username or password is wrong' },
  INVALID_REFRESH_TOKEN: { status: 401, title: 'The refresh token is not valid; sign in again' },
  REFRESH_TOKEN_REUSED: {
    status: 401,
    title: 'The refresh token was already used; every session of this sign-in was revoked',
  },
  FORBIDDEN: { status: 403, title: 'Your role does not allow this action' },
  ROLE_NOT_ALLOWED: { status: 403, title: 'You cannot grant a role above your own' },
  EMAIL_MISMATCH: {
    status: 403,
    title: 'This invite was sent to another email address than the one you are signed in with',
  },
  VERIFICATION_CODE_INVALID: { status: 403, title: 'This is not the code we sent' },
  EMAIL_DOMAIN_NOT_ALLOWED: { status: 403, title: 'This join link is only for email addresses at other domains' },
  ADDRESS_NOT_VERIFIED: {
    status: 403,
    title: 'Confirm that the invited email address is yours before creating an account',
  },
  NOT_FOUND: { status: 404, title: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'This method is not allowed here' },
  INVITE_NOT_FOUND: { status: 404, title: 'This invite link is not valid' },
  JOIN_LINK_NOT_FOUND: { status: 404, title: 'This join link is not valid' },
  INVITE_ALREADY_PENDING: { status: 409, title: 'This email already has a pending invite' },
  ALREADY_MEMBER: { status: 409, title: 'This person is already a member of the organisation' },
  SEAT_LIMIT_REACHED: { status: 409, title: 'The organisation has no seat left' },
  DUPLICATE_ROW: { status: 409, title: 'The same email appears more than once in this upload' },
  INVITE_NOT_PENDING: { status: 409, title: 'The invite is no longer pending' },
  LAST_OWNER: { status: 409, title: 'An organisation needs at least one owner' },
  ALREADY_OWNER: { status: 409, title: 'This person is already an owner of the organisation' },
  SEAT_LIMIT_BELOW_USAGE: {
    status: 409,
    title: 'The seat limit cannot go below the seats in use (members plus pending invites)',
  },
  ACCOUNT_EXISTS: {
    status: 409,
    title: 'An account with this email already exists; sign in to accept the invite',
  },
  USERNAME_TAKEN: { status: 409, title: 'This username is taken' },
  WEBHOOK_LIMIT_REACHED: { status: 409, title: 'The organisation has as many webhook endpoints as it may have' },
  WEBHOOK_DISABLED: { status: 409, title: 'This webhook endpoint is disabled; enable it first' },
  JOIN_LINK_PAUSED: { status: 409, title: 'This join link is paused; ask the organisation to resume it' },
  JOIN_LINK_ALREADY_REVOKED: { status: 409, title: 'This join link was revoked; revoking is final' },
  IDEMPOTENCY_IN_PROGRESS: {
    status: 409,
    title: 'A request with this Idempotency-Key is still being processed; retry shortly',
  },
  INVITE_EXPIRED: { status: 410, title: 'This invite has expired' },
  INVITE_WITHDRAWN: { status: 410, title: 'This invite was withdrawn' },
  INVITE_ALREADY_USED: { status: 410, title: 'This invite was already used' },
  JOIN_LINK_EXPIRED: { status: 410, title: 'This join link has expired' },
  JOIN_LINK_REVOKED: { status: 410, title: 'This join link was revoked' },
  JOIN_LINK_USED_UP: { status: 410, title: 'This join link was used as many times as it allows' },
  PASSWORD_RESET_LINK_INVALID: {
    status: 410,
    title: 'This password reset link does not work any more; ask for a new one',
  },
  VERIFICATION_CODE_EXPIRED: { status: 410, title: 'This code has expired or was tried too often; ask for a new one' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The content type is not supported' },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    title: 'This Idempotency-Key was used with a different request body; use a new key',
  },
  RESEND_COOLDOWN: { status: 429, title: 'The invite was sent a moment ago; wait before resending' },
  RATE_LIMITED: { status: 429, title: 'Too many requests; slow down' },
  INTERNAL: { status: 500, title: 'Something went wrong on our side' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'The service is unavailable; try again shortly' },
  UPSTREAM_TIMEOUT: { status: 504, title: 'The service did not answer in time' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

/** One problem with one field of a request. */
export interface FieldError {
  /** JSON pointer of the offending field, e.g. `/email` or `/rows/3/role`. */
  path: string;
  /** What is wrong, for a person. */
  message: string;
}

export interface DomainErrorOptions {
  /** A sentence specific to this occurrence; defaults to the catalogue's title. */
  detail?: string;
  /** Per-field problems (400s). */
  errors?: FieldError[];
  /** Seconds after which a retry may succeed (429, 503). */
  retryAfter?: number;
}

/** An expected failure, with a stable code from the catalogue. */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: string;
  readonly errors: FieldError[] | undefined;
  readonly retryAfter: number | undefined;

  constructor(code: ErrorCode, options: DomainErrorOptions = {}) {
    const entry = errorCatalogue[code];
    super(options.detail ?? entry.title);
    this.name = 'DomainError';
    this.code = code;
    this.status = entry.status;
    this.detail = options.detail ?? entry.title;
    this.errors = options.errors;
    this.retryAfter = options.retryAfter;
  }

  /** The wire form: what travels as a NATS service error description. */
  toJSON(): WireError {
    return {
      code: this.code,
      detail: this.detail,
      ...(this.errors ? { errors: this.errors } : {}),
      ...(this.retryAfter !== undefined ? { retryAfter: this.retryAfter } : {}),
    };
  }

  static fromWire(wire: unknown): DomainError {
    if (isWireError(wire)) {
      return new DomainError(wire.code, {
        detail: wire.detail,
        ...(wire.errors ? { errors: wire.errors } : {}),
        ...(wire.retryAfter !== undefined ? { retryAfter: wire.retryAfter } : {}),
      });
    }
    return new DomainError('INTERNAL');
  }
}

export interface WireError {
  code: ErrorCode;
  detail: string;
  errors?: FieldError[];
  retryAfter?: number;
}

function isWireError(value: unknown): value is WireError {
  if (typeof value !== 'object' || value === null) return false;
  const { code, detail } = value as Record<string, unknown>;
  return typeof code === 'string' && code in errorCatalogue && typeof detail === 'string';
}

export function isDomainError(error: unknown, code?: ErrorCode): error is DomainError {
  return error instanceof DomainError && (code === undefined || error.code === code);
}
