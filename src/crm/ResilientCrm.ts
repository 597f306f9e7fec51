import type { Logger } from 'pino';
import type { CrmAdapter, CrmProvider, CrmRequestContext, RecordLookup } from './CrmAdapter.js';
import { CrmAuthError, CrmError, CrmTransientError, CrmUnreachableError, InvalidRecordIdError } from './errors.js';

export interface RetryBudget {
  /** Per-request timeout. */
  timeoutMs: number;
  attempts: number;
  /** Total time for all attempts and the waits between them. */
  budgetMs: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The one place where CRM requests are retried. Wraps an adapter (which makes single attempts) with the
 * lookup budget of SPEC section 4 step 2: per-request timeout, bounded attempts, a total time limit, and
 * `Retry-After` honoured when it fits in what is left. A spent budget or an auth failure becomes
 * CrmUnreachableError; errors that are not retryable (not found, rejected, invalid id) pass through untouched,
 * and so does anything that is not a CrmError (a bug is not retried).
 */
export class ResilientCrm {
  readonly provider: CrmProvider;

  constructor(
    private readonly adapter: CrmAdapter,
    private readonly budget: RetryBudget,
    private readonly logger: Logger,
  ) {
    this.provider = adapter.provider;
  }

  get maxBatchSize(): number {
    return this.adapter.maxBatchSize;
  }

  isValidRecordId(id: string): boolean {
    return this.adapter.isValidRecordId(id);
  }

  canonicalRecordId(id: string): string {
    return this.adapter.canonicalRecordId(id);
  }

  /** Reads records in chunks of the vendor's batch size; each chunk has its own budget. */
  async readRecords(ids: readonly string[]): Promise<Map<string, RecordLookup>> {
    for (const id of ids) if (!this.adapter.isValidRecordId(id)) throw new InvalidRecordIdError(id);
    const unique = [...new Set(ids)];
    const result = new Map<string, RecordLookup>();
    for (let i = 0; i < unique.length; i += this.adapter.maxBatchSize) {
      const chunk = unique.slice(i, i + this.adapter.maxBatchSize);
      const found = await this.run('read', (ctx) => this.adapter.readRecords(chunk, ctx));
      for (const id of chunk) result.set(id, found.get(id) ?? { id, state: 'not_found', rawStatus: null });
    }
    return result;
  }

  async readRecord(id: string): Promise<RecordLookup> {
    const found = await this.readRecords([id]);
    return found.get(id)!;
  }

  /** Side effects are retried by their own jobs, so one attempt (with the per-request timeout) is enough here. */
  addComment(id: string, body: string): Promise<void> {
    return this.once('comment', id, (ctx) => this.adapter.addComment(id, body, ctx));
  }

  hasCommentSince(id: string, body: string, since: Date): Promise<boolean> {
    return this.once('find-comment', id, (ctx) => this.adapter.hasCommentSince(id, body, since, ctx));
  }

  reopen(id: string): Promise<void> {
    return this.once('reopen', id, (ctx) => this.adapter.reopen(id, ctx));
  }

  private once<T>(op: string, id: string, fn: (ctx: CrmRequestContext) => Promise<T>): Promise<T> {
    if (!this.adapter.isValidRecordId(id)) return Promise.reject(new InvalidRecordIdError(id));
    return this.run(op, fn, { ...this.budget, attempts: 1 });
  }

  /** Runs `fn` under the budget. Exposed for tests and for callers with a budget of their own. */
  async run<T>(op: string, fn: (ctx: CrmRequestContext) => Promise<T>, budget: RetryBudget = this.budget): Promise<T> {
    const deadline = Date.now() + budget.budgetMs;
    let lastError: CrmError | undefined;
    let attempt = 0;
    while (attempt < budget.attempts) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      attempt += 1;
      try {
        return await withTimeout(fn, Math.min(budget.timeoutMs, remaining));
      } catch (err) {
        if (err instanceof CrmAuthError) {
          // The same credentials would be refused again: no further attempt, the CRM is unreachable now.
          throw new CrmUnreachableError(`${this.provider} refused our credentials: ${err.message}`, { cause: err });
        }
        if (!(err instanceof CrmError) || !err.retryable) throw err;
        lastError = err;
        this.logger.warn({ provider: this.provider, op, attempt, status: err.status, err: err.message }, 'CRM request failed');
        if (attempt >= budget.attempts) break;
        const wait = err.retryAfterMs ?? backoffMs(attempt);
        if (Date.now() + wait >= deadline) break; // a Retry-After beyond the budget cannot be honoured
        await sleep(wait);
      }
    }
    const reason = lastError?.message ?? 'retry budget spent';
    throw new CrmUnreachableError(`${this.provider} unreachable after ${attempt} attempt(s): ${reason}`, { cause: lastError });
  }
}

/** 250 ms, 500 ms, 1 s, ... with a little jitter so that many workers do not retry in step. */
function backoffMs(attempt: number): number {
  return Math.round(250 * 2 ** (attempt - 1) * (0.8 + Math.random() * 0.4));
}

async function withTimeout<T>(fn: (ctx: CrmRequestContext) => Promise<T>, timeoutMs: number): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // Settled before the abort: a client that rejects synchronously on abort must not win the race with its
      // own (vaguer) error.
      reject(new CrmTransientError(`no answer within ${timeoutMs} ms`));
      controller.abort();
    }, timeoutMs);
  });
  try {
    // Some client libraries cannot be aborted; racing makes the timeout hold for them too.
    return await Promise.race([fn({ timeoutMs, signal: controller.signal }), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
