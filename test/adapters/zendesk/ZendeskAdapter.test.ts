import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ZendeskAdapter } from '../../../adapters/zendesk/ZendeskAdapter.js';
import { configSchema, type ZendeskConfig } from '../../../src/config/schema.js';
import {
  CrmRejectedError,
  CrmTransientError,
  CrmUnreachableError,
  InvalidRecordIdError,
  RecordNotFoundError,
} from '../../../src/crm/errors.js';
import { ResilientCrm } from '../../../src/crm/ResilientCrm.js';
import { CRM_COMMENTS } from '../../../src/policy/crmComments.js';
import { capturingLogger } from '../../support/captureLogs.js';
import { ctx, failure, silentLogger, TEST_BUDGET } from '../adapterTestKit.js';
import { ZendeskFakeServer } from '../../fakes/ZendeskFakeServer.js';

/**
 * Contract tests: the real node-zendesk client (inside ZendeskAdapter) against the loopback Zendesk fake,
 * through ResilientCrm wherever retries matter.
 */

const logger = silentLogger;
const BUDGET = TEST_BUDGET;
const CLOSED_COMMENT = CRM_COMMENTS.record_closed_not_created;
const ACTIVE_COMMENT = CRM_COMMENTS.active_call_exists;

let fake: ZendeskFakeServer;

beforeAll(async () => {
  fake = new ZendeskFakeServer();
  await fake.start();
});
afterAll(async () => {
  await fake.stop();
});
beforeEach(() => {
  fake.requests.length = 0;
});
afterEach(async () => {
  await fake.setMode({ kind: 'normal' });
});

/** The fake's crm section, validated by the product's own config schema. */
function zendeskConfig(overrides: Partial<ZendeskConfig> = {}): ZendeskConfig {
  const parsed = configSchema.parse({ auth: {}, crm: fake.crmConfig() });
  return { ...parsed.crm.zendesk!, ...overrides };
}
const newAdapter = (overrides?: Partial<ZendeskConfig>, log = logger) => new ZendeskAdapter(zendeskConfig(overrides), { logger: log });
const newCrm = (overrides?: Partial<ZendeskConfig>) => new ResilientCrm(newAdapter(overrides), BUDGET, logger);

describe('reading tickets', () => {
  it('reads an open ticket as open with its raw status', async () => {
    const id = fake.addRecord({ id: '', closed: false });
    const found = await newCrm().readRecord(id);
    expect(found).toEqual({ id, state: 'open', rawStatus: 'open' });
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /api/v2/tickets/${id}.json`]);
  });

  it('reads closed and solved tickets as closed, new/pending/hold as open', async () => {
    const closed = fake.addRecord({ id: '', closed: true });
    const solved = fake.addRecord({ id: '', closed: true, status: 'solved' });
    const fresh = fake.addRecord({ id: '', closed: false, status: 'new' });
    const pending = fake.addRecord({ id: '', closed: false, status: 'pending' });
    const hold = fake.addRecord({ id: '', closed: false, status: 'hold' });
    const crm = newCrm();
    expect(await crm.readRecord(closed)).toEqual({ id: closed, state: 'closed', rawStatus: 'closed' });
    expect(await crm.readRecord(solved)).toEqual({ id: solved, state: 'closed', rawStatus: 'solved' });
    const many = await crm.readRecords([fresh, pending, hold]);
    expect([...many.values()]).toEqual([
      { id: fresh, state: 'open', rawStatus: 'new' },
      { id: pending, state: 'open', rawStatus: 'pending' },
      { id: hold, state: 'open', rawStatus: 'hold' },
    ]);
  });

  it('uses the configured closedStatuses', async () => {
    const solved = fake.addRecord({ id: '', closed: true, status: 'solved' });
    const found = await newCrm({ closedStatuses: ['closed'] }).readRecord(solved);
    expect(found).toEqual({ id: solved, state: 'open', rawStatus: 'solved' });
  });

  it('reads an unknown ticket as not_found (404), in one request', async () => {
    const found = await newCrm().readRecord('88880001');
    expect(found).toEqual({ id: '88880001', state: 'not_found', rawStatus: null });
    expect(fake.requests).toHaveLength(1);
  });

  it('reads 150 tickets with two show_many requests; unknown ids are not_found', async () => {
    const known = Array.from({ length: 147 }, (_, i) => fake.addRecord({ id: '', closed: i % 10 === 0 }));
    const unknown = ['77770001', '77770002', '77770003'];
    const ids = [...known.slice(0, 50), unknown[0]!, ...known.slice(50, 120), unknown[1]!, ...known.slice(120), unknown[2]!];
    expect(ids).toHaveLength(150);

    const found = await newCrm().readRecords(ids);

    const showMany = fake.requestsTo('/api/v2/tickets/show_many.json');
    expect(showMany).toHaveLength(2);
    expect(fake.requests).toHaveLength(2);
    const asked = showMany.map((r) => new URL(r.path, fake.origin).searchParams.get('ids')!.split(','));
    expect(asked.map((a) => a.length)).toEqual([100, 50]);
    expect(asked.flat()).toEqual(ids);
    expect(found.size).toBe(150);
    for (const id of unknown) expect(found.get(id)).toEqual({ id, state: 'not_found', rawStatus: null });
    known.forEach((id, i) => {
      expect(found.get(id)).toEqual({ id, state: i % 10 === 0 ? 'closed' : 'open', rawStatus: i % 10 === 0 ? 'closed' : 'open' });
    });
  });

  it('splits by itself when handed more than 100 ids in one call', async () => {
    const ids = Array.from({ length: 120 }, () => fake.addRecord({ id: '', closed: false }));
    const adapter = newAdapter();
    expect(adapter.maxBatchSize).toBe(100);
    const found = await adapter.readRecords(ids, ctx());
    expect(found.size).toBe(120);
    expect([...found.values()].every((r) => r.state === 'open')).toBe(true);
    expect(fake.requestsTo('show_many')).toHaveLength(2);
  });
});

describe('comments', () => {
  it('adds an internal (public: false) comment with the exact body in one PUT', async () => {
    const id = fake.addRecord({ id: '', closed: false });
    await newCrm().addComment(id, ACTIVE_COMMENT);
    expect(fake.commentsOn(id)).toEqual([ACTIVE_COMMENT]);
    expect(fake.commentRecords(id)).toMatchObject([{ body: ACTIVE_COMMENT, public: false }]);
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`PUT /api/v2/tickets/${id}.json`]);
    expect(fake.requests[0]!.body).toEqual({ ticket: { comment: { body: ACTIVE_COMMENT, public: false } } });
    expect(fake.recordStatus(id)).toBe('open');
  });

  it('can comment on a solved ticket (only closed ones are read-only)', async () => {
    const id = fake.addRecord({ id: '', closed: true, status: 'solved' });
    await newCrm().addComment(id, CLOSED_COMMENT);
    expect(fake.commentRecords(id)).toMatchObject([{ body: CLOSED_COMMENT, public: false }]);
    expect(fake.recordStatus(id)).toBe('solved');
  });

  it('a closed ticket refuses the comment for good: CrmRejectedError after exactly one request', async () => {
    const id = fake.addRecord({ id: '', closed: true });
    const adapter = newAdapter();
    const crm = new ResilientCrm(adapter, BUDGET, logger);
    // Even under a 3-attempt budget, the refusal must not be retried.
    const err = await failure(crm.run('comment', (c) => adapter.addComment(id, CLOSED_COMMENT, c)));
    expect(err).toBeInstanceOf(CrmRejectedError);
    expect((err as CrmRejectedError).status).toBe(422);
    expect(err.message).toContain('Status: closed prevents ticket update');
    expect(fake.requests).toHaveLength(1);
    expect(fake.commentsOn(id)).toEqual([]);
    expect(await failure(crm.addComment(id, CLOSED_COMMENT))).toBeInstanceOf(CrmRejectedError);
    expect(fake.requests).toHaveLength(2);
  });

  it('a comment on an unknown ticket is RecordNotFoundError', async () => {
    const err = await failure(newCrm().addComment('66660001', ACTIVE_COMMENT));
    expect(err).toBeInstanceOf(RecordNotFoundError);
    expect((err as RecordNotFoundError).recordId).toBe('66660001');
  });

  it('hasCommentSince finds a comment written in the same second as `since` (Zendesk has whole seconds)', async () => {
    const id = fake.addRecord({ id: '', closed: false });
    const crm = newCrm();
    const since = new Date();
    await crm.addComment(id, ACTIVE_COMMENT);
    expect(await crm.hasCommentSince(id, ACTIVE_COMMENT, since)).toBe(true);
    expect(await crm.hasCommentSince(id, CLOSED_COMMENT, since)).toBe(false);
    expect(await crm.hasCommentSince(id, `${ACTIVE_COMMENT} (2)`, since)).toBe(false);
    expect(fake.requestsTo(`/api/v2/tickets/${id}/comments.json`)).toHaveLength(3);
  });

  it('hasCommentSince ignores the same body written before `since`', async () => {
    const id = fake.addRecord({ id: '', closed: false });
    const hourAgo = new Date(Date.now() - 3600_000);
    fake.seedComment(id, CLOSED_COMMENT, { createdAt: hourAgo, public: false });
    const crm = newCrm();
    expect(await crm.hasCommentSince(id, CLOSED_COMMENT, new Date(Date.now() - 60_000))).toBe(false);
    expect(await crm.hasCommentSince(id, CLOSED_COMMENT, new Date(hourAgo.getTime() - 1000))).toBe(true);
  });

  it('hasCommentSince follows next_page through long comment threads', async () => {
    const id = fake.addRecord({ id: '', closed: false });
    for (let i = 0; i < 150; i++) fake.seedComment(id, `note ${i}`);
    fake.seedComment(id, ACTIVE_COMMENT, { public: false });
    expect(await newCrm().hasCommentSince(id, ACTIVE_COMMENT, new Date(Date.now() - 5000))).toBe(true);
    expect(fake.requestsTo(`/api/v2/tickets/${id}/comments.json`)).toHaveLength(2);
  });

  it('hasCommentSince on an unknown ticket is RecordNotFoundError', async () => {
    expect(await failure(newCrm().hasCommentSince('66660002', ACTIVE_COMMENT, new Date()))).toBeInstanceOf(RecordNotFoundError);
  });

  it('hasCommentSince reports a 502 or a 429 on the comment list as transient, never as "no comment"', async () => {
    const id = fake.addRecord({ id: '', closed: false });
    const adapter = newAdapter();
    fake.failNext({ status: 502, body: '<html>502 Bad Gateway</html>', headers: { 'Content-Type': 'text/html' } });
    const bad = await failure(adapter.hasCommentSince(id, ACTIVE_COMMENT, new Date(), ctx()));
    expect(bad).toBeInstanceOf(CrmTransientError);
    expect((bad as CrmTransientError).status).toBe(502);

    await fake.setMode({ kind: 'rate_limited', retryAfterSeconds: 2 });
    const limited = await failure(adapter.hasCommentSince(id, ACTIVE_COMMENT, new Date(), ctx()));
    expect(limited).toBeInstanceOf(CrmTransientError);
    expect((limited as CrmTransientError).status).toBe(429);
    expect((limited as CrmTransientError).retryAfterMs).toBe(2000);
  });

  it('reopen is refused without any request', async () => {
    const id = fake.addRecord({ id: '', closed: true });
    const err = await failure(newCrm().reopen(id));
    expect(err).toBeInstanceOf(CrmRejectedError);
    expect(err.message).toBe('reopen is not supported for zendesk');
    expect(fake.requests).toEqual([]);
    expect(fake.recordStatus(id)).toBe('closed');
  });
});

describe('authentication', () => {
  it('sends Basic email/token:TOKEN for an API token', async () => {
    const id = fake.addRecord({ id: '', closed: false });
    await newCrm().readRecord(id);
    const expected = `Basic ${Buffer.from(`agent@example.com/token:${fake.token}`).toString('base64')}`;
    expect(fake.requests[0]!.headers.authorization).toBe(expected);
  });

  it('sends Bearer for an OAuth token', async () => {
    const id = fake.addRecord({ id: '', closed: false });
    const crm = newCrm({ email: undefined, token: undefined, oauthToken: fake.oauthToken });
    expect(await crm.readRecord(id)).toMatchObject({ state: 'open' });
    expect(fake.requests[0]!.headers.authorization).toBe(`Bearer ${fake.oauthToken}`);
  });

  it('401 is CrmUnreachableError after one request (credentials are not retried)', async () => {
    const id = fake.addRecord({ id: '', closed: false });
    await fake.setMode({ kind: 'unauthorized' });
    const err = await failure(newCrm().readRecord(id));
    expect(err).toBeInstanceOf(CrmUnreachableError);
    expect(fake.requests).toHaveLength(1);
  });

  it('a wrong token is refused by the fake and ends as CrmUnreachableError', async () => {
    const id = fake.addRecord({ id: '', closed: false });
    const err = await failure(newCrm({ token: 'not-the-token' }).readRecord(id));
    expect(err).toBeInstanceOf(CrmUnreachableError);
    expect(fake.requests).toHaveLength(1);
  });

  it('refuses a config without credentials', () => {
    expect(() => newAdapter({ email: undefined, token: undefined, oauthToken: undefined })).toThrow(/email \+ token|oauthToken/);
  });

  it('never logs the token, even when everything fails', async () => {
    const { logger: verbose, lines } = capturingLogger();
    const adapter = newAdapter(undefined, verbose);
    const crm = new ResilientCrm(adapter, { timeoutMs: 500, attempts: 2, budgetMs: 2000 }, verbose);
    const open = fake.addRecord({ id: '', closed: false });
    const closed = fake.addRecord({ id: '', closed: true });
    await fake.setMode({ kind: 'down' });
    await failure(crm.readRecord(open));
    await fake.setMode({ kind: 'unauthorized' });
    await failure(crm.readRecord(open));
    await fake.setMode({ kind: 'normal' });
    await failure(crm.addComment(closed, CLOSED_COMMENT));
    const output = lines.join('');
    expect(output).toContain('zendesk'); // something was logged, so the check below means something
    expect(output).not.toContain(fake.token);
    expect(output).not.toContain(Buffer.from(`agent@example.com/token:${fake.token}`).toString('base64'));
  });
});

describe('failures and the retry budget', () => {
  it('429 then success: Retry-After is honoured and the read succeeds', async () => {
    const id = fake.addRecord({ id: '', closed: false });
    await fake.setMode({ kind: 'rate_limited', retryAfterSeconds: 1, times: 1 });
    const started = Date.now();
    const found = await newCrm().readRecord(id);
    const elapsed = Date.now() - started;
    expect(found).toEqual({ id, state: 'open', rawStatus: 'open' });
    expect(fake.requests).toHaveLength(2);
    expect(elapsed).toBeGreaterThanOrEqual(950); // the default backoff would be ~250 ms
    expect(elapsed).toBeLessThan(2500);
  });

  it('one adapter call is one request: node-zendesk does not retry a 429 or a 503 by itself', async () => {
    const id = fake.addRecord({ id: '', closed: false });
    const adapter = newAdapter();
    await fake.setMode({ kind: 'rate_limited', retryAfterSeconds: 3 });
    const limited = await failure(adapter.readRecords([id], ctx()));
    expect(limited).toBeInstanceOf(CrmTransientError);
    expect((limited as CrmTransientError).status).toBe(429);
    expect((limited as CrmTransientError).retryAfterMs).toBe(3000);
    expect(fake.requests).toHaveLength(1);

    await fake.setMode({ kind: 'down' });
    const down = await failure(adapter.addComment(id, ACTIVE_COMMENT, ctx()));
    expect(down).toBeInstanceOf(CrmTransientError);
    expect((down as CrmTransientError).status).toBe(503);
    expect(fake.requests).toHaveLength(2);
    expect(fake.commentsOn(id)).toEqual([]);
  });

  it('503 past the budget is CrmUnreachableError after exactly `attempts` requests', async () => {
    const id = fake.addRecord({ id: '', closed: false });
    await fake.setMode({ kind: 'down' });
    const err = await failure(newCrm().readRecord(id));
    expect(err).toBeInstanceOf(CrmUnreachableError);
    expect(err.cause).toBeInstanceOf(CrmTransientError);
    expect((err.cause as CrmTransientError).status).toBe(503);
    expect(fake.requests).toHaveLength(BUDGET.attempts);
  });

  it('keeps the real status and Retry-After of a 503 (node-zendesk would call it a 429 and drop the header)', async () => {
    const id = fake.addRecord({ id: '', closed: false });
    fake.failNext({ status: 503, body: { error: 'ServiceUnavailable' }, headers: { 'Retry-After': '7' } });
    const err = await failure(newAdapter().readRecords([id], ctx()));
    expect(err).toBeInstanceOf(CrmTransientError);
    expect((err as CrmTransientError).status).toBe(503);
    expect((err as CrmTransientError).retryAfterMs).toBe(7000);
  });

  it('a 502 from a proxy is transient and retried (node-zendesk resolves it as if it were a success)', async () => {
    const id = fake.addRecord({ id: '', closed: true });
    fake.failNext({ status: 502, body: '<html>502 Bad Gateway</html>', headers: { 'Content-Type': 'text/html' } });
    const found = await newCrm().readRecord(id);
    expect(found).toEqual({ id, state: 'closed', rawStatus: 'closed' });
    expect(fake.requests).toHaveLength(2);
  });

  it('connection refused is CrmUnreachableError once the attempts are spent', async () => {
    const id = fake.addRecord({ id: '', closed: false });
    await fake.setMode({ kind: 'refuse' });
    const err = await failure(newCrm().readRecord(id));
    expect(err).toBeInstanceOf(CrmUnreachableError);
    expect(err.cause).toBeInstanceOf(CrmTransientError);
    expect((err.cause as Error).message).toMatch(/ECONNREFUSED/);
    expect(fake.requests).toEqual([]);
  });

  it('a slow Zendesk times out per request and ends as CrmUnreachableError within the budget', async () => {
    const id = fake.addRecord({ id: '', closed: false });
    await fake.setMode({ kind: 'slow', delayMs: 2000 });
    const started = Date.now();
    const err = await failure(newCrm().readRecord(id));
    expect(err).toBeInstanceOf(CrmUnreachableError);
    expect(err.message).toMatch(/within 500 ms/);
    expect(fake.requests).toHaveLength(BUDGET.attempts);
    expect(Date.now() - started).toBeLessThan(BUDGET.budgetMs + 200); // the budget clamps the last attempt
  });

  it('the adapter itself gives up after ctx.timeoutMs and when ctx.signal aborts', async () => {
    const id = fake.addRecord({ id: '', closed: false });
    await fake.setMode({ kind: 'slow', delayMs: 3000 });
    const adapter = newAdapter();

    let started = Date.now();
    const timedOut = await failure(adapter.readRecords([id], ctx(300)));
    expect(timedOut).toBeInstanceOf(CrmTransientError);
    expect(timedOut.message).toBe('zendesk gave no answer within 300 ms');
    expect(Date.now() - started).toBeLessThan(1500);

    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    started = Date.now();
    const aborted = await failure(adapter.addComment(id, ACTIVE_COMMENT, ctx(10_000, controller.signal)));
    expect(aborted).toBeInstanceOf(CrmTransientError);
    expect(Date.now() - started).toBeLessThan(1500);
  });
});

describe('ticket id format', () => {
  const malformed = ['abc', '0', '-1', '1 OR 1=1', '', '007', '1.5', '1e3', ' 12', '12/comments', '1234567890123456'];

  it('accepts positive integers only', () => {
    const adapter = newAdapter();
    for (const id of ['1', '42', '123456789012345']) expect(adapter.isValidRecordId(id), id).toBe(true);
    for (const id of malformed) expect(adapter.isValidRecordId(id), id).toBe(false);
  });

  it('rejects malformed ids with InvalidRecordIdError before sending anything', async () => {
    const good = fake.addRecord({ id: '', closed: false });
    const adapter = newAdapter();
    const crm = new ResilientCrm(adapter, BUDGET, logger);
    for (const id of malformed) {
      expect(await failure(crm.readRecords([good, id])), id).toBeInstanceOf(InvalidRecordIdError);
      expect(await failure(adapter.readRecords([good, id], ctx())), id).toBeInstanceOf(InvalidRecordIdError);
      expect(await failure(adapter.readRecords([id], ctx())), id).toBeInstanceOf(InvalidRecordIdError);
      expect(await failure(adapter.addComment(id, ACTIVE_COMMENT, ctx())), id).toBeInstanceOf(InvalidRecordIdError);
      expect(await failure(adapter.hasCommentSince(id, ACTIVE_COMMENT, new Date(), ctx())), id).toBeInstanceOf(InvalidRecordIdError);
    }
    expect(fake.requests).toEqual([]);
  });
});
