/**
 * The admin page's script and style sheet, served as-is from /admin/assets (no build step). Kept in a TS module
 * so that `tsc` carries them into dist/ with the rest of the code.
 *
 * The script writes only text nodes (textContent), never HTML built from data.
 */

export const ADMIN_JS = String.raw`(function () {
  'use strict';

  var SETTINGS = '/admin/v1/settings/crm';
  var HISTORY = '/admin/v1/settings/crm/history?limit=10';
  var EXPLAIN = '/admin/v1/explain';

  function $(id) { return document.getElementById(id); }

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (attrs) Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  function formatTime(iso) { return String(iso).replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC'); }

  function wordingOf(value) {
    var input = document.querySelector('input[name="closedRecordPolicy"][value="' + value + '"]');
    var label = input && input.closest('label');
    var span = label && label.querySelector('.wording');
    return span ? span.textContent : value;
  }

  function api(method, path, body) {
    var init = { method: method, credentials: 'same-origin', headers: { accept: 'application/json' } };
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (res) {
      return res.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!res.ok) {
          var msg = data && typeof data.message === 'string' ? data.message : 'HTTP ' + res.status;
          var err = new Error(msg);
          err.status = res.status;
          throw err;
        }
        return data;
      });
    });
  }

  function setStatus(node, text, kind) {
    node.textContent = text;
    node.className = 'status' + (kind ? ' ' + kind : '');
  }

  function policyCell(value) {
    var td = el('td', null, {});
    var code = el('code', value, { title: wordingOf(value) });
    td.appendChild(code);
    return td;
  }

  function renderHistory(changes) {
    var tbody = document.querySelector('#history tbody');
    while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
    changes.forEach(function (c) {
      var tr = el('tr');
      var when = el('td', null, { 'data-label': 'When' });
      when.appendChild(el('time', formatTime(c.at), { datetime: String(c.at) }));
      tr.appendChild(when);
      tr.appendChild(el('td', c.user, { 'data-label': 'Who' }));
      var from = policyCell(c.old); from.setAttribute('data-label', 'From'); tr.appendChild(from);
      var to = policyCell(c['new']); to.setAttribute('data-label', 'To'); tr.appendChild(to);
      tbody.appendChild(tr);
    });
    $('history-empty').hidden = changes.length > 0;
  }

  function refreshHistory() {
    return api('GET', HISTORY).then(renderHistory, function () { /* the table keeps what it shows */ });
  }

  // ---- policy ----------------------------------------------------------------------------------------------
  var form = $('policy-form');
  var status = $('policy-status');
  var saveButton = $('save-policy');

  function selected() {
    var checked = form.querySelector('input[name="closedRecordPolicy"]:checked');
    return checked ? checked.value : null;
  }

  function markDirty() { $('unsaved').hidden = selected() === form.getAttribute('data-saved'); }

  form.addEventListener('change', markDirty);

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var value = selected();
    if (!value) { setStatus(status, 'Choose one of the options first.', 'error'); return; }
    saveButton.disabled = true;
    setStatus(status, 'Saving…', 'pending');
    api('PUT', SETTINGS, { salesforce: { closedRecordPolicy: value } })
      .then(function (data) {
        var now = data.salesforce.closedRecordPolicy;
        form.setAttribute('data-saved', now);
        var input = form.querySelector('input[name="closedRecordPolicy"][value="' + now + '"]');
        if (input) input.checked = true;
        markDirty();
        // The confirmation comes with the audit trail already showing the change.
        return refreshHistory().then(function () {
          setStatus(status, 'Saved. Calls that fire from now on: ' + wordingOf(now), 'ok');
        });
      })
      .catch(function (err) { setStatus(status, 'Not saved: ' + err.message, 'error'); })
      .then(function () { saveButton.disabled = false; });
  });

  // ---- dry run ---------------------------------------------------------------------------------------------
  var explainForm = $('explain-form');
  var result = $('explain-result');

  var SUMMARY = {
    dial: 'The call would be handed to the dialer.',
    skip: 'The call would not be made (skipped).',
    cancel: 'The call would be canceled.'
  };

  function showExplanation(x) {
    while (result.firstChild) result.removeChild(result.firstChild);
    var summary = SUMMARY[x.decision] || String(x.decision);
    if (x.reopen) summary = 'The record would be reopened, then the call handed to the dialer.';
    result.appendChild(el('p', summary, { 'class': 'summary decision-' + String(x.decision) }));
    var dl = el('dl');
    [
      ['Decision', x.decision, 'explain-decision'],
      ['Reopen', x.reopen ? 'yes' : 'no', 'explain-reopen'],
      ['Comment', x.comment === null ? '(none)' : x.comment, 'explain-comment'],
      ['Fail reason', x.fail_reason === null ? '(none)' : x.fail_reason, 'explain-fail-reason'],
      ['CRM status', x.crm_status === null ? '(not read)' : x.crm_status, 'explain-crm-status']
    ].forEach(function (row) {
      dl.appendChild(el('dt', row[0]));
      dl.appendChild(el('dd', row[1], { id: row[2] }));
    });
    result.appendChild(dl);
  }

  explainForm.addEventListener('submit', function (event) {
    event.preventDefault();
    var kind = $('explain-kind').value;
    var raw = $('explain-id').value.trim();
    var body = {};
    if (kind === 'call_id') body.call_id = /^\d+$/.test(raw) ? Number(raw) : raw;
    else body.ticket_id = raw;
    while (result.firstChild) result.removeChild(result.firstChild);
    result.appendChild(el('p', 'Reading the record…', { 'class': 'status pending' }));
    api('POST', EXPLAIN, body).then(showExplanation, function (err) {
      while (result.firstChild) result.removeChild(result.firstChild);
      result.appendChild(el('p', err.message, { 'class': 'status error', id: 'explain-error' }));
    });
  });
})();
`;

export const ADMIN_CSS = String.raw`:root {
  --bg: #f4f6f8; --card: #fff; --ink: #1d2733; --muted: #5b6776; --line: #d8dee6;
  --accent: #0b5cad; --ok: #1d7a3c; --err: #b3261e; --radius: 10px;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; line-height: 1.45; font-size: 16px; }
header.top { background: #14283f; color: #fff; padding: 14px 20px; }
header.top h1 { margin: 0; font-size: 1.25rem; font-weight: 600; }
header.top h1 span { font-weight: 400; opacity: .75; }
header.top .who { margin: 4px 0 0; font-size: .9rem; opacity: .9; overflow-wrap: anywhere; }
header.top a { color: #cfe3ff; }
main { max-width: 880px; margin: 0 auto; padding: 16px; display: grid; gap: 16px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: var(--radius); padding: 16px 20px; min-width: 0; }
.card h2 { margin: 0 0 6px; font-size: 1.1rem; }
.hint { color: var(--muted); margin: 0 0 12px; font-size: .95rem; }
.note { background: #fff7e0; border: 1px solid #f0d78c; border-radius: 6px; padding: 8px 10px; }
fieldset { border: 0; margin: 0; padding: 0; display: grid; gap: 8px; }
legend { font-weight: 600; margin-bottom: 8px; padding: 0; }
label.option { display: grid; grid-template-columns: auto 1fr auto; gap: 10px; align-items: start;
  border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; cursor: pointer; }
label.option:has(input:checked) { border-color: var(--accent); background: #eef5fd; }
label.option input { margin-top: 4px; width: 18px; height: 18px; }
label.option .value { color: var(--muted); font-size: .8rem; align-self: center; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
.actions { display: flex; gap: 12px; align-items: center; margin-top: 12px; flex-wrap: wrap; }
button { font: inherit; background: var(--accent); color: #fff; border: 0; border-radius: 8px; padding: 9px 20px; cursor: pointer; min-height: 44px; }
button[disabled] { opacity: .6; cursor: progress; }
.unsaved { color: #8a5a00; font-size: .9rem; }
.status { margin: 10px 0 0; min-height: 1.2em; }
.status.ok { color: var(--ok); font-weight: 600; }
.status.error { color: var(--err); font-weight: 600; }
.status.pending { color: var(--muted); }
table.history { width: 100%; border-collapse: collapse; font-size: .95rem; }
table.history th, table.history td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
table.history th { color: var(--muted); font-weight: 600; }
form.explain { display: flex; gap: 12px; flex-wrap: wrap; align-items: end; }
form.explain label { display: grid; gap: 4px; font-size: .9rem; color: var(--muted); flex: 1 1 200px; min-width: 0; }
form.explain input, form.explain select { font: inherit; padding: 8px 10px; border: 1px solid var(--line); border-radius: 8px; min-height: 44px; width: 100%; color: var(--ink); background: #fff; }
.result .summary { font-weight: 600; margin: 14px 0 8px; }
.result .decision-dial { color: var(--ok); }
.result .decision-skip, .result .decision-cancel { color: var(--err); }
.result dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 0; }
.result dt { color: var(--muted); }
.result dd { margin: 0; overflow-wrap: anywhere; }
@media (max-width: 600px) {
  main { padding: 10px; gap: 10px; }
  .card { padding: 14px; }
  label.option { grid-template-columns: auto 1fr; }
  label.option .value { display: none; }
  table.history thead { display: none; }
  table.history, table.history tbody, table.history tr, table.history td { display: block; width: 100%; }
  table.history tr { border-bottom: 1px solid var(--line); padding: 6px 0; }
  table.history td { border: 0; padding: 2px 0; }
  table.history td::before { content: attr(data-label) ": "; color: var(--muted); }
  .result dl { grid-template-columns: 1fr; }
  .result dd { margin-bottom: 6px; }
}
`;

/** A telephone receiver on the page's header colour. */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#14283f"/><path fill="#cfe3ff" d="M11.6 7.5l2.6 4.3c.4.7.3 1.5-.3 2l-1.6 1.4a12 12 0 0 0 4.5 4.5l1.4-1.6c.5-.6 1.3-.7 2-.3l4.3 2.6c.7.4 1 1.3.6 2l-1.2 2.4c-.5 1-1.6 1.6-2.7 1.4C14.6 25 7 17.4 6.1 10.8c-.2-1.1.4-2.2 1.4-2.7L9.9 7c.6-.4 1.4-.2 1.7.5z"/></svg>`;
