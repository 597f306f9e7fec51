import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePrefix, uniquePrefix } from '../support/redis.js';
import { basic, inMs, waitFor } from '../support/testApp.js';
import { API_USER, testConfig } from '../support/testConfig.js';

/**
 * SPEC 8: every line `npm start` prints on stdout is a JSON log line, start-up included; the one exception,
 * documented in the README, is the preparation before the daemon starts (the Redis check, the build), which
 * goes to stderr. And SPEC 6: SIGTERM sent to `npm start` reaches the daemon, which stops cleanly with 0.
 */

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const prefix = uniquePrefix('start-output');
const dir = mkdtempSync(join(tmpdir(), 'cbo-start-output-'));
const configFile = join(dir, 'config.json');
let npmStart: ChildProcess;
let stdout = '';
let stderr = '';

/** The environment of an operator's shell: none of the npm_* variables this test run may have inherited. */
function operatorEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CONFIG_FILE: configFile };
  for (const key of Object.keys(env)) if (key.toLowerCase().startsWith('npm_')) delete env[key];
  delete env.PORT;
  return env;
}

const exitCode = (child: ChildProcess) =>
  new Promise<number | null>((resolve) =>
    child.exitCode !== null || child.signalCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code)),
  );

const linesOf = (text: string) => text.replace(/\n$/, '').split('\n');

beforeAll(async () => {
  writeFileSync(configFile, JSON.stringify({ ...testConfig(prefix), logLevel: 'info' }));
  // Its own process group, so that afterAll can clean up a daemon that npm failed to stop.
  npmStart = spawn('npm', ['start'], { cwd: repoRoot, env: operatorEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  npmStart.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  npmStart.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  let ended = false; // 'close': exited, and all it printed has been read
  npmStart.once('close', () => (ended = true));
  // `npm start` builds first (tsc, incremental): seconds on a quiet machine, more on a busy one.
  const started = await waitFor(
    () => {
      if (ended) throw new Error(`npm start ended before it started the daemon: ${stderr}${stdout}`);
      return /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*"msg":"callback-orchestrator started"/.exec(stdout);
    },
    60_000,
    'npm start to report "callback-orchestrator started"',
  );
  // Some traffic, so that request and scheduling lines are part of what is checked.
  const res = await fetch(`${started[1]}/apps/api/v1/calls`, {
    method: 'POST',
    headers: { authorization: basic(API_USER), 'content-type': 'application/json' },
    body: JSON.stringify({
      call_type: 'Voice Scheduled (API)',
      menu_id: 9,
      end_user_number: '+1 859-657-9625',
      scheduled_at: inMs(60_000),
    }),
  });
  expect(res.status).toBe(201);
  npmStart.kill('SIGTERM');
}, 70_000);

afterAll(async () => {
  try {
    process.kill(-npmStart.pid!, 'SIGKILL');
  } catch {
    // the group is gone: everything exited
  }
  await deletePrefix(prefix);
  rmSync(dir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('passes SIGTERM on to the daemon, which finishes and exits 0 (npm does not leave it running)', async () => {
    expect(await exitCode(npmStart)).toBe(0);
    expect(stdout).toContain('"msg":"shutdown complete"');
  });

  it('prints only JSON lines on stdout, from start-up to shutdown (no npm banners, no script chatter)', async () => {
    await exitCode(npmStart);
    const lines = linesOf(stdout);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) expect(() => JSON.parse(line) as unknown, JSON.stringify(line)).not.toThrow();
  });

  it('prints on stderr only the preparation steps the README documents (the Redis check)', async () => {
    await exitCode(npmStart);
    const lines = linesOf(stderr);
    expect(lines.some((line) => line.startsWith('redis: answering at '))).toBe(true);
    for (const line of lines) expect(line).toMatch(/^redis: /);
  });
});
