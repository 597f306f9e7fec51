import { expect } from 'vitest';
import type { CallView } from '../../src/calls/callView.js';
import type { BulkCancelOperation } from '../../src/store/BulkCancelStore.js';
import { inMs, jsonBody, waitFor, type TestClient } from '../support/testApp.js';

/** Helpers shared by the Call API tests (not a test file itself). */

export const CALLS = '/apps/api/v1/calls';
export const HOUR_MS = 60 * 60 * 1000;

/** The call object as the API returns it. */
export type Call = CallView;

/** GET / PATCH .../customer_flag, the same three flags as the call's `customer_flag`. */
export type CustomerFlag = Call['customer_flag'];

/** A bulk cancel operation as the API returns it (202 answer and GET on its Location). */
export type BulkCancelView = Omit<BulkCancelOperation, 'call_ids'>;

/** A valid create body (an hour out, so it never fires during a test); fields can be overridden or removed with undefined. */
export function callBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    call_type: 'Voice Scheduled (API)',
    menu_id: 9,
    end_user_number: '+1 859-657-9625',
    scheduled_at: inMs(HOUR_MS),
    ...overrides,
  };
}

export async function createCall(t: TestClient, overrides: Record<string, unknown> = {}): Promise<Call> {
  const res = await t.api('POST', CALLS, callBody(overrides));
  const text = await res.text();
  expect(res.status, text).toBe(201);
  return JSON.parse(text) as Call;
}

export async function getCall(t: TestClient, id: number): Promise<Call> {
  const res = await t.api('GET', `${CALLS}/${id}`);
  expect(res.status).toBe(200);
  return jsonBody<Call>(res);
}

/** X-Total-Count of the call list (optionally filtered, e.g. "ticket_id=42"). */
export async function totalCalls(t: TestClient, query = ''): Promise<number> {
  const res = await t.api('GET', `${CALLS}${query ? `?${query}` : ''}`);
  expect(res.status).toBe(200);
  const header = res.headers.get('x-total-count');
  expect(header).toMatch(/^\d+$/);
  return Number(header);
}

export async function waitForStatus(t: TestClient, id: number, status: string, timeoutMs = 10_000): Promise<Call> {
  return waitFor(
    async () => {
      const call = await getCall(t, id);
      return call.status === status ? call : null;
    },
    timeoutMs,
    `call ${id} to become ${status}`,
  );
}

/** Asserts the exact error shape `{"message": ...}` with the given status; returns the message. */
export async function expectError(res: Response, status: number, message?: string): Promise<string> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = JSON.parse(text) as { message?: unknown };
  expect(Object.keys(body)).toEqual(['message']);
  expect(typeof body.message).toBe('string');
  expect((body.message as string).length).toBeGreaterThan(0);
  if (message !== undefined) expect(body.message).toBe(message);
  return body.message as string;
}

/** A request without any credentials (the test client always adds the API user's). */
export function anonymous(
  t: TestClient,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(t.url + path, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export const ISO_UTC_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
