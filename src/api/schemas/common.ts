import { z } from 'zod';

/**
 * Building blocks of the request and response schemas. Each schema both validates a request (through
 * parseRequestPart) and describes it in the API reference (src/api/openapi), so that the two cannot differ.
 * Every check carries the exact message the API answers with: a client fixes the request from it.
 */

/** Every error the API answers is this object, with a 4xx or 5xx status (SPEC 3). */
export const errorSchema = z
  .object({ message: z.string().min(1) })
  .meta({ id: 'Error', description: 'Every error answer: a status code and a non-empty message that says what to fix.' });

export const BODY_NOT_AN_OBJECT = 'Request body must be a JSON object';

/** The message of a failed check: fixed, or built from the value that failed it. */
export type ErrorText = string | ((input: unknown) => string);

/** zod's `error` option for a check, from a fixed message or one built from the input. */
export const errorOption = (text: ErrorText) => ({
  error: (issue: { input?: unknown }) => (typeof text === 'string' ? text : text(issue.input)),
});

/** Absent, null or only spaces: the client did not give the field. */
export const isBlank = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

/** Reads a blank value (see isBlank) as an absent one before `schema` checks it. */
export const blankAsAbsent = <S extends z.ZodType>(schema: S) => z.preprocess((v) => (isBlank(v) ? undefined : v), schema);

/** Reads an empty query parameter (`?status=`) as an absent one. */
export const emptyAsAbsent = <S extends z.ZodType>(schema: S) => z.preprocess((v) => (v === '' ? undefined : v), schema);

/** The digits of a positive integer id. */
export const ID_DIGITS = /^[1-9]\d{0,15}$/;

/**
 * A positive integer id: a JSON integer, or its digits as a string (spaces around them allowed unless
 * `trim` is false). Anything else, out of range included, fails with `text`.
 */
export function positiveIdSchema(text: ErrorText, { trim = true } = {}) {
  const error = errorOption(text);
  const digits = trim ? z.string(error).trim() : z.string(error);
  return z.union([z.int(error).positive(error), digits.regex(ID_DIGITS, error).transform(Number)], error);
}

/** Any JSON object (not an array, not null); its fields are checked one by one afterwards. */
export const anyJsonObject = z.looseObject({}, errorOption(BODY_NOT_AN_OBJECT));
