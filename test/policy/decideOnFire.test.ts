import { describe, expect, it } from 'vitest';
import { CRM_COMMENTS } from '../../src/policy/crmComments.js';
import { decideOnFire, needsLookup, type FireFacts, type LookupFact } from '../../src/policy/decideOnFire.js';

const open: LookupFact = { kind: 'found', state: 'open', rawStatus: 'open' };
const closed: LookupFact = { kind: 'found', state: 'closed', rawStatus: 'closed' };
const skipped: LookupFact = { kind: 'skipped' };

type Row = [string, Partial<FireFacts>, string, boolean, keyof typeof CRM_COMMENTS | null, string | null];

// [case, facts, action, reopen, comment, fail_reason] — SPEC section 4, every provider and policy.
const rows: Row[] = [
  ['no CRM configured', { provider: 'none', lookup: skipped }, 'dial', false, null, null],
  ['no ticket', { provider: 'zendesk', ticketId: null, lookup: skipped }, 'dial', false, null, null],
  [
    'no ticket, other active call ignored',
    { provider: 'zendesk', ticketId: null, lookup: skipped, otherActiveCall: true },
    'dial',
    false,
    null,
    null,
  ],

  [
    'SF dont_check, nothing else active',
    { provider: 'salesforce', salesforcePolicy: 'dont_check', lookup: skipped },
    'dial',
    false,
    null,
    null,
  ],
  [
    'SF dont_check, other active call',
    { provider: 'salesforce', salesforcePolicy: 'dont_check', lookup: skipped, otherActiveCall: true },
    'skip',
    false,
    'active_call_exists',
    'active_call_exists',
  ],

  ...(['salesforce', 'zendesk', 'servicenow'] as const).flatMap((provider): Row[] => [
    [`${provider} unreachable`, { provider, lookup: { kind: 'unreachable' } }, 'cancel', false, 'crm_unreachable', 'crm_unreachable'],
    [`${provider} not found`, { provider, lookup: { kind: 'not_found' } }, 'cancel', false, null, 'record_not_found'],
    [`${provider} open`, { provider, lookup: open }, 'dial', false, null, null],
    [
      `${provider} open, other active call`,
      { provider, lookup: open, otherActiveCall: true },
      'skip',
      false,
      'active_call_exists',
      'active_call_exists',
    ],
  ]),

  ['zendesk closed', { provider: 'zendesk', lookup: closed }, 'skip', false, 'record_closed_not_created', 'record_closed'],
  [
    'zendesk closed, other active call',
    { provider: 'zendesk', lookup: closed, otherActiveCall: true },
    'skip',
    false,
    'record_closed_not_created',
    'record_closed',
  ],
  ['servicenow closed', { provider: 'servicenow', lookup: closed }, 'skip', false, 'record_closed_not_created', 'record_closed'],
  ['SF reopen, closed', { provider: 'salesforce', salesforcePolicy: 'reopen', lookup: closed }, 'dial', true, 'reopened', null],
  [
    'SF reopen, closed, other active call',
    { provider: 'salesforce', salesforcePolicy: 'reopen', lookup: closed, otherActiveCall: true },
    'dial',
    true,
    'reopened',
    null,
  ],
  [
    'SF cancel, closed',
    { provider: 'salesforce', salesforcePolicy: 'cancel', lookup: closed },
    'cancel',
    false,
    'record_closed_canceled',
    'record_closed',
  ],
  ['SF cancel, open', { provider: 'salesforce', salesforcePolicy: 'cancel', lookup: open }, 'dial', false, null, null],
  [
    'SF cancel, unreachable',
    { provider: 'salesforce', salesforcePolicy: 'cancel', lookup: { kind: 'unreachable' } },
    'cancel',
    false,
    'crm_unreachable',
    'crm_unreachable',
  ],
];

describe('decideOnFire', () => {
  it.each(rows)('%s', (_name, facts, action, reopen, comment, failReason) => {
    const decision = decideOnFire({
      provider: 'salesforce',
      ticketId: '500000000000001AAA',
      salesforcePolicy: 'reopen',
      otherActiveCall: false,
      lookup: skipped,
      ...facts,
    });
    expect(decision).toEqual({ action, reopen, comment, failReason });
  });

  it('maps every comment key to the exact SPEC text', () => {
    expect(CRM_COMMENTS).toEqual({
      active_call_exists: 'A scheduled call was not created because the record already has an active scheduled call.',
      crm_unreachable: 'A scheduled call was canceled because the CRM was unreachable.',
      record_closed_not_created: 'A scheduled call was not created because the record is closed.',
      reopened: 'The record was reopened at the time of a scheduled call.',
      record_closed_canceled: 'A scheduled call was canceled because the record is closed.',
    });
  });
});

describe('needsLookup', () => {
  it.each([
    ['none', 'T1', 'reopen', false],
    ['zendesk', null, 'reopen', false],
    ['zendesk', '1', 'dont_check', true], // the Salesforce policy does not apply to Zendesk
    ['servicenow', 'INC0010001', 'cancel', true],
    ['salesforce', '500000000000001', 'dont_check', false],
    ['salesforce', '500000000000001', 'reopen', true],
    ['salesforce', '500000000000001', 'cancel', true],
  ] as const)('%s ticket=%s policy=%s → %s', (provider, ticket, policy, expected) => {
    expect(needsLookup(provider, ticket, policy)).toBe(expected);
  });
});
