import { pino, type Logger } from 'pino';

export type { Logger };

/** Fields that may hold a secret (a token, a password, an accept link or a body carrying one), in any logged object. */
const secretFields = [
  'token',
  'password',
  'accessToken',
  'refreshToken',
  'encryptedToken',
  'authorization',
  'authToken',
  'link',
  'html',
  'text',
  'body',
];

/** Structured JSON logs with every secret-bearing field redacted wherever it appears. */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: [...secretFields.flatMap((field) => [field, `*.${field}`]), 'headers.Authorization'],
      censor: '[redacted]',
    },
  });
}
