import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallView } from '../../src/calls/callView.js';
import { DialerStub } from '../support/DialerStub.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { basic, inMs, jsonBody, waitFor } from '../support/testApp.js';
import { API_USER, ADMIN_USER, DIALER_SECRET, SKILL_TOKEN } from '../support/testConfig.js';

/** The real entry point (src/main.ts) as an operator runs it: start-up, logs, SIGTERM. */
const prefix = uniquePrefix('lifecycle');
const dialer = new DialerStub();
let proc: ChildProcess | undefined;
let output = '';
let url = '';

function startProcess(configFile: string, env: Record<string, string> = {}): ChildProcess {
  output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, CONFIG_FILE: configFile, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return child;
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) =>
    child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code)),
  );

beforeAll(async () => {
  await dialer.start();
  const dir = mkdtempSync(join(tmpdir(), 'cbo-lifecycle-'));
  const config = join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({
      server: { host: '127.0.0.1', port: 0 },
      redis: { url: TEST_REDIS_URL, prefix },
      auth: { apiUsers: [API_USER], adminUsers: [ADMIN_USER], bearerTokens: [{ token: SKILL_TOKEN, skills: ['Online Requests'] }] },
      menus: [{ id: 9, name: 'Lock Star', type: 'web', languages: ['en'] }],
      skills: [{ name: 'Online Requests', menuId: 9 }],
      dialer: { kind: 'webhook', url: dialer.url, secret: DIALER_SECRET },
      logLevel: 'info',
    }),
  );
  proc = startProcess(config);
  const started = await waitFor(() => /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(output), 20_000, 'the process to start');
  url = started[1]!;
});

afterAll(async () => {
  if (proc && proc.exitCode === null) proc.kill('SIGKILL');
  await dialer.stop();
  await deletePrefix(prefix);
});

describe('the daemon process', () => {
  it('logs JSON lines with no secrets or full phone numbers, then on SIGTERM finishes the job in flight and exits 0', async () => {
    dialer.delayMs = 1500; // the dial is still in flight when SIGTERM arrives
    const res = await fetch(`${url}/apps/api/v1/calls`, {
      method: 'POST',
      headers: { authorization: basic(API_USER), 'content-type': 'application/json' },
      body: JSON.stringify({ call_type: 'Voice Scheduled (API)', menu_id: 9, end_user_number: '+1 859-657-9625', scheduled_at: inMs(800) }),
    });
    expect(res.status).toBe(201);
    const { id } = await jsonBody<CallView>(res);
    await fetch(`${url}/rest/api/v1/callback`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SKILL_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ skill: 'Online Requests', callbackNumber: '3855551234' }),
    });
    await fetch(`${url}/apps/api/v1/calls`, {
      headers: { authorization: `Basic ${Buffer.from('key:wrong-password-1').toString('base64')}` },
    });

    await waitFor(() => dialer.forCall(id).length > 0, 10_000, 'the dial to start');
    proc!.kill('SIGTERM');
    const code = await exited(proc!);
    expect(code).toBe(0);
    expect(output).toContain('shutdown complete');
    expect(output).toMatch(new RegExp(`"callId":${id}[^\\n]*callback handed to the dialer`)); // finished, not cut off

    const lines = output.trim().split('\n');
    for (const line of lines) {
      expect(() => {
        JSON.parse(line);
      }, line).not.toThrow();
    }
    for (const secret of [
      API_USER.password,
      ADMIN_USER.password,
      SKILL_TOKEN,
      DIALER_SECRET,
      'wrong-password-1',
      '8596579625',
      '3855551234',
    ]) {
      expect(output).not.toContain(secret);
    }
    expect(output).toContain('***9625');
  });

  it('refuses to start on a bad config file, naming the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cbo-badconfig-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ auth: {}, dialer: { kind: 'webhook', url: 'nope' } }));
    const child = startProcess(file);
    expect(await exited(child)).toBe(1);
    expect(output).toMatch(/dialer\.url/);
  });
});
