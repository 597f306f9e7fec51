import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AppConfig } from '../../../src/config/schema.js';
import { CRM_COMMENTS } from '../../../src/policy/crmComments.js';
import type { FakeCrmServer } from '../../fakes/FakeCrmServer.js';
import { SalesforceFakeServer } from '../../fakes/SalesforceFakeServer.js';
import { ServiceNowFakeServer } from '../../fakes/ServiceNowFakeServer.js';
import { ZendeskFakeServer } from '../../fakes/ZendeskFakeServer.js';
import { DialerStub } from '../../support/DialerStub.js';
import { deletePrefix, uniquePrefix } from '../../support/redis.js';
import { inMs, startTestApp, waitFor, type TestClient } from '../../support/testApp.js';
import { DIALER_SECRET, testConfig } from '../../support/testConfig.js';
import { getCall } from '../../api/callApi.js';
import { killAllWorkerProcesses, startWorkerProcess } from '../workerProcess.js';
import { eventTypes, schedule, settle, settled, withEvent } from './providerE2e.js';

/**
 * A worker process dies (SIGKILL) in the middle of a job, and another worker process finishes it
 * (SPEC section 4 and 8: side effects exactly once even when a worker dies mid-job).
 *
 * The workers run `src/main.ts` with ROLE=worker in child processes; the API runs in this process without a
 * worker. The vendor fake carries out the request but holds its answer (`hold_response`), so the worker is
 * killed while the outcome of its request is unknown to it: the comment is already on the record, or the
 * lookup has been answered to nobody.
 */

const HOLD_MS = 60_000; // far longer than the test: the held answer never reaches the killed worker
/**
 * Request timeouts longer than the hold: the first worker must still be waiting for its answer when it is killed
 * (with a short timeout it would give up by itself and retry, which is another test's subject).
 */
const PATIENT_LOOKUP = { timeoutMs: 30_000, attempts: 2, budgetMs: 60_000 };

const cleanups: Array<() => Promise<void>> = [];
const tempDir = mkdtempSync(join(tmpdir(), 'cbo-killed-worker-'));

afterAll(async () => {
  // Always, also after a failed assertion: no worker process may outlive the test file.
  killAllWorkerProcesses();
  for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  rmSync(tempDir, { recursive: true, force: true });
});

interface Scenario {
  t: TestClient;
  configFile: string;
  /** The dialer webhook of this scenario's workers (call ids are only unique within one prefix). */
  dialer: DialerStub;
}

/** The API in this process (no worker), and the config file the worker processes read: same prefix, same CRM. */
async function startScenario(name: string, fake: FakeCrmServer): Promise<Scenario> {
  const prefix = uniquePrefix(`e2e-killed-${name}`);
  const dialer = new DialerStub();
  await Promise.all([fake.start(), dialer.start()]);
  const overrides = {
    crm: { ...fake.crmConfig(), lookup: PATIENT_LOOKUP },
    dialer: { kind: 'webhook', url: dialer.url, secret: DIALER_SECRET },
  };
  const config: AppConfig = testConfig(prefix, overrides);
  const t = await startTestApp(config, { worker: false });
  cleanups.push(async () => {
    await t.app.close();
    await Promise.all([fake.stop(), dialer.stop()]);
    await deletePrefix(prefix);
  });
  const configFile = join(tempDir, `${name}.json`);
  writeFileSync(configFile, JSON.stringify({ ...config, logLevel: 'info' }));
  return { t, configFile, dialer };
}

// The scenarios run side by side: most of their time is spent starting worker processes (tsx) and waiting for
// the dead worker's job lock to expire (5 s with STALLED_INTERVAL_MS=1000, see lockDurationMs).
describe.concurrent('a worker killed mid-job', { timeout: 60_000 }, () => {
  it.each([
    ['zendesk', () => new ZendeskFakeServer(), (f: FakeCrmServer) => f.addRecord({ id: '', closed: true, status: 'solved' }), 'PUT'],
    [
      'servicenow',
      () => new ServiceNowFakeServer(),
      (f: FakeCrmServer) => f.addRecord({ id: randomBytes(16).toString('hex'), closed: false, status: '7' }),
      'PATCH',
    ],
  ] as const)(
    '%s: killed while the comment write is unanswered; the next worker finds the comment and does not write it again',
    async (name, makeFake, addClosedRecord, writeMethod) => {
      const fake = makeFake();
      const { t, configFile } = await startScenario(`comment-${name}`, fake);
      const recordId = addClosedRecord(fake);
      const writes = () => fake.requests.filter((r) => r.method === writeMethod);
      await fake.setMode({ kind: 'hold_response', delayMs: HOLD_MS, matching: (method) => method === writeMethod });

      const first = await startWorkerProcess(configFile);
      const callId = await schedule(t, recordId, inMs(1500));
      await waitFor(() => fake.commentsOn(recordId).length === 1, 15_000, 'the comment to reach the CRM (answer held)');
      await first.kill();
      await fake.setMode({ kind: 'normal' });
      const before = await getCall(t, callId);
      expect(eventTypes(before)).not.toContain('comment_written'); // the killed worker never heard back

      const second = await startWorkerProcess(configFile);
      const after = await withEvent(t, callId, 'comment_written', 25_000).catch((err: Error) => {
        throw new Error(`${err.message}\nsecond worker output:\n${second.output()}`);
      });
      await settle(1000);
      expect(fake.commentsOn(recordId)).toEqual([CRM_COMMENTS.record_closed_not_created]);
      expect(writes()).toHaveLength(1);
      expect(after.status).toBe('canceled');
      expect(after.fail_reason).toBe('record_closed');
      expect(eventTypes(await getCall(t, callId)).filter((e) => e === 'comment_written')).toHaveLength(1);
      await second.kill();
    },
  );

  it('zendesk: killed while the fire-time lookup is unanswered; the next worker completes both calls once', async () => {
    const fake = new ZendeskFakeServer();
    const { t, configFile, dialer } = await startScenario('fire-zendesk', fake);
    const openId = fake.addRecord({ id: '', closed: false });
    const solvedId = fake.addRecord({ id: '', closed: true, status: 'solved' });
    const isLookup = (method: string, path: string) => method === 'GET' && /^\/api\/v2\/tickets\/(show_many|\d+)\.json/.test(path);
    const lookedUp = (id: string) => fake.requests.some((r) => isLookup(r.method, r.path) && r.path.includes(id));
    await fake.setMode({ kind: 'hold_response', delayMs: HOLD_MS, matching: isLookup });

    const first = await startWorkerProcess(configFile);
    const due = inMs(1500);
    const [openCall, solvedCall] = await Promise.all([schedule(t, openId, due), schedule(t, solvedId, due)]);
    await waitFor(() => lookedUp(openId) && lookedUp(solvedId), 15_000, 'both lookups to reach the CRM (answers held)');
    await first.kill();
    await fake.setMode({ kind: 'normal' });
    for (const id of [openCall, solvedCall]) {
      const call = await getCall(t, id);
      expect(call.status).toBe('scheduled'); // its fire step was waiting for the lookup: nothing is recorded before the decision
      expect(eventTypes(call)).toEqual(['scheduled']);
    }

    const second = await startWorkerProcess(configFile);
    const failWith = (err: Error) => {
      throw new Error(`${err.message}\nsecond worker output:\n${second.output()}`);
    };
    const dialed = await settled(t, openCall, 'queued', 25_000).catch(failWith);
    const skipped = await settled(t, solvedCall, 'canceled', 25_000).catch(failWith);
    expect(skipped.fail_reason).toBe('record_closed');
    await withEvent(t, solvedCall, 'comment_written');
    await settle(1000);

    expect(dialer.forCall(openCall)).toHaveLength(1);
    expect(dialer.forCall(solvedCall)).toHaveLength(0);
    expect(eventTypes(dialed).filter((e) => e === 'fired')).toHaveLength(1);
    expect(eventTypes(dialed).filter((e) => e === 'dialed')).toHaveLength(1);
    expect(fake.commentsOn(solvedId)).toEqual([CRM_COMMENTS.record_closed_not_created]);
    expect(fake.commentsOn(openId)).toEqual([]);
    await second.kill();
  });

  it('salesforce (reopen): killed while the reopen is unanswered; the next worker reopens, dials once, comments once', async () => {
    const fake = new SalesforceFakeServer();
    const { t, configFile, dialer } = await startScenario('reopen-salesforce', fake);
    const caseId = fake.addRecord({ id: '', closed: true });
    const isReopen = (method: string, path: string) => method === 'PATCH' && path.includes('/sobjects/Case/');
    await fake.setMode({ kind: 'hold_response', delayMs: HOLD_MS, matching: isReopen });

    const first = await startWorkerProcess(configFile);
    const callId = await schedule(t, caseId, inMs(1500));
    await waitFor(() => fake.recordStatus(caseId) === 'Working', 15_000, 'the reopen to reach the CRM (answer held)');
    // The fire job runs beside the reopen job; let it finish, so that the crash is in the reopen alone (a crash
    // between the dialer's 2xx and `queued` may offer the call again, by design, with the same key).
    await settled(t, callId, 'queued');
    await first.kill();
    await fake.setMode({ kind: 'normal' });
    expect(fake.commentsOn(caseId)).toEqual([]);

    const second = await startWorkerProcess(configFile);
    const after = await withEvent(t, callId, 'comment_written', 25_000).catch((err: Error) => {
      throw new Error(`${err.message}\nsecond worker output:\n${second.output()}`);
    });
    await settle(1000);
    expect(fake.commentsOn(caseId)).toEqual([CRM_COMMENTS.reopened]);
    expect(fake.commentRecords(caseId)[0]!.IsPublished).toBe(false);
    expect(fake.recordStatus(caseId)).toBe('Working');
    expect(after.status).toBe('queued');
    expect(eventTypes(after).filter((e) => e === 'reopened')).toHaveLength(1);
    expect(dialer.forCall(callId)).toHaveLength(1);
    expect(dialer.forCall(callId)[0]!.headers['idempotency-key']).toBe(`call-${callId}`);
    await second.kill();
  });
});
