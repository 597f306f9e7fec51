// @ts-check
/**
 * The admin page's script, served as-is from /admin/assets/admin.js (no build step): saves the Salesforce
 * closed-record policy through the admin API, refreshes the last changes and runs the dry run. It writes only
 * text nodes and attributes (textContent, setAttribute), never HTML built from data, so the page can run under
 * a Content-Security-Policy without 'unsafe-inline'.
 */
(() => {
  'use strict';

  const SETTINGS = '/admin/v1/settings/crm';
  const HISTORY = '/admin/v1/settings/crm/history?limit=10';
  const EXPLAIN = '/admin/v1/explain';

  /** @typedef {{ at: string, user: string, old: string, new: string }} PolicyChange */
  /** @typedef {{ salesforce: { closedRecordPolicy: string } }} CrmSettings */
  /**
   * @typedef {{ allowed: boolean, deferred_until: string | null, reason: string | null, timezone: string | null }} CallingCheck
   * @typedef {{ decision: string, reopen: boolean, comment: string | null, fail_reason: string | null,
   *   crm_status: string | null, calling?: CallingCheck | null }} Explanation
   */

  /**
   * The element with this id, of the expected kind (the page's HTML and this script are shipped together).
   * @template {HTMLElement} T
   * @param {string} id
   * @param {new () => T} kind
   * @returns {T}
   */
  function byId(id, kind) {
    const node = document.getElementById(id);
    if (!(node instanceof kind)) throw new Error(`admin page: #${id} is missing`);
    return node;
  }

  /**
   * @param {string} tag
   * @param {unknown} [text]
   * @param {Record<string, string>} [attrs]
   */
  function el(tag, text, attrs = {}) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
    return node;
  }

  /** @param {Element} node */
  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  /** "2024-05-01T10:00:00.000Z" → "2024-05-01 10:00:00 UTC" (as the server renders it). @param {unknown} iso */
  const formatTime = (iso) =>
    String(iso)
      .replace('T', ' ')
      .replace(/(\.\d+)?Z$/, ' UTC');

  /** @param {string} value */
  function policyInput(value) {
    for (const input of document.querySelectorAll('input[name="closedRecordPolicy"]')) {
      if (input instanceof HTMLInputElement && input.value === value) return input;
    }
    return null;
  }

  /** The portal's wording of a policy value, as the page shows it. @param {string} value */
  function wordingOf(value) {
    const wording = policyInput(value)?.closest('label')?.querySelector('.wording')?.textContent;
    return wording ?? value;
  }

  /** An answer other than 2xx, with the server's message. */
  class ApiError extends Error {
    /** @param {string} message @param {number} status */
    constructor(message, status) {
      super(message);
      this.status = status;
    }
  }

  /** @param {string} text @returns {unknown} */
  function parseJson(text) {
    try {
      return text ? JSON.parse(text) : null;
    } catch {
      return null;
    }
  }

  /**
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   * @returns {Promise<unknown>}
   */
  async function api(method, path, body) {
    /** @type {Record<string, string>} */
    const headers = { accept: 'application/json' };
    /** @type {RequestInit} */
    const init = { method, credentials: 'same-origin', headers };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch(path, init);
    const data = parseJson(await res.text());
    if (!res.ok) {
      const message = data && typeof data === 'object' && 'message' in data && typeof data.message === 'string' ? data.message : null;
      throw new ApiError(message ?? `HTTP ${res.status}`, res.status);
    }
    return data;
  }

  /** @param {unknown} err */
  const messageOf = (err) => (err instanceof Error ? err.message : String(err));

  /** @param {HTMLElement} node @param {string} text @param {'ok' | 'error' | 'pending'} [kind] */
  function setStatus(node, text, kind) {
    node.textContent = text;
    node.className = kind ? `status ${kind}` : 'status';
  }

  /** @param {string} value @param {string} label */
  function policyCell(value, label) {
    const td = el('td', null, { 'data-label': label });
    td.appendChild(el('code', value, { title: wordingOf(value) }));
    return td;
  }

  /** @param {PolicyChange[]} changes */
  function renderHistory(changes) {
    const tbody = document.querySelector('#history tbody');
    if (!tbody) return;
    clear(tbody);
    for (const c of changes) {
      const tr = el('tr');
      const when = el('td', null, { 'data-label': 'When' });
      when.appendChild(el('time', formatTime(c.at), { datetime: String(c.at) }));
      tr.appendChild(when);
      tr.appendChild(el('td', c.user, { 'data-label': 'Who' }));
      tr.appendChild(policyCell(c.old, 'From'));
      tr.appendChild(policyCell(c.new, 'To'));
      tbody.appendChild(tr);
    }
    byId('history-empty', HTMLElement).hidden = changes.length > 0;
  }

  async function refreshHistory() {
    try {
      renderHistory(/** @type {PolicyChange[]} */ (await api('GET', HISTORY)));
    } catch {
      // The table keeps what it shows.
    }
  }

  // ---- policy ----------------------------------------------------------------------------------------------
  const form = byId('policy-form', HTMLFormElement);
  const status = byId('policy-status', HTMLElement);
  const saveButton = byId('save-policy', HTMLButtonElement);
  const unsaved = byId('unsaved', HTMLElement);

  function selected() {
    const checked = form.querySelector('input[name="closedRecordPolicy"]:checked');
    return checked instanceof HTMLInputElement ? checked.value : null;
  }

  function markDirty() {
    unsaved.hidden = selected() === form.getAttribute('data-saved');
  }

  form.addEventListener('change', markDirty);

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void save();
  });

  async function save() {
    const value = selected();
    if (!value) {
      setStatus(status, 'Choose one of the options first.', 'error');
      return;
    }
    saveButton.disabled = true;
    setStatus(status, 'Saving…', 'pending');
    try {
      const data = /** @type {CrmSettings} */ (await api('PUT', SETTINGS, { salesforce: { closedRecordPolicy: value } }));
      const now = data.salesforce.closedRecordPolicy;
      form.setAttribute('data-saved', now);
      const input = policyInput(now);
      if (input) input.checked = true;
      markDirty();
      // The confirmation comes with the audit trail already showing the change.
      await refreshHistory();
      setStatus(status, `Saved. Calls that fire from now on: ${wordingOf(now)}`, 'ok');
    } catch (err) {
      setStatus(status, `Not saved: ${messageOf(err)}`, 'error');
    } finally {
      saveButton.disabled = false;
    }
  }

  // ---- dry run ---------------------------------------------------------------------------------------------
  const explainForm = byId('explain-form', HTMLFormElement);
  const explainKind = byId('explain-kind', HTMLSelectElement);
  const explainId = byId('explain-id', HTMLInputElement);
  const result = byId('explain-result', HTMLElement);

  /** @type {Record<string, string>} */
  const SUMMARY = {
    dial: 'The call would be handed to the dialer.',
    skip: 'The call would not be made (skipped).',
    cancel: 'The call would be canceled.',
  };

  /** @type {Record<string, string>} */
  const BROKEN_RULE = {
    calling_window: 'outside the calling window',
    business_hours: 'outside business hours',
    calling_window_and_business_hours: 'outside the calling window and business hours',
  };

  /**
   * The calling rules (SPEC 9.3) for the call now: they are checked before the decision above, so a call outside
   * them is deferred, not decided.
   * @param {CallingCheck | null | undefined} calling
   */
  function describeCalling(calling) {
    if (!calling) return 'Not evaluated: there is no scheduled call to check';
    if (calling.allowed) return 'Allowed now: within the calling window and business hours';
    const why = calling.reason ? (BROKEN_RULE[calling.reason] ?? calling.reason) : 'outside the calling rules';
    if (calling.deferred_until) return `Would be deferred until ${formatTime(calling.deferred_until)} (${why})`;
    return `Would be canceled: ${why} and no allowed time within 14 days`;
  }

  /** @param {CallingCheck | null | undefined} calling */
  const describeTimezone = (calling) => (!calling ? '(no call)' : (calling.timezone ?? "(several: the number's zones)"));

  /** @param {Explanation} x */
  function showExplanation(x) {
    clear(result);
    const summary = x.reopen
      ? 'The record would be reopened, then the call handed to the dialer.'
      : (SUMMARY[x.decision] ?? String(x.decision));
    result.appendChild(el('p', summary, { class: `summary decision-${String(x.decision)}` }));
    if (x.calling && !x.calling.allowed) {
      // Not placed now whatever the decision: said next to the summary, not only in the details.
      const then = x.calling.deferred_until ? '; the decision is made again when it fires then' : '';
      result.appendChild(el('p', `${describeCalling(x.calling)}${then}.`, { class: 'calling-deferred', id: 'explain-calling-note' }));
    }
    const dl = el('dl');
    /** @type {Array<[string, unknown, string]>} */
    const rows = [
      ['Decision', x.decision, 'explain-decision'],
      ['Reopen', x.reopen ? 'yes' : 'no', 'explain-reopen'],
      ['Comment', x.comment ?? '(none)', 'explain-comment'],
      ['Fail reason', x.fail_reason ?? '(none)', 'explain-fail-reason'],
      ['CRM status', x.crm_status ?? '(not read)', 'explain-crm-status'],
      ['Calling rules', describeCalling(x.calling), 'explain-calling'],
      ['Customer time zone', describeTimezone(x.calling), 'explain-timezone'],
    ];
    for (const [term, value, id] of rows) {
      dl.appendChild(el('dt', term));
      dl.appendChild(el('dd', value, { id }));
    }
    result.appendChild(dl);
  }

  explainForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void explain();
  });

  async function explain() {
    const raw = explainId.value.trim();
    const body = explainKind.value === 'call_id' ? { call_id: /^\d+$/.test(raw) ? Number(raw) : raw } : { ticket_id: raw };
    clear(result);
    result.appendChild(el('p', 'Reading the record…', { class: 'status pending' }));
    try {
      showExplanation(/** @type {Explanation} */ (await api('POST', EXPLAIN, body)));
    } catch (err) {
      clear(result);
      result.appendChild(el('p', messageOf(err), { class: 'status error', id: 'explain-error' }));
    }
  }
})();
