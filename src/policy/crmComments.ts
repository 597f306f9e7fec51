/** The prescribed CRM comments (SPEC section 2), one per outcome. Agents read these: keep the text exact. */
export const CRM_COMMENTS = {
  active_call_exists: 'A scheduled call was not created because the record already has an active scheduled call.',
  crm_unreachable: 'A scheduled call was canceled because the CRM was unreachable.',
  record_closed_not_created: 'A scheduled call was not created because the record is closed.',
  reopened: 'The record was reopened at the time of a scheduled call.',
  record_closed_canceled: 'A scheduled call was canceled because the record is closed.',
} as const;

export type CrmCommentKey = keyof typeof CRM_COMMENTS;
