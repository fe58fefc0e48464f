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
    }
    path = `${basePath}${path}` || '/';
    // The first error at a path is the most specific one; anyOf summaries come last.
    if (!byPath.has(path)) byPath.set(path, { path, message });
  }
  return [...byPath.values()];
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
