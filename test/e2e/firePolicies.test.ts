import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallView } from '../../src/calls/callView.js';
import { CRM_COMMENTS } from '../../src/policy/crmComments.js';
import { InMemoryCrm } from '../support/InMemoryCrm.js';
import { deletePrefix, uniquePrefix } from '../support/redis.js';
import { inMs, jsonBody, startTestApp, waitFor, type TestClient } from '../support/testApp.js';
import { testConfig } from '../support/testConfig.js';

/**
 * Every outcome of SPEC section 4 through the API and the worker, with an in-test implementation of the CRM
 * port (the vendor adapters have their own end-to-end tests in test/e2e/providers).
 */

type Provider = 'salesforce' | 'zendesk' | 'servicenow';

interface Env {
  t: TestClient;
  crm: InMemoryCrm;
  prefix: string;
}

const envs: Env[] = [];
let seq = 0;

async function startEnv(provider: Provider, policy: 'reopen' | 'cancel' | 'dont_check' = 'reopen'): Promise<Env> {
  const prefix = uniquePrefix(`e2e-policy-${provider}-${policy}`);
  const crm = new InMemoryCrm(provider);
  // The adapter is the in-memory one; the sections only satisfy the config schema.
  const crmConfig = {
    salesforce: { instanceUrl: 'http://127.0.0.1:1', accessToken: 'unused', closedRecordPolicy: policy },
    zendesk: { url: 'http://127.0.0.1:1/api/v2', email: 'a@example.com', token: 'unused' },
    servicenow: { instanceUrl: 'http://127.0.0.1:1', username: 'u', password: 'unused' },
  };
  const t = await startTestApp(
    testConfig(prefix, { crm: { provider, lookup: { timeoutMs: 300, attempts: 2, budgetMs: 1000 }, ...crmConfig } }),
    { crmAdapter: crm },
  );
  const env = { t, crm, prefix };
  envs.push(env);
  return env;
}

function ticket(env: Env, closed: boolean, status = closed ? 'Closed' : 'New'): string {
  seq += 1;
  const id = `T${seq}${Date.now() % 100000}`;
  env.crm.records.set(id, { closed, status });
  return id;
}

async function schedule(env: Env, ticketId: string | null, inMillis = 800) {
  const res = await env.t.api('POST', '/apps/api/v1/calls', {
    call_type: 'Voice Scheduled (API)',
    menu_id: 9,
    end_user_number: '+18596579625',
    scheduled_at: inMs(inMillis),
    ...(ticketId ? { ticket_id: ticketId } : {}),
  });
  expect(res.status).toBe(201);
  return jsonBody<CallView>(res);
}

async function getCall(env: Env, id: number) {
  return jsonBody<CallView>(await env.t.api('GET', `/apps/api/v1/calls/${id}`));
}

async function settled(env: Env, id: number, status: string) {
  return waitFor(
    async () => {
      const call = await getCall(env, id);
      return call.status === status ? call : null;
    },
    15_000,
    `call ${id} to become ${status}`,
  );
}

const eventTypes = (call: { events: Array<{ type: string }> }) => call.events.map((e) => e.type);

afterAll(async () => {
  for (const env of envs) {
    await env.t.app.close();
    await deletePrefix(env.prefix);
  }
});

describe.each(['zendesk', 'servicenow'] as const)('%s', (provider) => {
  let env: Env;
  beforeAll(async () => {
    env = await startEnv(provider);
  });

  it('open record: dials, writes no comment', async () => {
    const id = ticket(env, false);
    const call = await settled(env, (await schedule(env, id)).id, 'queued');
    expect(call.fail_reason).toBe('nothing');
    expect(eventTypes(call)).toContain('crm_lookup');
    expect(env.crm.commentsOn(id)).toEqual([]);
  });

  it('closed record: skipped as canceled/record_closed with the "record is closed" comment, once', async () => {
    const id = ticket(env, true, provider === 'zendesk' ? 'solved' : '7');
    const call = await settled(env, (await schedule(env, id)).id, 'canceled');
    expect(call.fail_reason).toBe('record_closed');
    await waitFor(() => env.crm.commentsOn(id).length > 0);
    expect(env.crm.commentsOn(id)).toEqual([CRM_COMMENTS.record_closed_not_created]);
    const after = await getCall(env, call.id);
    expect(eventTypes(after)).toContain('comment_written');
    expect(after.events.find((e) => e.type === 'crm_lookup')?.detail).toContain(provider === 'zendesk' ? 'solved' : '7');
  });

  it('record not found: canceled/record_not_found, no comment', async () => {
    env.crm.records.set('GHOST1', { closed: false, status: 'x' });
    env.crm.records.delete('GHOST1');
    const call = await settled(env, (await schedule(env, 'GHOST1')).id, 'canceled');
    expect(call.fail_reason).toBe('record_not_found');
    await new Promise((r) => setTimeout(r, 300));
    expect(env.crm.comments.filter((c) => c.id === 'GHOST1')).toEqual([]);
  });
});

describe('active call on the same record', () => {
  it('skips the second callback with the "already has an active scheduled call" comment', async () => {
    const env = await startEnv('zendesk');
    const id = ticket(env, false);
    const first = await settled(env, (await schedule(env, id, 500)).id, 'queued'); // now active (queued)
    const second = await settled(env, (await schedule(env, id, 500)).id, 'canceled');
    expect(second.fail_reason).toBe('active_call_exists');
    await waitFor(() => env.crm.commentsOn(id).length > 0);
    expect(env.crm.commentsOn(id)).toEqual([CRM_COMMENTS.active_call_exists]);

    // Once the first call is finished, the record has no active call: the next callback dials.
    for (const status of ['connected', 'finished']) {
      expect((await env.t.api('PATCH', `/apps/api/v1/calls/${first.id}`, { status })).status).toBe(200);
    }
    await settled(env, (await schedule(env, id, 500)).id, 'queued');
  });
});

describe('salesforce closed-record policies', () => {
  it('reopen: reopens the record, dials, writes the "reopened" comment once', async () => {
    const env = await startEnv('salesforce', 'reopen');
    const id = ticket(env, true);
    const call = await settled(env, (await schedule(env, id)).id, 'queued');
    expect(call.fail_reason).toBe('nothing');
    await waitFor(() => env.crm.commentsOn(id).length > 0);
    expect(env.crm.reopened).toEqual([id]);
    expect(env.crm.records.get(id)!.closed).toBe(false);
    expect(env.crm.commentsOn(id)).toEqual([CRM_COMMENTS.reopened]);
    await waitFor(async () => eventTypes(await getCall(env, call.id)).includes('reopened'));
  });

  it('cancel: canceled/record_closed with the "canceled because the record is closed" comment', async () => {
    const env = await startEnv('salesforce', 'cancel');
    const id = ticket(env, true);
    const call = await settled(env, (await schedule(env, id)).id, 'canceled');
    expect(call.fail_reason).toBe('record_closed');
    await waitFor(() => env.crm.commentsOn(id).length > 0);
    expect(env.crm.commentsOn(id)).toEqual([CRM_COMMENTS.record_closed_canceled]);
    expect(env.crm.reopened).toEqual([]);
  });

  it('dont_check: no lookup at all, dials a closed record', async () => {
    const env = await startEnv('salesforce', 'dont_check');
    const id = ticket(env, true);
    const call = await settled(env, (await schedule(env, id)).id, 'queued');
    expect(env.crm.readBatches).toEqual([]);
    expect(eventTypes(call)).not.toContain('crm_lookup');
    expect(env.crm.commentsOn(id)).toEqual([]);
  });

  it('dont_check still applies the local active-call check and writes its comment', async () => {
    const env = await startEnv('salesforce', 'dont_check');
    const id = ticket(env, false);
    await settled(env, (await schedule(env, id, 400)).id, 'queued');
    const second = await settled(env, (await schedule(env, id, 400)).id, 'canceled');
    expect(second.fail_reason).toBe('active_call_exists');
    await waitFor(() => env.crm.commentsOn(id).length > 0);
    expect(env.crm.commentsOn(id)).toEqual([CRM_COMMENTS.active_call_exists]);
  });
});

describe('CRM outage', () => {
  it('cancels while the CRM is down and delivers the unreachable comment exactly once when it is back', async () => {
    const env = await startEnv('servicenow');
    const id = ticket(env, false);
    env.crm.down = true;
    const call = await settled(env, (await schedule(env, id)).id, 'canceled');
    expect(call.fail_reason).toBe('crm_unreachable');
    await new Promise((r) => setTimeout(r, 500));
    expect(env.crm.commentsOn(id)).toEqual([]);
    env.crm.down = false;
    await waitFor(() => env.crm.commentsOn(id).length > 0, 15_000, 'the unreachable comment after recovery');
    await new Promise((r) => setTimeout(r, 500));
    expect(env.crm.commentsOn(id)).toEqual([CRM_COMMENTS.crm_unreachable]);
  });

  it('treats a read the CRM refuses for good as unreachable: canceled at once, comment queued, dry run agrees', async () => {
    const env = await startEnv('servicenow');
    const id = ticket(env, false);
    env.crm.rejectReads = true;
    const explain = await env.t.admin('POST', '/admin/v1/explain', { ticket_id: id });
    expect(explain.status).toBe(200);
    expect(await explain.json()).toMatchObject({
      decision: 'cancel',
      fail_reason: 'crm_unreachable',
      comment: CRM_COMMENTS.crm_unreachable,
    });
    const call = await settled(env, (await schedule(env, id)).id, 'canceled');
    expect(call.fail_reason).toBe('crm_unreachable');
    await waitFor(() => env.crm.commentsOn(id).length > 0);
    expect(env.crm.commentsOn(id)).toEqual([CRM_COMMENTS.crm_unreachable]);
  });

  it('records a permanently refused comment as undeliverable and does not retry it', async () => {
    const env = await startEnv('zendesk');
    const id = ticket(env, true, 'closed');
    env.crm.refuseCommentsOn.add(id);
    const call = await settled(env, (await schedule(env, id)).id, 'canceled');
    const withEvent = await waitFor(async () => {
      const c = await getCall(env, call.id);
      return eventTypes(c).includes('comment_undeliverable') ? c : null;
    });
    expect(withEvent.fail_reason).toBe('record_closed');
    expect(env.crm.commentsOn(id)).toEqual([]);
  });
});

describe('batched reads', () => {
  it('reads the records of callbacks due together in one batch', async () => {
    const env = await startEnv('zendesk');
    const ids = Array.from({ length: 12 }, () => ticket(env, false));
    const due = inMs(1200);
    const created = await Promise.all(
      ids.map(async (id) => {
        const res = await env.t.api('POST', '/apps/api/v1/calls', {
          call_type: 'Voice Scheduled (API)',
          menu_id: 9,
          end_user_number: '+18596579625',
          scheduled_at: due,
          ticket_id: id,
        });
        return (await jsonBody<CallView>(res)).id;
      }),
    );
    for (const id of created) await settled(env, id, 'queued');
    const batchesWithOurIds = env.crm.readBatches.filter((b) => b.some((id) => ids.includes(id)));
    expect(batchesWithOurIds.length).toBeLessThanOrEqual(2);
    expect(batchesWithOurIds.flat().sort()).toEqual([...ids].sort());
  });
});
