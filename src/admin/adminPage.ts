import type { FastifyInstance } from 'fastify';
import type { AppServices } from '../AppServices.js';
import type { PolicyChange } from '../store/SettingsStore.js';
import { ADMIN_CSS, ADMIN_JS, FAVICON_SVG } from './adminAssets.js';
import { POLICY_VALUES, POLICY_WORDING, type PolicyValue } from './policyWording.js';

/**
 * The admin page at /admin: a static HTML page rendered with the current policy and the last changes, plus a
 * small script (served from /admin/assets, no build step) that saves through the admin API and runs the dry
 * run. Everything taken from data is escaped here, and the script only ever writes text nodes.
 */

export const ADMIN_PAGE_PATH = '/admin';
const HISTORY_ON_PAGE = 10;

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
// Every attribute on the page is double-quoted, so an apostrophe needs no escaping: the portal's wording
// ("Don't check record status. ...") then appears in the HTML exactly as written.
export const escapeHtml = (text: unknown) => String(text).replace(/[&<>"]/g, (c) => HTML_ESCAPES[c]!);

/** "2024-05-01T10:00:00.000Z" → "2024-05-01 10:00:00 UTC" (the page's script formats the same way). */
export const formatTime = (iso: string) => iso.replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC');

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

function policyCell(value: string): string {
  const wording = (POLICY_WORDING as Record<string, string | undefined>)[value];
  return `<code${wording ? ` title="${escapeHtml(wording)}"` : ''}>${escapeHtml(value)}</code>`;
}

function historyRows(changes: PolicyChange[]): string {
  return changes
    .map(
      (c) =>
        `<tr><td data-label="When"><time datetime="${escapeHtml(c.at)}">${escapeHtml(formatTime(c.at))}</time></td>` +
        `<td data-label="Who">${escapeHtml(c.user)}</td><td data-label="From">${policyCell(c.old)}</td>` +
        `<td data-label="To">${policyCell(c.new)}</td></tr>`,
    )
    .join('\n');
}

export function renderAdminPage(opts: { user: string; policy: PolicyValue; history: PolicyChange[]; crmProvider: string }): string {
  const options = POLICY_VALUES.map(
    (v) => `
          <label class="option">
            <input type="radio" name="closedRecordPolicy" value="${v}"${v === opts.policy ? ' checked' : ''}>
            <span class="wording">${escapeHtml(POLICY_WORDING[v])}</span>
            <code class="value">${v}</code>
          </label>`,
  ).join('');
  const providerNote =
    opts.crmProvider === 'salesforce'
      ? ''
      : `<p class="note">The configured CRM is <strong>${escapeHtml(opts.crmProvider)}</strong>: this setting only takes effect with Salesforce.</p>`;
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Callback orchestrator · Admin</title>
  <link rel="icon" href="/admin/assets/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="/admin/assets/admin.css">
  <script src="/admin/assets/admin.js" defer></script>
</head>
<body>
  <header class="top">
    <h1>Callback orchestrator <span>admin</span></h1>
    <p class="who">Signed in as <strong id="current-user">${escapeHtml(opts.user)}</strong> · <a href="/admin/queues">Queues dashboard</a></p>
  </header>
  <main>
    <section class="card" aria-labelledby="policy-title">
      <h2 id="policy-title">Salesforce closed-record policy</h2>
      <p class="hint">What a scheduled call does when its Salesforce record is closed at the moment it fires.
        A change applies to every worker for calls that fire after it, without a restart.</p>
      ${providerNote}
      <form id="policy-form" data-saved="${opts.policy}">
        <fieldset>
          <legend>When an API scheduled call fires</legend>${options}
        </fieldset>
        <div class="actions">
          <button type="submit" id="save-policy">Save</button>
          <span id="unsaved" class="unsaved" hidden>Unsaved change</span>
        </div>
        <p id="policy-status" class="status" role="status" aria-live="polite"></p>
      </form>
    </section>

    <section class="card" aria-labelledby="history-title">
      <h2 id="history-title">Last changes</h2>
      <table id="history" class="history">
        <thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">From</th><th scope="col">To</th></tr></thead>
        <tbody>
${historyRows(opts.history)}
        </tbody>
      </table>
      <p id="history-empty" class="hint"${opts.history.length ? ' hidden' : ''}>No change recorded yet: the policy is the one from the configuration file.</p>
    </section>

    <section class="card" aria-labelledby="explain-title">
      <h2 id="explain-title">Dry run</h2>
      <p class="hint">What would happen if a callback fired right now. Reads the CRM record; writes nothing, reopens nothing, changes no call.</p>
      <form id="explain-form" class="explain">
        <label>Look up by
          <select name="kind" id="explain-kind">
            <option value="ticket_id">CRM record id (ticket_id)</option>
            <option value="call_id">Call id</option>
          </select>
        </label>
        <label>Id
          <input name="id" id="explain-id" required autocomplete="off" spellcheck="false" placeholder="e.g. 500Hs00001XyZaBIAV">
        </label>
        <button type="submit" id="explain-run">Explain</button>
      </form>
      <div id="explain-result" class="result" aria-live="polite"></div>
    </section>
  </main>
</body>
</html>
`;
}

/** GET /admin (and /admin/) plus its two assets; mounted inside the admin auth scope. */
export function registerAdminPage(app: FastifyInstance, s: AppServices): void {
  const page = async (request: { principal?: string }, reply: import('fastify').FastifyReply) => {
    const [policy, history] = await Promise.all([s.settings.getClosedRecordPolicy(), s.settings.history(HISTORY_ON_PAGE)]);
    const html = renderAdminPage({ user: request.principal ?? '', policy, history, crmProvider: s.crm?.provider ?? 'none' });
    return reply
      .type('text/html; charset=utf-8')
      .header('Content-Security-Policy', CSP)
      .header('Cache-Control', 'no-store')
      .header('X-Content-Type-Options', 'nosniff')
      .header('Referrer-Policy', 'no-referrer')
      .send(html);
  };
  app.get(ADMIN_PAGE_PATH, page);
  app.get(`${ADMIN_PAGE_PATH}/`, page);
  app.get('/admin/assets/admin.js', async (_request, reply) =>
    reply
      .type('application/javascript; charset=utf-8')
      .header('Cache-Control', 'no-cache')
      .header('X-Content-Type-Options', 'nosniff')
      .send(ADMIN_JS),
  );
  app.get('/admin/assets/favicon.svg', async (_request, reply) =>
    reply.type('image/svg+xml').header('Cache-Control', 'max-age=86400').header('X-Content-Type-Options', 'nosniff').send(FAVICON_SVG),
  );
  app.get('/admin/assets/admin.css', async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('Cache-Control', 'no-cache').header('X-Content-Type-Options', 'nosniff').send(ADMIN_CSS),
  );
}
