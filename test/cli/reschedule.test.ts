import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLS, HOUR_MS, createCall, getCall } from '../api/callApi.js';
import { deadLoopbackUrl, runCliCaptured, type CliRun } from '../support/cliHarness.js';
import { deletePrefix, uniquePrefix } from '../support/redis.js';
import { inMs, startTestApp, waitFor, type TestClient } from '../support/testApp.js';
import { ADMIN_USER, API_USER, testConfig } from '../support/testConfig.js';

/** `callback-orchestrator calls reschedule <id> <ISO time>` (SPEC 7, 9.1) against a running instance. */

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const prefix = uniquePrefix('cli-reschedule');
let t: TestClient;
let deadUrl: string;

beforeAll(async () => {
  t = await startTestApp(testConfig(prefix), { worker: false });
  await waitFor(async () => (await fetch(`${t.url}/readyz`)).ok, 5000, 'redis ready');
  deadUrl = await deadLoopbackUrl(); // a port nothing listens on
});

afterAll(async () => {
  await t?.app.close();
  await deletePrefix(prefix);
});

/** Runs the CLI in this process with the API user's credentials in the environment (as a script would). */
function cli(
  args: string[],
  env: NodeJS.ProcessEnv = { CBO_URL: t.url, CBO_API_USER: API_USER.username, CBO_API_PASSWORD: API_USER.password },
): Promise<CliRun> {
  return runCliCaptured(args, env);
}

const failure = (stderr: string) => ({ code: 1, stdout: '', stderr: `callback-orchestrator: ${stderr}\n` });

describe('callback-orchestrator calls reschedule', () => {
  it('moves the call and says so in one line', async () => {
    const { id } = await createCall(t);
    const newAt = inMs(2 * HOUR_MS);
    expect(await cli(['calls', 'reschedule', String(id), newAt])).toEqual({
      code: 0,
      stdout: `call ${id} rescheduled to ${newAt}\n`,
      stderr: '',
    });
    const call = await getCall(t, id);
    expect(call.scheduled_at).toBe(newAt);
    expect(call.events.filter((e) => e.type === 'rescheduled')).toHaveLength(1);
  });

  it('reads a time with an offset as the same instant, and prints it in UTC', async () => {
    const { id } = await createCall(t);
    const res = await cli(['calls', 'reschedule', String(id), '2099-01-01T10:00:00+02:00']);
    expect(res).toEqual({ code: 0, stdout: `call ${id} rescheduled to 2099-01-01T08:00:00.000Z\n`, stderr: '' });
  });

  it('--json prints the call object as the API answers it', async () => {
    const { id } = await createCall(t);
    const newAt = inMs(3 * HOUR_MS);
    const res = await cli(['--json', 'calls', 'reschedule', String(id), newAt]);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual(await getCall(t, id));
    expect(JSON.parse(res.stdout)).toMatchObject({ id, status: 'scheduled', scheduled_at: newAt });
    // After the command as well.
    expect(JSON.parse((await cli(['calls', 'reschedule', String(id), inMs(4 * HOUR_MS), '--json'])).stdout)).toMatchObject({ id });
  });

  it('flags override the environment', async () => {
    const { id } = await createCall(t);
    const newAt = inMs(2 * HOUR_MS);
    const args = [
      'calls',
      'reschedule',
      String(id),
      newAt,
      '--url',
      t.url,
      '--api-user',
      API_USER.username,
      '--api-password',
      API_USER.password,
    ];
    const res = await cli(args, { CBO_URL: deadUrl, CBO_API_USER: 'nobody', CBO_API_PASSWORD: 'wrong-password' });
    expect(res).toEqual({ code: 0, stdout: `call ${id} rescheduled to ${newAt}\n`, stderr: '' });
  });
});

describe('calls reschedule: every failure is exit 1 and one line, and the call stays as it was', () => {
  it('400: the server message', async () => {
    const { id } = await createCall(t);
    const before = await getCall(t, id);
    expect(await cli(['calls', 'reschedule', String(id), inMs(-60_000)])).toEqual(
      failure('400 Bad Request: scheduled_at must be a valid future time'),
    );
    expect(await cli(['calls', 'reschedule', String(id), '2099-01-01T10:00:00'])).toEqual(
      failure('400 Bad Request: scheduled_at must be a valid future time'),
    );
    expect(await cli(['calls', 'reschedule', String(id), ''])).toEqual(failure('400 Bad Request: scheduled_at is required'));
    expect(await getCall(t, id)).toEqual(before);
  });

  it('404: an unknown call', async () => {
    expect(await cli(['calls', 'reschedule', '99999999', inMs(HOUR_MS)])).toEqual(failure('404 Not Found: Call not found'));
  });

  it('409: a call that is no longer scheduled', async () => {
    const { id } = await createCall(t);
    expect((await t.api('PATCH', `${CALLS}/scheduled/${id}/cancel`)).status).toBe(200);
    const before = await getCall(t, id);
    expect(await cli(['calls', 'reschedule', String(id), inMs(HOUR_MS)])).toEqual(
      failure('409 Conflict: Only a scheduled call can be rescheduled'),
    );
    expect(await getCall(t, id)).toEqual(before);
  });

  it('401: bad API credentials (the password is not echoed), none, or only an admin user', async () => {
    const { id } = await createCall(t);
    const before = await getCall(t, id);
    const args = ['calls', 'reschedule', String(id), inMs(2 * HOUR_MS)];
    const bad = await cli(args, { CBO_URL: t.url, CBO_API_USER: API_USER.username, CBO_API_PASSWORD: 'wrong-password-123' });
    expect(bad).toEqual(
      failure(
        `401 Unauthorized from ${t.url}: bad credentials for user "key" (check --api-user/--api-password or CBO_API_USER/CBO_API_PASSWORD)`,
      ),
    );
    expect(bad.stderr).not.toContain('wrong-password-123');
    const none = failure(
      `401 Unauthorized from ${t.url}: no credentials given (set --api-user and --api-password, or CBO_API_USER and CBO_API_PASSWORD)`,
    );
    expect(await cli(args, { CBO_URL: t.url })).toEqual(none);
    // The admin user's credentials are for the admin commands: not sent to the Call API.
    expect(await cli(args, { CBO_URL: t.url, CBO_ADMIN_USER: ADMIN_USER.username, CBO_ADMIN_PASSWORD: ADMIN_USER.password })).toEqual(none);
    expect(await getCall(t, id)).toEqual(before);
  });

  it('the instance cannot be reached: names the URL', async () => {
    const res = await cli(['calls', 'reschedule', '1', inMs(HOUR_MS)], { CBO_URL: deadUrl, CBO_API_USER: 'key', CBO_API_PASSWORD: 'x' });
    expect(res).toEqual(failure(`cannot reach ${deadUrl}: connection refused (ECONNREFUSED)`));
  });

  it('a call id that is not one: refused before anything is sent', async () => {
    const res = await cli(['calls', 'reschedule', 'abc', inMs(HOUR_MS)], { CBO_URL: deadUrl });
    expect(res).toEqual(failure('the call id must be a positive whole number, got "abc"'));
  });

  it('a missing argument: a usage line', async () => {
    const res = await cli(['calls', 'reschedule', '42']);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/missing required argument 'time'/);
    expect(res.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('calls reschedule as a child process', () => {
  const exec = promisify(execFile);
  const run = (args: string[], env: NodeJS.ProcessEnv) =>
    exec(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: repoRoot, env: { ...process.env, ...env } }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
  const env = { CBO_URL: '', CBO_API_USER: API_USER.username, CBO_API_PASSWORD: API_USER.password };

  it('exits 0 on success and 1 on a refusal', async () => {
    const { id } = await createCall(t);
    const newAt = inMs(2 * HOUR_MS);
    expect(await run(['calls', 'reschedule', String(id), newAt], { ...env, CBO_URL: t.url })).toEqual({
      code: 0,
      stdout: `call ${id} rescheduled to ${newAt}\n`,
      stderr: '',
    });
    expect(await run(['calls', 'reschedule', '99999999', newAt], { ...env, CBO_URL: t.url })).toEqual(
      failure('404 Not Found: Call not found'),
    );
  });
});
