import { beforeAll, describe, expect, it } from 'vitest';
import type { ClosedRecordPolicy } from '../../../src/policy/ClosedRecordPolicy.js';
import { CRM_COMMENTS } from '../../../src/policy/crmComments.js';
import { SalesforceFakeServer } from '../../fakes/SalesforceFakeServer.js';
import { inMs, type TestClient } from '../../support/testApp.js';
import {
  commentsAfterSettle,
  expectActiveCallSkipped,
  expectDuplicatesRefusedWithOneComment,
  expectUnreachableThenOneComment,
  eventTypes,
  schedule,
  settle,
  settled,
  useProviderApp,
  withEvent,
} from './providerE2e.js';

/**
 * SPEC section 4 through the API, the worker and the real Salesforce adapter (jsforce) against the loopback
 * Salesforce fake, for each closed-record policy. The policy starts as configured (`reopen`) and is changed
 * live through the settings store, as the admin API does; it is read when a callback fires.
 */

const fake = new SalesforceFakeServer();
let t: TestClient;
useProviderApp(
  'e2e-salesforce',
  fake,
  () => fake.crmConfig({ closedRecordPolicy: 'reopen' }),
  (app) => (t = app),
);

const setPolicy = (policy: ClosedRecordPolicy) => t.app.services.settings.setClosedRecordPolicy(policy, 'test');
const openCase = () => fake.addRecord({ id: '', closed: false });
const closedCase = () => fake.addRecord({ id: '', closed: true });
const commentPosts = () => fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/sobjects/CaseComment'));
const commentPostsOn = (id: string) => commentPosts().filter((r) => (r.body as { ParentId?: string }).ParentId === id);

describe.concurrent('salesforce, policy reopen (from config)', () => {
  it('closed case: reopened to the configured status, the call dialed, the "reopened" comment written once (IsPublished false)', async () => {
    const id = closedCase();
    const callId = await schedule(t, id);
    const call = await settled(t, callId, 'queued');
    expect(call.events.find((e) => e.type === 'crm_lookup')?.detail).toBe('record closed (status: Closed)');
    expect(call.events.find((e) => e.type === 'decision')?.detail).toContain('reopen');

    expect(await commentsAfterSettle(fake, id)).toEqual([CRM_COMMENTS.reopened]);
    expect(fake.commentRecords(id)[0]!.IsPublished).toBe(false);
    expect(fake.recordStatus(id)).toBe('Working');
    expect(fake.recordIsClosed(id)).toBe(false);
    const after = await withEvent(t, callId, 'comment_written');
    expect(eventTypes(after)).toContain('reopened');
    expect(after.status).toBe('queued');
  });

  it('open case: dialed, no comment, no change to the case', async () => {
    const id = openCase();
    const call = await settled(t, await schedule(t, id), 'queued');
    expect(call.events.find((e) => e.type === 'crm_lookup')?.detail).toBe('record open (status: New)');
    await settle();
    expect(fake.commentsOn(id)).toEqual([]);
    expect(fake.recordStatus(id)).toBe('New');
  });

  it('unknown case: canceled/record_not_found, no comment', async () => {
    const id = fake.newCaseId(); // well-formed, never created
    const call = await settled(t, await schedule(t, id), 'canceled');
    expect(call.fail_reason).toBe('record_not_found');
    await settle();
    expect(commentPostsOn(id)).toHaveLength(0);
  });

  it('another active call on the case: canceled/active_call_exists, its comment written once', async () => {
    const id = openCase();
    await expectActiveCallSkipped(t, fake, id);
    expect(fake.commentRecords(id)[0]!.IsPublished).toBe(false);
  });

  it('duplicate POST for a case with a scheduled call: 409, and one comment however many are refused', async () => {
    await expectDuplicatesRefusedWithOneComment(t, fake, openCase(), commentPostsOn);
  });
});

describe('salesforce, policy cancel', () => {
  beforeAll(() => setPolicy('cancel'));

  it('closed case: canceled/record_closed with the "canceled because the record is closed" comment, not reopened', async () => {
    const id = closedCase();
    const callId = await schedule(t, id);
    const call = await settled(t, callId, 'canceled');
    expect(call.fail_reason).toBe('record_closed');
    expect(await commentsAfterSettle(fake, id)).toEqual([CRM_COMMENTS.record_closed_canceled]);
    expect(fake.commentRecords(id)[0]!.IsPublished).toBe(false);
    expect(fake.recordStatus(id)).toBe('Closed');
    expect(fake.requests.filter((r) => r.method === 'PATCH' && r.path.includes(id))).toHaveLength(0);
    const after = await withEvent(t, callId, 'comment_written');
    expect(eventTypes(after)).not.toContain('reopened');
  });
});

describe('salesforce, policy dont_check', () => {
  beforeAll(() => setPolicy('dont_check'));

  it('closed case: no request reaches Salesforce at all, the call is dialed', async () => {
    const id = closedCase();
    const from = fake.requests.length;
    const call = await settled(t, await schedule(t, id), 'queued');
    expect(eventTypes(call)).not.toContain('crm_lookup');
    await settle();
    expect(fake.requests.slice(from)).toEqual([]);
    expect(fake.recordStatus(id)).toBe('Closed');
  });

  it('still applies the local active-call check and writes its comment once', async () => {
    const id = openCase();
    const from = fake.requests.length;
    await settled(t, await schedule(t, id, inMs(800)), 'queued');
    const secondId = await schedule(t, id, inMs(800));
    expect((await settled(t, secondId, 'canceled')).fail_reason).toBe('active_call_exists');
    expect(await commentsAfterSettle(fake, id)).toEqual([CRM_COMMENTS.active_call_exists]);
    // The only requests are the comment's: no lookup was made.
    expect(fake.requests.slice(from).map((r) => `${r.method} ${new URL(r.path, fake.origin).pathname}`)).toEqual([
      'POST /services/data/v62.0/sobjects/CaseComment',
    ]);
  });
});

describe('salesforce: credentials refused', () => {
  beforeAll(() => setPolicy('reopen'));

  it('401 at fire: canceled/crm_unreachable; the unreachable comment lands once when Salesforce accepts the token again', async () => {
    const id = openCase();
    await expectUnreachableThenOneComment(t, fake, id, { kind: 'unauthorized' }, () => commentPostsOn(id).length > 0);
    expect(fake.commentRecords(id)[0]!.IsPublished).toBe(false);
  });
});

describe('salesforce: batched reads', () => {
  it('30 callbacks due at the same instant are read with at most 2 composite requests', async () => {
    const ids = Array.from({ length: 30 }, openCase);
    const from = fake.requests.length;
    const due = inMs(3000); // leaves time for 30 POSTs on a busy machine
    const callIds = await Promise.all(ids.map((id) => schedule(t, id, due)));
    for (const callId of callIds) await settled(t, callId, 'queued');

    const reads = fake.requests.slice(from).filter((r) => /\/sobjects\/Case(\/|$)/.test(new URL(r.path, fake.origin).pathname));
    expect(reads.length).toBeLessThanOrEqual(2);
    expect(reads.every((r) => r.method === 'POST' && r.path.endsWith('/composite/sobjects/Case'))).toBe(true);
    const asked = new Set(reads.flatMap((r) => (r.body as { ids: string[] }).ids));
    for (const id of ids) expect(asked).toContain(id);
  });
});
