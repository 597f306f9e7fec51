import { z } from 'zod';
import { CRM_COMMENTS } from '../../policy/crmComments.js';
import type { CallingRuleBreach } from '../../schedule/CallingPolicy.js';
import { BODY_NOT_AN_OBJECT, errorOption, positiveIdSchema } from './common.js';

/** The admin dry run (SPEC 3.3): what would happen if a callback fired now. */

export const EXPLAIN_ERRORS = {
  unknownField: (name: string) => `Unknown field "${name}": give ticket_id or call_id`,
  both: 'Give either ticket_id or call_id, not both',
  neither: 'ticket_id or call_id is required',
  ticketMalformed: 'ticket_id is not well formed',
  callMalformed: 'call_id is not well formed',
  callNotFound: (callId: number) => `call_id ${callId} is not found`,
} as const;

const E = EXPLAIN_ERRORS;
const given = (v: unknown) => v !== undefined && v !== null;
const isObject = (payload: { value: unknown }) => typeof payload.value === 'object' && payload.value !== null;
const ticketError = errorOption(E.ticketMalformed);

/**
 * `{"ticket_id": "..."}` or `{"call_id": 123}`, exactly one of them. Giving both is named even when their
 * values are also wrong (the check runs whatever the fields hold); the ticket id's format for the configured
 * CRM is checked after this.
 */
export const explainBodySchema = z
  .strictObject(
    {
      ticket_id: z
        .union([z.string(ticketError).trim().min(1, ticketError), z.int(ticketError).transform(String)], ticketError)
        .nullish()
        .meta({ description: "A CRM record id, in the configured CRM's format", example: '500Hs00001XyZaBIAV' }),
      call_id: positiveIdSchema(E.callMalformed).nullish().meta({ description: 'A call: its record is read', example: 123 }),
    },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? E.unknownField(String(issue.keys[0])) : BODY_NOT_AN_OBJECT) },
  )
  .check(z.refine((b) => !(given(b.ticket_id) && given(b.call_id)), { error: E.both, when: isObject }))
  .check(z.refine((b) => given(b.ticket_id) || given(b.call_id), { error: E.neither }))
  .meta({ id: 'ExplainRequest', description: 'Exactly one of `ticket_id` and `call_id`.' });

export const FAIL_REASONS = ['crm_unreachable', 'record_not_found', 'record_closed', 'active_call_exists'] as const;

export const CALLING_RULE_BREACHES = [
  'calling_window',
  'business_hours',
  'calling_window_and_business_hours',
] as const satisfies readonly CallingRuleBreach[];

/** SPEC 9.3 read for the call now: whether it could be placed, else when the fire step would move it to. */
export const explainCallingSchema = z.object({
  allowed: z.boolean().meta({
    description: 'Whether the calling window and the business hours both hold now (true when the menu has neither)',
  }),
  deferred_until: z.iso
    .datetime()
    .nullable()
    .meta({
      description:
        'When not allowed: the next allowed time (UTC, with ms), to which a call firing now would be deferred (event `deferred`). ' +
        'null when allowed, and when no allowed time exists within 14 days (the call would then be canceled with ' +
        '`fail_reason` `outside_calling_rules`)',
      example: '2030-01-01T13:00:00.000Z',
    }),
  reason: z.enum(CALLING_RULE_BREACHES).nullable().meta({ description: 'The rule broken now; null when allowed' }),
  timezone: z
    .string()
    .nullable()
    .meta({
      description:
        "The call's `timezone`, in which the calling window is read; null when its number maps to several zones " +
        '(the window is then read in each of them)',
      example: 'America/New_York',
    }),
});

export type ExplainCalling = z.infer<typeof explainCallingSchema>;

export const explanationSchema = z
  .object({
    decision: z.enum(['dial', 'skip', 'cancel']).meta({
      description: '`skip` for the "not created" outcomes, `cancel` for the "canceled" ones',
    }),
    reopen: z.boolean(),
    comment: z
      .enum(Object.values(CRM_COMMENTS) as [string, ...string[]])
      .nullable()
      .meta({ description: 'The exact comment that would be written to the record (SPEC section 2)' }),
    fail_reason: z.enum(FAIL_REASONS).nullable(),
    crm_status: z.string().nullable().meta({ description: 'The raw CRM status seen now; null when there was no lookup or no record' }),
    calling: explainCallingSchema.nullable().meta({
      description:
        'The calling window and business hours (SPEC 9.3), checked before the decision when a call fires. For `call_id`, that ' +
        'call; for `ticket_id`, the call of that record that is `scheduled` now. null when there is no such call: the rules ' +
        "depend on a call's menu and customer zone, so they are not evaluated",
    }),
  })
  .meta({ id: 'Explanation' });

export type Explanation = z.infer<typeof explanationSchema>;
