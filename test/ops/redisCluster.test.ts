import { Queue, Worker } from 'bullmq';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRedisUnavailable } from '../../src/api/buildServer.js';
import { QUEUE_NAMES, fireQueueName } from '../../src/queue/queueNames.js';
import { bullConnection, closeBullConnection, connectRedis, type RedisTarget } from '../../src/redisConnections.js';
import { callBody } from '../api/callApi.js';
import { RedisCluster } from '../support/redisCluster.js';
import { startTestApp, waitFor, type TestClient } from '../support/testApp.js';
import { testConfig } from '../support/testConfig.js';

/** SPEC 10: the product's connections on a real 3-master Redis Cluster (Debian's redis-server, three loopback ports). */
let cluster: RedisCluster;
let target: RedisTarget;
const prefix = 'cbo-cluster';

beforeAll(async () => {
  cluster = await RedisCluster.start();
  target = { url: 'redis://127.0.0.1:1', cluster: cluster.seeds }; // the url is not used once a cluster is set
});

afterAll(async () => {
  await cluster?.stop();
});

describe('the test cluster', () => {
  it('has three masters that share the 16,384 slots', async () => {
    for (const master of cluster.masters()) {
      const info = String(await master.call('CLUSTER', 'INFO'));
      expect(info).toContain('cluster_state:ok');
      expect(info).toContain('cluster_size:3');
    }
    const ranges = (await cluster.masters()[0]!.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    const owners = new Set(ranges.map(([, , [, port]]) => port));
    expect(owners.size).toBe(3);
    expect(ranges.reduce((sum, [from, to]) => sum + to - from + 1, 0)).toBe(16_384);
  });
});

describe('BullMQ on the cluster', () => {
  const names = [QUEUE_NAMES.fire, QUEUE_NAMES.crmEffects, QUEUE_NAMES.bulkCancel, fireQueueName(5, 6)];

  it('fires delayed jobs on the app’s queue names, and again after the master of one of them restarted', async () => {
    const producer = bullConnection(target, 'fail-fast');
    const consumer = bullConnection(target, 'worker');
    const fired = new Map<string, number[]>();
    const queues = names.map((name) => new Queue(name, { connection: producer, prefix }));
    // drainDelay 1 s: a worker whose blocking read gets no answer resets its connection after 2 s (BullMQ's watchdog).
    const workers = names.map(
      (name) =>
        new Worker(name, () => Promise.resolve(void fired.set(name, [...(fired.get(name) ?? []), Date.now()])), {
          connection: consumer,
          prefix,
          drainDelay: 1,
        }),
    );
    const fireAll = async (round: number) => {
      const addedAt = Date.now();
      await Promise.all(queues.map((q) => q.add('job', { round }, { delay: 500 })));
      await waitFor(() => names.every((n) => fired.get(n)?.length === round), 10_000, `every delayed job of round ${round}`);
      for (const name of names) expect(fired.get(name)![round - 1]! - addedAt).toBeGreaterThanOrEqual(500);
    };
    try {
      await fireAll(1);
      // The queues' keys are on the cluster, under the app's prefix and each queue's hash tag.
      const keys = (await Promise.all(cluster.masters().map((m) => m.keys(`${prefix}:*`)))).flat();
      for (const name of names) expect(keys).toContain(`${prefix}:${name}:meta`);

      // A master restart under a worker blocked on it: that worker must take jobs again, and close when asked.
      const node = await cluster.nodeServing(QUEUE_NAMES.crmEffects);
      await cluster.stopNode(node);
      await new Promise((r) => setTimeout(r, 3000));
      await cluster.startNode(node);
      await fireAll(2);
    } finally {
      const closed = Promise.all(workers.map((w) => w.close())).then(() => 'closed');
      const timeout = new Promise((r) => setTimeout(() => r('still open after 10 s'), 10_000).unref());
      expect(await Promise.race([closed, timeout])).toBe('closed');
      await Promise.all(queues.map((q) => q.close()));
      closeBullConnection(producer);
      closeBullConnection(consumer);
    }
  });

  // The two ioredis Cluster behaviours BullMQ's connection recovery cannot live with (see withBullMqFixes).
  it('gets a connect() that settles once the cluster is ok again after a failed ready check', async () => {
    const connection = bullConnection(target, 'worker') as Cluster;
    const masters = cluster.masters();
    const owner = masters[await cluster.nodeServingSlot(0)]!;
    try {
      await Promise.all(masters.map((m) => m.call('CLUSTER', 'DELSLOTS', '0'))); // slot 0 unserved: cluster_state:fail
      let connected = false;
      const connecting = connection.connect().then(() => (connected = true));
      await new Promise((r) => setTimeout(r, 1000));
      expect(connected).toBe(false); // the ready check failed; ioredis keeps retrying
      await owner.call('CLUSTER', 'ADDSLOTS', '0');
      await cluster.waitUntilOk();
      const settled = Promise.race([connecting, new Promise((r) => setTimeout(() => r('pending after 5 s'), 5000).unref())]);
      expect(await settled).toBe(true);
      expect(connection.status).toBe('ready');
    } finally {
      await owner.call('CLUSTER', 'ADDSLOTS', '0').catch(() => undefined); // already back when the test passed
      await cluster.waitUntilOk();
      connection.disconnect();
    }
  });

  it('gets a connection that stays ended after disconnect(), so BullMQ can connect it again', async () => {
    const connection = bullConnection(target, 'worker') as Cluster;
    await connection.connect();
    await Promise.all([0, 1, 2].map(async (i) => connection.set(await cluster.keyServedBy(i, prefix), 'x'))); // a link to every master
    const ended = new Promise((r) => connection.once('end', r));
    connection.disconnect();
    await ended;
    await new Promise((r) => setTimeout(r, 300)); // every node's link has closed by now
    expect(connection.status).toBe('end');
    await connection.connect();
    expect(connection.status).toBe('ready');
    connection.disconnect();
  });
});

describe('connections to a cluster with a master down', () => {
  it('fail fast for request handling (an error the API answers 503 for) and wait for the master in workers', async () => {
    const failFast = connectRedis(target, 'fail-fast');
    const worker = connectRedis(target, 'worker');
    try {
      const onNode1 = await cluster.keyServedBy(1, `${prefix}-probe`);
      const onNode0 = await cluster.keyServedBy(0, `${prefix}-probe`);
      await waitFor(() => failFast.status === 'ready', 5000, 'the fail-fast client to be ready');
      expect(await failFast.set(onNode1, 'before')).toBe('OK');
      await cluster.stopNode(1);

      const started = Date.now();
      const error = await failFast.set(onNode1, 'during').then(
        () => null,
        (err: Error) => err,
      );
      expect(error).toBeInstanceOf(Error);
      expect(isRedisUnavailable(error!)).toBe(true);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(await failFast.set(onNode0, 'during')).toBe('OK'); // the other masters still take their keys

      let landed = false;
      const waiting = worker.set(onNode1, 'from-worker').then((reply) => ((landed = true), reply));
      await new Promise((r) => setTimeout(r, 1000));
      expect(landed).toBe(false); // still waiting for the master, not failed
      await cluster.startNode(1);
      expect(await waiting).toBe('OK');
      expect(await cluster.masters()[1]!.get(onNode1)).toBe('from-worker');
    } finally {
      await cluster.startNode(1);
      failFast.disconnect();
      worker.disconnect();
    }
  });
});

describe('the app on the cluster', () => {
  let t: TestClient;

  beforeAll(async () => {
    t = await startTestApp(testConfig(prefix, { redis: { cluster: cluster.seeds, prefix, shards: 6 } }));
  });

  afterAll(async () => {
    await t?.app.close();
  });

  it('is ready, answers 503 on /readyz while a master is down, and is ready again once it is back', async () => {
    await waitFor(async () => (await fetch(`${t.url}/readyz`)).status === 200, 10_000, 'readyz 200 on the cluster');

    await cluster.stopNode(2);
    const down = await waitFor(
      async () => {
        const r = await fetch(`${t.url}/readyz`);
        return r.status === 503 ? r : null;
      },
      5000,
      'readyz 503 with a master down',
    );
    expect(down.headers.get('retry-after')).toBe('5');
    expect(await down.json()).toMatchObject({ status: 'unavailable', redis: 'down' });
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200); // the process stays up

    // Work that belongs on the stopped master is refused with 503 + Retry-After (the client retries), not lost.
    const ticket = await ticketOnNode(2);
    const refused = await t.api('POST', '/apps/api/v1/calls', callBody({ ticket_id: ticket }));
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).not.toBeNull();

    await cluster.startNode(2);
    await waitFor(async () => (await fetch(`${t.url}/readyz`)).status === 200, 10_000, 'readyz 200 once the master is back');
    expect(await (await fetch(`${t.url}/readyz`)).json()).toEqual({ status: 'ok', redis: 'up' });
    const retried = await waitFor(
      async () => {
        const r = await t.api('POST', '/apps/api/v1/calls', callBody({ ticket_id: ticket }));
        return r.status === 201 ? r : null;
      },
      10_000,
      'the retried create to be stored',
    );
    expect(retried.status).toBe(201);
  });

  /** A ticket whose calls live in a shard served by master `node`. */
  async function ticketOnNode(node: number): Promise<string> {
    const { shards } = t.app.services.calls;
    for (let n = 9000; n < 10_000; n += 1) {
      if ((await cluster.nodeServing(`${shards.keyPrefix(shards.ofRecord(String(n)))}x`)) === node) return String(n);
    }
    throw new Error(`no ticket maps to master ${node}`);
  }
});
