import type { Logger } from 'pino';

/**
 * Runs `task` now and then every `intervalMs` (the worker's housekeeping: reconciler, stale-call sweep).
 * A failed run is logged and tried again next time. Returns the function that stops it.
 */
export function startPeriodic(name: string, intervalMs: number, task: () => Promise<unknown>, logger: Logger): () => void {
  const tick = () => {
    task().catch((err) => logger.warn({ task: name, err: (err as Error).message }, 'periodic task failed'));
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref(); // housekeeping never keeps a stopping process alive
  return () => clearInterval(timer);
}
