import { compileErrors, validate } from '@readme/openapi-parser';
import type { OpenAPIV3_1 } from 'openapi-types';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { callViewSchema } from '../../src/calls/callView.js';
import { deletePrefix, uniquePrefix } from '../support/redis.js';
import { basic, startTestApp, type TestClient } from '../support/testApp.js';
import { API_USER, SKILL_TOKEN, testConfig } from '../support/testConfig.js';
import { CALLS, anonymous, callBody, createCall } from './callApi.js';

/** Every route the server registers, seen by an onRoute hook put on each Fastify instance as it is created. */
const registered = vi.hoisted(() => [] as Array<{ method: string; url: string }>);
vi.mock('fastify', async (importOriginal) => {
  const fastify = await importOriginal<typeof import('fastify')>();
  const withRouteLog = ((options?: Parameters<typeof fastify.default>[0]) =>
    fastify.default(options).addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) registered.push({ method, url: route.url });
    })) as typeof fastify.default;
  return { ...fastify, default: withRouteLog };
});

type Operation = OpenAPIV3_1.OperationObject;
type Method = 'get' | 'put' | 'post' | 'patch' | 'delete';

const prefix = uniquePrefix('api-openapi');
let t: TestClient;
let doc: OpenAPIV3_1.Document;

beforeAll(async () => {
  t = await startTestApp(testConfig(prefix), { worker: false });
  const res = await anonymous(t, 'GET', '/openapi.json');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  doc = (await res.json()) as OpenAPIV3_1.Document;
});

afterAll(async () => {
  await t?.app.close();
  await deletePrefix(prefix);
});

/** `/calls/:id` → `/calls/{id}`, as OpenAPI writes a path. */
const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');

function operation(method: string, path: string): Operation | undefined {
  return (doc.paths?.[path] as Record<string, Operation> | undefined)?.[method.toLowerCase()];
}

/** The messages a documented response gives as examples. */
function documentedMessages(method: Method, path: string, status: number): string[] {
  const response = operation(method, path)?.responses?.[String(status)] as OpenAPIV3_1.ResponseObject | undefined;
  const examples = response?.content?.['application/json']?.examples ?? {};
  return Object.values(examples).map((e) => ((e as OpenAPIV3_1.ExampleObject).value as { message: string }).message);
}

/** The answer is an error the document lists, with that exact message, for that endpoint and status. */
async function expectDocumentedError(res: Response, method: Method, path: string, status: number): Promise<void> {
  expect(res.status).toBe(status);
  const { message } = (await res.json()) as { message: string };
  expect(documentedMessages(method, path, status)).toContain(message);
}

describe('GET /openapi.json (SPEC 11)', () => {
  it('is an OpenAPI 3.1 document that the standard validator accepts, served without credentials', async () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    const result = await validate(structuredClone(doc) as Parameters<typeof validate>[0]);
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
    expect(result.warnings).toEqual([]);
  });

  it('has the three security schemes: Basic for API users, Basic for admin users (a separate one), Bearer for the skill callback', () => {
    const schemes = doc.components?.securitySchemes as Record<string, OpenAPIV3_1.HttpSecurityScheme>;
    expect(Object.values(schemes).map((s) => [s.type, s.scheme.toLowerCase()])).toEqual(
      expect.arrayContaining([
        ['http', 'basic'],
        ['http', 'basic'],
        ['http', 'bearer'],
      ]),
    );
    expect(Object.keys(schemes)).toHaveLength(3);

    const schemeOf = (method: Method, path: string) => operation(method, path)?.security?.flatMap((s) => Object.keys(s));
    const apiScheme = schemeOf('post', CALLS);
    const adminScheme = schemeOf('put', '/admin/v1/settings/crm');
    expect(apiScheme).toHaveLength(1);
    expect(adminScheme).toHaveLength(1);
    expect(apiScheme).not.toEqual(adminScheme);
    expect(schemes[apiScheme![0]!]!.scheme.toLowerCase()).toBe('basic');
    expect(schemes[adminScheme![0]!]!.scheme.toLowerCase()).toBe('basic');
    expect(schemes[schemeOf('post', '/rest/api/v1/callback')![0]!]!.scheme.toLowerCase()).toBe('bearer');

    // Each operation names the credential its part of the server checks; probes and this reference need none.
    for (const [path, item] of Object.entries(doc.paths ?? {})) {
      for (const [method, op] of Object.entries(item as Record<string, Operation>)) {
        const expected = path.startsWith('/apps/api/v1/')
          ? apiScheme
          : path.startsWith('/admin')
            ? adminScheme
            : path === '/rest/api/v1/callback'
              ? schemeOf('post', '/rest/api/v1/callback')
              : [];
        expect(
          op.security?.flatMap((s) => Object.keys(s)),
          `${method} ${path}`,
        ).toEqual(expected);
      }
    }
  });

  it('documents every route the server registers (admin routes included), and only routes it serves', () => {
    // HEAD mirrors GET; /docs/* are the Swagger UI's own files and /admin/queues/* bull-board's, third-party UIs.
    const served = registered
      .filter((r) => r.method !== 'HEAD' && !r.url.startsWith('/docs/') && !r.url.startsWith('/admin/queues/'))
      .map((r) => `${r.method} ${openApiPath(r.url)}`);
    expect(served).toContain('PUT /admin/v1/settings/crm');
    expect(served).toContain('GET /openapi.json');
    const documented = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
      Object.keys(item as object).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect([...new Set(served)].filter((route) => !documented.includes(route))).toEqual([]);

    const servedAtAll = new Set(registered.map((r) => `${r.method} ${openApiPath(r.url)}`));
    expect(documented.filter((route) => !servedAtAll.has(route))).toEqual([]);
  });

  it("lists the SPEC's exact error messages as examples", () => {
    const createErrors = documentedMessages('post', CALLS, 400);
    for (const message of [
      'Invalid call type',
      'menu_id is required',
      'menu_id is not well formed',
      'menu_id 9999 is not found',
      'Only mobile and web menu IDs are permitted',
      "Menu is in 'after hours' state, can't accept incoming calls",
      "Menu is in 'manual redirection' state, can't accept calls",
      'end_user_number is required',
      'end_user_number is not well formed',
      'scheduled_at is required',
      'scheduled_at must be a valid future time',
      "Language 'xy' is not found",
      "Language 'fr' is not available",
      'ticket_id is not well formed',
      'call_id 123 is not found',
      'recording_permission is not valid',
    ]) {
      expect(createErrors).toContain(message);
    }
    expect(documentedMessages('post', CALLS, 409)).toContain(
      'A scheduled call was not created because the record already has an active scheduled call.',
    );
    for (const path of [`${CALLS}/{id}`, `${CALLS}/scheduled/{id}/cancel`, `${CALLS}/{id}/customer_flag`]) {
      expect(documentedMessages(path.endsWith('cancel') ? 'patch' : 'get', path, 404)).toEqual(['Call not found']);
    }
    expect(documentedMessages('post', '/admin/v1/explain', 400)).toEqual(
      expect.arrayContaining(['ticket_id or call_id is required', 'Give either ticket_id or call_id, not both']),
    );
  });

  it('documents the messages the server really answers with', async () => {
    const settings = '/admin/v1/settings/crm';
    await expectDocumentedError(await t.api('POST', CALLS, callBody({ call_type: 'Inbound' })), 'post', CALLS, 400);
    await expectDocumentedError(await t.api('POST', CALLS, callBody({ menu_id: 9999 })), 'post', CALLS, 400);
    await expectDocumentedError(await t.api('POST', CALLS, '{"call_type": '), 'post', CALLS, 400);
    await expectDocumentedError(await t.api('POST', CALLS, '[]'), 'post', CALLS, 400);
    await expectDocumentedError(await t.api('POST', CALLS, '<call/>', { 'content-type': 'application/xml' }), 'post', CALLS, 415);
    await expectDocumentedError(await t.api('POST', CALLS, JSON.stringify({ pad: 'x'.repeat(1024 * 1024) })), 'post', CALLS, 413);
    await expectDocumentedError(await anonymous(t, 'GET', CALLS), 'get', CALLS, 401);
    await expectDocumentedError(
      await t.api('GET', CALLS, undefined, { authorization: basic({ ...API_USER, password: 'x' }) }),
      'get',
      CALLS,
      401,
    );
    await expectDocumentedError(await t.api('GET', `${CALLS}?per_page=0`), 'get', CALLS, 400);
    await expectDocumentedError(await t.api('GET', `${CALLS}/999999`), 'get', `${CALLS}/{id}`, 404);
    await expectDocumentedError(await t.api('GET', settings), 'get', settings, 403);
    await expectDocumentedError(await t.admin('PUT', settings, { foo: 1 }), 'put', settings, 400);
    await expectDocumentedError(await t.admin('POST', '/admin/v1/explain', {}), 'post', '/admin/v1/explain', 400);
    const callback = (auth: string) =>
      fetch(`${t.url}/rest/api/v1/callback`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify({ skill: 'Billing', callbackNumber: '3855551234' }),
      });
    await expectDocumentedError(await callback('Bearer not-a-token'), 'post', '/rest/api/v1/callback', 401);
    await expectDocumentedError(await callback(`Bearer ${SKILL_TOKEN}`), 'post', '/rest/api/v1/callback', 403);
  });

  it('describes the call object exactly as the API returns it', async () => {
    const call = await createCall(t, { ticket_id: 'OPENAPI-1' });
    expect(() => callViewSchema.strict().parse(call)).not.toThrow();
    expect(Object.keys((doc.components?.schemas?.Call as OpenAPIV3_1.SchemaObject).properties ?? {})).toEqual(Object.keys(call));
  });
});

describe('GET /docs', () => {
  it('renders the same document for people, without credentials', async () => {
    const page = await anonymous(t, 'GET', '/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toMatch(/swagger-ui/i);
    // The page's scripts and style sheets load without credentials too.
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => new URL(m[1]!, `${t.url}/docs`).pathname);
    expect(assets.length).toBeGreaterThan(0);
    for (const asset of assets) {
      const res = await anonymous(t, 'GET', asset);
      await res.arrayBuffer();
      expect(res.status, asset).toBe(200);
    }

    const shown = await anonymous(t, 'GET', '/docs/json');
    expect(shown.status).toBe(200);
    expect(await shown.json()).toEqual(doc);
  });
});
