import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { DomainError, fieldErrors } from '@invite/contracts';

/**
 * Validates request parts with the same TypeBox validator (and the same wording) as
 * the invites service. Path and query strings are converted to the schema's types;
 * bodies are taken as sent. Unknown fields are an error, never dropped silently.
 */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const part = httpPart === 'querystring' ? 'query' : (httpPart ?? 'body');
  return (data: unknown) => {
    if (part === 'body' && (data === undefined || data === null)) {
      return { error: new DomainError('VALIDATION_FAILED', { detail: 'The request needs a JSON body' }) };
    }
    const value = part === 'body' ? data : Value.Convert(schema, data ?? {});
    const errors = fieldErrors(schema, value, part === 'body' ? '' : `/${part}`);
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
