/**
 * The CRM port. Each adapter (adapters/salesforce, adapters/zendesk, adapters/servicenow) implements it and is
 * the only code that knows its vendor's wire format; adapters/none is the port without a CRM behind it.
 *
 * Adapter methods make ONE attempt each: retries, timeouts and the total budget live in
 * `ResilientCrm` (src/crm/ResilientCrm.ts) so that every vendor is governed by the same budget.
 * An adapter reports every failure of its CRM (no answer, an error answer, an answer it cannot read) by
 * throwing a CrmError of src/crm/errors.ts; anything else it throws is a bug.
 */

/** `none`: no CRM is configured; there is nothing to look up and nothing to write to. */
export type CrmProvider = 'salesforce' | 'zendesk' | 'servicenow' | 'none';

export type RecordState = 'open' | 'closed' | 'not_found';

export interface RecordLookup {
  /** The id as it was asked for (the call's ticket_id). */
  id: string;
  state: RecordState;
  /** The vendor's raw status as seen (e.g. "Closed", "solved", "7"); null when not found. */
  rawStatus: string | null;
}

/** Passed to every adapter call: the adapter must give up after `timeoutMs` or when `signal` aborts. */
export interface CrmRequestContext {
  timeoutMs: number;
  signal: AbortSignal;
}

export interface CrmAdapter {
  readonly provider: CrmProvider;
  /** Most ids one readRecords call may carry (the vendor's own batch limit). */
  readonly maxBatchSize: number;

  /** Format check of a record id, done before any request (never build a query from raw input). */
  isValidRecordId(id: string): boolean;

  /**
   * The one key of a record, whichever of its accepted spellings was given (Salesforce 15/18-character ids,
   * ServiceNow letter case). Called only with valid ids; used for the per-record guards.
   */
  canonicalRecordId(id: string): string;

  /**
   * Reads many records in as few requests as the vendor allows (one attempt, may split internally into
   * several requests when `ids` exceeds what one request carries). Returns one entry per asked id;
   * unknown ids are `{ state: 'not_found' }`, never an error.
   */
  readRecords(ids: readonly string[], ctx: CrmRequestContext): Promise<Map<string, RecordLookup>>;

  /** Adds an internal (agent-only) comment. Throws CrmRejectedError when the vendor refuses for good. */
  addComment(id: string, body: string, ctx: CrmRequestContext): Promise<void>;

  /**
   * True when the record already carries a comment with exactly `body` created at or after `since`.
   * Used only after a comment attempt whose outcome is unknown (a worker died mid-request), so that a
   * redelivered job never writes the same comment twice.
   */
  hasCommentSince(id: string, body: string, since: Date, ctx: CrmRequestContext): Promise<boolean>;

  /** Reopens a closed record (Salesforce only; other adapters throw CrmRejectedError). */
  reopen(id: string, ctx: CrmRequestContext): Promise<void>;
}
