import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callingRulesOverview, renderCallingRules, type CallingRulesOverview } from '../../src/admin/callingRulesSection.js';
import { deletePrefix, uniquePrefix } from '../support/redis.js';
import { startTestApp, waitFor, type TestClient } from '../support/testApp.js';
import { testConfig } from '../support/testConfig.js';

/** The admin page's read-only "Calling window and business hours" section (SPEC 9.3, issue #10 item 5). */

const HOSTILE_NAME = `"><script>window.__pwned='menu'</script><img src=x onerror=alert(1) data-x="`;
const BERLIN_HOURS = {
  timezone: 'Europe/Berlin',
  weekly: {
    mon: [['09:00', '17:00']],
    tue: [['09:00', '17:00']],
    wed: [['09:00', '17:00']],
    thu: [['09:00', '17:00']],
    fri: [
      ['09:00', '12:00'],
      ['13:00', '16:00'],
    ],
    sat: [['10:00', '24:00']],
  },
};

const prefix = uniquePrefix('admin-calling-rules');
let t: TestClient;

beforeAll(async () => {
  t = await startTestApp(
    testConfig(prefix, {
      defaultTimezone: 'America/Chicago',
      callingWindow: { start: '08:00', end: '21:00' },
      menus: [
        { id: 9, name: 'Lock Star', type: 'web', callingWindow: { start: '22:00', end: '06:00' }, hours: BERLIN_HOURS },
        { id: 10, name: HOSTILE_NAME, type: 'mobile' },
      ],
    }),
    { worker: false },
  );
  await waitFor(async () => (await fetch(`${t.url}/readyz`)).ok, 5000, 'redis ready');
});

afterAll(async () => {
  await t?.app.close();
  await deletePrefix(prefix);
});

/** The section's HTML in a page. */
function sectionOf(html: string): string {
  const match = /<section class="card" aria-labelledby="calling-title">[\s\S]*?<\/section>/.exec(html);
  expect(match, 'the calling rules section').not.toBeNull();
  return match![0];
}

/** A menu's row, by its id. */
function rowOf(section: string, menuId: number): string {
  const match = new RegExp(`<tr data-menu-id="${menuId}">[\\s\\S]*?</tr>`).exec(section);
  expect(match, `the row of menu ${menuId}`).not.toBeNull();
  return match![0];
}

/** Tags and attribute names in order, without text or attribute values: what data must not change. */
const structure = (html: string) => (html.match(/<[^>]*>/g) ?? []).map((tag) => tag.replace(/="[^"]*"/g, '=""'));

/** Text as a reader sees it (tags dropped, spaces collapsed). */
const text = (html: string) =>
  html
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

describe('GET /admin: calling window and business hours', () => {
  it("shows the default zone, the global window, each menu's window (saying whose) and its hours by weekday", async () => {
    const res = await t.admin('GET', '/admin');
    expect(res.status).toBe(200);
    const section = sectionOf(await res.text());

    expect(text(section)).toContain('Calling window and business hours');
    expect(section).toContain('<dd id="calling-default-timezone">America/Chicago</dd>');
    expect(section).toContain('<dd id="calling-global-window">08:00–21:00</dd>');

    const lockStar = text(rowOf(section, 9));
    expect(lockStar).toContain('9 Lock Star');
    expect(lockStar).toContain("22:00–06:00 (across midnight) (menu's own)");
    expect(lockStar).toContain('in Europe/Berlin');
    expect(lockStar).toContain(
      'Mon 09:00–17:00 Tue 09:00–17:00 Wed 09:00–17:00 Thu 09:00–17:00 Fri 09:00–12:00, 13:00–16:00 Sat 10:00–24:00 Sun closed',
    );

    const other = text(rowOf(section, 10));
    expect(other).toContain('08:00–21:00 (global)');
    expect(other).toContain('always open');
  });

  it('shows a hostile menu name as inert text', async () => {
    const html = await (await t.admin('GET', '/admin')).text();
    const section = sectionOf(html);
    // Exactly the markup of the same section with a harmless name: no element or attribute came from the name.
    const live = callingRulesOverview(t.app.services.config, t.app.services.calling);
    const harmless: CallingRulesOverview = { ...live, menus: live.menus.map((m) => ({ ...m, name: 'x' })) };
    expect(structure(section)).toEqual(structure(renderCallingRules(harmless).html));
    expect(html).not.toContain('<script>window');
    expect(html.match(/<script/g)).toHaveLength(1); // the page's own script file
    expect(rowOf(section, 10)).toContain(
      `<code>10</code> &quot;&gt;&lt;script&gt;window.__pwned='menu'&lt;/script&gt;&lt;img src=x onerror=alert(1) data-x=&quot;</td>`,
    );
  });
});

describe('renderCallingRules', () => {
  it('without any rule: no global window, calls at any time, always open', () => {
    const html = renderCallingRules({
      defaultTimezone: 'America/New_York',
      globalWindow: null,
      menus: [
        {
          id: 9,
          name: 'Lock Star',
          rules: { defaultTimezone: 'America/New_York', callingWindow: null, callingWindowSource: null, hours: null },
        },
      ],
    }).html;
    expect(html).toContain('<dd id="calling-default-timezone">America/New_York</dd>');
    expect(html).toContain('<dd id="calling-global-window">none: calls at any time</dd>');
    expect(text(rowOf(html, 9))).toBe('9 Lock Star none: calls at any time always open');
  });

  it('a menu with business hours but every day closed shows each day closed', () => {
    const html = renderCallingRules({
      defaultTimezone: 'UTC',
      globalWindow: null,
      menus: [
        {
          id: 3,
          name: 'Shut',
          rules: { defaultTimezone: 'UTC', callingWindow: null, callingWindowSource: null, hours: { timezone: 'UTC', weekly: {} } },
        },
      ],
    }).html;
    expect(text(rowOf(html, 3))).toContain('in UTC Mon closed Tue closed Wed closed Thu closed Fri closed Sat closed Sun closed');
  });
});
