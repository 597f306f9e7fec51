import pino, { type Logger } from 'pino';
import type { CrmRequestContext } from '../../src/crm/CrmAdapter.js';
import type { RetryBudget } from '../../src/crm/ResilientCrm.js';

/** What the three adapters' contract tests share. */

export const silentLogger = pino({ level: 'silent' });

/** A small retry budget, so that outage cases are decided in about a second. */
export const TEST_BUDGET: RetryBudget = { timeoutMs: 500, attempts: 3, budgetMs: 3000 };

/** The context ResilientCrm gives an adapter call, for calling adapters directly. */
export const ctx = (timeoutMs = 2000, signal = new AbortController().signal): CrmRequestContext => ({ timeoutMs, signal });

/** The error a promise rejects with (a test failure when it resolves). */
export const failure = (promise: Promise<unknown>): Promise<Error> =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err as Error,
  );

/** The value of `fn` and how many milliseconds it took. */
export const elapsed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const start = Date.now();
  const value = await fn();
  return [value, Date.now() - start];
};

/** Logs an error and every cause down its chain, as an operator's error log would hold them. */
export const logFailureChain =
  (logger: Logger) =>
  (err: unknown): void => {
    const chain: unknown[] = [];
    for (let e: unknown = err; e instanceof Error && chain.length < 5; e = e.cause) chain.push(e);
    chain.forEach((e, depth) => logger.error({ err: e, depth }, 'CRM call failed'));
  };
