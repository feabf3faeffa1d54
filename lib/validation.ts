import type * as z from 'zod';
import { redactPans } from './card';
import { ValidationError, type FieldProblem } from './errors';

const MAX_FIELDS = 20;

/**
 * zod issues as field problems. Our schemas' messages never quote values, but a path or an
 * unrecognized key is chosen by the sender, so both are passed through the PAN redactor too.
 */
export function fieldProblems(error: z.ZodError, prefix: string[] = []): FieldProblem[] {
  return error.issues.slice(0, MAX_FIELDS).map((issue) => ({
    path: redactPans([...prefix, ...issue.path.map(String)].join('.') || '(root)'),
    code: issue.code === 'custom' && typeof issue.params?.code === 'string' ? issue.params.code : issue.code,
    message: redactPans(issue.message),
  }));
}

/** Parses with the schema or throws a ValidationError listing every failing path. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ValidationError(`The ${what} is invalid`, fieldProblems(result.error));
}
