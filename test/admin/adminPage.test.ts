import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findAdminPublicDir } from '../../src/admin/adminAssets.js';
import { markup, renderAdminPage } from '../../src/admin/adminPage.js';
import { callingRulesOverview } from '../../src/admin/callingRulesSection.js';
import type { ClosedRecordPolicy } from '../../src/policy/ClosedRecordPolicy.js';
import { deletePrefix, uniquePrefix } from '../support/redis.js';
import { startTestApp, waitFor, type TestClient } from '../support/testApp.js';
import { testConfig } from '../support/testConfig.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const publicDir = join(repoRoot, 'src', 'admin', 'public');
const prefix = uniquePrefix('admin-page');
let t: TestClient;

beforeAll(async () => {
  t = await startTestApp(testConfig(prefix), { worker: false });
  await waitFor(async () => (await fetch(`${t.url}/readyz`)).ok, 5000, 'redis ready');
});

afterAll(async () => {
  await t?.app.close();
  await deletePrefix(prefix);
});

/** The page's tags and attribute names in order, without text or attribute values: what data must not change. */
const structure = (html: string) => (html.match(/<[^>]*>/g) ?? []).map((tag) => tag.replace(/="[^"]*"/g, '=""'));

describe('GET /admin', () => {
  it('renders hostile values stored in Redis (policy, audit entries) as inert text', async () => {
    const hostile = (what: string) => `"><script>window.__pwned='${what}'</script><img src=x onerror=alert(1) data-x="`;
    const settings = t.app.services.settings;
    // Written through the store, as an admin API that failed to validate would: reopen → old → policy.
    await settings.setClosedRecordPolicy(hostile('old') as ClosedRecordPolicy, hostile('first-user'));
    await settings.setClosedRecordPolicy(hostile('policy') as ClosedRecordPolicy, hostile('second-user'));

    const res = await t.admin('GET', '/admin');
    expect(res.status).toBe(200);
    const html = await res.text();

    // Exactly the markup of a page showing harmless values: no element or attribute came from the data.
    const at = new Date().toISOString();
    const harmless = renderAdminPage({
      user: 'admin',
      policy: 'x' as ClosedRecordPolicy,
      history: [
        { at, user: 'u', old: 'o' as ClosedRecordPolicy, new: 'n' as ClosedRecordPolicy },
        { at, user: 'u', old: 'reopen', new: 'o' as ClosedRecordPolicy },
      ],
      crmProvider: 'none',
      calling: callingRulesOverview(t.app.services.config, t.app.services.calling),
    });
    expect(structure(html)).toEqual(structure(harmless));
    expect(html.match(/<script/g)).toHaveLength(1); // the page's own script file
    expect(html).not.toContain('<script>window');
    // The values are there, as text.
    expect(html).toContain(`data-saved="&quot;&gt;&lt;script&gt;window.__pwned='policy'&lt;/script&gt;`);
    expect(html).toContain(`<td data-label="Who">&quot;&gt;&lt;script&gt;window.__pwned='second-user'&lt;/script&gt;`);
  });

  it('is served with a Content-Security-Policy that allows scripts and styles only from its own files', async () => {
    const res = await t.admin('GET', '/admin');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    // Nothing inline that the policy would block.
    const tags = structure(await res.text());
    expect(tags.filter((tag) => /^<style|\sstyle=|\son[a-z]+=|^<script(?![^>]*\ssrc=)/i.test(tag))).toEqual([]);
  });
});

describe('the admin page files', () => {
  it.each([
    ['admin.js', 'application/javascript; charset=utf-8'],
    ['admin.css', 'text/css; charset=utf-8'],
    ['favicon.svg', 'image/svg+xml'],
  ])('/admin/assets/%s is the file in src/admin/public, served as %s, to admins only', async (name, type) => {
    const res = await t.admin('GET', `/admin/assets/${name}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(type);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toBe(readFileSync(join(publicDir, name), 'utf8'));

    expect((await fetch(`${t.url}/admin/assets/${name}`)).status).toBe(401);
    expect((await t.api('GET', `/admin/assets/${name}`)).status).toBe(403);
  });

  it('serves nothing else from that folder', async () => {
    expect((await t.admin('GET', '/admin/assets/tsconfig.json')).status).toBe(404);
    expect((await t.admin('GET', '/admin/assets/../adminPage.ts')).status).toBe(404);
  });

  it('are found from the source and from the build (dist/src/admin, where tsc copies no assets)', () => {
    const fromSource = findAdminPublicDir(pathToFileURL(join(repoRoot, 'src', 'admin', 'adminAssets.ts')).href);
    const fromBuild = findAdminPublicDir(pathToFileURL(join(repoRoot, 'dist', 'src', 'admin', 'adminAssets.js')).href);
    for (const dir of [fromSource, fromBuild]) {
      expect(readFileSync(join(dir, 'admin.js'), 'utf8')).toBe(readFileSync(join(publicDir, 'admin.js'), 'utf8'));
    }
    expect(() => findAdminPublicDir(pathToFileURL('/nowhere/src/admin/adminAssets.js').href)).toThrow(/admin\.js/);
  });
});

describe('markup', () => {
  it('escapes every interpolated value, in text and in attributes, and keeps its own fragments as they are', () => {
    const value = `<b title="x">&'`;
    const inner = markup`<i>${value}</i>`;
    expect(markup`<p data-v="${value}">${value}${inner}${[inner, inner]}${42}</p>`.html).toBe(
      `<p data-v="&lt;b title=&quot;x&quot;&gt;&amp;'">&lt;b title=&quot;x&quot;&gt;&amp;'` +
        `<i>&lt;b title=&quot;x&quot;&gt;&amp;'</i>`.repeat(3) +
        `42</p>`,
    );
  });
});
