import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../support/testApp.js';

/**
 * `src/main.ts` with ROLE=worker in a child process, for end-to-end tests that SIGKILL a worker mid-job.
 * Every process started here is SIGKILLed when the test process exits, should a test end without `killAll()`.
 */

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const running = new Set<ChildProcess>();

/** SIGKILLs every worker process still running (call it in afterAll: none may outlive the test file). */
export function killAllWorkerProcesses(): void {
  for (const child of running) child.kill('SIGKILL');
}
process.once('exit', killAllWorkerProcesses);

export interface WorkerProcess {
  /** Everything the process printed (pino JSON lines), for failure messages. */
  output(): string;
  /** SIGKILL, as a crash or an OOM kill would: no shutdown, jobs in flight are left locked. */
  kill(): Promise<void>;
}

/**
 * Starts a worker process on `configFile` and waits until its workers are ready (its "started" log line).
 * STALLED_INTERVAL_MS=1000: the jobs of a killed worker are taken back about 5 s after it died (see lockDurationMs).
 */
export async function startWorkerProcess(configFile: string): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, ROLE: 'worker', CONFIG_FILE: configFile, STALLED_INTERVAL_MS: '1000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => running.delete(child));

  await waitFor(
    () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`worker exited early:\n${output}`);
      return output.includes('callback-orchestrator started');
    },
    25_000,
    'the worker process to start',
  );
  return {
    output: () => output,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
