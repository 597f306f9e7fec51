/** Small pure helpers for Salesforce ids, SOQL literals and comment bodies. */

/** Salesforce record ids: 15 case-sensitive or 18 case-insensitive-safe alphanumeric characters. */
const RECORD_ID = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/;

export function isSalesforceId(id: unknown): id is string {
  return typeof id === 'string' && RECORD_ID.test(id);
}

/**
 * SOQL dateTime literal: unquoted, second precision (SOQL accepts no milliseconds). Rounded down, because
 * Salesforce stores CreatedDate to the second: a comment written at 12:00:05.900 reads back as 12:00:05.
 */
export function soqlDateTime(date: Date): string {
  return new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** SOQL string literal (ids are format-checked before this, so this is belt and braces). */
export function soqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** CaseComment.CommentBody holds at most 4,000 bytes. */
export const MAX_COMMENT_BYTES = 4000;

/**
 * The body as it is written to (and so as it reads back from) CommentBody: cut to 4,000 UTF-8 bytes on a
 * character boundary, so that a long comment is not refused and a multi-byte character is never split.
 */
export function toCommentBody(body: string): string {
  if (Buffer.byteLength(body, 'utf8') <= MAX_COMMENT_BYTES) return body;
  let bytes = 0;
  let end = 0;
  for (const ch of body) {
    // iterates code points, so surrogate pairs stay together
    const size = Buffer.byteLength(ch, 'utf8');
    if (bytes + size > MAX_COMMENT_BYTES) break;
    bytes += size;
    end += ch.length;
  }
  return body.slice(0, end);
}
