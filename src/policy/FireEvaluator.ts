import type { Logger } from 'pino';
import type { CrmProvider, RecordLookup } from '../crm/CrmAdapter.js';
import { CrmError, CrmUnreachableError, InvalidRecordIdError, RecordNotFoundError } from '../crm/errors.js';
import type { ClosedRecordPolicy } from './ClosedRecordPolicy.js';
import { decideOnFire, needsLookup, type FireDecision, type FireFacts, type LookupFact } from './decideOnFire.js';

/** Where the live Salesforce closed-record policy is read (the settings store). */
export interface PolicySource {
  getClosedRecordPolicy(): Promise<ClosedRecordPolicy>;
}

/** Which calls of a record are active now (the call store's per-record index). */
export interface ActiveCalls {
  activeCallIds(recordKey: string): Promise<number[]>;
}

export interface Evaluation {
  facts: FireFacts;
  decision: FireDecision;
  /** Raw CRM status seen, null when there was no lookup or no record. */
  crmStatus: string | null;
  /** One line for the call's `crm_lookup` event (null when no lookup was made). */
  lookupDetail: string | null;
}

/** Facts the caller has already read (see FireEvaluator.evaluate). */
export interface KnownFacts {
  salesforcePolicy?: ClosedRecordPolicy;
  activeCallIds?: readonly number[];
}

export interface FireEvaluatorDeps {
  provider: CrmProvider;
  /** Reads one record (directly for the dry run, through the batcher in the worker). */
  readRecord: (id: string) => Promise<RecordLookup>;
  /** The record's one key for the per-record guards. */
  recordKey: (ticketId: string) => string;
  activeCalls: ActiveCalls;
  policy: PolicySource;
  logger: Logger;
}

/**
 * Gathers the facts the decision needs — the live Salesforce policy, the CRM record, other active calls — and
 * decides. Shared by the fire worker and the admin dry run (`/admin/v1/explain`), which must agree.
 */
export class FireEvaluator {
  constructor(private readonly deps: FireEvaluatorDeps) {}

  /** The live Salesforce closed-record policy (callers that read it alongside other facts pass it back in). */
  currentPolicy(): Promise<ClosedRecordPolicy> {
    return this.deps.policy.getClosedRecordPolicy();
  }

  /**
   * `known` carries facts the caller already read (the fire step reads the record's active calls together with
   * the call, and the policy alongside): they are not read again.
   */
  async evaluate(ticketId: string | null, callId: number | null, known: KnownFacts = {}): Promise<Evaluation> {
    const salesforcePolicy = known.salesforcePolicy ?? (await this.deps.policy.getClosedRecordPolicy());
    let lookup: LookupFact = { kind: 'skipped' };
    let lookupDetail: string | null = null;
    if (needsLookup(this.deps.provider, ticketId, salesforcePolicy) && ticketId !== null) {
      lookup = await this.lookUp(ticketId);
      lookupDetail = describeLookup(lookup);
    }
    const otherActiveCall =
      ticketId !== null &&
      (known.activeCallIds ?? (await this.deps.activeCalls.activeCallIds(this.deps.recordKey(ticketId)))).some((id) => id !== callId);
    const facts: FireFacts = { provider: this.deps.provider, ticketId, salesforcePolicy, lookup, otherActiveCall };
    return {
      facts,
      decision: decideOnFire(facts),
      crmStatus: lookup.kind === 'found' ? lookup.rawStatus : null,
      lookupDetail,
    };
  }

  private async lookUp(ticketId: string): Promise<LookupFact> {
    let found: RecordLookup;
    try {
      found = await this.deps.readRecord(ticketId);
    } catch (err) {
      if (!(err instanceof CrmError)) {
        // Not a CRM failure but a bug of ours: it must neither cancel the call nor tell the record that the CRM
        // was unreachable. It fails the evaluation instead (the fire job is retried, then the call fails).
        this.deps.logger.error({ ticketId, err }, 'CRM lookup failed with an unexpected error (not a CRM failure)');
        throw err;
      }
      if (err instanceof RecordNotFoundError || err instanceof InvalidRecordIdError) return { kind: 'not_found' };
      // Anything else the CRM answered (budget spent, credentials refused, a request it rejects, a reply we
      // cannot read) means we could not learn the record's state: SPEC's "CRM unreachable" outcome, never a
      // call left hanging in retries.
      this.deps.logger.warn(
        { ticketId, err: err.message, kind: err.name, expected: err instanceof CrmUnreachableError },
        'CRM unreachable at fire time',
      );
      return { kind: 'unreachable' };
    }
    if (found.state === 'not_found') return { kind: 'not_found' };
    return { kind: 'found', state: found.state, rawStatus: found.rawStatus };
  }
}

function describeLookup(lookup: LookupFact): string {
  switch (lookup.kind) {
    case 'found':
      return `record ${lookup.state} (status: ${lookup.rawStatus ?? 'unknown'})`;
    case 'not_found':
      return 'record not found';
    case 'unreachable':
      return 'CRM unreachable';
    default:
      return 'no lookup';
  }
}

export function describeDecision(d: FireDecision): string {
  const parts: string[] = [d.action];
  if (d.reopen) parts.push('reopen');
  if (d.failReason) parts.push(`fail_reason=${d.failReason}`);
  if (d.comment) parts.push(`comment=${d.comment}`);
  return parts.join(' ');
}
