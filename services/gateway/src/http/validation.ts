import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { DomainError, requestErrors, type FieldError } from '@invite/contracts';

/**
 * Validates request parts with the same TypeBox validator (and the same wording) as
 * the invites service. Path and query strings are converted to the schema's types;
 * bodies are taken as sent. Unknown fields are an error, never dropped silently, and
 * so is text no store can hold (a NUL, a lone surrogate) in any field of any route.
 */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const part = httpPart === 'querystring' ? 'query' : (httpPart ?? 'body');
  return (data: unknown) => {
    if (part === 'body' && (data === undefined || data === null)) {
      return { error: new DomainError('VALIDATION_FAILED', { detail: 'The request needs a JSON body' }) };
    }
    // Convert works in place: keep the strings as sent to compare with.
    const value = part === 'body' ? data : Value.Convert(schema, structuredClone(data ?? {}));
    const errors = [...requestErrors(schema, value, part === 'body' ? '' : `/${part}`), ...lossyNumbers(part, data, value)];
    if (errors.length === 0) return { value };
    const first = errors[0]!;
    return {
      error: new DomainError('VALIDATION_FAILED', {
        detail: `The request is not valid: ${first.path === '/' ? 'the body' : first.path} ${first.message}`,
        errors,
      }),
    };
  };
};

/** `limit=1.5` or `limit=0x10` would convert to some number; only a plain decimal numeral is taken as one. */
function lossyNumbers(part: string, raw: unknown, converted: unknown) {
  if (part === 'body' || typeof raw !== 'object' || raw === null || typeof converted !== 'object' || converted === null) return [];
  return Object.entries(raw as Record<string, unknown>)
    .filter(([key, text]) => typeof (converted as Record<string, unknown>)[key] === 'number' && String((converted as Record<string, unknown>)[key]) !== text)
    .map(([key]) => ({ path: `/${part}/${key}`, message: 'must be a whole number written in decimal digits' }));
}

/**
 * Query parameters whose percent-encoding is not UTF-8 (`%FF`, `%ED%A0%80`, a cut
 * `%E2%82`). The query parser would keep such a value undecoded, so `q=%FF` would
 * silently mean the text "%FF"; it is refused instead, naming the parameter.
 */
export function malformedQueryErrors(url: string): FieldError[] {
  const start = url.indexOf('?');
  if (start < 0) return [];
  const errors: FieldError[] = [];
  for (const pair of url.slice(start + 1).split('&')) {
    const [rawKey = '', ...rest] = pair.split('=');
    const key = decodeOrUndefined(rawKey);
    if (key === undefined || decodeOrUndefined(rest.join('=')) === undefined) {
      errors.push({ path: `/query/${key ?? rawKey}`, message: 'is not valid percent-encoded UTF-8 text' });
    }
  }
  return errors;
}

function decodeOrUndefined(component: string): string | undefined {
  try {
    return decodeURIComponent(component.replaceAll('+', ' '));
  } catch {
    return undefined;
  }
}
