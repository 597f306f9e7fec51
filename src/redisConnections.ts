import type { RedisOptions as BullRedisOptions, ConnectionOptions } from 'bullmq';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisConfig } from './config/schema.js';
import { withBullMqFixes } from './redisClusterFixes.js';
import type { RedisClient } from './store/storeKeys.js';

/** Where Redis is: the `redis` config section (`cluster`, when set, is used instead of `url`). */
export type RedisTarget = Pick<RedisConfig, 'url'> & Partial<Pick<RedisConfig, 'cluster'>>;

/**
 * Two kinds of Redis connection:
 * - `fail-fast`, for request handling: commands fail at once while Redis (or a cluster master) is away, so the
 *   API answers 503 instead of hanging;
 * - `worker`: commands wait and reconnect forever (BullMQ requires maxRetriesPerRequest: null).
 * Both reconnect by themselves when Redis is back.
 */
export type ConnectionKind = 'fail-fast' | 'worker';

const retryStrategy = (times: number) => Math.min(200 * times, 2000);

/** Per-connection options of either kind (a single Redis adds `retryStrategy` and `enableOfflineQueue` to them). */
function nodeOptions(kind: ConnectionKind): RedisOptions {
  return kind === 'fail-fast' ? { maxRetriesPerRequest: 1, connectTimeout: 2000 } : { maxRetriesPerRequest: null, enableReadyCheck: true };
}

/**
 * The store's connections send the commands issued in one event-loop tick as one write (many callbacks and
 * requests run at once, each with a few small commands): far fewer syscalls. Not for BullMQ's own connections,
 * whose workers block on them.
 */
const AUTO_PIPELINING = { enableAutoPipelining: true } as const;

function singleRedisOptions(kind: ConnectionKind) {
  return { ...nodeOptions(kind), retryStrategy, enableOfflineQueue: kind === 'worker' };
}

/**
 * ioredis Cluster options. Per-node options go under `redisOptions` (ioredis itself sets each node's retry and
 * offline queue: the cluster-level settings below decide those).
 */
function clusterOptions(seeds: string[], kind: ConnectionKind): ClusterOptions {
  const first = new URL(seeds[0]!); // every seed has the same scheme (config); credentials are the cluster's
  return {
    // fail-fast: a command for a master that is down fails at once; worker: it waits for the master.
    enableOfflineQueue: kind === 'worker',
    // 'ready' only once CLUSTER INFO says cluster_state:ok.
    enableReadyCheck: true,
    // Reads from masters only: a replica may lag behind a write the next read depends on (the duplicate guard).
    scaleReads: 'master',
    // CLUSTER SLOTS on a busy node can take longer than ioredis' 1 s default.
    slotsRefreshTimeout: 2000,
    // A master that is down or rejoining (MOVED to it, CLUSTERDOWN, TRYAGAIN) is retried this often, so many
    // times: the request side gives up within about a second and a half, the worker waits about 15 minutes.
    ...(kind === 'fail-fast'
      ? { retryDelayOnFailover: 100, retryDelayOnClusterDown: 100, retryDelayOnTryAgain: 100, maxRedirections: 16 }
      : { retryDelayOnFailover: 1000, retryDelayOnClusterDown: 1000, retryDelayOnTryAgain: 1000, maxRedirections: 900 }),
    // No seed answers (the whole cluster is away): keep trying, as a single Redis connection does.
    clusterRetryStrategy: retryStrategy,
    // A master that restarts at the same address is reconnected to (ioredis' default waits for a MOVED that a
    // cluster without replicas never sends), so /readyz and the workers see it back.
    clusterNodeRetryStrategy: retryStrategy,
    redisOptions: {
      ...nodeOptions(kind),
      username: first.username ? decodeURIComponent(first.username) : undefined,
      password: first.password ? decodeURIComponent(first.password) : undefined,
      ...(first.protocol === 'rediss:' ? { tls: {} } : {}),
    },
  };
}

function seedNodes(seeds: string[]): { host: string; port: number }[] {
  return seeds.map((seed) => {
    const u = new URL(seed);
    return { host: u.hostname, port: Number(u.port || 6379) };
  });
}

function newCluster(seeds: string[], options: ClusterOptions): Cluster {
  return withBullMqFixes(new Cluster(seedNodes(seeds), options));
}

export function connectRedis(target: RedisTarget, kind: ConnectionKind): RedisClient {
  const client = target.cluster
    ? newCluster(target.cluster, { ...clusterOptions(target.cluster, kind), ...AUTO_PIPELINING })
    : new Redis(target.url, { ...singleRedisOptions(kind), ...AUTO_PIPELINING, lazyConnect: false });
  client.on('error', () => undefined); // reported by /readyz and the callers; avoid unhandled 'error' events
  return client;
}

/**
 * BullMQ's `connection`. One Redis: options, from which each queue and worker opens connections of its own.
 * A cluster: an ioredis Cluster (BullMQ builds a single-Redis client from options), created unconnected: queues
 * use it as it is, workers open duplicates of it. BullMQ never closes a client it is given: whoever calls this
 * closes it with `closeBullConnection` once its queues and workers are closed.
 */
export function bullConnection(target: RedisTarget, kind: ConnectionKind): ConnectionOptions {
  if (target.cluster) {
    const cluster = newCluster(target.cluster, { ...clusterOptions(target.cluster, kind), lazyConnect: true });
    cluster.on('error', () => undefined); // surfaced by the queues' and workers' own 'error' events
    return cluster;
  }
  const u = new URL(target.url);
  const options: BullRedisOptions = {
    ...singleRedisOptions(kind),
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
  return options;
}

/**
 * BullMQ's `connection` for queues and workers beside `client` (a connection of the same kind): on a cluster
 * `client` itself, so closing `client` closes what the queues use; on one Redis, options (see bullConnection).
 */
export function bullConnectionBeside(client: RedisClient, target: RedisTarget, kind: ConnectionKind): ConnectionOptions {
  return client instanceof Cluster ? client : bullConnection(target, kind);
}

/** Closes the client `bullConnection` made for a cluster (nothing to do for single-Redis options). */
export function closeBullConnection(connection: ConnectionOptions): void {
  if (connection instanceof Cluster) connection.disconnect();
}

const NODE_DOWN = new Set(['reconnecting', 'close', 'end']);

/**
 * Whether Redis can take writes now. On a cluster every master must answer and see the cluster as ok, not just
 * any node: each holds part of the store (a shard, a queue), so one master down is work the product cannot store.
 */
export async function isRedisReachable(client: RedisClient, timeoutMs: number): Promise<boolean> {
  const withTimeout = <T>(p: Promise<T>) =>
    Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref())]);
  try {
    if (!(client instanceof Cluster)) return (await withTimeout(client.ping())) === 'PONG';
    if (client.status !== 'ready') return false;
    const masters = new Set(client.slots.map((owners) => owners[0]));
    // A node not used yet is still 'wait' (ioredis connects to nodes on first use); one that is reconnecting is down.
    const nodes = client.nodes('master').filter((node) => masters.has(`${node.options.host}:${node.options.port}`));
    if (masters.size === 0 || nodes.length < masters.size || nodes.some((node) => NODE_DOWN.has(node.status))) return false;
    const infos = await withTimeout(Promise.all(nodes.map((node) => node.call('CLUSTER', 'INFO'))));
    return infos.every((info) => String(info).includes('cluster_state:ok'));
  } catch {
    return false;
  }
}
