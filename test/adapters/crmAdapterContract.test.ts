import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CrmAdapter } from '../../src/crm/CrmAdapter.js';
import {
  CrmAuthError,
  CrmRejectedError,
  CrmTransientError,
  CrmUnreachableError,
  InvalidRecordIdError,
  RecordNotFoundError,
} from '../../src/crm/errors.js';
import { ResilientCrm } from '../../src/crm/ResilientCrm.js';
import { CRM_COMMENTS } from '../../src/policy/crmComments.js';
import { capturingLogger } from '../support/captureLogs.js';
import { ctx, elapsed, failure, logFailureChain, silentLogger, TEST_BUDGET } from './adapterTestKit.js';
import type { CrmContractDriver } from './CrmContractDriver.js';
import { salesforceContractDriver } from './salesforce/salesforceContractDriver.js';
import { serviceNowContractDriver } from './servicenow/serviceNowContractDriver.js';
import { zendeskContractDriver } from './zendesk/zendeskContractDriver.js';

/**
 * The CrmAdapter port's contract (src/crm/CrmAdapter.ts), asserted the same way for every vendor: the real
 * adapter (real vendor client library) against the vendor's loopback fake, and through ResilientCrm wherever
 * the retry budget is part of the contract. What only one vendor does lives in its own test file.
 */

const BUDGET = TEST_BUDGET;
const BODY = CRM_COMMENTS.record_closed_not_created;
const OTHER_BODY = CRM_COMMENTS.crm_unreachable;
/** Ids no vendor accepts: they must never reach a URL or a query. */
const MALFORMED_EVERYWHERE = ['', ' ', 'abc', '1 OR 1=1', "1' OR '1'='1", 'x^y', '../1', '12/comments'];

/** `n` split into the batch sizes a vendor limit of `max` allows. */
const batchSizes = (n: number, max: number) => Array.from({ length: Math.ceil(n / max) }, (_, i) => Math.min(max, n - i * max));

describe.each([
  ['salesforce', salesforceContractDriver],
  ['zendesk', zendeskContractDriver],
  ['servicenow', serviceNowContractDriver],
])('%s: the CrmAdapter contract', (_provider, makeDriver) => {
  let driver: CrmContractDriver;
  let adapter: CrmAdapter;
  let crm: ResilientCrm;
  /** The vendor's fake, through what every fake offers (FakeCrmServer). */
  const fake = () => driver.fake;
  const addRecord = (closed: boolean) => fake().addRecord({ id: '', closed });
  const requestCount = () => fake().requests.length;
  /** Known when the tests are collected: which reopen case applies, which cases are known to fail. */
  const { supportsReopen } = makeDriver();

  beforeEach(async () => {
    driver = makeDriver();
    await driver.fake.start();
    adapter = driver.newAdapter();
    crm = new ResilientCrm(adapter, BUDGET, silentLogger);
  });
  afterEach(async () => {
    await driver.fake.stop();
  });

  describe('reading records', () => {
    it('reads an open and a closed record with one request each, with the raw status', async () => {
      const open = addRecord(false);
      const closed = addRecord(true);

      expect(await crm.readRecord(open)).toEqual({ id: open, state: 'open', rawStatus: driver.rawStatus.open });
      expect(requestCount()).toBe(1);
      expect(await crm.readRecord(closed)).toEqual({ id: closed, state: 'closed', rawStatus: driver.rawStatus.closed });
      expect(requestCount()).toBe(2);
    });

    it('reads an unknown record as not_found, not as an error, in one request', async () => {
      const unknown = driver.unknownId();
      expect(await crm.readRecord(unknown)).toEqual({ id: unknown, state: 'not_found', rawStatus: null });
      expect(await adapter.readRecords([unknown], ctx())).toEqual(
        new Map([[unknown, { id: unknown, state: 'not_found', rawStatus: null }]]),
      );
      expect(requestCount()).toBe(2);
    });

    it('reads open, closed and unknown records in one batch request, keyed as asked', async () => {
      const open = addRecord(false);
      const closed = addRecord(true);
      const unknown = driver.unknownId();

      const found = await crm.readRecords([open, closed, unknown]);

      expect([...found.entries()]).toEqual([
        [open, { id: open, state: 'open', rawStatus: driver.rawStatus.open }],
        [closed, { id: closed, state: 'closed', rawStatus: driver.rawStatus.closed }],
        [unknown, { id: unknown, state: 'not_found', rawStatus: null }],
      ]);
      expect(requestCount()).toBe(1);
      expect(driver.batchReads()).toEqual([[open, closed, unknown]]);
    });

    it('reads 150 records, a few unknown, in as few requests as maxBatchSize allows, in the order asked', async () => {
      expect(adapter.maxBatchSize).toBe(driver.maxBatchSize);
      const unknown = new Set<string>();
      const ids = Array.from({ length: 150 }, (_, i) => {
        if (i % 37 !== 5) return addRecord(i % 2 === 0);
        const id = driver.unknownId();
        unknown.add(id);
        return id;
      });
      expect(unknown.size).toBeGreaterThanOrEqual(4);

      const found = await crm.readRecords(ids);

      const batches = driver.batchReads();
      expect(batches.map((b) => b.length)).toEqual(batchSizes(150, driver.maxBatchSize));
      expect(batches.flat()).toEqual(ids);
      expect(requestCount()).toBe(batches.length);
      expect(found.size).toBe(150);
      ids.forEach((id, i) => {
        const expected = unknown.has(id)
          ? { id, state: 'not_found', rawStatus: null }
          : i % 2 === 0
            ? { id, state: 'closed', rawStatus: driver.rawStatus.closed }
            : { id, state: 'open', rawStatus: driver.rawStatus.open };
        expect(found.get(id), `id #${i}`).toEqual(expected);
      });
    });

    it('splits more ids than maxBatchSize into full batches, through ResilientCrm and when the adapter is called directly', async () => {
      const n = driver.maxBatchSize * 1.25;
      const unknown = new Set<string>();
      const ids = Array.from({ length: n }, (_, i) => {
        if (i % 50 !== 49 && i !== n - 1) return addRecord(i % 3 === 0);
        const id = driver.unknownId();
        unknown.add(id);
        return id;
      });
      const expectedSizes = batchSizes(n, driver.maxBatchSize);
      expect(expectedSizes).toHaveLength(2);
      const expectedState = (id: string, i: number) => (unknown.has(id) ? 'not_found' : i % 3 === 0 ? 'closed' : 'open');

      const viaCrm = await crm.readRecords(ids);
      expect(driver.batchReads().map((b) => b.length)).toEqual(expectedSizes);
      fake().requests.length = 0;
      const direct = await adapter.readRecords(ids, ctx());
      expect(driver.batchReads().map((b) => b.length)).toEqual(expectedSizes);

      for (const found of [viaCrm, direct]) {
        expect(found.size).toBe(n);
        expect(ids.map((id) => found.get(id)?.state)).toEqual(ids.map(expectedState));
      }
    });

    it('finds a record under every spelling of its id, keyed as asked, each spelling with its one canonical key', async () => {
      const id = addRecord(true);
      const others = driver.otherSpellings(id);
      const spellings = [id, ...others.map((o) => o.spelling)];

      const found = await crm.readRecords(spellings);

      expect([...found.keys()]).toEqual(spellings);
      for (const asked of spellings) {
        expect(found.get(asked), asked).toEqual({ id: asked, state: 'closed', rawStatus: driver.rawStatus.closed });
      }
      expect(crm.canonicalRecordId(id)).toBe(id);
      for (const { spelling, key } of others) expect(crm.canonicalRecordId(spelling), spelling).toBe(key);
    });
  });

  describe('record ids', () => {
    it('accepts every well-formed id', () => {
      for (const id of driver.wellFormedIds()) expect(adapter.isValidRecordId(id), id).toBe(true);
    });

    it('refuses malformed ids with InvalidRecordIdError before sending any request, in every operation', async () => {
      const good = addRecord(false);
      for (const bad of [...MALFORMED_EVERYWHERE, ...driver.malformedIds]) {
        const name = JSON.stringify(bad);
        expect(adapter.isValidRecordId(bad), name).toBe(false);
        const attempts: [string, () => Promise<unknown>][] = [
          ['crm.readRecords', () => crm.readRecords([good, bad])],
          ['crm.readRecord', () => crm.readRecord(bad)],
          ['crm.addComment', () => crm.addComment(bad, BODY)],
          ['crm.hasCommentSince', () => crm.hasCommentSince(bad, BODY, new Date())],
          ['crm.reopen', () => crm.reopen(bad)],
          ['adapter.readRecords (batch)', () => adapter.readRecords([good, bad], ctx())],
          ['adapter.readRecords (alone)', () => adapter.readRecords([bad], ctx())],
          ['adapter.addComment', () => adapter.addComment(bad, BODY, ctx())],
          ['adapter.hasCommentSince', () => adapter.hasCommentSince(bad, BODY, new Date(), ctx())],
        ];
        if (supportsReopen) attempts.push(['adapter.reopen', () => adapter.reopen(bad, ctx())]);
        for (const [op, attempt] of attempts) {
          const err = await failure(attempt());
          expect(err, `${op}(${name})`).toBeInstanceOf(InvalidRecordIdError);
          expect((err as InvalidRecordIdError).recordId, `${op}(${name})`).toBe(bad);
        }
      }
      expect(fake().requests).toEqual([]);
    });
  });

  describe('comments', () => {
    it('writes exactly the body as an internal comment, in one request, leaving the status alone', async () => {
      const id = addRecord(false);

      await crm.addComment(id, BODY);

      expect(driver.comments(id)).toEqual([{ body: BODY, internal: true }]);
      expect(fake().commentsOn(id)).toEqual([BODY]);
      expect(requestCount()).toBe(1);
      expect(fake().recordStatus(id)).toBe(driver.rawStatus.open);
    });

    it('refuses a comment on an unknown record for good, after one request even under a full budget, writing nothing', async () => {
      const unknown = driver.unknownId();

      const err = await failure(crm.run('comment', (c) => adapter.addComment(unknown, BODY, c)));

      expect(err).toBeInstanceOf(driver.commentOnUnknownRecord);
      if (err instanceof RecordNotFoundError) expect(err.recordId).toBe(unknown);
      expect(requestCount()).toBe(1);
      expect(await failure(crm.addComment(unknown, BODY))).toBeInstanceOf(driver.commentOnUnknownRecord);
      expect(fake().commentsOn(unknown)).toEqual([]);
    });

    it('hasCommentSince finds exactly that body written at or after `since` on that record, one request per check', async () => {
      const id = addRecord(false);
      const other = addRecord(false);
      const since = new Date();
      expect(await crm.hasCommentSince(id, BODY, since)).toBe(false);

      await crm.addComment(id, BODY); // within the same second as `since`: vendors keep whole seconds
      fake().requests.length = 0;

      expect(await crm.hasCommentSince(id, BODY, since)).toBe(true);
      expect(await crm.hasCommentSince(id, OTHER_BODY, since)).toBe(false);
      expect(await crm.hasCommentSince(id, BODY.slice(0, -1), since)).toBe(false);
      expect(await crm.hasCommentSince(id, `${BODY} (2)`, since)).toBe(false);
      expect(await crm.hasCommentSince(other, BODY, since)).toBe(false);
      expect(requestCount()).toBe(5);
    });

    it('hasCommentSince ignores the same body written before `since`, to the second', async () => {
      const id = addRecord(false);
      driver.seedComment(id, BODY, new Date('2024-05-01T10:00:05Z'));

      expect(await crm.hasCommentSince(id, BODY, new Date('2024-05-01T10:00:06Z'))).toBe(false);
      expect(await crm.hasCommentSince(id, BODY, new Date('2024-05-01T10:00:05.600Z'))).toBe(true); // the same second
      expect(await crm.hasCommentSince(id, BODY, new Date('2024-05-01T09:00:00Z'))).toBe(true);
    });
  });

  describe('reopen', () => {
    // Salesforce reopens; the other vendors have no reopen and refuse it before sending anything.
    it(
      supportsReopen ? 'reopens a closed record: it reads as open afterwards' : 'refuses reopen with CrmRejectedError, sending nothing',
      async () => {
        const id = addRecord(true);
        if (supportsReopen) {
          await crm.reopen(id);
          expect((await crm.readRecord(id)).state).toBe('open');
          return;
        }
        const err = await failure(crm.reopen(id));
        expect(err).toBeInstanceOf(CrmRejectedError);
        expect(err.message).toBe(`reopen is not supported for ${driver.provider}`);
        expect(await failure(adapter.reopen(id, ctx()))).toBeInstanceOf(CrmRejectedError);
        expect(fake().requests).toEqual([]);
        expect(fake().recordStatus(id)).toBe(driver.rawStatus.closed);
      },
    );
  });

  describe('rate limits, outages and the retry budget', () => {
    /** Each adapter operation once, called directly (one attempt, no ResilientCrm). */
    const everyOperation = (id: string) => {
      const operations: [string, () => Promise<unknown>][] = [
        ['readRecords', () => adapter.readRecords([id], ctx())],
        ['addComment', () => adapter.addComment(id, BODY, ctx())],
        ['hasCommentSince', () => adapter.hasCommentSince(id, BODY, new Date(), ctx())],
      ];
      if (supportsReopen) operations.push(['reopen', () => adapter.reopen(id, ctx())]);
      return operations;
    };

    it('429 then success: Retry-After is honoured and the read succeeds', async () => {
      const id = addRecord(true);
      await fake().setMode({ kind: 'rate_limited', retryAfterSeconds: 1, times: 1 });

      const [found, ms] = await elapsed(() => crm.readRecord(id));

      expect(found).toEqual({ id, state: 'closed', rawStatus: driver.rawStatus.closed });
      expect(requestCount()).toBe(2);
      expect(ms).toBeGreaterThanOrEqual(950); // the Retry-After, not the ~250 ms backoff
      expect(ms).toBeLessThan(2500);
    });

    it('a 429 is CrmTransientError with its status and Retry-After, one request per adapter call (never "no comment")', async () => {
      const id = addRecord(false);
      await fake().setMode({ kind: 'rate_limited', retryAfterSeconds: 7 });
      for (const [op, call] of everyOperation(id)) {
        fake().requests.length = 0;
        const err = await failure(call());
        expect(err, op).toBeInstanceOf(CrmTransientError);
        expect((err as CrmTransientError).status, op).toBe(429);
        expect((err as CrmTransientError).retryAfterMs, op).toBe(7000);
        expect(requestCount(), op).toBe(1);
      }
      expect(fake().commentsOn(id)).toEqual([]);
    });

    it('503 past the budget: CrmUnreachableError after exactly `attempts` requests, the 503 as its cause', async () => {
      const id = addRecord(false);
      await fake().setMode({ kind: 'down' });

      const err = await failure(crm.readRecords([id]));

      expect(err).toBeInstanceOf(CrmUnreachableError);
      expect(err.cause).toBeInstanceOf(CrmTransientError);
      expect((err.cause as CrmTransientError).status).toBe(503);
      expect(requestCount()).toBe(BUDGET.attempts);
    });

    it('a 503 is CrmTransientError after exactly one request per adapter call: the client library does not retry', async () => {
      const id = addRecord(true);
      await fake().setMode({ kind: 'down' });
      for (const [op, call] of everyOperation(id)) {
        fake().requests.length = 0;
        const [err, ms] = await elapsed(() => failure(call()));
        expect(err, op).toBeInstanceOf(CrmTransientError);
        expect((err as CrmTransientError).status, op).toBe(503);
        expect(requestCount(), op).toBe(1);
        expect(ms, op).toBeLessThan(450); // a library's own first retry would wait 500 ms
      }
      expect(fake().commentsOn(id)).toEqual([]);
    });

    it('401: the adapter reports CrmAuthError; through ResilientCrm it is CrmUnreachableError after one request', async () => {
      const id = addRecord(false);
      await fake().setMode({ kind: 'unauthorized' });

      expect(await failure(adapter.readRecords([id], ctx()))).toBeInstanceOf(CrmAuthError);
      fake().requests.length = 0;
      expect(await failure(crm.readRecord(id))).toBeInstanceOf(CrmUnreachableError);
      expect(requestCount()).toBe(1);
    });

    it('wrong credentials are refused by the fake and end as CrmUnreachableError after one request', async () => {
      const id = addRecord(false);
      const wrong = new ResilientCrm(driver.newAdapter({ credentials: 'wrong' }), BUDGET, silentLogger);
      expect(await failure(wrong.readRecord(id))).toBeInstanceOf(CrmUnreachableError);
      expect(requestCount()).toBe(1);
    });

    it('connection refused is transient at once, CrmUnreachableError once the attempts are spent, and fine again after', async () => {
      const id = addRecord(false);
      await fake().setMode({ kind: 'refuse' });

      // a read-only GET, which some client libraries would retry on ECONNREFUSED by themselves
      const [direct, directMs] = await elapsed(() => failure(adapter.hasCommentSince(id, BODY, new Date(), ctx())));
      expect(direct).toBeInstanceOf(CrmTransientError);
      expect(direct.message).toMatch(/ECONNREFUSED/);
      expect(directMs).toBeLessThan(450);

      const [err, ms] = await elapsed(() => failure(crm.readRecord(id)));
      expect(err).toBeInstanceOf(CrmUnreachableError);
      expect(err.cause).toBeInstanceOf(CrmTransientError);
      expect((err.cause as Error).message).toMatch(/ECONNREFUSED/);
      expect(ms).toBeLessThan(2500);
      expect(await failure(crm.addComment(id, BODY))).toBeInstanceOf(CrmUnreachableError);
      expect(fake().requests).toEqual([]);

      await fake().setMode({ kind: 'normal' });
      expect((await crm.readRecord(id)).state).toBe('open');
    });

    it('a slow CRM: every request times out, CrmUnreachableError after exactly `attempts` requests, within the budget', async () => {
      const id = addRecord(false);
      await fake().setMode({ kind: 'slow', delayMs: 2000 });

      const [err, ms] = await elapsed(() => failure(crm.readRecord(id)));

      expect(err).toBeInstanceOf(CrmUnreachableError);
      expect(err.message).toMatch(/within 500 ms/);
      expect(err.cause).toBeInstanceOf(CrmTransientError);
      expect(requestCount()).toBe(BUDGET.attempts);
      expect(ms).toBeLessThan(BUDGET.budgetMs);
    });

    it('the adapter itself gives up after ctx.timeoutMs, with CrmTransientError', async () => {
      const id = addRecord(false);
      await fake().setMode({ kind: 'slow', delayMs: 3000 });
      for (const [op, call] of [
        ['readRecords', () => adapter.readRecords([id], ctx(300))],
        ['hasCommentSince', () => adapter.hasCommentSince(id, BODY, new Date(), ctx(200))],
      ] as const) {
        fake().requests.length = 0;
        const [err, ms] = await elapsed(() => failure(call()));
        expect(err, op).toBeInstanceOf(CrmTransientError);
        expect(ms, op).toBeLessThan(1000);
        expect(requestCount(), op).toBe(1);
      }
    });

    it('the adapter stops when ctx.signal aborts during a request, with CrmTransientError', async () => {
      const id = addRecord(false);
      await fake().setMode({ kind: 'slow', delayMs: 1500 });
      const abortedSoon = () => {
        const controller = new AbortController();
        setTimeout(() => controller.abort(), 100);
        return ctx(10_000, controller.signal);
      };
      for (const [op, call] of [
        ['readRecords', () => adapter.readRecords([id], abortedSoon())],
        ['addComment', () => adapter.addComment(id, BODY, abortedSoon())],
      ] as const) {
        const [err, ms] = await elapsed(() => failure(call()));
        expect(err, op).toBeInstanceOf(CrmTransientError);
        expect(ms, op).toBeLessThan(1000);
      }
    });

    it('sends nothing when ctx.signal was aborted before the call', async () => {
      const id = addRecord(false);
      const controller = new AbortController();
      controller.abort();
      for (const [op, call] of [
        ['readRecords', () => adapter.readRecords([id], ctx(2000, controller.signal))],
        ['addComment', () => adapter.addComment(id, BODY, ctx(2000, controller.signal))],
      ] as const) {
        expect(await failure(call()), op).toBeInstanceOf(CrmTransientError);
      }
      expect(fake().requests).toEqual([]);
    });
  });

  describe('credentials', () => {
    it('refuses to start without credentials', () => {
      expect(() => driver.newAdapterWithoutCredentials()).toThrow(driver.missingCredentials);
    });

    it('never logs a credential, even at trace level and with every failure and its causes logged', async () => {
      const { logger, lines } = capturingLogger();
      const logFailure = logFailureChain(logger);
      // One attempt each: ResilientCrm logs every failed attempt, so retries would add nothing to check.
      const traced = new ResilientCrm(driver.newAdapter({ logger }), { ...BUDGET, attempts: 1 }, logger);
      const id = addRecord(false);

      await traced.readRecord(id);
      await traced.addComment(id, BODY);
      await traced.addComment(driver.unknownId(), BODY).catch(logFailure);
      for (const mode of [{ kind: 'unauthorized' }, { kind: 'down' }, { kind: 'refuse' }, { kind: 'slow', delayMs: 1000 }] as const) {
        await fake().setMode(mode);
        await traced.readRecord(id).catch(logFailure);
        await traced.addComment(id, BODY).catch(logFailure);
      }
      await fake().setMode({ kind: 'normal' });
      await new ResilientCrm(driver.newAdapter({ logger, credentials: 'wrong' }), BUDGET, logger).readRecord(id).catch(logFailure);

      const log = lines.join('\n');
      expect(log).toContain(driver.provider); // something was logged, so the checks below mean something
      for (const secret of driver.secrets()) expect(log).not.toContain(secret);
    });
  });
});
