/**
 * One error class per failure the caller treats differently.
 *
 * Adapters throw CrmTransientError, CrmAuthError, RecordNotFoundError, CrmRejectedError and
 * InvalidRecordIdError. ResilientCrm turns a spent retry budget (or an auth failure) into CrmUnreachableError.
 */

/** Worth retrying: network error, timeout, 5xx, 429. */
export class CrmTransientError extends Error {
  override readonly name = 'CrmTransientError';
  readonly status: number | undefined;
  /** From a Retry-After header, when the vendor sent one. */
  readonly retryAfterMs: number | undefined;
  constructor(message: string, opts: { status?: number; retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.status = opts.status;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** Credentials refused (401, INVALID_SESSION_ID after a refresh, ...): not retried, counts as unreachable. */
export class CrmAuthError extends Error {
  override readonly name = 'CrmAuthError';
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
  }
}

/** The record does not exist (404 on a single read). */
export class RecordNotFoundError extends Error {
  override readonly name = 'RecordNotFoundError';
  constructor(readonly recordId: string) {
    super(`record ${recordId} not found`);
  }
}

/** The vendor refused the change for good (e.g. Zendesk 422 "closed prevents ticket update"): never retried. */
export class CrmRejectedError extends Error {
  override readonly name = 'CrmRejectedError';
  readonly status: number | undefined;
  constructor(message: string, opts: { status?: number; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.status = opts.status;
  }
}

/** A record id that does not have the provider's id format; raised before any request is sent. */
export class InvalidRecordIdError extends Error {
  override readonly name = 'InvalidRecordIdError';
  constructor(readonly recordId: string) {
    super('ticket_id is not well formed');
  }
}

/** The retry budget is spent or authentication failed: the CRM counts as unreachable. */
export class CrmUnreachableError extends Error {
  override readonly name = 'CrmUnreachableError';
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
  }
}

/** Parses a Retry-After header value (seconds or HTTP date) into milliseconds. */
export function parseRetryAfter(value: unknown, now = Date.now()): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.max(0, value * 1000);
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
