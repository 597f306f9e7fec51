import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCrmAdapter } from '../../adapters/createCrmAdapter.js';
import { NoCrm } from '../../adapters/none/NoCrm.js';
import { CrmError, CrmRejectedError } from '../../src/crm/errors.js';
import { CALLS, callBody, createCall, expectError, getCall, waitForStatus } from '../api/callApi.js';
import { deletePrefix, uniquePrefix } from '../support/redis.js';
import { inMs, startTestApp, type TestClient } from '../support/testApp.js';
import { testConfig } from '../support/testConfig.js';

const ctx = { timeoutMs: 1000, signal: new AbortController().signal };

describe('NoCrm: the CRM port when crm.provider is "none"', () => {
  const crm = new NoCrm();

  it('is what createCrmAdapter builds for provider none', () => {
    const adapter = createCrmAdapter(testConfig('unused').crm, { logger: pino({ level: 'silent' }) });
    expect(adapter).toBeInstanceOf(NoCrm);
    expect(adapter.provider).toBe('none');
  });

  it('accepts plain ticket ids as they are, and nothing that could be a query', () => {
    for (const id of ['T-1', 'abc_DEF.42', '500Ab00000XyZ12', 'A'.repeat(64)]) {
      expect(crm.isValidRecordId(id), id).toBe(true);
      expect(crm.canonicalRecordId(id)).toBe(id);
    }
    for (const id of ['', 'A'.repeat(65), '1 OR 1=1', 'a/b', "x'y", 'id^ORactive=true']) expect(crm.isValidRecordId(id), id).toBe(false);
  });

  it('a record read is a bug of the caller, never a CRM failure that would pass for "unreachable"', async () => {
    const err = await crm.readRecords(['T-1'], ctx).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(CrmError);
  });

  it('a comment or a reopen, should one ever be asked for, is refused for good (undeliverable, not retried)', async () => {
    for (const attempt of [crm.addComment('T-1', 'a comment', ctx), crm.reopen('T-1', ctx)]) {
      const err = await attempt.then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(CrmRejectedError);
      expect((err as CrmRejectedError).retryable).toBe(false);
    }
    expect(await crm.hasCommentSince('T-1', 'a comment', new Date(0), ctx)).toBe(false);
  });
});

describe('an app without a CRM', () => {
  const prefix = uniquePrefix('no-crm');
  let t: TestClient;

  beforeAll(async () => {
    t = await startTestApp(testConfig(prefix));
  });

  afterAll(async () => {
    await t?.app.close();
    await deletePrefix(prefix);
  });

  const crmEffectJobs = async () => {
    const counts = await t.app.services.queues.crmEffects.getJobCounts(
      'waiting',
      'active',
      'delayed',
      'prioritized',
      'completed',
      'failed',
    );
    return Object.values(counts).reduce((a, b) => a + b, 0);
  };

  it('refuses a duplicate with 409 but asks for no comment', async () => {
    await createCall(t, { ticket_id: 'NOCRM-DUP' });
    await expectError(
      await t.api('POST', CALLS, callBody({ ticket_id: 'NOCRM-DUP' })),
      409,
      'A scheduled call was not created because the record already has an active scheduled call.',
    );
    expect(await crmEffectJobs()).toBe(0);
  });

  it('dials a due call with a ticket without any lookup or CRM side effect, reported with provider none', async () => {
    const call = await createCall(t, { ticket_id: 'NOCRM-FIRE', scheduled_at: inMs(150) });
    await waitForStatus(t, call.id, 'queued');
    const types = (await getCall(t, call.id)).events.map((e) => e.type);
    expect(types).toContain('dialed');
    expect(types).not.toContain('crm_lookup');
    expect(await crmEffectJobs()).toBe(0);
    expect(t.app.services.crm.provider).toBe('none');
  });

  it('the dry run answers dial, without a lookup', async () => {
    const res = await t.admin('POST', '/admin/v1/explain', { ticket_id: 'NOCRM-EXPLAIN' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      decision: 'dial',
      reopen: false,
      comment: null,
      fail_reason: null,
      crm_status: null,
      calling: null,
    });
  });
});
