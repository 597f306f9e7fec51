import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppConfig } from '../../src/config/schema.js';
import { CRM_COMMENTS } from '../../src/policy/crmComments.js';
import { fireJobId } from '../../src/queue/queueNames.js';
import { connectRedis } from '../../src/redisConnections.js';
import { CallStore } from '../../src/store/CallStore.js';
import { StoreShards } from '../../src/store/storeKeys.js';
import { OUTBOX_GRACE_MS } from '../../src/worker/OutboxRelay.js';
import { CALLS, createCall, getCall, totalCalls, type BulkCancelView, type Call } from '../api/callApi.js';
import { ZendeskFakeServer } from '../fakes/ZendeskFakeServer.js';
import { DialerStub } from '../support/DialerStub.js';
import { RedisCluster } from '../support/redisCluster.js';
import { inMs, jsonBody, startTestApp, waitFor, type TestClient } from '../support/testApp.js';
import { DIALER_SECRET, testConfig } from '../support/testConfig.js';
import { WebhookReceiver } from '../support/WebhookReceiver.js';
import { newWebhookSecret, waitForEvent, waitForEvents, webhookIdOf } from '../support/webhookEvents.js';
import {
  FAST_LOOKUP,
  expectActiveCallSkipped,
  expectDuplicatesRefusedWithOneComment,
  expectUnreachableThenOneComment,
  eventTypes,
  postCall,
  schedule,
  settle,
  settled,
  withEvent,
} from './providers/providerE2e.js';
import { killAllWorkerProcesses, startWorkerProcess } from './workerProcess.js';

/**
 * SPEC 10 (Redis Cluster) end to end on a REAL 3-master Redis Cluster (Debian's redis-server on loopback ports,
 * test/support/redisCluster.ts) with `redis.shards: 6`: the API, the worker and the Zendesk adapter against the
 * Zendesk fake, the dialer webhook against a stub. The cluster is started by this file alone (a few seconds) and
 * removed after it (processes stopped by pid, temp folder deleted), whether its tests pass or fail.
 */

const SHARDS = 6;
let cluster: RedisCluster;
const cleanups: Array<() => Promise<unknown>> = [];
const tempDir = mkdtempSync(join(tmpdir(), 'cbo-cluster-e2e-'));

beforeAll(async () => {
  cluster = await RedisCluster.start();
  cleanups.push(() => cluster.stop());
});

afterAll(async () => {
  killAllWorkerProcesses();
  // Newest first: the apps close before the cluster under them stops. A step that hangs is given up after 10 s,
  // so that the cluster is still stopped and its folder removed within the hook's time.
  const givenUp = () => new Promise((resolve) => setTimeout(resolve, 10_000).unref());
  for (const cleanup of cleanups.reverse()) await Promise.race([cleanup().catch(() => undefined), givenUp()]);
  rmSync(tempDir, { recursive: true, force: true });
}, 60_000);

/** The config of an app (and of its worker processes) on the cluster, with its own key prefix. */
function clusterConfig(prefix: string, fake: ZendeskFakeServer, dialer: DialerStub, lookup = FAST_LOOKUP): AppConfig {
  return testConfig(prefix, {
    redis: { cluster: cluster.seeds, prefix, shards: SHARDS },
    crm: { ...fake.crmConfig(), lookup },
    dialer: { kind: 'webhook', url: dialer.url, secret: DIALER_SECRET },
  });
}

/** Commands a master has run for clients, the cluster's own bookkeeping (CLUSTER, INFO, PING, ...) left out. */
const BOOKKEEPING = new Set(['cluster', 'info', 'ping', 'command', 'client', 'hello', 'readonly', 'select', 'dbsize', 'keys', 'config']);
async function commandsServed(master: Redis): Promise<{ total: number; scripts: number }> {
  const stats = [...(await master.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)];
  const count = (name: string) => Number(stats.find(([, n]) => n === name)?.[2] ?? 0);
  const total = stats.filter(([, name]) => !BOOKKEEPING.has(name!.split('|')[0]!)).reduce((sum, [, , calls]) => sum + Number(calls), 0);
  // ioredis sends a script as EVAL the first time on a connection, as EVALSHA after.
  return { total, scripts: count('eval') + count('evalsha') };
}

/** The ids of the calls stored under `prefix`, read from every master directly (not through the product). */
async function storedCallIds(prefix: string): Promise<number[]> {
  const keys = await Promise.all(cluster.masters().map((master) => master.keys(`${prefix}:{calls-*}:c:*`)));
  return keys.flat().map((key) => Number(key.slice(key.lastIndexOf(':') + 1)));
}

describe('the product on a 3-master Redis Cluster with redis.shards 6', () => {
  const prefix = 'cbo-e2e';
  const fake = new ZendeskFakeServer();
  const dialer = new DialerStub();
  let t: TestClient;
  let servedBefore: Array<{ total: number; scripts: number }>;
  const updatesOf = (id: string) => fake.requests.filter((r) => r.method === 'PUT' && r.path.startsWith(`/api/v2/tickets/${id}.json`));

  beforeAll(async () => {
    await Promise.all([fake.start(), dialer.start()]);
    cleanups.push(() => Promise.all([fake.stop(), dialer.stop()]));
    servedBefore = await Promise.all(cluster.masters().map(commandsServed));
    t = await startTestApp(clusterConfig(prefix, fake, dialer));
    cleanups.push(() => t.app.close());
  });

  describe.concurrent('scheduling and SPEC 4 outcomes', () => {
    it('schedules (201) a call with a positive integer id, readable back', async () => {
      const res = await postCall(t, fake.addRecord({ id: '', closed: false }), inMs(60 * 60_000));
      expect(res.status).toBe(201);
      const call = await jsonBody<Call>(res);
      expect(Number.isInteger(call.id) && call.id > 0).toBe(true);
      expect(call.status).toBe('scheduled');
      expect((await getCall(t, call.id)).scheduled_at).toBe(call.scheduled_at);
    });

    it('duplicate guard: 409 with the exact message, the comment written once on the record', async () => {
      await expectDuplicatesRefusedWithOneComment(t, fake, fake.addRecord({ id: '', closed: false }), updatesOf);
    });

    it('open ticket: dialed (queued), offered once to the dialer, no comment', async () => {
      const id = fake.addRecord({ id: '', closed: false });
      const callId = await schedule(t, id);
      const call = await settled(t, callId, 'queued');
      expect(eventTypes(call)).toEqual(expect.arrayContaining(['fired', 'crm_lookup', 'decision', 'dialed']));
      await settle();
      expect(dialer.forCall(callId)).toHaveLength(1);
      expect(dialer.forCall(callId)[0]!.headers['idempotency-key']).toBe(`call-${callId}`);
      expect(fake.commentsOn(id)).toEqual([]);
    });

    it('solved ticket: canceled/record_closed, the "record is closed" comment written once', async () => {
      const id = fake.addRecord({ id: '', closed: true, status: 'solved' });
      const callId = await schedule(t, id);
      expect((await settled(t, callId, 'canceled')).fail_reason).toBe('record_closed');
      await withEvent(t, callId, 'comment_written');
      await settle();
      expect(fake.commentsOn(id)).toEqual([CRM_COMMENTS.record_closed_not_created]);
      expect(dialer.forCall(callId)).toHaveLength(0);
    });

    it('unknown ticket: canceled/record_not_found, no comment', async () => {
      const callId = await schedule(t, '987654321');
      expect((await settled(t, callId, 'canceled')).fail_reason).toBe('record_not_found');
      await settle();
      expect(updatesOf('987654321')).toHaveLength(0);
    });

    it('another active call on the ticket: canceled/active_call_exists, its comment written once', async () => {
      await expectActiveCallSkipped(t, fake, fake.addRecord({ id: '', closed: false }));
    });
  });

  it('CRM down at fire: canceled/crm_unreachable, the unreachable comment written once after recovery', async () => {
    const id = fake.addRecord({ id: '', closed: false });
    const after = await expectUnreachableThenOneComment(t, fake, id, { kind: 'down' }, () => updatesOf(id).length > 0);
    expect([after.status, after.fail_reason]).toEqual(['canceled', 'crm_unreachable']);
  });

  it('cancels one call, bulk-cancels calls of every shard, and lists newest first across shards', async () => {
    const shardOf = (id: number) => t.app.services.calls.shards.ofId(id);
    const later: Call[] = [];
    const shardsUsed = () => new Set(later.map((c) => shardOf(c.id))).size;
    // A call's shard follows from its record: new records until every shard has a call.
    for (let i = 0; i < 60 && shardsUsed() < SHARDS; i += 1) {
      later.push(await createCall(t, { ticket_id: fake.addRecord({ id: '', closed: false }) }));
    }
    expect(shardsUsed()).toBe(SHARDS);
    for (let i = 0; i < 3; i += 1) later.push(await createCall(t)); // no record: the shard is chosen, the id tells it

    const [single, ...rest] = later;
    const canceled = await t.api('PATCH', `${CALLS}/scheduled/${single!.id}/cancel`);
    expect(canceled.status).toBe(200);
    expect(await jsonBody<Call>(canceled)).toMatchObject({ id: single!.id, status: 'canceled', fail_reason: 'canceled_by_request' });
    expect((await t.api('PATCH', `${CALLS}/scheduled/${single!.id}/cancel`)).status).toBe(409);

    // Known ids of every shard, one canceled already, one never created: each gets its own result, in order.
    const unknownId = Math.max(...later.map((c) => c.id)) + 64 * 1000;
    const ids = [...rest.map((c) => c.id), single!.id, unknownId];
    const bulk = await t.api('PATCH', `${CALLS}/scheduled/cancel`, { call_ids: ids });
    expect(bulk.status).toBe(202);
    const location = bulk.headers.get('location')!;
    const op = await waitFor(async () => {
      const body = await jsonBody<BulkCancelView>(await t.api('GET', location));
      return body.status === 'completed' ? body : null;
    });
    expect(op.results).toEqual([
      ...rest.map((c) => ({ call_id: c.id, result: 'canceled' })),
      { call_id: single!.id, result: 'not_scheduled' },
      { call_id: unknownId, result: 'not_found' },
    ]);
    for (const call of later) {
      expect((await getCall(t, call.id)).status).toBe('canceled');
      // Its delayed job is gone from its shard's fire queue: a canceled call never fires.
      expect(await t.app.services.queues.fireQueueOf(call.id).getJob(fireJobId(call.id))).toBeUndefined();
    }

    // Every call this file's app stored, read from the masters themselves, against the API's list.
    const stored = (await storedCallIds(prefix)).sort((a, b) => b - a);
    expect(new Set(stored.map(shardOf)).size).toBe(SHARDS);
    const all = await t.api('GET', `${CALLS}?per_page=100`);
    expect(all.headers.get('x-total-count')).toBe(String(stored.length));
    expect((await jsonBody<Call[]>(all)).map((c) => c.id)).toEqual(stored);
    const page = await t.api('GET', `${CALLS}?per_page=5&page=2`);
    expect(page.headers.get('x-total-count')).toBe(String(stored.length));
    expect((await jsonBody<Call[]>(page)).map((c) => c.id)).toEqual(stored.slice(5, 10));

    const statuses = await Promise.all(stored.map(async (id) => (await getCall(t, id)).status));
    for (const status of ['scheduled', 'queued', 'canceled']) {
      const expected = stored.filter((_, i) => statuses[i] === status);
      expect(await totalCalls(t, `status=${status}`)).toBe(expected.length);
      const listed = await jsonBody<Call[]>(await t.api('GET', `${CALLS}?status=${status}&per_page=100`));
      expect(listed.map((c) => c.id)).toEqual(expected);
    }
  });

  it('spreads the store over every master: each holds call keys and fire-queue keys, and served commands', async () => {
    const masters = cluster.masters();
    for (const [i, master] of masters.entries()) {
      expect(await master.dbsize(), `DBSIZE of master ${i}`).toBeGreaterThan(0);
      expect(await master.keys(`${prefix}:{calls-*}:c:*`), `call documents on master ${i}`).not.toEqual([]);
      expect(await master.keys(`${prefix}:{callbacks-*}:*`), `fire-queue keys on master ${i}`).not.toEqual([]);
    }
    const servedAfter = await Promise.all(masters.map(commandsServed));
    servedAfter.forEach((after, i) => {
      // Lua (the store's scripts and BullMQ's) ran on every master, not just on the one a single tag would pick.
      expect(after.scripts - servedBefore[i]!.scripts, `scripts run on master ${i}`).toBeGreaterThan(20);
      expect(after.total - servedBefore[i]!.total, `commands on master ${i}`).toBeGreaterThan(100);
    });
  });
});

describe('a worker process SIGKILLed in the middle of a burst, on the cluster', () => {
  const prefix = 'cbo-e2e-killed';
  /** Longer than the test: a held answer never reaches the killed worker. */
  const HOLD_MS = 60_000;
  /** Request timeouts longer than the hold, so that the killed worker is still waiting for its answers. */
  const PATIENT_LOOKUP = { timeoutMs: 30_000, attempts: 2, budgetMs: 60_000 };
  const fake = new ZendeskFakeServer();
  const dialer = new DialerStub();

  it('every call ends with its outcome: offered to the dialer once, each comment written once', { timeout: 60_000 }, async () => {
    await Promise.all([fake.start(), dialer.start()]);
    cleanups.push(() => Promise.all([fake.stop(), dialer.stop()]));
    const config = clusterConfig(prefix, fake, dialer, PATIENT_LOOKUP);
    const t = await startTestApp(config, { worker: false }); // the API only: the workers are child processes
    cleanups.push(() => t.app.close());
    const configFile = join(tempDir, 'worker.json');
    writeFileSync(configFile, JSON.stringify({ ...config, logLevel: 'info' }));

    // The first lookups (a dozen tickets) are answered; later ones are carried out but their answers held, so
    // that the worker dies with jobs in flight and none between the dialer's answer and `queued`.
    const lookupIds = (method: string, path: string) => {
      const match = method === 'GET' ? /^\/api\/v2\/tickets\/(?:show_many\.json\?ids=([^&]+)|(\d+)\.json)/.exec(path) : null;
      return match ? decodeURIComponent(match[1] ?? match[2]!).split(',') : [];
    };
    const answered = new Set<string>();
    let held = 0;
    await fake.setMode({
      kind: 'hold_response',
      delayMs: HOLD_MS,
      matching: (method, path) => {
        const ids = lookupIds(method, path);
        if (ids.length === 0) return false;
        if (answered.size >= 12) {
          held += 1;
          return true;
        }
        ids.forEach((id) => answered.add(id));
        return false;
      },
    });

    const first = await startWorkerProcess(configFile);
    // 60 tickets, every fifth one solved, all due at the same instant.
    const records = Array.from({ length: 60 }, (_, i) =>
      fake.addRecord({ id: '', closed: i % 5 === 4, status: i % 5 === 4 ? 'solved' : 'open' }),
    );
    const solved = records.filter((_, i) => i % 5 === 4);
    const open = records.filter((_, i) => i % 5 !== 4);
    const due = inMs(4000); // time for 60 requests on a busy machine
    const callIds = await Promise.all(records.map((record) => schedule(t, record, due)));
    const callOf = new Map(records.map((record, i) => [record, callIds[i]!]));
    expect(new Set(callIds.map((id) => t.app.services.calls.shards.ofId(id))).size).toBe(SHARDS);

    // Mid-burst: the calls whose lookups were answered are done (dialed, or canceled with their comment written),
    // the next ones are in flight, waiting for their lookups.
    await waitFor(() => answered.size >= 12 && held > 0, 20_000, 'answered and held lookups');
    const answeredCalls = [...answered].map((record) => callOf.get(record)!);
    const done = (c: Call) => c.status === 'queued' || eventTypes(c).includes('comment_written');
    await waitFor(
      async () => (await Promise.all(answeredCalls.map((id) => getCall(t, id)))).every(done),
      10_000,
      'the answered calls to be done',
    );
    await first.kill();
    await fake.setMode({ kind: 'normal' });
    const atKill = await Promise.all(callIds.map((id) => getCall(t, id)));
    expect(atKill.filter(done).length).toBeGreaterThan(0);
    // In flight when killed: their fire step had not decided, and records nothing before it decides.
    expect(atKill.filter((c) => c.status === 'scheduled' && eventTypes(c).join() === 'scheduled').length).toBeGreaterThan(0);

    const second = await startWorkerProcess(configFile);
    const failWith = (err: Error) => {
      throw new Error(`${err.message}\nsecond worker output:\n${second.output()}`);
    };
    for (const record of open) await settled(t, callOf.get(record)!, 'queued', 30_000).catch(failWith);
    for (const record of solved) {
      const call = await withEvent(t, callOf.get(record)!, 'comment_written', 30_000).catch(failWith);
      expect([call.status, call.fail_reason]).toEqual(['canceled', 'record_closed']);
    }
    await settle(1000);

    for (const record of open) {
      const id = callOf.get(record)!;
      expect(dialer.forCall(id).map((r) => r.headers['idempotency-key'])).toEqual([`call-${id}`]);
      const events = eventTypes(await getCall(t, id));
      expect(events.filter((e) => e === 'fired')).toHaveLength(1);
      expect(events.filter((e) => e === 'dialed')).toHaveLength(1);
      expect(fake.commentsOn(record)).toEqual([]);
    }
    for (const record of solved) {
      const id = callOf.get(record)!;
      expect(dialer.forCall(id)).toHaveLength(0);
      expect(fake.commentsOn(record)).toEqual([CRM_COMMENTS.record_closed_not_created]);
      expect(eventTypes(await getCall(t, id)).filter((e) => e === 'comment_written')).toHaveLength(1);
    }
    expect(dialer.received).toHaveLength(open.length);
    await second.kill();
  });
});

describe('outcome webhooks on the cluster (SPEC 9.4, 10)', () => {
  it('calls of every shard tell their events; the outbox empties; an event whose step died is relayed', { timeout: 60_000 }, async () => {
    const prefix = 'cbo-e2e-webhooks';
    const fake = new ZendeskFakeServer();
    const dialer = new DialerStub();
    const receiver = new WebhookReceiver(newWebhookSecret());
    await Promise.all([fake.start(), dialer.start(), receiver.start()]);
    cleanups.push(() => Promise.all([fake.stop(), dialer.stop(), receiver.stop()]));
    const webhooks = [{ url: receiver.url, secret: receiver.secret, events: ['*' as const], timeoutMs: 2000 }];
    const t = await startTestApp({ ...clusterConfig(prefix, fake, dialer), webhooks });
    cleanups.push(() => t.app.close());
    const store = connectRedis({ url: cluster.seeds[0]!, cluster: cluster.seeds }, 'fail-fast');
    cleanups.push(() => Promise.resolve(store.disconnect()));
    const calls = new CallStore(store, prefix, new StoreShards(prefix, SHARDS));

    // Calls without a ticket go round the shards: each is canceled, one more is dialled.
    const canceled = await Promise.all(Array.from({ length: SHARDS }, () => createCall(t)));
    expect(new Set(canceled.map((c) => calls.shards.ofId(c.id))).size).toBe(SHARDS);
    for (const call of canceled) expect((await t.api('PATCH', `${CALLS}/scheduled/${call.id}/cancel`)).status).toBe(200);
    const dialed = await createCall(t, { scheduled_at: inMs(1500) });
    await waitForEvents(receiver, [
      ...canceled.flatMap((c) => [webhookIdOf(c.id, 'created'), webhookIdOf(c.id, 'canceled')]),
      webhookIdOf(dialed.id, 'created'),
      webhookIdOf(dialed.id, 'queued'),
    ]);
    const inOutbox = async () =>
      (await Promise.all(calls.shards.all().map((s) => calls.announcementsDue(s, Date.now() + 3_600_000, 100)))).flat();
    expect(await inOutbox()).toEqual([]);

    // The change and its announcement stored, the process dying before the jobs: the worker's relay sends it.
    const call = await createCall(t);
    const announce = [{ type: 'call.rescheduled', eventKey: `${call.id}-rescheduled-1` }];
    expect(await calls.transition(call.id, { from: ['scheduled'], patch: {}, announce })).toMatchObject({ result: 'ok' });
    const relayed = await waitForEvent(receiver, `${webhookIdOf(call.id, 'rescheduled')}-1`, OUTBOX_GRACE_MS + 15_000);
    expect([relayed.type, relayed.call.id]).toEqual(['call.rescheduled', call.id]);
    expect(receiver.deliveries.every((d) => d.verified)).toBe(true);
    expect(await inOutbox()).toEqual([]);
  });
});
