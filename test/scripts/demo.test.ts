import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { CRM_COMMENTS } from '../../src/policy/crmComments.js';

/**
 * `npm run demo` (scripts/demo.ts) shows every SPEC 4 outcome against the stand-in CRMs, and a newcomer can
 * tell each line's call apart although ids repeat between its orchestrators.
 */

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
let output = '';

beforeAll(async () => {
  const run = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], { cwd: repoRoot, timeout: 60_000 });
  output = run.stdout;
}, 70_000);

/** The lines the demo prints for one call in its "Outcomes" part, found by setup and situation. */
function outcome(setup: string, situation: string): string {
  const section = output.split(/\n\n/).find((block) => block.startsWith(`${setup}\n`));
  if (!section) throw new Error(`no outcomes for ${setup} in:\n${output}`);
  const calls = section.split(/\n(?= {2}call )/);
  const call = calls.find((block) => block.includes(` · ${situation} → `));
  if (!call) throw new Error(`no call "${situation}" under ${setup} in:\n${section}`);
  return call;
}

describe('npm run demo', () => {
  it('dials open records and a closed case under the policy that does not check, without a comment', () => {
    for (const [setup, situation] of [
      ['Salesforce, policy reopen', 'open case'],
      ['Zendesk', 'open ticket'],
      ['ServiceNow', 'open incident'],
    ]) {
      expect(outcome(setup!, situation!)).toMatch(/→ queued: dialed\n.*record open.*\n.*\n {6}no comment$/);
    }
    expect(outcome('Salesforce, policy dont_check', 'closed case')).toMatch(
      /→ queued: dialed\n.*lookup when due: none\n.* now: Closed\n {6}no comment$/,
    );
  });

  it('applies the closed-record policies: Salesforce reopen and cancel, Zendesk and ServiceNow skip', () => {
    expect(outcome('Salesforce, policy reopen', 'closed case')).toMatch(
      new RegExp(`→ queued: dialed\\n.*\\n.* now: Working\\n {6}comment: "${CRM_COMMENTS.reopened}"$`),
    );
    expect(outcome('Salesforce, policy cancel', 'closed case')).toContain(
      `→ canceled (record_closed)\n      CRM lookup when due: record closed (status: Closed)\n      record`,
    );
    expect(outcome('Salesforce, policy cancel', 'closed case')).toContain(`comment: "${CRM_COMMENTS.record_closed_canceled}"`);
    expect(outcome('Zendesk', 'solved ticket')).toContain(`comment: "${CRM_COMMENTS.record_closed_not_created}"`);
    expect(outcome('ServiceNow', 'resolved incident (state 6)')).toContain(`comment: "${CRM_COMMENTS.record_closed_not_created}"`);
    const closedTicket = outcome('Zendesk', 'closed ticket (Zendesk takes no comments on it)');
    expect(closedTicket).toContain('→ canceled (record_closed)');
    expect(closedTicket).toContain(`comment undeliverable: ${CRM_COMMENTS.record_closed_not_created}`);
  });

  it('cancels an unknown record without a comment, and an unreachable CRM with its comment written after recovery', () => {
    expect(outcome('Salesforce, policy reopen', 'case id that does not exist')).toMatch(
      /→ canceled \(record_not_found\)\n[^]* {6}no comment$/,
    );
    expect(outcome('Zendesk', 'ticket that does not exist')).toMatch(/→ canceled \(record_not_found\)\n[^]* {6}no comment$/);
    expect(outcome('ServiceNow, down when due', 'open incident')).toMatch(
      new RegExp(`→ canceled \\(crm_unreachable\\)\\n[^]* {6}comment: "${CRM_COMMENTS.crm_unreachable}"$`),
    );
    const back = output.indexOf('answers again');
    expect(back).toBeGreaterThan(0);
    expect(output.indexOf('the "CRM unreachable" comment is now on the incident')).toBeGreaterThan(back);
  });

  it('skips a callback while another call for the record is active, and refuses a duplicate with 409 and its comment', () => {
    expect(outcome('Zendesk', 'open ticket whose first callback is still with the dialer')).toMatch(
      new RegExp(`→ canceled \\(active_call_exists\\)\\n[^]* {6}comment: "${CRM_COMMENTS.active_call_exists}"$`),
    );
    expect(output).toContain(`→ 409 ${JSON.stringify({ message: CRM_COMMENTS.active_call_exists })}`);
    const guarded = outcome('Zendesk', 'open ticket, callback due tomorrow; a second one was asked for');
    expect(guarded).toMatch(new RegExp(`→ scheduled\\n[^]* {6}comment: "${CRM_COMMENTS.active_call_exists}"$`));
  });

  it('names the orchestrator and the situation on every dialer line, so that no two read alike', () => {
    const dialerLines = output.split('\n').filter((line) => line.includes('dialer ←'));
    expect(dialerLines.length).toBe(6);
    const whatWasDialed = dialerLines.map((line) => line.slice(line.indexOf('dialer ←')));
    expect(new Set(whatWasDialed).size).toBe(dialerLines.length);
    for (const line of whatWasDialed) expect(line).toMatch(/^dialer ← (Salesforce, policy \w+|Zendesk|ServiceNow) · call \d+ · \S/);
  });
});
