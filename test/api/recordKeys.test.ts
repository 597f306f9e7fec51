import { afterAll, describe, expect, it } from 'vitest';
import { salesforceIdSuffix } from '../../adapters/salesforce/salesforceIds.js';
import { deletePrefix, uniquePrefix } from '../support/redis.js';
import { inMs, jsonBody, startTestApp, type TestClient } from '../support/testApp.js';
import { testConfig } from '../support/testConfig.js';
import type { Call } from './callApi.js';

/**
 * One CRM record, several spellings of its id: the duplicate guard and the ticket filter treat them as one record
 * (ServiceNow numbers and sys_ids in any letter case; Salesforce 15- and 18-character ids).
 */
const apps: Array<{ t: TestClient; prefix: string }> = [];

async function start(crm: Record<string, unknown>) {
  const prefix = uniquePrefix('api-record-keys');
  const t = await startTestApp(testConfig(prefix, { crm }), { worker: false }); // nothing fires: no CRM request
  apps.push({ t, prefix });
  return t;
}

afterAll(async () => {
  for (const { t, prefix } of apps) {
    await t.app.close();
    await deletePrefix(prefix);
  }
});

const create = (t: TestClient, ticket_id: string) =>
  t.api('POST', '/apps/api/v1/calls', {
    call_type: 'Voice Scheduled (API)',
    menu_id: 9,
    end_user_number: '+18596579625',
    scheduled_at: inMs(600_000),
    ticket_id,
  });

describe.each([
  [
    'servicenow',
    { provider: 'servicenow', servicenow: { instanceUrl: 'http://127.0.0.1:9', username: 'u', password: 'p' } },
    'INC0010001',
    'inc0010001',
  ],
  [
    'servicenow sys_id',
    { provider: 'servicenow', servicenow: { instanceUrl: 'http://127.0.0.1:9', username: 'u', password: 'p' } },
    '9d385017c611228701d22104cc95c371',
    '9D385017C611228701D22104CC95C371',
  ],
  [
    'salesforce',
    { provider: 'salesforce', salesforce: { instanceUrl: 'http://127.0.0.1:9', accessToken: 't' } },
    '500Hs00001AbCdE',
    `500Hs00001AbCdE${salesforceIdSuffix('500Hs00001AbCdE')}`,
  ],
])('%s', (_name, crm, spelling, otherSpelling) => {
  it('refuses a second call for the same record spelled differently, and finds it by either spelling', async () => {
    const t = await start(crm);
    const first = await create(t, spelling);
    expect(first.status).toBe(201);
    expect((await jsonBody<Call>(first)).out_ticket_id).toBe(spelling); // returned as given
    expect((await create(t, otherSpelling)).status).toBe(409);
    const list = await t.api('GET', `/apps/api/v1/calls?ticket_id=${otherSpelling}`);
    expect(list.headers.get('x-total-count')).toBe('1');
  });
});
