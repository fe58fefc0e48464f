import type { Static, TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { DomainError, type FieldError } from './errors.ts';

type Validator<T extends TSchema> = ReturnType<typeof Compile<T>>;

const compiled = new WeakMap<TSchema, Validator<TSchema>>();

function validatorOf<T extends TSchema>(schema: T): Validator<T> {
  let validator = compiled.get(schema);
  if (!validator) {
    validator = Compile(schema);
    compiled.set(schema, validator);
  }
  return validator as Validator<T>;
}

/** Field errors of `value` against `schema`, one per path, worded for a person. */
export function fieldErrors(schema: TSchema, value: unknown, basePath = ''): FieldError[] {
  const byPath = new Map<string, FieldError>();
  const keywords = new Map<string, string>();
  for (const error of validatorOf(schema).Errors(value)) {
    const params = (error.params ?? {}) as Record<string, unknown>;
    let path = error.instancePath;
    let message = error.message;
    if (error.keyword === 'additionalProperties' && Array.isArray(params.additionalProperties)) {
      continue; // reported per property below
    }
    if (error.keyword === 'boolean' && path) {
      message = 'is not a known field';
    } else if (error.keyword === 'required' && Array.isArray(params.requiredProperties)) {
      for (const name of params.requiredProperties as string[]) {
        const p = `${basePath}${path}/${name}`;
        byPath.set(p, { path: p, message: 'is required' });
      }
      continue;
    } else if (error.keyword === 'enum' && Array.isArray(params.allowedValues)) {
      message = `must be one of: ${(params.allowedValues as unknown[]).join(', ')}`;
    } else if (error.keyword === 'additionalProperties') {
      message = 'has fields that are not known';
    } else {
      message = inWords(error.keyword, params) ?? message;
    }
    path = `${basePath}${path}` || '/';
    // The first error at a path is the most specific one (anyOf summaries come last),
    // except that what a value must be says more than how short it is: "must be an
    // email address" rather than "must be at least 3 characters long".
    const first = keywords.get(path);
    if (!byPath.has(path) || (first === 'minLength' && (error.keyword === 'format' || error.keyword === 'pattern'))) {
      byPath.set(path, { path, message });
      keywords.set(path, error.keyword);
    }
  }
  return [...byPath.values()];
}

/** What a pattern asks for, in words, for the patterns of the contracts' schemas. */
const patternWords: Record<string, string> = {
  '^\\+[1-9][0-9]{6,14}$': 'must be a phone number in international form: + and 7 to 15 digits, e.g. +447700900123',
  '^[a-z]{2}(-[A-Z]{2})?$': 'must be a language code such as en or pt-BR',
  '^#[0-9a-fA-F]{6}$': 'must be a colour written #rrggbb, e.g. #2456d6',
  '^\\d{4}-\\d{2}-\\d{2}$': 'must be a day written YYYY-MM-DD, e.g. 2026-12-06',
  '^[A-Za-z0-9_-]{43}$': 'must be the 43-character code from the link, copied whole',
  '^[A-Za-z0-9._-]+$': 'may hold only letters, digits, dots, dashes and underscores',
  '^[0-9]{6}$': 'must be the six digits from the email',
  '^[A-Za-z0-9_-]+$': 'must be a cursor from a previous page, unchanged',
  // Settings of the services' environment.
  '^[A-Za-z0-9_]*$': 'may hold only letters, digits and underscores',
  '^https?://[^/]+': 'must be an address starting with http:// or https://',
  '^postgres(ql)?://': 'must be a URL starting with postgres:// or postgresql://',
  '^smtps?://': 'must be a URL starting with smtp:// or smtps://',
};

const formatWords: Record<string, string> = {
  email: 'must be an email address, like name@example.com',
  'date-time': 'must be a date and time, like 2026-12-06T09:30:00Z',
  date: 'must be a day written YYYY-MM-DD',
  uuid: 'must be an id as this API gives them (a UUID)',
  uri: 'must be a web address, like https://example.com/logo.png',
};

const typeWords: Record<string, string> = {
  string: 'must be text',
  integer: 'must be a whole number',
  number: 'must be a number',
  boolean: 'must be true or false',
  array: 'must be a list',
  object: 'must be an object with named fields',
  null: 'must be null',
};

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** A schema keyword's failure as the end of a sentence about the field ("Email must be …"). */
function inWords(keyword: string, params: Record<string, unknown>): string | undefined {
  const limit = typeof params.limit === 'number' ? params.limit : undefined;
  switch (keyword) {
    case 'minLength':
      return limit === 1 ? 'must not be empty' : limit === undefined ? undefined : `must be at least ${plural(limit, 'character', 'characters')} long`;
    case 'maxLength':
      return limit === undefined ? undefined : `must be at most ${plural(limit, 'character', 'characters')} long`;
    case 'minimum':
      return limit === undefined ? undefined : `must be ${limit} or more`;
    case 'maximum':
      return limit === undefined ? undefined : `must be ${limit} or less`;
    case 'exclusiveMinimum':
      return limit === undefined ? undefined : `must be more than ${limit}`;
    case 'exclusiveMaximum':
      return limit === undefined ? undefined : `must be less than ${limit}`;
    case 'minItems':
      return limit === 1 ? 'must not be empty' : limit === undefined ? undefined : `must have at least ${plural(limit, 'item', 'items')}`;
    case 'maxItems':
      return limit === undefined ? undefined : `must have at most ${plural(limit, 'item', 'items')}`;
    case 'uniqueItems':
      return 'must not list the same value twice';
    case 'format':
      return formatWords[String(params.format)] ?? `must be a valid ${String(params.format)}`;
    case 'pattern':
      return patternWords[String(params.pattern)] ?? `must match the pattern ${String(params.pattern)}`;
    case 'type':
      return typeWords[String(params.type)];
    default:
      return undefined;
  }
}

/**
 * What is wrong with one string as text from outside: a NUL character, which
 * PostgreSQL cannot store in text or jsonb, or a lone UTF-16 surrogate, which is not
 * Unicode (UTF-8 cannot encode it, jsonb refuses it, an encoder would replace it).
 */
function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains a NUL character (U+0000); remove it';
  if (!text.isWellFormed()) return 'contains half of a character (a lone UTF-16 surrogate, as when text is cut inside an emoji); send whole characters';
  return undefined;
}

/** A JSON pointer segment, with the characters that make a key unusable written as \uXXXX. */
function pointerSegment(key: string): string {
  const escaped = key.replaceAll('~', '~0').replaceAll('/', '~1');
  if (!textProblem(escaped)) return escaped;
  // Per code point: a lone surrogate is one of its own, a pair is one character and stays.
  return [...escaped].map((c) => (c === '\u0000' || !c.isWellFormed() ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c)).join('');
}

interface Visit {
  value: unknown;
  parent: Visit | undefined;
  segment: string;
  /** What is wrong with the field name itself (then its value is not walked). */
  badKey?: string;
}

function pointerOf(visit: Visit, basePath: string): string {
  const segments: string[] = [];
  for (let v: Visit | undefined = visit; v?.parent; v = v.parent) segments.push(v.segment);
  return `${basePath}${segments.reverse().map((s) => `/${s}`).join('')}` || '/';
}

/**
 * Every string and key in `value` that is not text a store can hold (see textProblem),
 * at most `max` of them, whatever the schema says: no field may carry one. Walks with
 * its own stack, so a deeply nested body cannot overflow the call stack.
 */
export function textErrors(value: unknown, basePath = '', max = 20): FieldError[] {
  const errors: FieldError[] = [];
  const stack: Visit[] = [{ value, parent: undefined, segment: '' }];
  while (stack.length > 0 && errors.length < max) {
    const visit = stack.pop()!;
    const current = visit.value;
    if (visit.badKey) {
      errors.push({ path: pointerOf(visit, basePath), message: `is a field name that ${visit.badKey}` });
    } else if (typeof current === 'string') {
      const message = textProblem(current);
      if (message) errors.push({ path: pointerOf(visit, basePath), message });
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push({ value: current[i], parent: visit, segment: String(i) });
    } else if (typeof current === 'object' && current !== null) {
      for (const [key, child] of Object.entries(current).reverse()) {
        const badKey = textProblem(key);
        stack.push({ value: child, parent: visit, segment: pointerSegment(key), ...(badKey ? { badKey } : {}) });
      }
    }
  }
  return errors;
}

/**
 * Field errors of a request from outside: its text (textErrors) and its shape
 * (fieldErrors), one per path, the text's first.
 */
export function requestErrors(schema: TSchema, value: unknown, basePath = ''): FieldError[] {
  const byPath = new Map<string, FieldError>();
  for (const error of [...textErrors(value, basePath), ...fieldErrors(schema, value, basePath)]) {
    if (!byPath.has(error.path)) byPath.set(error.path, error);
  }
  return [...byPath.values()];
}

/** Whether `value` matches `schema`. */
export function matches<T extends TSchema>(schema: T, value: unknown): value is Static<T> {
  return validatorOf(schema).Check(value);
}

/**
 * Returns `value` typed by `schema`, or throws VALIDATION_FAILED with per-field errors.
 * Unknown fields are rejected, never silently applied.
 */
export function parse<T extends TSchema>(schema: T, value: unknown, what = 'The request'): Static<T> {
  if (validatorOf(schema).Check(value)) return value;
  const errors = fieldErrors(schema, value);
  const first = errors[0];
  throw new DomainError('VALIDATION_FAILED', {
    detail: first ? `${what} is not valid: ${first.path} ${first.message}` : `${what} is not valid`,
    errors,
  });
}

/**
 * `parse` for a request from outside the process (a NATS request, a command line):
 * also refuses text no store can hold anywhere in it (textErrors), whatever the schema.
 */
export function parseRequest<T extends TSchema>(schema: T, value: unknown, what = 'The request'): Static<T> {
  const text = textErrors(value);
  if (text.length === 0) return parse(schema, value, what);
  const errors = requestErrors(schema, value);
  throw new DomainError('VALIDATION_FAILED', { detail: `${what} is not valid: ${text[0]!.path} ${text[0]!.message}`, errors });
}
