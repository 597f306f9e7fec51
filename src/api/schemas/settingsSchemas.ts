import { z } from 'zod';
import { CLOSED_RECORD_POLICIES } from '../../policy/ClosedRecordPolicy.js';
import { errorOption } from './common.js';

/** The live CRM settings and their audit trail (SPEC 3.3). */

const ALLOWED = CLOSED_RECORD_POLICIES.join(', ');
const EXPECTED = `expected {"salesforce": {"closedRecordPolicy": ...}} with closedRecordPolicy one of: ${ALLOWED}`;
export const HISTORY_MAX = 1000;

/** Every refusal names the allowed values, so that whoever sent the request can fix it from the message alone. */
export const SETTINGS_ERRORS = {
  notAnObject: `Request body must be a JSON object: ${EXPECTED}`,
  unknownField: (path: string) => `Unknown field "${path}": ${EXPECTED}`,
  salesforceRequired: `salesforce is required: ${EXPECTED}`,
  policyInvalid: `salesforce.closedRecordPolicy must be one of: ${ALLOWED}`,
  historyLimit: `limit must be an integer from 1 to ${HISTORY_MAX}`,
} as const;

const E = SETTINGS_ERRORS;

/** An object with exactly the given fields: an unknown one is named (with `prefix`), anything else is `otherwise`. */
const exactObject = <Shape extends z.ZodRawShape>(shape: Shape, prefix: string, otherwise: string) =>
  z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? E.unknownField(`${prefix}${String(issue.keys[0])}`) : otherwise),
  });

const closedRecordPolicy = z.enum(CLOSED_RECORD_POLICIES, errorOption(E.policyInvalid)).meta({
  description:
    "What the worker does with a closed Salesforce case when a callback fires: `dont_check` — don't check record status, always initiate the API scheduled call; `reopen` — if the record is closed, reopen it; `cancel` — if the record is closed, cancel the scheduled call.",
});

/** `{"salesforce": {"closedRecordPolicy": ...}}` and nothing else: the PUT body, and what GET and PUT answer. */
export const crmSettingsSchema = exactObject(
  { salesforce: exactObject({ closedRecordPolicy }, 'salesforce.', E.salesforceRequired) },
  '',
  E.notAnObject,
).meta({ id: 'CrmSettings' });

export type CrmSettings = z.infer<typeof crmSettingsSchema>;

export const historyQuerySchema = z.object({
  limit: z
    .preprocess(
      (v) => (v === '' ? undefined : v),
      z
        .string(errorOption(E.historyLimit))
        .regex(/^[1-9]\d{0,5}$/, errorOption(E.historyLimit))
        .transform(Number)
        .refine((n) => n <= HISTORY_MAX, errorOption(E.historyLimit))
        .optional()
        .default(100),
    )
    .meta({ description: `How many changes, newest first (1 to ${HISTORY_MAX})`, default: '100', example: '10' }),
});

export const policyHistorySchema = z
  .array(
    z.object({
      at: z.iso.datetime(),
      user: z.string().meta({ description: 'The admin user who made the change', example: 'admin' }),
      old: z.enum(CLOSED_RECORD_POLICIES),
      new: z.enum(CLOSED_RECORD_POLICIES),
    }),
  )
  .meta({ id: 'PolicyHistory', description: 'Changes of the closed-record policy, newest first' });
