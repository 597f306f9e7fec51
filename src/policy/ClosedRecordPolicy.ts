import { z } from 'zod';

/** What the worker does with a closed Salesforce case (SPEC 3.3); admins change it live. */
export const closedRecordPolicySchema = z.enum(['dont_check', 'reopen', 'cancel']);
export type ClosedRecordPolicy = z.infer<typeof closedRecordPolicySchema>;
export const CLOSED_RECORD_POLICIES = closedRecordPolicySchema.options;
