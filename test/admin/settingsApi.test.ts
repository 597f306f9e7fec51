import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CrmSettings, PolicyChange } from '../../src/cli/adminClient.js';
import { SettingsStore } from '../../src/store/SettingsStore.js';
import { Redis } from 'ioredis';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { basic, jsonBody, startTestApp, waitFor, type ErrorBody, type TestClient } from '../support/testApp.js';
import { ADMIN_USER, API_USER, testConfig } from '../support/testConfig.js';

const prefix = uniquePrefix('admin-settings');
/** A second admin whose name would be markup if the page did not escape it. */
const ODD_ADMIN = { username: `o'<b>Brien</b>&"x"`, password: 'odd-admin-secret-42' };
const logLines: string[] = [];
const logStream = new Writable({
  write(chunk, _enc, done) {
    logLines.push(...String(chunk).split('\n').filter(Boolean));
    done();
  },
});
let t: TestClient;

const sfCrm = { provider: 'salesforce', salesforce: { instanceUrl: 'http://127.0.0.1:9', accessToken: 'x', closedRecordPolicy: 'cancel' } };
const config = () =>
  testConfig(prefix, { crm: sfCrm, auth: { apiUsers: [API_USER], adminUsers: [ADMIN_USER, ODD_ADMIN], bearerTokens: [] } });

beforeAll(async () => {
  t = await startTestApp(config(), { worker: false, logger: pino({ level: 'info' }, logStream) });
  await waitFor(async () => (await fetch(`${t.url}/readyz`)).ok, 5000, 'redis ready');
});

afterAll(async () => {
  await t?.app.close();
  await deletePrefix(prefix);
});

const put = (value: unknown, auth = basic(ADMIN_USER)) =>
  t.admin('PUT', '/admin/v1/settings/crm', { salesforce: { closedRecordPolicy: value } }, { authorization: auth });

describe('admin auth', () => {
  const paths: Array<[string, string, unknown?]> = [
    ['GET', '/admin/v1/settings/crm'],
    ['PUT', '/admin/v1/settings/crm', { salesforce: { closedRecordPolicy: 'reopen' } }],
    ['GET', '/admin/v1/settings/crm/history'],
    ['POST', '/admin/v1/explain', { ticket_id: '500Hs00001XyZaBIAV' }],
    ['GET', '/admin'],
    ['GET', '/admin/queues'],
    ['GET', '/admin/queues/api/queues'],
  ];

  it.each(paths)(
    '%s %s: 401 with WWW-Authenticate without credentials or with a wrong password, 403 for an API user',
    async (method, path, body) => {
      const none = await fetch(t.url + path, {
        method,
        headers: body ? { 'content-type': 'application/json' } : {},
        body: body ? JSON.stringify(body) : undefined,
      });
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Basic realm="[^"]+"$/);
      expect((await jsonBody<ErrorBody>(none)).message).toBeTruthy();

      const wrong = await t.admin(method, path, body, {
        authorization: basic({ username: ADMIN_USER.username, password: 'not-the-password' }),
      });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic /);

      const apiUser = await t.api(method, path, body);
      expect(apiUser.status).toBe(403);
      expect((await jsonBody<ErrorBody>(apiUser)).message).toBeTruthy();
    },
  );

  it('the queues dashboard lists the three queues for an admin', async () => {
    const page = await t.admin('GET', '/admin/queues');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const res = await t.admin('GET', '/admin/queues/api/queues');
    expect(res.status).toBe(200);
    const names = (await jsonBody<{ queues: Array<{ name: string }> }>(res)).queues.map((q) => q.name).sort();
    expect(names).toEqual(['{bulk-cancel}', '{callbacks}', '{crm-effects}']);
  });
});

describe('GET / PUT /admin/v1/settings/crm', () => {
  it('starts from the config file value, changes it, and answers 200 with the new settings', async () => {
    const first = await t.admin('GET', '/admin/v1/settings/crm');
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ salesforce: { closedRecordPolicy: 'cancel' } });

    const res = await put('reopen');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ salesforce: { closedRecordPolicy: 'reopen' } });
    expect(await (await t.admin('GET', '/admin/v1/settings/crm')).json()).toEqual({ salesforce: { closedRecordPolicy: 'reopen' } });

    // Stored in Redis: a process started later with the same config sees the change, not the file's value.
    const redis = new Redis(TEST_REDIS_URL);
    try {
      expect(await new SettingsStore(redis, prefix, 'cancel').getClosedRecordPolicy()).toBe('reopen');
    } finally {
      redis.disconnect();
    }
  });

  it.each([
    ['an unknown value', { salesforce: { closedRecordPolicy: 'close' } }],
    ['a value in the wrong case', { salesforce: { closedRecordPolicy: 'REOPEN' } }],
    ['a number', { salesforce: { closedRecordPolicy: 1 } }],
    ['null', { salesforce: { closedRecordPolicy: null } }],
    ['no policy', { salesforce: {} }],
    ['no salesforce object', {}],
    ['salesforce as a string', { salesforce: 'reopen' }],
    ['an unknown field', { salesforce: { closedRecordPolicy: 'reopen' }, zendesk: {} }],
    ['an unknown salesforce field', { salesforce: { closedRecordPolicy: 'reopen', reopenStatus: 'Working' } }],
    ['an array', [{ salesforce: { closedRecordPolicy: 'reopen' } }]],
    ['a bare string', 'reopen'],
  ])('refuses %s with a 400 naming the allowed values, and changes nothing', async (_what, body) => {
    const before = await jsonBody<PolicyChange[]>(await t.admin('GET', '/admin/v1/settings/crm/history'));
    const res = await t.admin('PUT', '/admin/v1/settings/crm', JSON.stringify(body), { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    const { message } = await jsonBody<ErrorBody>(res);
    expect(message).toContain('dont_check');
    expect(message).toContain('reopen');
    expect(message).toContain('cancel');
    expect(await (await t.admin('GET', '/admin/v1/settings/crm')).json()).toEqual({ salesforce: { closedRecordPolicy: 'reopen' } });
    expect(await (await t.admin('GET', '/admin/v1/settings/crm/history')).json()).toEqual(before);
  });

  it('refuses malformed JSON with a 400 {"message"}', async () => {
    const res = await t.admin('PUT', '/admin/v1/settings/crm', '{"salesforce": ', { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect((await jsonBody<ErrorBody>(res)).message).toBeTruthy();
  });
});

describe('audit history', () => {
  it('records who, when, old and new for every change, newest first; saving the same value records nothing', async () => {
    const current = (await jsonBody<CrmSettings>(await t.admin('GET', '/admin/v1/settings/crm'))).salesforce.closedRecordPolicy;
    const start = Date.now();
    expect((await put('dont_check')).status).toBe(200);
    expect((await put('dont_check')).status).toBe(200); // unchanged: no entry
    expect((await put('cancel', basic(ODD_ADMIN))).status).toBe(200);
    const end = Date.now();

    const res = await t.admin('GET', '/admin/v1/settings/crm/history');
    expect(res.status).toBe(200);
    const history = await jsonBody<PolicyChange[]>(res);
    expect(history.slice(0, 2).map(({ user, old, new: next }) => ({ user, old, new: next }))).toEqual([
      { user: ODD_ADMIN.username, old: 'dont_check', new: 'cancel' },
      { user: 'admin', old: current, new: 'dont_check' },
    ]);
    for (const entry of history.slice(0, 2)) {
      expect(Object.keys(entry).sort()).toEqual(['at', 'new', 'old', 'user']);
      expect(entry.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(Date.parse(entry.at)).toBeGreaterThanOrEqual(start - 1000);
      expect(Date.parse(entry.at)).toBeLessThanOrEqual(end + 1000);
    }
    expect(Date.parse(history[0]!.at)).toBeGreaterThanOrEqual(Date.parse(history[1]!.at));
    // The whole trail, oldest change last: the first change of this file went cancel (config) → reopen.
    expect(history.at(-1)).toMatchObject({ user: 'admin', old: 'cancel', new: 'reopen' });

    const limited = await jsonBody<PolicyChange[]>(await t.admin('GET', '/admin/v1/settings/crm/history?limit=1'));
    expect(limited).toEqual(history.slice(0, 1));
    expect((await t.admin('GET', '/admin/v1/settings/crm/history?limit=zero')).status).toBe(400);
  });

  it('logs each change with who, old and new, and never a password', async () => {
    await put('reopen');
    const changes = logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'salesforce closed-record policy changed');
    expect(changes.at(-1)).toMatchObject({ user: 'admin', old: 'cancel', new: 'reopen' });
    const all = logLines.join('\n');
    expect(all).not.toContain(ADMIN_USER.password);
    expect(all).not.toContain(ODD_ADMIN.password);
    expect(all).not.toContain(API_USER.password);
    expect(all).not.toContain(Buffer.from(`${ADMIN_USER.username}:${ADMIN_USER.password}`).toString('base64'));
  });
});

describe('the admin page', () => {
  it('is an HTML page for phones and desktops with the three options in the portal wording and the current one selected', async () => {
    await put('cancel');
    const res = await t.admin('GET', '/admin');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toContain("Don't check record status. Always initiate the API scheduled call.");
    expect(html).toContain('Check record status. If the record is closed, reopen it.');
    expect(html).toContain('Check record status. If the record is closed, cancel the scheduled call.');
    expect(html).toMatch(/<input type="radio" name="closedRecordPolicy" value="cancel" checked>/);
    expect(html).not.toMatch(/value="reopen" checked/);
    expect(html).toMatch(/<button type="submit" id="save-policy">Save<\/button>/);
    expect((await t.admin('GET', '/admin/')).status).toBe(200);

    for (const asset of ['/admin/assets/admin.js', '/admin/assets/admin.css']) {
      const a = await t.admin('GET', asset);
      expect(a.status).toBe(200);
      expect(html).toContain(asset);
    }
  });

  it('escapes what it renders from data (a user name full of markup)', async () => {
    await put('reopen', basic(ODD_ADMIN));
    const html = await (await t.admin('GET', '/admin', undefined, { authorization: basic(ODD_ADMIN) })).text();
    expect(html).not.toContain('<b>Brien</b>');
    expect(html).toContain("o'&lt;b&gt;Brien&lt;/b&gt;&amp;&quot;x&quot;");
  });
});
