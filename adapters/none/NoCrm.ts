import type { CrmAdapter, CrmRequestContext, RecordLookup } from '../../src/crm/CrmAdapter.js';
import { CrmRejectedError } from '../../src/crm/errors.js';

/** Record ids when no CRM is configured: plain tokens only, never anything that could be a query. */
const PLAIN_TICKET_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * The CRM port when `crm.provider` is "none": ticket ids are kept as given, and nothing is ever read or
 * written (the fire decision dials without a lookup, and asks for no comment, when the provider is none).
 */
export class NoCrm implements CrmAdapter {
  readonly provider = 'none' as const;
  /** Irrelevant: nothing is read. */
  readonly maxBatchSize = 100;

  isValidRecordId(id: string): boolean {
    return PLAIN_TICKET_ID.test(id);
  }

  canonicalRecordId(id: string): string {
    return id;
  }

  /** A lookup without a CRM is a bug of the caller, not a CRM failure: a plain Error, never "unreachable". */
  readRecords(_ids: readonly string[], _ctx: CrmRequestContext): Promise<Map<string, RecordLookup>> {
    return Promise.reject(new Error('no CRM is configured (crm.provider "none"): there is no record to read'));
  }

  /** Should a comment ever be asked for, it is undeliverable (recorded on the call), never retried. */
  addComment(_id: string, _body: string, _ctx: CrmRequestContext): Promise<void> {
    return Promise.reject(new CrmRejectedError('no CRM is configured (crm.provider "none"): comments cannot be written'));
  }

  /** Nothing was ever written. */
  hasCommentSince(_id: string, _body: string, _since: Date, _ctx: CrmRequestContext): Promise<boolean> {
    return Promise.resolve(false);
  }

  reopen(_id: string, _ctx: CrmRequestContext): Promise<void> {
    return Promise.reject(new CrmRejectedError('no CRM is configured (crm.provider "none"): records cannot be reopened'));
  }
}
