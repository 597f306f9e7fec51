import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CRM_COMMENTS } from '../../../src/policy/crmComments.js';
import { ServiceNowFakeServer } from '../../fakes/ServiceNowFakeServer.js';
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
 * SPEC section 4 through the API, the worker and the real ServiceNow adapter (axios, Table API) against the
 * loopback ServiceNow fake. Comments are journal entries in work_notes (the configured commentField).
 */

const fake = new ServiceNowFakeServer();
let t: TestClient;
useProviderApp(
  'e2e-servicenow',
  fake,
  () => fake.crmConfig(),
  (app) => (t = app),
);

const newSysId = () => randomBytes(16).toString('hex');
const addIncident = (state: string, active: boolean) => fake.addRecord({ id: newSysId(), closed: !active, status: state });
const writesTo = (sysId: string) =>
  fake.requests.filter((r) => r.method === 'PATCH' && r.path.startsWith(`/api/now/table/incident/${sysId}`));

describe.concurrent('servicenow: what happens when a callback fires', () => {
  it('open incident: the call is queued for the dialer, no work note', async () => {
    const id = addIncident('2', true);
    const call = await settled(t, await schedule(t, id), 'queued');
    expect(eventTypes(call)).toEqual(expect.arrayContaining(['fired', 'crm_lookup', 'decision', 'dialed']));
    expect(call.events.find((e) => e.type === 'crm_lookup')?.detail).toBe('record open (status: 2)');
    await settle();
    expect(fake.journal(id)).toEqual([]);
  });

  it.each([
    ['state 6 (Resolved)', '6', true],
    ['state 7 (Closed)', '7', true],
    ['active=false', '2', false],
  ])('closed by %s: canceled/record_closed, the "record is closed" work note written once', async (_, state, active) => {
    const id = addIncident(state, active);
    const callId = await schedule(t, id);
    const call = await settled(t, callId, 'canceled');
    expect(call.fail_reason).toBe('record_closed');
    expect(call.events.find((e) => e.type === 'crm_lookup')?.detail).toBe(`record closed (status: ${state})`);

    expect(await commentsAfterSettle(fake, id)).toEqual([CRM_COMMENTS.record_closed_not_created]);
    expect(fake.journal(id).map((e) => e.element)).toEqual(['work_notes']);
    await withEvent(t, callId, 'comment_written');
  });

  it('a ticket_id given as the incident number (INC...) is looked up and annotated the same way', async () => {
    const sysId = addIncident('7', false);
    const number = fake.numberOf(sysId)!;
    const callId = await schedule(t, number);
    expect((await settled(t, callId, 'canceled')).fail_reason).toBe('record_closed');
    expect(await commentsAfterSettle(fake, sysId)).toEqual([CRM_COMMENTS.record_closed_not_created]);
    expect(writesTo(sysId)).toHaveLength(1);
  });

  it('unknown sys_id: canceled/record_not_found, no work note', async () => {
    const id = newSysId();
    const call = await settled(t, await schedule(t, id), 'canceled');
    expect(call.fail_reason).toBe('record_not_found');
    await settle();
    expect(writesTo(id)).toHaveLength(0);
  });

  it('another active call on the incident: canceled/active_call_exists, its work note written once', async () => {
    const id = addIncident('1', true);
    await expectActiveCallSkipped(t, fake, id);
    expect(fake.journal(id)[0]!.element).toBe('work_notes');
  });

  it('duplicate POST for an incident with a scheduled call: 409, and one work note however many are refused', async () => {
    await expectDuplicatesRefusedWithOneComment(t, fake, addIncident('1', true), writesTo);
  });
});

describe('servicenow: outage', () => {
  it('connection refused at fire: canceled/crm_unreachable; the unreachable work note lands exactly once after recovery', async () => {
    const id = addIncident('2', true);
    // With the port closed no request is logged: the comment job's first attempt has failed after a moment.
    await expectUnreachableThenOneComment(t, fake, id, { kind: 'refuse' }, () => settle(300).then(() => true));
    expect(fake.journal(id)[0]!.element).toBe('work_notes');
    expect(writesTo(id)).toHaveLength(1);
  });

  it('503 at fire: canceled/crm_unreachable; the work note lands once when the instance answers again', async () => {
    const id = addIncident('2', true);
    await expectUnreachableThenOneComment(t, fake, id, { kind: 'down' }, () => writesTo(id).length > 0);
  });
});

describe('servicenow: batched reads', () => {
  it('30 callbacks due at the same instant are read with at most 2 list queries', async () => {
    const ids = Array.from({ length: 30 }, () => addIncident('1', true));
    const from = fake.requests.length;
    const due = inMs(3000); // leaves time for 30 POSTs on a busy machine
    const callIds = await Promise.all(ids.map((id) => schedule(t, id, due)));
    for (const callId of callIds) await settled(t, callId, 'queued');

    const reads = fake.requests.slice(from).filter((r) => r.method === 'GET' && r.path.startsWith('/api/now/table/incident'));
    expect(reads.length).toBeLessThanOrEqual(2);
    const queried = reads.map((r) => new URL(r.path, fake.origin).searchParams.get('sysparm_query') ?? '').join(',');
    for (const id of ids) expect(queried).toContain(id);
  });
});
