import { startApp, type AppOptions, type RunningApp } from '../../src/App.js';
import { adminRoutes } from '../../src/admin/adminRoutes.js';
import type { AppConfig } from '../../src/config/schema.js';
import { API_USER, ADMIN_USER } from './testConfig.js';

export interface TestClient {
  app: RunningApp;
  url: string;
  /** fetch against the app with the API user's Basic auth (override with headers.authorization). */
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  admin(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
}

export const basic = (u: { username: string; password: string }) =>
  `Basic ${Buffer.from(`${u.username}:${u.password}`).toString('base64')}`;

/** Starts API + worker (by default) in this process on a random port with the admin routes mounted. */
export async function startTestApp(config: AppConfig, options: Partial<AppOptions> = {}): Promise<TestClient> {
  const app = await startApp(config, { api: true, worker: true, routes: [adminRoutes], stalledIntervalMs: 1000, ...options });
  const url = app.url ?? '';
  const call =
    (auth: string) =>
    async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      fetch(url + path, {
        method,
        headers: { authorization: auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
  return { app, url, api: call(basic(API_USER)), admin: call(basic(ADMIN_USER)) };
}

/** The API's error body: exactly `{"message": ...}` (SPEC). */
export interface ErrorBody {
  message: string;
}

/** The response's JSON body, typed as the test reads it (the test's assertions check the values). */
export async function jsonBody<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

/** Polls until `check` returns a truthy value (or throws after `timeoutMs`). */
export async function waitFor<T>(
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** An ISO time `ms` from now. */
export const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();
