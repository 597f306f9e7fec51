import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort, waitForPort } from './privateRedis.js';

const run = promisify(execFile);

/** One node of the cluster: its client port, its cluster-bus port, its folder (nodes.conf, data, log). */
interface ClusterNode {
  port: number;
  busPort: number;
  dir: string;
  proc?: ChildProcess;
  client?: Redis;
}

/**
 * A real Redis Cluster of the test's own: three masters (no replicas) from Debian's redis-server on free loopback
 * ports, in a temp folder. A node can be stopped and started again (it rejoins with its slots and its data).
 *
 *   const cluster = await RedisCluster.start();
 *   config.redis.cluster = cluster.seeds;
 *   ...
 *   await cluster.stop();
 */
export class RedisCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'cbo-cluster-'));
  private readonly nodes: ClusterNode[] = [];
  private readonly killOnExit = () => {
    this.nodes.forEach((node) => node.proc?.kill('SIGKILL'));
    rmSync(this.dir, { recursive: true, force: true });
  };

  private constructor() {
    // A test run that exits without stop() must not leave redis-servers or their folder behind.
    process.once('exit', this.killOnExit);
  }

  /** Starts `masters` nodes, joins them into one cluster and waits until every node says cluster_state:ok. */
  static async start(masters = 3): Promise<RedisCluster> {
    const cluster = new RedisCluster();
    try {
      const ports = await distinctFreePorts(masters * 2);
      for (let i = 0; i < masters; i += 1) {
        const dir = join(cluster.dir, `node-${i}`);
        mkdirSync(dir);
        cluster.nodes.push({ port: ports[2 * i]!, busPort: ports[2 * i + 1]!, dir });
      }
      await Promise.all(cluster.nodes.map((_, i) => cluster.startNode(i, { waitForCluster: false })));
      const addresses = cluster.nodes.map((node) => `127.0.0.1:${node.port}`);
      await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], { timeout: 20_000 });
      await cluster.waitUntilOk();
      return cluster;
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  /** Seed node URLs for `redis.cluster`. */
  get seeds(): string[] {
    return this.nodes.map((node) => `redis://127.0.0.1:${node.port}`);
  }

  /** A plain client per master (not a cluster client), in node order: DBSIZE, INFO commandstats, ... of that node. */
  masters(): Redis[] {
    return this.nodes.map((node) => (node.client ??= quietClient(node.port)));
  }

  /** A key (`<prefix>-<n>`) whose slot node `i` serves, to reach that master on purpose. */
  async keyServedBy(i: number, prefix = 'probe'): Promise<string> {
    for (let n = 0; n < 10_000; n += 1) {
      if ((await this.nodeServing(`${prefix}-${n}`)) === i) return `${prefix}-${n}`;
    }
    throw new Error(`no key found on node ${i}`);
  }

  /** The index of the node that serves `key` (its hash tag decides, as for any cluster key). */
  async nodeServing(key: string): Promise<number> {
    return this.nodeServingSlot(Number(await this.runningClient().call('CLUSTER', 'KEYSLOT', key)));
  }

  /** The index of the node that serves `slot` (-1 when none does). */
  async nodeServingSlot(slot: number): Promise<number> {
    const ranges = (await this.runningClient().call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    const owner = ranges.find(([from, to]) => slot >= from && slot <= to)?.[2][1];
    return this.nodes.findIndex((node) => node.port === owner);
  }

  private runningClient(): Redis {
    const i = this.nodes.findIndex((node) => node.proc);
    if (i < 0) throw new Error('no cluster node is running');
    return this.masters()[i]!;
  }

  /** Stops node `i` (SIGTERM) and waits until its port is closed; the other nodes keep running. */
  async stopNode(i: number): Promise<void> {
    const proc = this.node(i).proc;
    this.node(i).proc = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    await exited;
    await waitForPort(this.node(i).port, false);
  }

  /** Starts node `i` (again); by default waits until the whole cluster is ok with it. */
  async startNode(i: number, { waitForCluster = true } = {}): Promise<void> {
    const node = this.node(i);
    if (node.proc && node.proc.exitCode === null) return;
    // appendonly: a restarted node keeps its data, as a production node would.
    node.proc = spawn(
      'redis-server',
      [
        ...['--port', String(node.port), '--bind', '127.0.0.1', '--dir', node.dir, '--logfile', join(node.dir, 'redis.log')],
        ...['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-port', String(node.busPort)],
        // Short enough that a restarted node is taken back quickly, long enough for a busy 2-core machine.
        ...['--cluster-node-timeout', '5000'],
        ...['--save', '', '--appendonly', 'yes'],
      ],
      { stdio: 'ignore' },
    );
    await waitForPort(node.port, true);
    if (waitForCluster) await this.waitUntilOk();
  }

  /** Stops every node (by pid), closes the clients and removes the temp folder. */
  async stop(): Promise<void> {
    for (const node of this.nodes) node.client?.disconnect();
    await Promise.all(this.nodes.map((_, i) => this.stopNode(i)));
    process.off('exit', this.killOnExit);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Waits until every node reports cluster_state:ok, all slots served and every node known. */
  async waitUntilOk(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const infos = await Promise.all(this.masters().map((client) => clusterInfo(client)));
      if (infos.every((info) => isOk(info, this.nodes.length))) return;
      if (Date.now() > deadline) throw new Error(`redis cluster not ok after ${timeoutMs} ms: ${infos.join(' | ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private node(i: number): ClusterNode {
    const node = this.nodes[i];
    if (!node) throw new Error(`no cluster node ${i}`);
    return node;
  }
}

function quietClient(port: number): Redis {
  const client = new Redis(port, '127.0.0.1');
  client.on('error', () => undefined); // a stopped node: the client reconnects once it is back
  return client;
}

async function clusterInfo(client: Redis): Promise<string> {
  try {
    return String(await client.call('CLUSTER', 'INFO'));
  } catch (err) {
    return (err as Error).message;
  }
}

function isOk(info: string, nodes: number): boolean {
  return info.includes('cluster_state:ok') && info.includes('cluster_slots_ok:16384') && info.includes(`cluster_known_nodes:${nodes}\r`);
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}
