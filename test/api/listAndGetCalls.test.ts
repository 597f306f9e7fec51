import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePrefix, uniquePrefix } from '../support/redis.js';
import { startTestApp, type TestClient } from '../support/testApp.js';
import { testConfig } from '../support/testConfig.js';
import { CALLS, createCall, expectError, getCall, totalCalls, type Call } from './callApi.js';

const prefix = uniquePrefix('api-list');
let t: TestClient;
/** Ids of every call created here, in creation order. */
const ids: number[] = [];
const TOTAL = 106;
let ticketCalls: { canceled: Call; scheduled: Call };

beforeAll(async () => {
  t = await startTestApp(testConfig(prefix));
  // 104 plain calls (in order, so ids rise with creation), then two calls for one ticket, the first canceled.
  for (let i = 0; i < TOTAL - 2; i += 1) ids.push((await createCall(t, { end_user_number: `+1 859-657-${String(1000 + i)}` })).id);
  const first = await createCall(t, { ticket_id: 'LIST-7' });
  const cancel = await t.api('PATCH', `${CALLS}/scheduled/${first.id}/cancel`);
  expect(cancel.status).toBe(200);
  const second = await createCall(t, { ticket_id: 'LIST-7' });
  ids.push(first.id, second.id);
  ticketCalls = { canceled: await getCall(t, first.id), scheduled: second };
});

afterAll(async () => {
  await t?.app.close();
  await deletePrefix(prefix);
});

async function list(query = ''): Promise<{ res: Response; calls: Call[]; total: number; link: string | null }> {
  const res = await t.api('GET', `${CALLS}${query ? `?${query}` : ''}`);
  expect(res.status).toBe(200);
  const calls = (await res.json()) as Call[];
  expect(Array.isArray(calls)).toBe(true);
  return { res, calls, total: Number(res.headers.get('x-total-count')), link: res.headers.get('link') };
}

/** The URL of the `rel="next"` link, or null. */
function nextLink(link: string | null): string | null {
  const m = link ? /<([^>]+)>;\s*rel="next"/.exec(link) : null;
  return m ? m[1]! : null;
}

describe('GET /apps/api/v1/calls/{id}', () => {
  it('returns the call object', async () => {
    const call = await getCall(t, ticketCalls.scheduled.id);
    expect(call).toEqual(ticketCalls.scheduled);
  });

  it.each(['999999', '0', 'abc', '-1', '1.5', '12abc', '99999999999999999999'])(
    '404 {"message": "Call not found"} for id %s',
    async (id) => {
      const res = await t.api('GET', `${CALLS}/${id}`);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ message: 'Call not found' });
    },
  );
});

describe('GET /apps/api/v1/calls', () => {
  it('lists newest first, 25 a page by default, with X-Total-Count and a next link', async () => {
    const { calls, total, link } = await list();
    expect(total).toBe(TOTAL);
    expect(calls).toHaveLength(25);
    expect(calls.map((c) => c.id)).toEqual([...ids].reverse().slice(0, 25));
    expect(nextLink(link)).not.toBeNull();
    // Each item is a full call object.
    expect(calls[0]).toEqual(ticketCalls.scheduled);
  });

  it('pages without gaps or overlaps, and the last page has no next link', async () => {
    const seen: number[] = [];
    let query: string | null = 'per_page=30';
    let pages = 0;
    while (query !== null) {
      const page = await list(query);
      expect(page.total).toBe(TOTAL);
      seen.push(...page.calls.map((c) => c.id));
      const next = nextLink(page.link);
      query = next === null ? null : next.split('?')[1]!;
      if (next !== null) expect(next.startsWith(`${CALLS}?`)).toBe(true);
      pages += 1;
      expect(pages).toBeLessThanOrEqual(4);
    }
    expect(pages).toBe(4); // 30 + 30 + 30 + 16
    expect(seen).toEqual([...ids].reverse());
  });

  it('page and per_page select a slice', async () => {
    const { calls, link } = await list('page=2&per_page=10');
    expect(calls.map((c) => c.id)).toEqual([...ids].reverse().slice(10, 20));
    expect(nextLink(link)).toContain('page=3');
    const last = await list(`page=11&per_page=10`);
    expect(last.calls.map((c) => c.id)).toEqual([...ids].reverse().slice(100));
    expect(nextLink(last.link)).toBeNull();
    const beyond = await list('page=50&per_page=10');
    expect(beyond.calls).toEqual([]);
    expect(beyond.total).toBe(TOTAL);
    expect(nextLink(beyond.link)).toBeNull();
  });

  it('per_page is capped at 100', async () => {
    const { calls, total, link } = await list('per_page=500');
    expect(total).toBe(TOTAL);
    expect(calls).toHaveLength(100);
    expect(nextLink(link)).not.toBeNull();
    const exactly = await list('per_page=100&page=2');
    expect(exactly.calls).toHaveLength(TOTAL - 100);
    expect(nextLink(exactly.link)).toBeNull();
  });

  it('filters by status', async () => {
    const canceled = await list('status=canceled');
    expect(canceled.total).toBe(1);
    expect(canceled.calls.map((c) => c.id)).toEqual([ticketCalls.canceled.id]);
    expect(canceled.calls[0]!.status).toBe('canceled');
    expect(nextLink(canceled.link)).toBeNull();

    const scheduled = await list('status=scheduled&per_page=100');
    expect(scheduled.total).toBe(TOTAL - 1);
    expect(scheduled.calls.every((c) => c.status === 'scheduled')).toBe(true);
    expect(await totalCalls(t, 'status=finished')).toBe(0);
  });

  it('filters by ticket_id, alone and with status; the next link keeps the filters', async () => {
    const byTicket = await list('ticket_id=LIST-7');
    expect(byTicket.total).toBe(2);
    expect(byTicket.calls.map((c) => c.id)).toEqual([ticketCalls.scheduled.id, ticketCalls.canceled.id]);
    expect(byTicket.calls.every((c) => c.out_ticket_id === 'LIST-7')).toBe(true);

    const both = await list('ticket_id=LIST-7&status=canceled');
    expect(both.total).toBe(1);
    expect(both.calls.map((c) => c.id)).toEqual([ticketCalls.canceled.id]);

    const paged = await list('ticket_id=LIST-7&per_page=1');
    expect(paged.calls.map((c) => c.id)).toEqual([ticketCalls.scheduled.id]);
    const next = nextLink(paged.link)!;
    expect(next).toContain('ticket_id=LIST-7');
    const second = await list(next.split('?')[1]);
    expect(second.calls.map((c) => c.id)).toEqual([ticketCalls.canceled.id]);

    expect(await totalCalls(t, 'ticket_id=NO-SUCH-TICKET')).toBe(0);
  });

  it.each([
    ['status=bogus', /status/],
    ['status=SCHEDULED', /status/],
    ['per_page=0', /per_page/],
    ['per_page=abc', /per_page/],
    ['per_page=-5', /per_page/],
    ['page=0', /page/],
    ['page=1.5', /page/],
  ])('400 for %s', async (query, mentions) => {
    const message = await expectError(await t.api('GET', `${CALLS}?${query}`), 400);
    expect(message).toMatch(mentions);
  });
});
