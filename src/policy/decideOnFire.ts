import type { ClosedRecordPolicy } from './ClosedRecordPolicy.js';
import type { CrmProvider } from '../crm/CrmAdapter.js';
import type { CrmCommentKey } from './crmComments.js';

/**
 * The fire-time decision of SPEC section 4 as a pure function: facts in, decision out.
 * No Redis, queue or HTTP here — the worker gathers the facts and carries the decision out.
 */

export type FailReason = 'crm_unreachable' | 'record_not_found' | 'record_closed' | 'active_call_exists';

/** What the CRM lookup found (or why there was none). */
export type LookupFact =
  | { kind: 'skipped' } // no lookup was made (no ticket, no CRM, or Salesforce `dont_check`)
  | { kind: 'found'; state: 'open' | 'closed'; rawStatus: string | null }
  | { kind: 'not_found' }
  | { kind: 'unreachable' };

export interface FireFacts {
  provider: CrmProvider;
  ticketId: string | null;
  salesforcePolicy: ClosedRecordPolicy;
  lookup: LookupFact;
  /** Another call for the same record is scheduled, queued, assigned, connecting or connected. */
  otherActiveCall: boolean;
}

export interface FireDecision {
  /** `skip` = the "not created" outcomes, `cancel` = the "canceled" ones; both end the call as `canceled`. */
  action: 'dial' | 'skip' | 'cancel';
  reopen: boolean;
  comment: CrmCommentKey | null;
  failReason: FailReason | null;
}

/** Whether the worker must read the CRM record before deciding (SPEC 4 step 1). */
export function needsLookup(provider: CrmProvider, ticketId: string | null, policy: ClosedRecordPolicy): boolean {
  if (provider === 'none' || ticketId === null) return false;
  return !(provider === 'salesforce' && policy === 'dont_check');
}

/**
 * The comment for a call refused at creation because its record already has a scheduled call (SPEC 2):
 * none without a CRM, as at fire time.
 */
export function duplicateRefusalComment(provider: CrmProvider): CrmCommentKey | null {
  return provider === 'none' ? null : 'active_call_exists';
}

const dial: FireDecision = { action: 'dial', reopen: false, comment: null, failReason: null };

export function decideOnFire(facts: FireFacts): FireDecision {
  if (facts.provider === 'none' || facts.ticketId === null) return dial;

  const { lookup } = facts;
  if (lookup.kind === 'unreachable') {
    return { action: 'cancel', reopen: false, comment: 'crm_unreachable', failReason: 'crm_unreachable' };
  }
  if (lookup.kind === 'not_found') {
    return { action: 'cancel', reopen: false, comment: null, failReason: 'record_not_found' };
  }
  if (lookup.kind === 'found' && lookup.state === 'closed') {
    if (facts.provider !== 'salesforce') {
      return { action: 'skip', reopen: false, comment: 'record_closed_not_created', failReason: 'record_closed' };
    }
    if (facts.salesforcePolicy === 'reopen') {
      return { action: 'dial', reopen: true, comment: 'reopened', failReason: null };
    }
    if (facts.salesforcePolicy === 'cancel') {
      return { action: 'cancel', reopen: false, comment: 'record_closed_canceled', failReason: 'record_closed' };
    }
  }
  // Open record, or Salesforce `dont_check` (no lookup): only the local active-call check remains.
  if (facts.otherActiveCall) {
    return { action: 'skip', reopen: false, comment: 'active_call_exists', failReason: 'active_call_exists' };
  }
  return dial;
}
