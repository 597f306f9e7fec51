import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CrmSettings, PolicyChange } from '../../src/cli/adminClient.js';
import { CRM_COMMENTS } from '../../src/policy/crmComments.js';
import { InMemoryCrm } from '../support/InMemoryCrm.js';
import { deadLoopbackUrl, runCliCaptured, type CliRun } from '../support/cliHarness.js';
import { deletePrefix, uniquePrefix } from '../support/redis.js';
import { jsonBody, startTestApp, waitFor, type TestClient } from '../support/testApp.js';
import { ADMIN_USER, API_USER, testConfig } from '../support/testConfig.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const prefix = uniquePrefix('cli');
const crm = new InMemoryCrm('salesforce');
let t: TestClient;
let deadUrl: string;

beforeAll(async () => {
  t = await startTestApp(testConfig(prefix), { worker: false, crmAdapter: crm });
  await waitFor(async () => (await fetch(`${t.url}/readyz`)).ok, 5000, 'redis ready');
  deadUrl = await deadLoopbackUrl(); // a port nothing listens on
});

afterAll(async () => {
  await t?.app.close();
  await deletePrefix(prefix);
});

/** Runs the CLI in this process with the admin credentials in the environment (as an operator would). */
function cli(
  args: string[],
  env: NodeJS.ProcessEnv = { CBO_URL: t.url, CBO_ADMIN_USER: ADMIN_USER.username, CBO_ADMIN_PASSWORD: ADMIN_USER.password },
): Promise<CliRun> {
  return runCliCaptured(args, env);
}

const policyNow = async () => (await jsonBody<CrmSettings>(await t.admin('GET', '/admin/v1/settings/crm'))).salesforce.closedRecordPolicy;

describe('callback-orchestrator policy', () => {
  it('get: prints the policy with the portal wording; --json prints the API answer', async () => {
    const human = await cli(['policy', 'get']);
    expect(human).toEqual({
      code: 0,
      stdout: 'Salesforce closed-record policy: reopen (Check record status. If the record is closed, reopen it.)\n',
      stderr: '',
    });
    const json = await cli(['policy', 'get', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ salesforce: { closedRecordPolicy: 'reopen' } });
    // Global options before the command work as well.
    expect(JSON.parse((await cli(['--json', 'policy', 'get'])).stdout)).toEqual({ salesforce: { closedRecordPolicy: 'reopen' } });
  });

  it('set: changes the policy on the server and says from what to what', async () => {
    const res = await cli(['policy', 'set', 'cancel']);
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(
      'Salesforce closed-record policy changed from reopen to cancel (Check record status. If the record is closed, cancel the scheduled call.)\n',
    );
    expect(await policyNow()).toBe('cancel');

    const again = await cli(['policy', 'set', 'cancel', '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ salesforce: { closedRecordPolicy: 'cancel' } });
  });

  it('set with a bad value: exit 1 and the server 400 message on one line; nothing changes', async () => {
    const res = await cli(['policy', 'set', 'close']);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toBe(
      'callback-orchestrator: 400 Bad Request: salesforce.closedRecordPolicy must be one of: dont_check, reopen, cancel\n',
    );
    expect(await policyNow()).toBe('cancel');
  });

  it('history: a table newest first, or the JSON array with --json', async () => {
    await cli(['policy', 'set', 'dont_check']);
    const res = await cli(['policy', 'history']);
    expect(res.code).toBe(0);
    const lines = res.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^WHEN\s+USER\s+OLD\s+NEW$/);
    expect(lines[1]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC\s+admin\s+cancel\s+dont_check$/);
    expect(lines[2]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC\s+admin\s+reopen\s+cancel$/);
    expect(lines).toHaveLength(3);

    const json = await cli(['policy', 'history', '--json']);
    const history = JSON.parse(json.stdout) as PolicyChange[];
    expect(history).toEqual(await (await t.admin('GET', '/admin/v1/settings/crm/history')).json());
    expect(history.map((h) => h.new)).toEqual(['dont_check', 'cancel']);
    expect(JSON.parse((await cli(['policy', 'history', '--limit', '1', '--json'])).stdout)).toEqual(history.slice(0, 1));
    expect((await cli(['policy', 'history', '--limit', 'x'])).code).toBe(1);
  });
});

describe('callback-orchestrator explain', () => {
  it('answers what would happen now, without changing anything', async () => {
    await cli(['policy', 'set', 'cancel']);
    crm.records.set('500Hs00001XyZaB', { closed: true, status: 'Closed' });
    const res = await cli(['explain', '500Hs00001XyZaB']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('Decision:     cancel');
    expect(res.stdout).toContain(`Comment:      ${CRM_COMMENTS.record_closed_canceled}`);
    expect(res.stdout).toContain('Fail reason:  record_closed');
    expect(res.stdout).toContain('CRM status:   Closed');
    expect(res.stdout).toContain('Calling:      (no scheduled call for the record: not evaluated)');

    const json = await cli(['explain', '500Hs00001XyZaB', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({
      decision: 'cancel',
      reopen: false,
      comment: CRM_COMMENTS.record_closed_canceled,
      fail_reason: 'record_closed',
      crm_status: 'Closed',
      calling: null, // the record has no scheduled call: no calling rules to evaluate
    });
    expect(crm.comments).toEqual([]);
    expect(crm.reopened).toEqual([]);
    expect(crm.records.get('500Hs00001XyZaB')).toEqual({ closed: true, status: 'Closed' });
  });

  it('a malformed ticket id: exit 1 with the server message', async () => {
    const res = await cli(['explain', 'not/a-valid id']);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe('callback-orchestrator: 400 Bad Request: ticket_id is not well formed\n');
  });

  it('--call for an unknown call: exit 1 with the 404', async () => {
    const res = await cli(['explain', '--call', '99999999']);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe('callback-orchestrator: 404 Not Found: call_id 99999999 is not found\n');
  });

  it('neither a ticket id nor --call: exit 1 with a usage line', async () => {
    const res = await cli(['explain']);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe('callback-orchestrator: explain needs a ticket_id or --call <call_id> (one of them)\n');
  });
});

describe('connection and errors', () => {
  it('flags override the environment', async () => {
    const res = await cli(['policy', 'get', '--url', t.url, '--user', ADMIN_USER.username, '--password', ADMIN_USER.password], {
      CBO_URL: deadUrl,
      CBO_ADMIN_USER: 'nobody',
      CBO_ADMIN_PASSWORD: 'wrong-password',
    });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^Salesforce closed-record policy: /);
  });

  it('cannot reach the URL: exit 1, one line naming the URL', async () => {
    const res = await cli(['policy', 'get'], { CBO_URL: deadUrl, CBO_ADMIN_USER: 'admin', CBO_ADMIN_PASSWORD: 'x' });
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toBe(`callback-orchestrator: cannot reach ${deadUrl}: connection refused (ECONNREFUSED)\n`);
  });

  it('defaults to http://127.0.0.1:8080 when no URL is given', async () => {
    const res = await cli(['policy', 'get'], { CBO_ADMIN_USER: 'admin', CBO_ADMIN_PASSWORD: 'x' });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(
      /^callback-orchestrator: (cannot reach http:\/\/127\.0\.0\.1:8080|401 Unauthorized from http:\/\/127\.0\.0\.1:8080|.*127\.0\.0\.1:8080)/,
    );
    expect(res.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('a bad password: exit 1, 401 bad credentials, and the password is not echoed', async () => {
    const res = await cli(['policy', 'get'], { CBO_URL: t.url, CBO_ADMIN_USER: 'admin', CBO_ADMIN_PASSWORD: 'wrong-password-123' });
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(
      `callback-orchestrator: 401 Unauthorized from ${t.url}: bad credentials for user "admin" (check --user/--password or CBO_ADMIN_USER/CBO_ADMIN_PASSWORD)\n`,
    );
    expect(res.stderr).not.toContain('wrong-password-123');
  });

  it('no credentials: exit 1, 401 saying none were given', async () => {
    const res = await cli(['policy', 'get'], { CBO_URL: t.url });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^callback-orchestrator: 401 Unauthorized from .*: no credentials given/);
  });

  it('an API user: exit 1, 403', async () => {
    const res = await cli(['policy', 'set', 'reopen'], {
      CBO_URL: t.url,
      CBO_ADMIN_USER: API_USER.username,
      CBO_ADMIN_PASSWORD: API_USER.password,
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^callback-orchestrator: 403 Forbidden from .*: user "key" is not an admin user/);
  });

  it('an invalid URL: exit 1', async () => {
    const res = await cli(['policy', 'get', '--url', 'not a url']);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe('callback-orchestrator: invalid URL "not a url": give --url or CBO_URL like http://127.0.0.1:8080\n');
  });

  it('an unknown command: non-zero exit and one line on stderr', async () => {
    const res = await cli(['polcy', 'get']);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain("unknown command 'polcy'");
    expect(res.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('as a child process', () => {
  const exec = promisify(execFile);
  const env = (extra: NodeJS.ProcessEnv) => ({
    ...process.env,
    CBO_URL: t.url,
    CBO_ADMIN_USER: ADMIN_USER.username,
    CBO_ADMIN_PASSWORD: ADMIN_USER.password,
    ...extra,
  });

  it('exits 0 and prints JSON on success', async () => {
    const { stdout } = await exec(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'policy', 'get', '--json'], {
      cwd: repoRoot,
      env: env({}),
    });
    expect(JSON.parse(stdout)).toEqual({ salesforce: { closedRecordPolicy: await policyNow() } });
  });

  it('exits non-zero with one line on stderr when the server cannot be reached', async () => {
    const err = await exec(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'policy', 'get'], {
      cwd: repoRoot,
      env: env({ CBO_URL: deadUrl }),
    }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toBe(`callback-orchestrator: cannot reach ${deadUrl}: connection refused (ECONNREFUSED)\n`);
  });
});
