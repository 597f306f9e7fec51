import type { z } from 'zod';
import { HttpError } from '../HttpError.js';

/**
 * Checks one part of a request (body, query, path parameters, headers) with its schema and returns the parsed
 * value; the first problem becomes an HttpError with the check's own message (a 400 unless told otherwise:
 * a malformed call id in a path is a 404, since it cannot name a call).
 */
export function parseRequestPart<S extends z.ZodType>(schema: S, value: unknown, status = 400): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new HttpError(status, firstIssue(result.error.issues).message);
}

/**
 * The problem a client should fix first: the outermost one, and at one depth an unknown field before the
 * value of a known one (zod lists unknown fields last). Otherwise zod's order: the schema's field order.
 */
export function firstIssue(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue {
  const unknownFieldsFirst = (issue: z.core.$ZodIssue) => (issue.code === 'unrecognized_keys' ? 0 : 1);
  const sorted = [...issues].sort((a, b) => a.path.length - b.path.length || unknownFieldsFirst(a) - unknownFieldsFirst(b));
  return sorted[0]!;
}
