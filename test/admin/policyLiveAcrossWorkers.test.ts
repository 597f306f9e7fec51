import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallView } from '../../src/calls/callView.js';
import { CRM_COMMENTS } from '../../src/policy/crmComments.js';
import { SalesforceFakeServer } from '../fakes/SalesforceFakeServer.js';
import { deletePrefix, uniquePrefix } from '../support/redis.js';
import { inMs, jsonBody, startTestApp, waitFor, type TestClient } from '../support/testApp.js';
import { testConfig } from '../support/testConfig.js';

/**
 * SPEC 3.3: a policy change applies to every worker for callbacks that fire after it, with no restart.
 * Two worker processes (`ROLE=worker node --import tsx src/main.ts`) share one Redis with the API (in this
 * process); callbacks on closed Salesforce cases are scheduled under one policy and fire under another.
 */

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const prefix = uniquePrefix('admin-live-policy');
const configFile = join(tmpdir(), `${prefix}.json`);
const sf = new SalesforceFakeServer();
const CALLS_PER_PHASE = 4;

interface WorkerProcess {
  name: string;
  child: ChildProcess;
  logs: Array<Record<string, unknown>>;
  stderr: string[];
}
const workers: WorkerProcess[] = [];
let t: TestClient;

function spawnWorker(name: string): WorkerProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, ROLE: 'worker', CONFIG_FILE: configFile };
  delete env.PORT;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const w: WorkerProcess = { name, child, logs: [], stderr: [] };
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      try {
        w.logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        w.stderr.push(line);
      }
    }
  });
  child.stderr.on('data', (chunk: Buffer) => w.stderr.push(chunk.toString('utf8')));
  return w;
}

async function stopWorker(w: WorkerProcess): Promise<void> {
  if (w.child.exitCode !== null || w.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => w.child.once('exit', () => resolve()));
  w.child.kill('SIGTERM');
  const timer = setTimeout(() => w.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Which worker process logged the outcome of a call. */
const handledBy = (callId: number) =>
  workers
    .filter((w) =>
      w.logs.some((l) => l.callId === callId && (l.msg === 'callback handed to the dialer' || l.msg === 'callback not dialed')),
    )
    .map((w) => w.name);

beforeAll(async () => {
  await sf.start();
  const crm = { ...sf.crmConfig({ closedRecordPolicy: 'reopen' }), lookup: { timeoutMs: 3000, attempts: 2, budgetMs: 6000 } };
  const config = testConfig(prefix, { crm });
  // The workers: one fire job at a time each, so that callbacks due together are shared out between them.
  writeFileSync(configFile, JSON.stringify({ ...config, logLevel: 'info', worker: { concurrency: 1, batchWindowMs: 0 } }));
  workers.push(spawnWorker('worker-1'), spawnWorker('worker-2'));
  t = await startTestApp(config, { worker: false });
  for (const w of workers) {
    await waitFor(
      () => {
        if (w.child.exitCode !== null) throw new Error(`${w.name} exited with ${w.child.exitCode}: ${w.stderr.join('')}`);
        return w.logs.some((l) => l.msg === 'callback-orchestrator started');
      },
      20_000,
      `${w.name} to start`,
    );
  }
  // Each CRM request takes a moment, so a worker busy with one callback leaves the next to the other worker.
  await sf.setMode({ kind: 'slow', delayMs: 150 });
}, 40_000);

afterAll(async () => {
  await Promise.all(workers.map(stopWorker));
  await t?.app.close();
  await sf.stop();
  await deletePrefix(prefix);
  rmSync(configFile, { force: true });
});

const setPolicy = async (value: string) => {
  const res = await t.admin('PUT', '/admin/v1/settings/crm', { salesforce: { closedRecordPolicy: value } });
  expect(res.status).toBe(200);
};

/** Closed cases, each with a callback due at `dueAt`. */
async function scheduleOnClosedCases(dueAt: string) {
  const out: Array<{ caseId: string; callId: number }> = [];
  for (let i = 0; i < CALLS_PER_PHASE; i++) {
    const caseId = sf.addRecord({ id: '', closed: true });
    const res = await t.api('POST', '/apps/api/v1/calls', {
      call_type: 'Voice Scheduled (API)',
      menu_id: 9,
      end_user_number: '+1 859-657-9625',
      scheduled_at: dueAt,
      ticket_id: caseId,
    });
    expect(res.status).toBe(201);
    out.push({ caseId, callId: (await jsonBody<CallView>(res)).id });
  }
  return out;
}

const getCall = async (id: number) => jsonBody<CallView>(await t.api('GET', `/apps/api/v1/calls/${id}`));

async function waitForStatus(ids: number[], status: string) {
  return waitFor(
    async () => {
      const calls = await Promise.all(ids.map(getCall));
      return calls.every((c) => c.status === status) ? calls : null;
    },
    15_000,
    `calls ${ids.join(', ')} to be ${status}`,
  );
}

describe('the closed-record policy is live across worker processes', () => {
  it('follows the policy in force when each callback fires, in both workers, without a restart', async () => {
    const pids = workers.map((w) => w.child.pid);

    // 1. `reopen` (from the config file): the case is reopened and the call dialled.
    const reopenPhase = await scheduleOnClosedCases(inMs(800));
    const reopened = await waitForStatus(
      reopenPhase.map((c) => c.callId),
      'queued',
    );
    for (const call of reopened) {
      const decision = call.events.find((e) => e.type === 'decision');
      expect(decision?.detail).toMatch(/^dial reopen/);
    }
    for (const { caseId } of reopenPhase) {
      await waitFor(() => sf.recordIsClosed(caseId) === false && sf.commentsOn(caseId).length === 1, 10_000, `case ${caseId} reopened`);
      expect(sf.recordStatus(caseId)).toBe('Working');
      expect(sf.commentsOn(caseId)).toEqual([CRM_COMMENTS.reopened]);
    }

    // 2. Scheduled while `reopen` is in force, changed to `cancel` before they fire: they are canceled.
    const cancelPhase = await scheduleOnClosedCases(inMs(1200));
    await setPolicy('cancel');
    const canceled = await waitForStatus(
      cancelPhase.map((c) => c.callId),
      'canceled',
    );
    expect(canceled.map((c) => c.fail_reason)).toEqual(cancelPhase.map(() => 'record_closed'));
    for (const { caseId } of cancelPhase) {
      await waitFor(() => sf.commentsOn(caseId).length === 1, 10_000, `comment on case ${caseId}`);
      expect(sf.commentsOn(caseId)).toEqual([CRM_COMMENTS.record_closed_canceled]);
      expect(sf.recordIsClosed(caseId)).toBe(true);
      expect(sf.recordStatus(caseId)).toBe('Closed');
    }
    // Both worker processes applied the new policy (each handled some of these callbacks).
    const cancelHandlers = cancelPhase.map((c) => handledBy(c.callId));
    expect(cancelHandlers.every((h) => h.length === 1)).toBe(true);
    expect(new Set(cancelHandlers.flat())).toEqual(new Set(['worker-1', 'worker-2']));

    // 3. Scheduled under `cancel`, changed to `dont_check`: dialled without a lookup, case left as it is.
    const dontCheckPhase = await scheduleOnClosedCases(inMs(1200));
    await setPolicy('dont_check');
    const dialled = await waitForStatus(
      dontCheckPhase.map((c) => c.callId),
      'queued',
    );
    for (const call of dialled) {
      const types = call.events.map((e) => e.type);
      expect(types).not.toContain('crm_lookup');
      expect(types).toContain('dialed');
    }
    for (const { caseId } of dontCheckPhase) {
      expect(sf.recordIsClosed(caseId)).toBe(true);
      expect(sf.commentsOn(caseId)).toEqual([]);
    }

    // The same two processes ran throughout: no restart was needed.
    expect(workers.map((w) => w.child.pid)).toEqual(pids);
    expect(workers.every((w) => w.child.exitCode === null)).toBe(true);
    expect(workers.every((w) => w.logs.filter((l) => l.msg === 'callback-orchestrator started').length === 1)).toBe(true);
  }, 40_000);
});
