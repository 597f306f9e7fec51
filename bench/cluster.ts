import { Redis } from 'ioredis';
import { fireQueueName } from '../src/queue/queueNames.js';
import { StoreShards } from '../src/store/storeKeys.js';
import { RedisCluster } from '../test/support/redisCluster.js';
import { measureThroughput, throughputSummary, type ThroughputFigures } from './measureThroughput.js';
import {
  int,
  ms,
  percentile,
  PREFIX,
  progress,
  stopOnInterrupt,
  type BenchMode,
  type BenchRedis,
  type BenchRedisConfig,
  type ModeResult,
  type Row,
} from './support.js';

const SHARDS = 6;
/** Connection and topology upkeep, and the bench's own INFO/DBSIZE/CONFIG: not the product's work. */
const BOOKKEEPING = new Set(['cluster', 'info', 'ping', 'command', 'client', 'hello', 'readonly', 'select', 'dbsize', 'config']);

/** One Redis server's share of a measurement. */
interface ServerShare {
  node: string;
  keys: number;
  commands: number;
}

interface Measured {
  figures: ThroughputFigures;
  servers: ServerShare[];
}

/**
 * The throughput mode's measurement (measureThroughput.ts: creates, then a burst to the dialer) twice in one run:
 * on the bench's Redis with `redis.shards: 1`, then on a real 3-master Redis Cluster (the tests' harness,
 * test/support/redisCluster.ts, set up like the bench's Redis: no persistence, hz 100) with `redis.shards: 6`.
 * Side by side with the ratio cluster ÷ one Redis, and per server: keys (DBSIZE after) and commands
 * (INFO commandstats, after minus before).
 */
async function run(redis: BenchRedis): Promise<ModeResult> {
  await redis.flush();
  const single = new Redis(redis.url);
  const one = await measureOn('one Redis, shards 1', [single], [redis.url], { url: redis.url, shards: 1 }).finally(() =>
    single.disconnect(),
  );

  progress('starting a 3-master Redis Cluster');
  const cluster = await RedisCluster.start();
  const stopCluster = () => cluster.stop();
  stopOnInterrupt.add(stopCluster);
  try {
    const masters = cluster.masters();
    await Promise.all(masters.map((master) => master.config('SET', 'appendonly', 'no', 'save', '', 'hz', '100')));
    const onCluster = await measureOn(`${masters.length} masters, shards ${SHARDS}`, masters, cluster.seeds, {
      cluster: cluster.seeds,
      shards: SHARDS,
    });
    const shardsServed = await shardsPerMaster(cluster);
    return {
      rows: [...comparisonRows(one, onCluster), ...masterRows(onCluster.servers, shardsServed)],
      summary: {
        oneRedis: { shards: 1, ...throughputSummary(one.figures), keys: sum(one.servers, 'keys'), commands: sum(one.servers, 'commands') },
        cluster: {
          masters: masters.length,
          shards: SHARDS,
          ...throughputSummary(onCluster.figures),
          keys: sum(onCluster.servers, 'keys'),
          commands: sum(onCluster.servers, 'commands'),
          perMaster: onCluster.servers.map((server, i) => ({ ...server, ...shardsServed[i] })),
        },
        ratio: {
          createsPerSecond: ratio(one.figures.creates.perSecond, onCluster.figures.creates.perSecond),
          drainPerSecond: ratio(one.figures.burst.drainPerSecond, onCluster.figures.burst.drainPerSecond),
          fireLagP99Ms: ratio(percentile(one.figures.burst.lags, 99), percentile(onCluster.figures.burst.lags, 99)),
        },
      },
    };
  } finally {
    stopOnInterrupt.delete(stopCluster);
    await cluster.stop();
  }
}

/** measureThroughput on `config`, with each server's keys and commands (`servers`: plain clients, one per server). */
async function measureOn(label: string, servers: Redis[], names: string[], config: BenchRedisConfig): Promise<Measured> {
  progress(`measuring on ${label}`);
  const before = await Promise.all(servers.map(commandsServed));
  const figures = await measureThroughput(config);
  const after = await Promise.all(servers.map(commandsServed));
  const keys = await Promise.all(servers.map((server) => server.dbsize()));
  return { figures, servers: servers.map((_, i) => ({ node: names[i]!, keys: keys[i]!, commands: after[i]! - before[i]! })) };
}

/** Commands a server has run for clients since its start or last RESETSTAT, bookkeeping left out. */
async function commandsServed(server: Redis): Promise<number> {
  const stats = (await server.info('commandstats')).matchAll(/^cmdstat_([^:|]+)[^:]*:calls=(\d+)/gm);
  return [...stats].filter(([, name]) => !BOOKKEEPING.has(name!)).reduce((total, [, , calls]) => total + Number(calls), 0);
}

/** How many store shards and fire-queue shards each master serves (each shard is one hash tag, one slot). */
async function shardsPerMaster(cluster: RedisCluster): Promise<Array<{ storeShards: number; queueShards: number }>> {
  const store = new StoreShards(PREFIX, SHARDS);
  const counts = cluster.masters().map(() => ({ storeShards: 0, queueShards: 0 }));
  for (const shard of store.all()) {
    counts[await cluster.nodeServing(`${store.keyPrefix(shard)}x`)]!.storeShards += 1;
    counts[await cluster.nodeServing(`${PREFIX}:${fireQueueName(shard, SHARDS)}:x`)]!.queueShards += 1;
  }
  return counts;
}

function comparisonRows(one: Measured, onCluster: Measured): Row[] {
  const [a, b] = [one.figures, onCluster.figures];
  const side = (figure: string, x: number, y: number, format: (n: number) => string): Row => ({
    figure,
    value: `${format(x)} → ${format(y)} (${ratio(x, y).toFixed(2)}×)`,
  });
  const perSecond = (n: number) => `${int(n)}/s`;
  const late = (f: ThroughputFigures, where: string) => (f.burst.createdInTime ? '' : ` (created late on ${where}!)`);
  return [
    {
      figure: `one Redis, shards 1 → ${onCluster.servers.length}-master cluster, shards ${SHARDS}`,
      value: 'one → cluster (cluster ÷ one)',
    },
    side('POST /calls, as in throughput', a.creates.perSecond, b.creates.perSecond, perSecond),
    side('  latency p50', percentile(a.creates.latencies, 50), percentile(b.creates.latencies, 50), ms),
    side('  latency p99', percentile(a.creates.latencies, 99), percentile(b.creates.latencies, 99), ms),
    {
      figure: `burst due at one instant: reached the dialer${late(a, 'one Redis')}${late(b, 'the cluster')}`,
      value: `${int(a.burst.lags.length)} → ${int(b.burst.lags.length)}`,
    },
    side('  lag p50 (scheduled_at → dialer)', percentile(a.burst.lags, 50), percentile(b.burst.lags, 50), ms),
    side('  lag p99', percentile(a.burst.lags, 99), percentile(b.burst.lags, 99), ms),
    side('  drain rate', a.burst.drainPerSecond, b.burst.drainPerSecond, perSecond),
    side('keys after the run (DBSIZE, all servers)', sum(one.servers, 'keys'), sum(onCluster.servers, 'keys'), int),
    side('commands served (INFO commandstats delta)', sum(one.servers, 'commands'), sum(onCluster.servers, 'commands'), int),
  ];
}

function masterRows(servers: ServerShare[], shardsServed: Array<{ storeShards: number; queueShards: number }>): Row[] {
  const [keys, commands] = [sum(servers, 'keys'), sum(servers, 'commands')];
  const share = (n: number, total: number) => `${int(n)} (${Math.round((100 * n) / Math.max(1, total))}%)`;
  return servers.map((server, i) => ({
    figure: `  cluster master ${i + 1} (${server.node.replace('redis://', '')}): store / queue shards ${shardsServed[i]!.storeShards} / ${shardsServed[i]!.queueShards}`,
    value: `keys ${share(server.keys, keys)} · commands ${share(server.commands, commands)}`,
  }));
}

const sum = (servers: ServerShare[], field: 'keys' | 'commands') => servers.reduce((total, s) => total + s[field], 0);
const ratio = (one: number, cluster: number) => Number((cluster / one).toFixed(2));

export const clusterMode: BenchMode = { name: 'cluster', quick: false, run };
