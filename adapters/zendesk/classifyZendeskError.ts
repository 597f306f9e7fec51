import {
  CrmAuthError,
  CrmRejectedError,
  CrmTransientError,
  RecordNotFoundError,
  parseRetryAfter,
  type CrmError,
} from '../../src/crm/errors.js';

/** One HTTP answer as the transport saw it (node-zendesk itself loses the status and Retry-After). */
export interface ZendeskHttpFailure {
  status: number;
  retryAfter: string | null;
}

/**
 * Maps a Zendesk error answer to the port's typed errors.
 * `ticketId` is given for calls on one ticket, where 404 means the ticket does not exist; elsewhere (show_many)
 * a 404 means the configured URL is wrong, which retrying will not fix.
 */
export function classifyZendeskHttpError(failure: ZendeskHttpFailure, body: unknown, ticketId?: string): CrmError {
  const { status } = failure;
  const detail = describeBody(body);
  const message = `zendesk answered HTTP ${status}${detail ? `: ${detail}` : ''}`;
  if (status === 401 || status === 403) return new CrmAuthError(message);
  if (status === 404) {
    return ticketId !== undefined
      ? new RecordNotFoundError(ticketId)
      : new CrmRejectedError(`${message} (check crm.zendesk.url)`, { status });
  }
  // 408 request timeout, 409 "updated by another request", 429 rate limit, 5xx: worth another try.
  if (status === 408 || status === 409 || status === 429 || status >= 500) {
    return new CrmTransientError(message, { status, retryAfterMs: parseRetryAfter(failure.retryAfter ?? undefined) });
  }
  // 422 (e.g. "Status: closed prevents ticket update") and other 4xx: the same request will be refused again.
  return new CrmRejectedError(message, { status });
}

/**
 * No HTTP error answer, yet node-zendesk threw: connection refused/reset, DNS, timeout, abort, or a 2xx body it
 * could not parse. Only node-zendesk and its transport run inside that call, so this is the CRM failing, not a
 * bug of ours. Always worth another try.
 */
export function classifyZendeskNetworkError(err: unknown, aborted: boolean, timeoutMs: number): CrmTransientError {
  if (aborted) return new CrmTransientError(`zendesk gave no answer within ${timeoutMs} ms`, { cause: err });
  const reason = err instanceof Error ? describeNetworkError(err) : String(err);
  return new CrmTransientError(`zendesk request failed: ${reason}`, { cause: err });
}

/** Zendesk error bodies: {error, description, details: {field: [{description}]}} or {error: "text"}. */
function describeBody(body: unknown): string {
  if (typeof body === 'string') return body.slice(0, 200);
  if (!body || typeof body !== 'object') return '';
  const { error, description, details } = body as { error?: unknown; description?: unknown; details?: unknown };
  const parts: string[] = [];
  if (typeof error === 'string') parts.push(error);
  else if (error && typeof error === 'object' && typeof (error as { title?: unknown }).title === 'string') {
    parts.push((error as { title: string }).title);
  }
  if (typeof description === 'string') parts.push(description);
  if (details && typeof details === 'object') {
    for (const entries of Object.values(details as Record<string, unknown>)) {
      if (!Array.isArray(entries)) continue;
      for (const entry of entries) {
        const text = (entry as { description?: unknown } | null)?.description;
        if (typeof text === 'string') parts.push(text);
      }
    }
  }
  return parts.join(' - ').slice(0, 300);
}

function describeNetworkError(err: Error): string {
  // fetch reports "fetch failed" and puts the useful part (ECONNREFUSED, ...) in its cause.
  const cause = (err as { cause?: unknown }).cause;
  const code = cause && typeof cause === 'object' ? (cause as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? `${err.message} (${code})` : err.message;
}
