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
