import { Type, type Static, type TObject } from 'typebox';
import { Value } from 'typebox/value';
import { fieldErrors } from './validation.ts';

/** LOG_LEVEL, the same for every service: pino's levels. */
export const LogLevel = Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
  default: 'info',
  description: 'Lowest level logged: fatal, error, warn, info, debug, trace or silent',
});

/**
 * Reads configuration from the environment once at boot: fills defaults, converts
 * numbers and booleans, and fails fast with every problem listed at once.
 */
export function loadConfig<T extends TObject>(schema: T, env: NodeJS.ProcessEnv = process.env): Static<T> {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const value = Value.Convert(schema, Value.Default(schema, raw));
  const errors = fieldErrors(schema, value);
  if (errors.length > 0) {
    const lines = errors.map((e) => `  ${e.path.slice(1) || '(config)'}: ${e.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return value as Static<T>;
}

/**
 * Development-only key material, so that `npm start` works with no setup. Every
 * service refuses it when NODE_ENV=production (see `resolveSecrets`).
 */
export const developmentSecrets = {
  JWT_PRIVATE_KEY:
    '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEILsBCKbt3Da2CXkMkkniCA792s8rxyJWTTlwRRha4Ykk\n-----END PRIVATE KEY-----\n',
  JWT_PUBLIC_KEY:
    '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA6Ct4km0lkhOC+WpeuNaBgUWIwWGPtFYxzd3XvxDLjOA=\n-----END PUBLIC KEY-----\n',
  TOKEN_ENCRYPTION_KEY: 'EhUstOrOo3Lx2yq19lIlpFXlwIiDLoBR+GZdOKu16IY=',
} as const;

/**
 * Fills secrets with the development defaults outside production and refuses to
 * start in production when one is missing or still the development value.
 */
export function resolveSecrets<K extends keyof typeof developmentSecrets>(
  names: readonly K[],
  env: NodeJS.ProcessEnv = process.env,
): Record<K, string> {
  const production = env.NODE_ENV === 'production';
  const out = {} as Record<K, string>;
  const problems: string[] = [];
  for (const name of names) {
    const value = env[name]?.replace(/\\n/g, '\n');
    if (production && (!value || value === developmentSecrets[name])) {
      problems.push(`  ${name}: must be set to a secret of your own when NODE_ENV=production`);
      continue;
    }
    out[name] = value || developmentSecrets[name];
  }
  if (problems.length) throw new Error(`Invalid configuration:\n${problems.join('\n')}`);
  return out;
}

/**
 * Whether the notifier keeps emails in the development mailbox instead of sending
 * them: in development (the services' default NODE_ENV) with no SMTP server and no
 * outbox folder named. The notifier chooses its channel by it; `npm start` and the
 * admin CLI use it to say where the emails went.
 */
export function emailsKeptInDevMailbox(env: { NODE_ENV?: string | undefined; SMTP_URL?: string | undefined; NOTIFIER_DEV_OUTBOX_DIR?: string | undefined }): boolean {
  return (env.NODE_ENV || 'development') === 'development' && !env.SMTP_URL && !env.NOTIFIER_DEV_OUTBOX_DIR;
}
