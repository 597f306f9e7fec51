/**
 * The CRM failures, one class per failure a caller treats differently, all under CrmError.
 *
 * `err instanceof CrmError` answers "did the CRM fail?" (anything else is a bug of ours and must not pass
 * for a CRM outage); `err.retryable` answers "may the same request succeed later?" (false: refused for good).
 *
 * Adapters throw CrmTransientError, CrmAuthError, RecordNotFoundError, CrmRejectedError and
 * InvalidRecordIdError. ResilientCrm turns a spent retry budget (or an auth failure) into CrmUnreachableError.
 */

export interface CrmErrorOptions {
  /** The HTTP status the vendor answered, when it answered one. */
  status?: number;
  /** From a Retry-After header, when the vendor sent one. */
  retryAfterMs?: number;
  cause?: unknown;
}

export abstract class CrmError extends Error {
  /** False when the CRM refused this request for good; true when it may succeed later (the CRM's condition failed). */
  abstract readonly retryable: boolean;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, opts: CrmErrorOptions = {}) {
    super(message, { cause: opts.cause });
    this.status = opts.status;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** Worth retrying: network error, timeout, 5xx, 429, an answer that is not what the vendor's API sends. */
export class CrmTransientError extends CrmError {
  override readonly name = 'CrmTransientError';
  readonly retryable = true;
}

/**
 * Credentials refused (401, INVALID_SESSION_ID after a refresh, ...). Not retried within a lookup: the CRM counts
 * as unreachable at once. Retryable later, once the credentials are fixed.
 */
export class CrmAuthError extends CrmError {
  override readonly name = 'CrmAuthError';
  readonly retryable = true;
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, opts);
  }
}

/** The record does not exist (404 on a single read). */
export class RecordNotFoundError extends CrmError {
  override readonly name = 'RecordNotFoundError';
  readonly retryable = false;
  constructor(readonly recordId: string) {
    super(`record ${recordId} not found`);
  }
}

/** The vendor refused the change for good (e.g. Zendesk 422 "closed prevents ticket update"): never retried. */
export class CrmRejectedError extends CrmError {
  override readonly name = 'CrmRejectedError';
  readonly retryable = false;
  constructor(message: string, opts: { status?: number; cause?: unknown } = {}) {
    super(message, opts);
  }
}

/** A record id that does not have the provider's id format; raised before any request is sent. */
export class InvalidRecordIdError extends CrmError {
  override readonly name = 'InvalidRecordIdError';
  readonly retryable = false;
  constructor(readonly recordId: string) {
    super('ticket_id is not well formed');
  }
}

/**
 * The retry budget is spent or authentication failed: the CRM counts as unreachable. Retryable: a side effect
 * that meets it is tried again later (the CRM may be back, the credentials fixed).
 */
export class CrmUnreachableError extends CrmError {
  override readonly name = 'CrmUnreachableError';
  readonly retryable = true;
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, opts);
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
