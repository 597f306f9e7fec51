import { CrmAuthError, CrmError, CrmRejectedError, CrmTransientError, RecordNotFoundError, parseRetryAfter } from '../../src/crm/errors.js';
import type { CallScope } from './singleAttemptTransport.js';

/** Body error codes that are worth another attempt (the limit codes come with 403 or 503, not always 429). */
const TRANSIENT_CODES = new Set([
  'SERVER_UNAVAILABLE',
  'REQUEST_LIMIT_EXCEEDED',
  'UNABLE_TO_LOCK_ROW', // record lock contention; Salesforce advises to retry
  'QUERY_TIMEOUT',
]);

/** Credentials or API access refused. INVALID_SESSION_ID is the one a fresh token can fix. */
const AUTH_CODES = new Set(['INVALID_SESSION_ID', 'INVALID_AUTH_HEADER', 'API_DISABLED_FOR_ORG', 'API_CURRENTLY_DISABLED']);

/** Operational network failures (node-fetch FetchError codes). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETDOWN',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EHOSTUNREACH',
  'EPIPE',
  'UND_ERR_SOCKET',
]);

type ErrorLike = { name?: unknown; message?: unknown; code?: unknown; errorCode?: unknown; data?: unknown };

/** The errorCodes of a jsforce HttpApiError, including each entry of a MULTIPLE_API_ERRORS array. */
function errorCodes(err: ErrorLike): string[] {
  const codes: string[] = [];
  if (typeof err.errorCode === 'string') codes.push(err.errorCode);
  if (Array.isArray(err.data)) {
    for (const entry of err.data) {
      const code = (entry as { errorCode?: unknown } | null)?.errorCode;
      if (typeof code === 'string') codes.push(code);
    }
  }
  return codes;
}

function statusOf(codes: string[], scope: CallScope | undefined): number | undefined {
  if (scope?.lastResponse) return scope.lastResponse.statusCode;
  // jsforce names errors of non-JSON bodies (e.g. a proxy's HTML 502) ERROR_HTTP_<status>.
  for (const code of codes) {
    const m = /^ERROR_HTTP_(\d{3})$/.exec(code);
    if (m) return Number(m[1]);
  }
  return undefined;
}

/** True for an expired or revoked session: the one auth failure a new token can fix. */
export function isSessionExpired(err: unknown, scope: CallScope | undefined): boolean {
  if (err instanceof CrmAuthError) return true;
  const codes = errorCodes(err ?? {});
  return codes.includes('INVALID_SESSION_ID') || scope?.lastResponse?.statusCode === 401;
}

/**
 * Turns whatever jsforce threw into one of the typed errors of src/crm/errors.ts. jsforce reports the body's
 * errorCode but often no HTTP status, so both the code and the status seen by the transport are used.
 * `recordId` is given for single-record operations, where NOT_FOUND means the record does not exist.
 */
export function classifySalesforceError(err: unknown, scope: CallScope | undefined, recordId?: string): CrmError {
  if (err instanceof CrmError) return err;
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as ErrorLike;
  const message = typeof e.message === 'string' && e.message ? e.message : typeof e.name === 'string' && e.name ? e.name : 'unknown error';
  const codes = errorCodes(e);
  const status = statusOf(codes, scope);
  const retryAfterMs = parseRetryAfter(scope?.lastResponse?.headers['retry-after']);

  // No response at all: refused, reset, DNS, or our own timeout aborting the request.
  const netCode = typeof e.code === 'string' ? e.code : undefined;
  if (e.name === 'AbortError' || (netCode && NETWORK_CODES.has(netCode)) || (e.name === 'FetchError' && status === undefined)) {
    const reason = e.name === 'AbortError' ? 'request timed out' : `network error ${netCode ?? ''}`.trim();
    return new CrmTransientError(`Salesforce ${reason}`, { cause: err });
  }
  if (codes.some((c) => AUTH_CODES.has(c)) || status === 401) {
    return new CrmAuthError(`Salesforce refused the credentials: ${codes[0] ?? status}`, { cause: err });
  }
  if (codes.some((c) => TRANSIENT_CODES.has(c)) || status === 420 || status === 429 || (status !== undefined && status >= 500)) {
    return new CrmTransientError(`Salesforce unavailable: ${codes[0] ?? status}: ${message}`, {
      ...(status === undefined ? {} : { status }),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      cause: err,
    });
  }
  if (recordId !== undefined && codes.includes('NOT_FOUND')) return new RecordNotFoundError(recordId);
  if (codes.length > 0 || (status !== undefined && status >= 400)) {
    return new CrmRejectedError(`Salesforce refused the request: ${codes.join(', ') || status}: ${message}`, {
      ...(status === undefined ? {} : { status }),
      cause: err,
    });
  }
  // Neither a response nor a known network failure (e.g. a malformed answer): let the retry budget decide.
  return new CrmTransientError(`Salesforce request failed: ${message}`, { cause: err });
}
