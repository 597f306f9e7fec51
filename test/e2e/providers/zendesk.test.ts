import { describe, expect, it } from 'vitest';
import { CRM_COMMENTS } from '../../../src/policy/crmComments.js';
import { ZendeskFakeServer } from '../../fakes/ZendeskFakeServer.js';
import { inMs, waitFor, type TestClient } from '../../support/testApp.js';
import {
  commentsAfterSettle,
  expectActiveCallSkipped,
  expectDuplicatesRefusedWithOneComment,
  expectUnreachableThenOneComment,
  effectJobState,
  eventTypes,
  schedule,
  settle,
  settled,
  useProviderApp,
  withEvent,
} from './providerE2e.js';

/**
 * SPEC section 4 through the API, the worker and the real Zendesk adapter (node-zendesk) against the loopback
 * Zendesk fake: the lookup, the decision, and the exact comment as it lands on the ticket.
 */

const fake = new ZendeskFakeServer();
let t: TestClient;
useProviderApp(
  'e2e-zendesk',
  fake,
  () => fake.crmConfig(),
  (app) => (t = app),
);

const updatesOf = (id: string) => fake.requests.filter((r) => r.method === 'PUT' && r.path.startsWith(`/api/v2/tickets/${id}.json`));

describe.concurrent('zendesk: what happens when a callback fires', () => {
  it('open ticket: the call is queued for the dialer, no comment', async () => {
    const id = fake.addRecord({ id: '', closed: false });
    const call = await settled(t, await schedule(t, id), 'queued');
    expect(eventTypes(call)).toEqual(expect.arrayContaining(['fired', 'crm_lookup', 'decision', 'dialed']));
    expect(call.events.find((e) => e.type === 'crm_lookup')?.detail).toContain('open');
    await settle();
    expect(fake.commentsOn(id)).toEqual([]);
    expect(updatesOf(id)).toHaveLength(0);
  });

  it('solved ticket: canceled/record_closed, the "record is closed" comment written once as a private comment', async () => {
    const id = fake.addRecord({ id: '', closed: true, status: 'solved' });
    const callId = await schedule(t, id);
    const call = await settled(t, callId, 'canceled');
    expect(call.fail_reason).toBe('record_closed');
    expect(call.events.find((e) => e.type === 'crm_lookup')?.detail).toContain('solved');

    expect(await commentsAfterSettle(fake, id)).toEqual([CRM_COMMENTS.record_closed_not_created]);
    expect(fake.commentRecords(id)[0]!.public).toBe(false);
    expect(updatesOf(id)).toHaveLength(1);
    const after = await withEvent(t, callId, 'comment_written');
    expect(after.events.find((e) => e.type === 'comment_written')?.detail).toBe(CRM_COMMENTS.record_closed_not_created);
  });

  it('closed ticket: canceled/record_closed; Zendesk refuses the comment (422) once, recorded as comment_undeliverable, not retried', async () => {
    const id = fake.addRecord({ id: '', closed: true, status: 'closed' });
    const callId = await schedule(t, id);
    const call = await settled(t, callId, 'canceled');
    expect(call.fail_reason).toBe('record_closed');

    const after = await withEvent(t, callId, 'comment_undeliverable');
    expect(after.events.find((e) => e.type === 'comment_undeliverable')?.detail).toContain(CRM_COMMENTS.record_closed_not_created);
    expect(eventTypes(after)).not.toContain('comment_written');
    // Not retried: the side-effect job ended (completed, not waiting for a retry) after one attempt.
    const job = await waitFor(
      async () => {
        const state = await effectJobState(t, callId, 'comment', 'record_closed_not_created');
        return state?.state === 'active' ? null : state;
      },
      5000,
      'the comment job to end',
    );
    expect(job).toEqual({ state: 'completed', attemptsMade: 1 });
    await settle();
    expect(updatesOf(id)).toHaveLength(1);
    expect(fake.commentsOn(id)).toEqual([]);
  });

  it('unknown ticket: canceled/record_not_found, no comment', async () => {
    const id = '987654321';
    const call = await settled(t, await schedule(t, id), 'canceled');
    expect(call.fail_reason).toBe('record_not_found');
    await settle();
    expect(updatesOf(id)).toHaveLength(0);
  });

  it('another active call on the ticket: canceled/active_call_exists, its comment written once', async () => {
    const id = fake.addRecord({ id: '', closed: false });
    await expectActiveCallSkipped(t, fake, id);
    expect(fake.commentRecords(id)[0]!.public).toBe(false);
  });

  it('duplicate POST for a ticket with a scheduled call: 409, and one comment however many are refused', async () => {
    await expectDuplicatesRefusedWithOneComment(t, fake, fake.addRecord({ id: '', closed: false }), updatesOf);
  });
});

describe('zendesk: outage', () => {
  it('CRM down at fire: canceled/crm_unreachable; the unreachable comment lands exactly once when Zendesk is back', async () => {
    const id = fake.addRecord({ id: '', closed: false });
    const after = await expectUnreachableThenOneComment(t, fake, id, { kind: 'down' }, () => updatesOf(id).length > 0);
    expect([after.status, after.fail_reason]).toEqual(['canceled', 'crm_unreachable']);
  });
});

describe('zendesk: batched reads', () => {
  it('30 callbacks due at the same instant are read with at most 2 show_many requests', async () => {
    const ids = Array.from({ length: 30 }, () => fake.addRecord({ id: '', closed: false }));
    const idSet = new Set(ids);
    const from = fake.requests.length;
    const due = inMs(3000); // leaves time for 30 POSTs on a busy machine
    const callIds = await Promise.all(ids.map((id) => schedule(t, id, due)));
    for (const callId of callIds) await settled(t, callId, 'queued');

    const reads = fake.requests.slice(from).filter((r) => r.method === 'GET' && /^\/api\/v2\/tickets\/(show_many|\d+)\.json/.test(r.path));
    const idsRead = reads.flatMap((r) => {
      const url = new URL(r.path, fake.origin);
      return url.pathname.endsWith('show_many.json')
        ? (url.searchParams.get('ids') ?? '').split(',')
        : [/(\d+)\.json$/.exec(url.pathname)![1]!];
    });
    expect(reads.length).toBeLessThanOrEqual(2);
    expect(reads.every((r) => r.path.startsWith('/api/v2/tickets/show_many.json'))).toBe(true);
    expect(new Set(idsRead.filter((i) => idSet.has(i)))).toEqual(idSet);
  });
});
