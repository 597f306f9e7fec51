import type { FireDecision } from '../policy/decideOnFire.js';

/** Call statuses this product uses (a subset of the seeds' list). */
export const CALL_STATUSES = ['scheduled', 'queued', 'assigned', 'connecting', 'connected', 'finished', 'failed', 'canceled'] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

// Active for its CRM record (SPEC 4 step 4): scheduled, queued, assigned, connecting, connected. The final
// statuses (finished, failed, canceled) take a call out of its record's active set (see luaScripts.ts).

export type RecordingPermission = 'not_asked' | 'denied' | 'granted';

/**
 * Free text: the reasons this product sets (decideOnFire's FailReason, 'canceled_by_request',
 * 'dialer_unreachable', 'nothing', ...) and whatever the dialer reports when it fails a call.
 */
export type CallFailReason = string;

export interface CustomerFlags {
  verified_customer: boolean;
  bad_actor: boolean;
  repeat_customer: boolean;
}

/** The decision taken when the call fired, kept so that a redelivered job carries out the same one. */
export interface StoredDecision extends FireDecision {
  crmStatus: string | null;
}

/** A call as stored in Redis (flat JSON: the Lua scripts read and write it). */
export interface CallRecord {
  id: number;
  parent_id: number | null;
  lang: string;
  call_type: 'Voice Scheduled (API)';
  status: CallStatus;
  created_at: string;
  scheduled_at: string;
  queued_at: string | null;
  assigned_at: string | null;
  connected_at: string | null;
  ends_at: string | null;
  menu_id: number;
  end_user_number: string;
  ticket_id: string | null;
  /** The record's one key (see CrmAdapter.canonicalRecordId): the per-record guards and indexes use it. */
  record_key: string | null;
  recording_permission: RecordingPermission;
  fail_reason: CallFailReason;
  fail_details: string | null;
  verified_customer: boolean;
  bad_actor: boolean;
  repeat_customer: boolean;
  /** `api` (Call API) or `skill` (Xima-style skill callback). */
  source: 'api' | 'skill';
  skill: string | null;
  /** 1 for a call created through the API or the skill callback; a retry is its parent's attempt + 1 (SPEC 9.2). */
  attempt: number;
  /**
   * The customer's zone as the call object shows it (SPEC 9.3): the request's, else the number's when it maps to
   * exactly one, null when it maps to several (then `customer_zones` lists them), else `defaultTimezone`.
   */
  timezone: string | null;
  /** The time first asked for, once a reschedule or a deferral has moved `scheduled_at` (null until then). */
  first_scheduled_at: string | null;
  /** The number's zones when it maps to several: the calling window must hold in each of them. */
  customer_zones: string[] | null;
  /** Set once the fire job has decided: from then on the call can no longer be canceled or rescheduled. */
  firing: boolean;
  decision: StoredDecision | null;
}

export interface CallEvent {
  at: string;
  type: string;
  detail: string | null;
}

export type NewCall = Omit<
  CallRecord,
  | 'id'
  | 'status'
  | 'queued_at'
  | 'assigned_at'
  | 'connected_at'
  | 'ends_at'
  | 'fail_reason'
  | 'fail_details'
  | 'verified_customer'
  | 'bad_actor'
  | 'repeat_customer'
  | 'firing'
  | 'decision'
>;
