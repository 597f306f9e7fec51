import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ZendeskAdapter } from '../../../adapters/zendesk/ZendeskAdapter.js';
import type { ZendeskConfig } from '../../../src/config/schema.js';
import { CrmRejectedError, CrmTransientError, RecordNotFoundError } from '../../../src/crm/errors.js';
import { ResilientCrm } from '../../../src/crm/ResilientCrm.js';
import { CRM_COMMENTS } from '../../../src/policy/crmComments.js';
import { capturingLogger } from '../../support/captureLogs.js';
import { ctx, failure, silentLogger, TEST_BUDGET } from '../adapterTestKit.js';
import { ZendeskFakeServer } from '../../fakes/ZendeskFakeServer.js';
import { zendeskConfigFor } from './zendeskContractDriver.js';

/**
 * What only Zendesk does: the real node-zendesk client (inside ZendeskAdapter) against the loopback Zendesk fake,
 * through ResilientCrm wherever retries matter. The CrmAdapter contract every vendor meets (ids, batching,
 * not found, comments, 429 / 401 / 5xx / timeouts and the budget) is in ../crmAdapterContract.test.ts.
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

const newAdapter = (overrides?: Partial<ZendeskConfig>, log = logger) =>
  new ZendeskAdapter(zendeskConfigFor(fake, overrides), { logger: log });
const newCrm = (overrides?: Partial<ZendeskConfig>) => new ResilientCrm(newAdapter(overrides), BUDGET, logger);

describe('reading tickets', () => {
  it('reads one ticket with GET /api/v2/tickets/{id}.json', async () => {
    const id = fake.addRecord({ id: '', closed: false });
    const found = await newCrm().readRecord(id);
    expect(found).toEqual({ id, state: 'open', rawStatus: 'open' });
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /api/v2/tickets/${id}.json`]);
  });

  it('reads solved tickets as closed, new/pending/hold as open', async () => {
    const solved = fake.addRecord({ id: '', closed: true, status: 'solved' });
    const fresh = fake.addRecord({ id: '', closed: false, status: 'new' });
    const pending = fake.addRecord({ id: '', closed: false, status: 'pending' });
    const hold = fake.addRecord({ id: '', closed: false, status: 'hold' });
    const crm = newCrm();
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
});

describe('comments', () => {
  it('adds the comment with one PUT of {ticket: {comment: {body, public: false}}}', async () => {
    const id = fake.addRecord({ id: '', closed: false });
    await newCrm().addComment(id, ACTIVE_COMMENT);
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`PUT /api/v2/tickets/${id}.json`]);
    expect(fake.requests[0]!.body).toEqual({ ticket: { comment: { body: ACTIVE_COMMENT, public: false } } });
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

  it('hasCommentSince reports a 502 on the comment list as transient, never as "no comment"', async () => {
    const id = fake.addRecord({ id: '', closed: false });
    const adapter = newAdapter();
    fake.failNext({ status: 502, body: '<html>502 Bad Gateway</html>', headers: { 'Content-Type': 'text/html' } });
    const bad = await failure(adapter.hasCommentSince(id, ACTIVE_COMMENT, new Date(), ctx()));
    expect(bad).toBeInstanceOf(CrmTransientError);
    expect((bad as CrmTransientError).status).toBe(502);
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

  it('never logs the token when Zendesk refuses a comment on a closed ticket (422)', async () => {
    const { logger: verbose, lines } = capturingLogger();
    const adapter = newAdapter(undefined, verbose);
    const crm = new ResilientCrm(adapter, { timeoutMs: 500, attempts: 2, budgetMs: 2000 }, verbose);
    const closed = fake.addRecord({ id: '', closed: true });
    await failure(crm.addComment(closed, CLOSED_COMMENT));
    const output = lines.join('');
    expect(output).toContain('zendesk'); // something was logged, so the check below means something
    expect(output).not.toContain(fake.token);
    expect(output).not.toContain(Buffer.from(`agent@example.com/token:${fake.token}`).toString('base64'));
  });
});

describe('failures and the retry budget', () => {
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

  it('says how long it waited when it gives up after ctx.timeoutMs', async () => {
    const id = fake.addRecord({ id: '', closed: false });
    await fake.setMode({ kind: 'slow', delayMs: 3000 });
    const timedOut = await failure(newAdapter().readRecords([id], ctx(300)));
    expect(timedOut).toBeInstanceOf(CrmTransientError);
    expect(timedOut.message).toBe('zendesk gave no answer within 300 ms');
  });
});
