import { isAxiosError } from 'axios';
import { CrmAuthError, CrmError, CrmRejectedError, CrmTransientError, RecordNotFoundError, parseRetryAfter } from '../../src/crm/errors.js';

/**
 * Maps what the Table API (or the network) answered to the typed errors of src/crm/errors.ts.
 *
 * The typed errors never carry the AxiosError as `cause`: it holds the request config, i.e. the Basic
 * credentials or the bearer token, and pino's error serializer would print them. Only status, code and
 * ServiceNow's own error text are kept.
 */

export interface HttpAnswer {
  status: number;
  data: unknown;
  headers: Record<string, unknown>;
}

/** `{ "error": { "message", "detail" }, "status": "failure" }` as one line (bounded: it ends up in logs). */
export function serviceNowErrorText(data: unknown): string {
  if (data && typeof data === 'object' && 'error' in data) {
    const error = (data as { error?: unknown }).error;
    if (error && typeof error === 'object') {
      const { message, detail } = error as { message?: unknown; detail?: unknown };
      const parts = [message, detail].filter((p): p is string => typeof p === 'string' && p !== '');
      if (parts.length > 0) return parts.join(': ').slice(0, 300);
    }
  }
  return typeof data === 'string' && data.trim() !== '' ? data.trim().slice(0, 120) : 'no error detail';
}

/** ServiceNow's 404 body for an absent record (or one an ACL hides): `{"error":{"message":"No Record found",...}}`. */
export function isNoRecordFound(answer: HttpAnswer): boolean {
  return answer.status === 404 && serviceNowErrorText(answer.data).startsWith('No Record found');
}

/**
 * 403 is mostly an ACL or a missing role (the integration user's permissions: same handling as 401), but
 * ServiceNow also answers 403 when a business rule or a data policy aborts a write. That one concerns this
 * record only and will not change on retry: a permanent refusal, not an auth failure.
 */
function isAbortedWrite(text: string): boolean {
  return /business rule|data policy/i.test(text);
}

export function errorForStatus(answer: HttpAnswer, opts: { recordId?: string; op: string }): CrmError {
  const { status } = answer;
  const text = serviceNowErrorText(answer.data);
  const what = `servicenow ${opts.op} answered ${status}: ${text}`;
  if (status === 401) return new CrmAuthError(`${what} (credentials refused)`);
  if (status === 403) {
    if (isAbortedWrite(text)) return new CrmRejectedError(`${what} (write aborted by the instance)`, { status });
    return new CrmAuthError(`${what} (forbidden: the integration user lacks a role or an ACL denies access)`);
  }
  if (status === 404) {
    // Only the Table API's own "No Record found" speaks about the record; any other 404 (an HTML page for a
    // wrong instanceUrl path, a proxy) means we are not talking to the Table API: an outage, not a missing record.
    if (isNoRecordFound(answer)) {
      return opts.recordId !== undefined ? new RecordNotFoundError(opts.recordId) : new CrmRejectedError(what, { status });
    }
    return new CrmTransientError(`${what} (not a Table API answer: check instanceUrl)`, { status });
  }
  if (status === 429 || status === 408 || status >= 500) {
    return new CrmTransientError(what, { status, retryAfterMs: retryAfterMs(answer.headers) });
  }
  return new CrmRejectedError(what, { status });
}

/** Retry-After (seconds) first; else the X-RateLimit-Reset UNIX timestamp ServiceNow sends with its rate limits. */
function retryAfterMs(headers: Record<string, unknown>): number | undefined {
  const fromRetryAfter = parseRetryAfter(headers['retry-after']);
  if (fromRetryAfter !== undefined) return fromRetryAfter;
  const reset = Number(headers['x-ratelimit-reset']);
  return Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - Date.now()) : undefined;
}

/**
 * Whatever escaped a request, as a CRM failure: typed errors pass, and axios errors (every status is mapped by
 * errorForStatus, so axios throws only when there is no usable answer) are transient. Anything else was thrown
 * by our own code: undefined, so that a bug is never disguised as an outage.
 */
export function toTypedError(err: unknown, op: string): CrmError | undefined {
  if (err instanceof CrmError) return err;
  if (isAxiosError(err)) {
    // ECONNREFUSED, ECONNRESET, ETIMEDOUT (timeout), ERR_CANCELED (ctx.signal aborted), DNS, a body that is not JSON...
    const code = err.code ?? 'network error';
    return new CrmTransientError(`servicenow ${op} failed: ${code}`);
  }
  return undefined;
}
