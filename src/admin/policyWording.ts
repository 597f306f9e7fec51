/**
 * The Salesforce closed-record policy values and the portal's wording for each (SPEC 3.3). Shared by the admin
 * API, the admin page and the command-line tool, so that all three name the options the same way.
 */

export const POLICY_VALUES = ['dont_check', 'reopen', 'cancel'] as const;
export type PolicyValue = (typeof POLICY_VALUES)[number];

export const POLICY_WORDING: Record<PolicyValue, string> = {
  dont_check: "Don't check record status. Always initiate the API scheduled call.",
  reopen: 'Check record status. If the record is closed, reopen it.',
  cancel: 'Check record status. If the record is closed, cancel the scheduled call.',
};

export const isPolicyValue = (v: unknown): v is PolicyValue => typeof v === 'string' && (POLICY_VALUES as readonly string[]).includes(v);
