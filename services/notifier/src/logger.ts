import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. The accept link carries the token, so every field that can
 * hold it (the link, a rendered body, the encrypted token) is redacted wherever it
 * appears in a logged object.
 */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: [
        'token',
        '*.token',
        'link',
        '*.link',
        'encryptedToken',
        '*.encryptedToken',
        'html',
        '*.html',
        'text',
        '*.text',
        'body',
        '*.body',
        'authToken',
        '*.authToken',
      ],
      censor: '[redacted]',
    },
  });
}
