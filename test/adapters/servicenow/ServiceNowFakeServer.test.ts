import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ServiceNowFakeServer } from '../../fakes/ServiceNowFakeServer.js';

/** The fake's own wire behaviour, checked with plain fetch so the adapter tests rest on a faithful imitation. */
describe('ServiceNowFakeServer (Table API imitation)', () => {
  let fake: ServiceNowFakeServer;
  let auth: string;
  const ids = ['0'.repeat(31) + '1', '0'.repeat(31) + '2', '0'.repeat(31) + '3'];

  beforeEach(async () => {
    fake = new ServiceNowFakeServer();
    await fake.start();
    auth = `Basic ${Buffer.from(`svc:${fake.password}`).toString('base64')}`;
    fake.addRecord({ id: ids[0]!, closed: false, status: '2' });
    fake.addRecord({ id: ids[1]!, closed: true });
    fake.addRecord({ id: ids[2]!, closed: false, status: '6' });
  });

  afterEach(async () => {
    await fake.stop();
  });

  const get = (path: string, headers: Record<string, string> = { authorization: auth }) =>
    fetch(`${fake.baseUrl}${path}`, { headers: { accept: 'application/json', ...headers } });

  it('serves one record with string values and honours sysparm_fields', async () => {
    const res = await get(`/api/now/table/incident/${ids[1]}?sysparm_fields=sys_id,state,active`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ result: { sys_id: ids[1], state: '7', active: 'false' } });
  });

  it('answers 404 with ServiceNow’s error body for an unknown sys_id', async () => {
    const res = await get(`/api/now/table/incident/${'f'.repeat(32)}`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: { message: 'No Record found', detail: "Record doesn't exist or ACL restricts the record retrieval" },
      status: 'failure',
    });
  });

  it('answers 401 with ServiceNow’s body without valid credentials', async () => {
    const wrong = `Basic ${Buffer.from('svc:nope').toString('base64')}`;
    for (const headers of [{}, { authorization: wrong }] as Record<string, string>[]) {
      const res = await get(`/api/now/table/incident/${ids[0]}`, headers);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({
        error: { message: 'User Not Authenticated', detail: 'Required to provide Auth information' },
        status: 'failure',
      });
    }
  });

  it('filters lists by encoded query (IN, ^, ^OR), pages with sysparm_limit and sends X-Total-Count', async () => {
    const q = (query: string, extra = '') =>
      get(`/api/now/table/incident?sysparm_query=${encodeURIComponent(query)}&sysparm_fields=number${extra}`);

    let res = await q(`sys_idIN${ids[0]},${ids[1]}^ORnumber=INC0010003`);
    expect(await res.json()).toEqual({ result: [{ number: 'INC0010001' }, { number: 'INC0010002' }, { number: 'INC0010003' }] });
    expect(res.headers.get('x-total-count')).toBe('3');

    res = await q('active=true^state=6');
    expect(await res.json()).toEqual({ result: [{ number: 'INC0010003' }] });

    res = await q('numberINinc0010001,INC0010002', '&sysparm_limit=1');
    expect(await res.json()).toEqual({ result: [{ number: 'INC0010001' }] });
    expect(res.headers.get('x-total-count')).toBe('2');

    // Like ServiceNow, a condition on a field the table lacks is dropped rather than refused.
    res = await q('no_such_field=1^state=7');
    expect(await res.json()).toEqual({ result: [{ number: 'INC0010002' }] });
  });

  it('appends PATCHed work_notes to the journal, queryable through sys_journal_field', async () => {
    const res = await fetch(`${fake.baseUrl}/api/now/table/incident/${ids[0]}`, {
      method: 'PATCH',
      headers: { authorization: auth, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ work_notes: 'hello', no_such_field: 'x' }),
    });
    expect(res.status).toBe(200);
    expect(fake.journal(ids[0]!).map(({ element, value }) => ({ element, value }))).toEqual([{ element: 'work_notes', value: 'hello' }]);

    const query = `element_id=${ids[0]}^element=work_notes^sys_created_on>=2000-01-01 00:00:00`;
    const journal = await get(`/api/now/table/sys_journal_field?sysparm_query=${encodeURIComponent(query)}&sysparm_fields=value`);
    expect(await journal.json()).toEqual({ result: [{ value: 'hello' }] });
    const later = query.replace('2000-01-01', '2999-01-01');
    const none = await get(`/api/now/table/sys_journal_field?sysparm_query=${encodeURIComponent(later)}`);
    expect(await none.json()).toEqual({ result: [] });
  });

  it('sends Retry-After and X-RateLimit-* on 429', async () => {
    await fake.setMode({ kind: 'rate_limited', retryAfterSeconds: 3, times: 1 });
    const res = await get(`/api/now/table/incident/${ids[0]}`);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(res.headers.get('x-ratelimit-limit')).toBe('100');
    expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(res.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    expect((await get(`/api/now/table/incident/${ids[0]}`)).status).toBe(200);
  });

  it('refuses other tables with 400 Invalid table', async () => {
    const res = await get('/api/now/table/sn_customerservice_case');
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { message: 'Invalid table sn_customerservice_case', detail: null }, status: 'failure' });
  });
});
