import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppServices } from '../AppServices.js';
import type { PolicyChange } from '../store/SettingsStore.js';
import { ADMIN_ASSETS_PATH, registerAdminAssets } from './adminAssets.js';
import { callingRulesOverview, renderCallingRules, type CallingRulesOverview } from './callingRulesSection.js';
import { Markup, NOTHING, markup } from './Markup.js';
import { POLICY_VALUES, POLICY_WORDING, type PolicyValue } from './policyWording.js';

/**
 * The admin page at /admin: a static HTML page rendered with the current policy, the last changes and the calling
 * rules in force (read-only), plus a script and a style sheet (src/admin/public, served from /admin/assets) that
 * save through the admin API and run the dry run. The HTML is built with `markup`, which escapes every value put into it.
 */

export const ADMIN_PAGE_PATH = '/admin';
const HISTORY_ON_PAGE = 10;

// Kept exported from here: the page's tests and callers know them by this module.
export { Markup, escapeHtml, markup } from './Markup.js';

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

function policyCell(label: string, value: string): Markup {
  const wording = (POLICY_WORDING as Record<string, string | undefined>)[value];
  return markup`<td data-label="${label}"><code${wording ? markup` title="${wording}"` : NOTHING}>${value}</code></td>`;
}

function historyRows(changes: PolicyChange[]): Markup[] {
  return changes.map(
    (c) =>
      markup`
<tr><td data-label="When"><time datetime="${c.at}">${formatTime(c.at)}</time></td><td data-label="Who">${c.user}</td>${policyCell('From', c.old)}${policyCell('To', c.new)}</tr>`,
  );
}

export interface AdminPageContent {
  user: string;
  policy: PolicyValue;
  history: PolicyChange[];
  crmProvider: string;
  calling: CallingRulesOverview;
}

export function renderAdminPage(opts: AdminPageContent): string {
  const options = POLICY_VALUES.map(
    (v) => markup`
          <label class="option">
            <input type="radio" name="closedRecordPolicy" value="${v}"${v === opts.policy ? markup` checked` : NOTHING}>
            <span class="wording">${POLICY_WORDING[v]}</span>
            <code class="value">${v}</code>
          </label>`,
  );
  const providerNote =
    opts.crmProvider === 'salesforce'
      ? NOTHING
      : markup`<p class="note">The configured CRM is <strong>${opts.crmProvider}</strong>: this setting only takes effect with Salesforce.</p>`;
  return markup`<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Callback orchestrator · Admin</title>
  <link rel="icon" href="${ADMIN_ASSETS_PATH}/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="${ADMIN_ASSETS_PATH}/admin.css">
  <script src="${ADMIN_ASSETS_PATH}/admin.js" defer></script>
</head>
<body>
  <header class="top">
    <h1>Callback orchestrator <span>admin</span></h1>
    <p class="who">Signed in as <strong id="current-user">${opts.user}</strong> · <a href="/admin/queues">Queues dashboard</a></p>
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
        <tbody>${historyRows(opts.history)}
        </tbody>
      </table>
      <p id="history-empty" class="hint"${opts.history.length ? markup` hidden` : NOTHING}>No change recorded yet: the policy is the one from the configuration file.</p>
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
${renderCallingRules(opts.calling)}  </main>
</body>
</html>
`.html;
}

/** GET /admin (and /admin/) plus its assets; mounted inside the admin auth scope. */
export function registerAdminPage(app: FastifyInstance, s: AppServices): void {
  const page = async (request: FastifyRequest, reply: FastifyReply) => {
    const [policy, history] = await Promise.all([s.settings.getClosedRecordPolicy(), s.settings.history(HISTORY_ON_PAGE)]);
    const html = renderAdminPage({
      user: request.principal ?? '',
      policy,
      history,
      crmProvider: s.crm.provider,
      calling: callingRulesOverview(s.config, s.calling),
    });
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
  registerAdminAssets(app);
}
