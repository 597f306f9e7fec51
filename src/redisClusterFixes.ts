import type { Cluster } from 'ioredis';

interface ClusterInternals {
  setStatus(status: Cluster['status']): void;
}

/**
 * Works around two ioredis Cluster quirks that stall a BullMQ worker after a master restart. BullMQ resets a
 * blocking connection that stopped answering (disconnect, then reconnect), and then:
 * - a disconnect ends every node, and each node that ends on the emptied pool drains it again: the status goes to
 *   'end', then back to 'close' for good. BullMQ reconnects from 'end' but waits forever on 'close'. Here 'end'
 *   stays 'end' until the next connect.
 * - connect() whose ready check fails (a restarted master still says cluster_state:fail) retries by itself but
 *   never settles its promise, and BullMQ awaits it. Here it settles on the next 'ready' (or 'end').
 * Duplicates (BullMQ's own connections) get the same treatment.
 */
export function withBullMqFixes(cluster: Cluster): Cluster {
  const internals = cluster as unknown as ClusterInternals;
  const setStatus = internals.setStatus.bind(cluster);
  internals.setStatus = (status) => {
    if (!(status === 'close' && cluster.status === 'end')) setStatus(status);
  };
  const connect = cluster.connect.bind(cluster);
  let nextReadyOrEnd: Promise<void> | undefined; // one pair of listeners, however many retries are pending
  const readyOrEnd = () =>
    (nextReadyOrEnd ??= new Promise<void>((resolve, reject) => {
      const settle = (done: () => void) => () => {
        cluster.off('ready', onReady).off('end', onEnd);
        nextReadyOrEnd = undefined;
        done();
      };
      const onReady = settle(resolve);
      const onEnd = settle(() => reject(new Error('Connection is closed.')));
      cluster.once('ready', onReady).once('end', onEnd);
    }));
  cluster.connect = () => Promise.race([connect(), readyOrEnd()]);
  const duplicate = cluster.duplicate.bind(cluster);
  cluster.duplicate = (...args) => withBullMqFixes(duplicate(...args));
  return cluster;
}
