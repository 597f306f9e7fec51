import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturingLogger } from '../support/captureLogs.js';
import { InMemoryCrm } from '../support/InMemoryCrm.js';
import { deletePrefix, uniquePrefix } from '../support/redis.js';
import { jsonBody, startTestApp, type ErrorBody, type TestClient } from '../support/testApp.js';
import { testConfig } from '../support/testConfig.js';

/** A CRM adapter with a bug of ours in its read path (not a CRM failure). */
class BuggyCrm extends InMemoryCrm {
  override readRecords(): never {
    throw new TypeError("Cannot read properties of undefined (reading 'Status')");
  }
}

const prefix = uniquePrefix('explain-bug');
const { logger, lines } = capturingLogger('info');
const crm = new BuggyCrm('zendesk');
const down = new InMemoryCrm('zendesk');
let t: TestClient;
let t2: TestClient;

beforeAll(async () => {
  t = await startTestApp(testConfig(prefix), { worker: false, crmAdapter: crm, logger });
  t2 = await startTestApp(testConfig(`${prefix}-down`), { worker: false, crmAdapter: down });
  down.down = true;
});

afterAll(async () => {
  await t?.app.close();
  await t2?.app.close();
  await deletePrefix(prefix);
  await deletePrefix(`${prefix}-down`);
});

describe('POST /admin/v1/explain when reading the record fails', () => {
  it('a bug of ours is a 500 logged at error level, not a made-up "CRM unreachable" answer', async () => {
    const res = await t.admin('POST', '/admin/v1/explain', { ticket_id: '1234' });
    expect(res.status).toBe(500);
    expect(await jsonBody<ErrorBody>(res)).toEqual({ message: 'Internal server error' });
    const errors = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level >= 50);
    expect(errors.length).toBeGreaterThan(0);
    expect(lines.join('\n')).toContain('TypeError');
  });

  it('a CRM that does not answer is the unreachable outcome: cancel, with its comment', async () => {
    const res = await t2.admin('POST', '/admin/v1/explain', { ticket_id: '1234' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ decision: 'cancel', fail_reason: 'crm_unreachable' });
  });
});
