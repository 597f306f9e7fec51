import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SalesforceAdapter } from '../../../adapters/salesforce/SalesforceAdapter.js';
import type { SalesforceConfig } from '../../../src/config/schema.js';
import { CrmRejectedError, CrmTransientError, CrmUnreachableError, RecordNotFoundError } from '../../../src/crm/errors.js';
import { ResilientCrm } from '../../../src/crm/ResilientCrm.js';
import { CRM_COMMENTS } from '../../../src/policy/crmComments.js';
import { capturingLogger } from '../../support/captureLogs.js';
import { ctx, elapsed, failure, silentLogger, TEST_BUDGET } from '../adapterTestKit.js';
import { SalesforceFakeServer, salesforceIdSuffix, type SalesforceConfigOptions } from '../../fakes/SalesforceFakeServer.js';
import { salesforceConfigFor } from './salesforceContractDriver.js';

/**
 * What only Salesforce does: the real jsforce client (inside SalesforceAdapter) against the loopback Salesforce
 * fake, through ResilientCrm wherever retries matter. The CrmAdapter contract every vendor meets (ids, batching,
 * not found, comments, 429 / 401 / 5xx / timeouts and the budget) is in ../crmAdapterContract.test.ts.
 */

const logger = silentLogger;
const BUDGET = TEST_BUDGET;
const REOPENED = CRM_COMMENTS.reopened;
const UNREACHABLE = CRM_COMMENTS.crm_unreachable;
const COMPOSITE = '/services/data/v62.0/composite/sobjects/Case';

let fake: SalesforceFakeServer;

beforeEach(async () => {
  fake = new SalesforceFakeServer();
  await fake.start();
});
afterEach(async () => {
  await fake.stop();
});

const newAdapter = (options?: SalesforceConfigOptions, overrides?: Partial<SalesforceConfig>, log = logger) =>
  new SalesforceAdapter(salesforceConfigFor(fake, options, overrides), { logger: log });
const newCrm = (options?: SalesforceConfigOptions, overrides?: Partial<SalesforceConfig>) =>
  new ResilientCrm(newAdapter(options, overrides), BUDGET, logger);
const bearer = (i: number) => String(fake.requests[i]?.headers.authorization ?? '');

describe('reading cases', () => {
  it('reads a batch with one sObject Collections POST on the configured API version; IsClosed decides, not the Status name', async () => {
    const open = fake.addRecord({ id: '', closed: false });
    const closed = fake.addRecord({ id: '', closed: true });
    const resolved = fake.addRecord({ id: '', closed: true, status: 'Resolved' });

    const found = await newCrm().readRecords([open, closed, resolved]);

    expect(found.get(resolved)).toEqual({ id: resolved, state: 'closed', rawStatus: 'Resolved' });
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({
      method: 'POST',
      path: COMPOSITE,
      body: { ids: [open, closed, resolved], fields: ['Id', 'Status', 'IsClosed'] },
    });
    expect(bearer(0)).toBe(`Bearer ${fake.accessToken}`);
  });

  it('uses apiVersion from the config in every path', async () => {
    const id = fake.addRecord({ id: '', closed: false });
    const other = fake.addRecord({ id: '', closed: false });
    await newCrm({ apiVersion: '58.0' }).readRecord(id);
    await newCrm({ apiVersion: '58.0' }).readRecords([id, other]);
    expect(fake.requests.map((r) => r.path.split('?')[0])).toEqual([
      `/services/data/v58.0/sobjects/Case/${id}`,
      '/services/data/v58.0/composite/sobjects/Case',
    ]);
  });

  it('reads one record with the sObject GET and asks only for the fields it needs', async () => {
    const id = fake.addRecord({ id: '', closed: true });
    expect(await newCrm().readRecord(id)).toEqual({ id, state: 'closed', rawStatus: 'Closed' });
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]!.method).toBe('GET');
    expect(decodeURIComponent(fake.requests[0]!.path)).toBe(`/services/data/v62.0/sobjects/Case/${id}?fields=Id,Status,IsClosed`);
  });

  it('reports a deleted case (ENTITY_IS_DELETED) as not_found, not as an error, alone and in a batch', async () => {
    const gone = fake.addRecord({ id: '', closed: false });
    const open = fake.addRecord({ id: '', closed: false });
    fake.deleteRecord(gone);

    const crm = newCrm();
    expect(await crm.readRecord(gone)).toEqual({ id: gone, state: 'not_found', rawStatus: null });
    expect((await crm.readRecords([gone, open])).get(gone)).toEqual({ id: gone, state: 'not_found', rawStatus: null });
  });

  it('maps a 15-character id back to the id as asked, matching case-sensitively', async () => {
    // two cases whose 15-character ids differ only in letter case are different records in Salesforce
    const upper = fake.addRecord({ id: '500Hs00000AbCdE', closed: true });
    const lower = fake.addRecord({ id: '500Hs00000abcde', closed: false });
    const long = fake.addRecord({ id: '', closed: true, status: 'Resolved' });
    const short = long.slice(0, 15);

    const found = await newCrm().readRecords([upper, lower, short]);

    expect([...found.keys()].sort()).toEqual([upper, lower, short].sort());
    expect(found.get(upper)).toEqual({ id: upper, state: 'closed', rawStatus: 'Closed' });
    expect(found.get(lower)).toEqual({ id: lower, state: 'open', rawStatus: 'New' });
    expect(found.get(short)).toEqual({ id: short, state: 'closed', rawStatus: 'Resolved' });
    expect(found.has(long)).toBe(false);
  });
});

describe('when Salesforce fails', () => {
  it('makes exactly one request on a 503 when reopening to the default status (GET CaseStatus, which jsforce would retry)', async () => {
    const id = fake.addRecord({ id: '', closed: true });
    await fake.setMode({ kind: 'down' });
    const [err, ms] = await elapsed(() => failure(newAdapter({ reopenStatus: null }).reopen(id, ctx())));
    expect(err).toBeInstanceOf(CrmTransientError);
    expect((err as CrmTransientError).status).toBe(503);
    expect(fake.requests).toHaveLength(1);
    expect(fake.queries()[0]).toMatch(/FROM CaseStatus/);
    expect(ms).toBeLessThan(450); // jsforce's own first retry would wait 500 ms
  });

  it('retries REQUEST_LIMIT_EXCEEDED sent as 403 and UNABLE_TO_LOCK_ROW, then succeeds', async () => {
    const id = fake.addRecord({ id: '', closed: false });
    fake.failNext(SalesforceFakeServer.errorReply(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'));
    fake.failNext(SalesforceFakeServer.errorReply(400, 'UNABLE_TO_LOCK_ROW', 'unable to obtain exclusive access to this record'));

    expect(await newCrm().readRecord(id)).toEqual({ id, state: 'open', rawStatus: 'New' });
    expect(fake.requests).toHaveLength(3);
  });

  it('does not retry a permanent refusal of a read', async () => {
    const id = fake.addRecord({ id: '', closed: false });
    fake.failNext(SalesforceFakeServer.errorReply(400, 'INVALID_FIELD', "No such column 'IsClosed' on entity 'Case'."));
    const err = await failure(newCrm().readRecord(id));
    expect(err).toBeInstanceOf(CrmRejectedError);
    expect((err as CrmRejectedError).status).toBe(400);
    expect(fake.requests).toHaveLength(1);
  });
});

describe('authentication', () => {
  it('does not ask for a token on a 401 when only a static token is configured', async () => {
    const id = fake.addRecord({ id: '', closed: false });
    await fake.setMode({ kind: 'unauthorized' });

    expect(await failure(newCrm().readRecord(id))).toBeInstanceOf(CrmUnreachableError);
    expect(fake.tokenRequests()).toHaveLength(0);
  });

  it('gets a token by client credentials on first use, once for concurrent calls', async () => {
    const ids = [fake.addRecord({ id: '', closed: false }), fake.addRecord({ id: '', closed: true })];
    const crm = newCrm({ auth: 'client_credentials' });

    const results = await Promise.all([crm.readRecord(ids[0]!), crm.readRecord(ids[1]!), crm.readRecords(ids)]);

    expect(results[0].state).toBe('open');
    expect(results[1].state).toBe('closed');
    const tokens = fake.tokenRequests();
    expect(tokens).toHaveLength(1);
    expect(tokens[0]?.get('grant_type')).toBe('client_credentials');
    expect(tokens[0]?.get('client_id')).toBe(fake.clientId);
    expect(fake.requests[0]?.path).toBe('/services/oauth2/token');
    for (const r of fake.requestsTo('/composite/')) {
      expect(r.headers.authorization).toMatch(/^Bearer 00D5g000004FAKE!/);
      expect(r.headers.authorization).not.toBe(`Bearer ${fake.accessToken}`);
    }
  });

  it('renews an expired session once and repeats the request', async () => {
    const id = fake.addRecord({ id: '', closed: true });
    const crm = newCrm({ auth: 'client_credentials' }, { accessToken: fake.accessToken });
    await crm.readRecord(id);
    expect(fake.tokenRequests()).toHaveLength(0);
    fake.expireSessions();
    fake.requests.length = 0;

    expect(await crm.readRecord(id)).toEqual({ id, state: 'closed', rawStatus: 'Closed' });

    expect(fake.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`)).toEqual([
      `GET /services/data/v62.0/sobjects/Case/${id}`,
      'POST /services/oauth2/token',
      `GET /services/data/v62.0/sobjects/Case/${id}`,
    ]);
    expect(bearer(0)).toBe(`Bearer ${fake.accessToken}`);
    expect(bearer(2)).toMatch(/^Bearer 00D5g000004FAKE!/);
    expect(bearer(2)).not.toBe(bearer(0));
  });

  it('uses the OAuth username-password flow', async () => {
    const id = fake.addRecord({ id: '', closed: false });
    const adapter = newAdapter({ auth: 'password' });
    await adapter.addComment(id, REOPENED, ctx());
    fake.expireSessions();
    await adapter.addComment(id, UNREACHABLE, ctx());

    const tokens = fake.tokenRequests();
    expect(tokens).toHaveLength(2);
    expect(tokens.map((t) => t.get('grant_type'))).toEqual(['password', 'password']);
    expect(tokens[0]?.get('username')).toBe(fake.username);
    expect(fake.commentsOn(id)).toEqual([REOPENED, UNREACHABLE]);
  });

  it('stops after one renewal when Salesforce keeps refusing fresh tokens', async () => {
    const id = fake.addRecord({ id: '', closed: false });
    fake.refuseAllTokens();

    const err = await failure(newCrm({ auth: 'client_credentials' }, { accessToken: fake.accessToken }).readRecord(id));

    expect(err).toBeInstanceOf(CrmUnreachableError);
    expect(fake.tokenRequests()).toHaveLength(1);
    expect(fake.requestsTo('/sobjects/Case/')).toHaveLength(2);
  });

  it('reports refused client credentials as unreachable without calling the API', async () => {
    const id = fake.addRecord({ id: '', closed: false });
    const err = await failure(newCrm({ auth: 'client_credentials' }, { clientSecret: 'wrong' }).readRecord(id));
    expect(err).toBeInstanceOf(CrmUnreachableError);
    expect(err.message).toMatch(/invalid_client/);
    expect(fake.tokenRequests()).toHaveLength(1);
    expect(fake.requestsTo('/services/data/')).toHaveLength(0);
  });

  it('never logs access tokens or the client secret', async () => {
    const { logger: traceLogger, lines } = capturingLogger();
    const id = fake.addRecord({ id: '', closed: true });
    const adapter = newAdapter({ auth: 'client_credentials', reopenStatus: null }, { accessToken: fake.accessToken }, traceLogger);
    const crm = new ResilientCrm(adapter, BUDGET, traceLogger);
    await crm.readRecord(id);
    fake.expireSessions();
    await crm.reopen(id);
    await fake.setMode({ kind: 'unauthorized' });
    await failure(crm.readRecord(id));

    const tokens = fake.requests.map((r) => String(r.headers.authorization ?? '').replace('Bearer ', '')).filter(Boolean);
    expect(new Set(tokens).size).toBeGreaterThanOrEqual(2);
    const log = lines.join('');
    expect(log).toContain('Salesforce access token obtained');
    for (const secret of [...tokens, fake.clientSecret]) expect(log).not.toContain(secret);
  });

  it('refuses a password-flow config without clientId, or an API version below 42.0', () => {
    expect(() => newAdapter({ auth: 'password' }, { clientId: undefined, accessToken: undefined })).toThrow(/clientId/);
    expect(() => newAdapter({ apiVersion: '41.0' })).toThrow(/42\.0/);
  });
});

describe('comments', () => {
  it('writes the comment as one POST of an unpublished CaseComment on the case', async () => {
    const id = fake.addRecord({ id: '', closed: false });

    await newCrm().addComment(id, REOPENED);

    const comments = fake.commentRecords(id);
    expect(comments).toHaveLength(1);
    expect(comments[0]).toMatchObject({ CommentBody: REOPENED, IsPublished: false });
    expect(comments[0]!.ParentId.toLowerCase()).toBe(id.toLowerCase());
    expect(fake.requests[0]).toMatchObject({
      method: 'POST',
      path: '/services/data/v62.0/sobjects/CaseComment',
      body: { ParentId: id, CommentBody: REOPENED, IsPublished: false },
    });
  });

  it('cuts a body over 4,000 bytes on a character boundary, and still finds it afterwards', async () => {
    const id = fake.addRecord({ id: '', closed: false });
    const body = `${'é'.repeat(1999)}😀${'x'.repeat(100)}`; // 3998 bytes, then a 4-byte emoji that does not fit
    const since = new Date();
    const adapter = newAdapter();

    await adapter.addComment(id, body, ctx());

    const [stored] = fake.commentsOn(id);
    expect(stored).toBe('é'.repeat(1999));
    expect(Buffer.byteLength(stored!, 'utf8')).toBeLessThanOrEqual(4000);
    expect(await adapter.hasCommentSince(id, body, since, ctx())).toBe(true);
  });

  it('reports a comment on a deleted case as refused for good', async () => {
    const gone = fake.addRecord({ id: '', closed: false });
    fake.deleteRecord(gone);
    const crm = newCrm();
    expect(await failure(crm.addComment(gone, UNREACHABLE))).toBeInstanceOf(CrmRejectedError);
    expect(fake.commentsOn(gone)).toEqual([]);
  });

  it('hasCommentSince compares CommentBody exactly (not in SOQL, which cannot filter it) from `since` in whole seconds', async () => {
    const id = fake.addRecord({ id: '', closed: false });
    const other = fake.addRecord({ id: '', closed: false });
    fake.seedComment(id, `${REOPENED} `, { createdAt: new Date('2024-05-01T10:00:00Z') });
    fake.seedComment(other, REOPENED, { createdAt: new Date('2024-05-01T10:00:00Z') });
    const crm = newCrm();

    expect(await crm.hasCommentSince(id, REOPENED, new Date('2024-05-01T09:00:00Z'))).toBe(false); // a trailing space differs
    fake.seedComment(id, REOPENED, { createdAt: new Date('2024-05-01T10:00:05Z') });
    expect(await crm.hasCommentSince(id, REOPENED, new Date('2024-05-01T10:00:05.600Z'))).toBe(true);

    const soql = fake.queries();
    expect(soql).toHaveLength(2);
    expect(soql[1]).toMatch(/FROM CaseComment WHERE ParentId = '\w{18}' AND CreatedDate >= 2024-05-01T10:00:05Z$/);
    expect(soql.every((q) => !/WHERE.*CommentBody/.test(q))).toBe(true);
  });

  it('hasCommentSince follows nextRecordsUrl across query pages', async () => {
    await fake.stop();
    fake = new SalesforceFakeServer({ queryPageSize: 2 });
    await fake.start();
    const id = fake.addRecord({ id: '', closed: false });
    for (let i = 0; i < 5; i++) fake.seedComment(id, `note ${i}`);
    fake.seedComment(id, UNREACHABLE);

    expect(await newAdapter().hasCommentSince(id, UNREACHABLE, new Date(Date.now() - 60_000), ctx())).toBe(true);
    expect(fake.requestsTo('/query/01g')).toHaveLength(2);
  });
});

describe('reopen', () => {
  it('sets the configured reopenStatus', async () => {
    const id = fake.addRecord({ id: '', closed: true });
    const crm = newCrm({ reopenStatus: 'Working' });

    await crm.reopen(id);

    expect(fake.recordStatus(id)).toBe('Working');
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({
      method: 'PATCH',
      path: `/services/data/v62.0/sobjects/Case/${id}`,
      body: { Status: 'Working' },
    });
    expect(await crm.readRecord(id)).toEqual({ id, state: 'open', rawStatus: 'Working' });
  });

  it("sets the org's default open status when reopenStatus is unset, reading CaseStatus only once", async () => {
    const a = fake.addRecord({ id: '', closed: true });
    const b = fake.addRecord({ id: '', closed: true });
    fake.setStatus(b, 'Closed');
    const crm = newCrm({ reopenStatus: null });

    await crm.reopen(a);
    await crm.reopen(b);

    expect(fake.recordStatus(a)).toBe('New');
    expect(fake.recordStatus(b)).toBe('New');
    expect(fake.recordIsClosed(b)).toBe(false);
    const caseStatusQueries = fake.queries().filter((q) => q.includes('FROM CaseStatus'));
    expect(caseStatusQueries).toHaveLength(1);
    expect(caseStatusQueries[0]).toMatch(/WHERE IsDefault = true AND IsClosed = false/);
  });

  it('uses the default status by its API name when the label was renamed', async () => {
    fake.setCaseStatuses([
      { ApiName: 'Open_Queue', MasterLabel: 'Open (queue)', IsDefault: true, IsClosed: false, SortOrder: 1 },
      { ApiName: 'Closed', MasterLabel: 'Closed', IsDefault: false, IsClosed: true, SortOrder: 2 },
    ]);
    const id = fake.addRecord({ id: '', closed: true });
    await newCrm({ reopenStatus: null }).reopen(id);
    expect(fake.recordStatus(id)).toBe('Open_Queue');
  });

  it('refuses to guess when the org has no default open status, and asks again next time', async () => {
    fake.setCaseStatuses([
      { ApiName: 'New', MasterLabel: 'New', IsDefault: false, IsClosed: false, SortOrder: 1 },
      { ApiName: 'Closed', MasterLabel: 'Closed', IsDefault: true, IsClosed: true, SortOrder: 2 },
    ]);
    const id = fake.addRecord({ id: '', closed: true });
    const crm = newCrm({ reopenStatus: null });

    expect(await failure(crm.reopen(id))).toBeInstanceOf(CrmRejectedError);
    expect(fake.recordStatus(id)).toBe('Closed');

    fake.setCaseStatuses([
      { ApiName: 'New', MasterLabel: 'New', IsDefault: true, IsClosed: false, SortOrder: 1 },
      { ApiName: 'Closed', MasterLabel: 'Closed', IsDefault: false, IsClosed: true, SortOrder: 2 },
    ]);
    await crm.reopen(id);
    expect(fake.recordStatus(id)).toBe('New');
  });

  it('reports an unknown case as not found and a deleted one as refused', async () => {
    const gone = fake.addRecord({ id: '', closed: true });
    fake.deleteRecord(gone);
    const crm = newCrm();
    const unknown = fake.newCaseId();

    const notFound = await failure(crm.reopen(unknown));
    expect(notFound).toBeInstanceOf(RecordNotFoundError);
    expect((notFound as RecordNotFoundError).recordId).toBe(unknown);
    expect(await failure(crm.reopen(gone))).toBeInstanceOf(CrmRejectedError);
  });

  it('reports a validation rule refusal (FIELD_INTEGRITY_EXCEPTION) and a bad status as refused', async () => {
    const id = fake.addRecord({ id: '', closed: true });
    fake.failNext(SalesforceFakeServer.errorReply(400, 'FIELD_INTEGRITY_EXCEPTION', 'Reopening requires a reason', ['Status']));
    expect(await failure(newCrm().reopen(id))).toBeInstanceOf(CrmRejectedError);

    const err = await failure(newCrm({ reopenStatus: 'Reopened' }).reopen(id));
    expect(err).toBeInstanceOf(CrmRejectedError);
    expect(err.message).toMatch(/INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST/);
    expect(fake.recordStatus(id)).toBe('Closed');
  });
});

describe('the fake itself', () => {
  it('gives seeded cases realistic 18-character ids whose suffix encodes the letter case', () => {
    const id = fake.addRecord({ id: '', closed: false });
    expect(id).toMatch(/^500[a-zA-Z0-9]{15}$/);
    expect(id.slice(15)).toBe(salesforceIdSuffix(id.slice(0, 15)));
    expect(salesforceIdSuffix('001A0000006Vm9r')).toBe('IAC'); // Salesforce's documented example
  });
});
