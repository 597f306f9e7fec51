import { z } from 'zod';
import { CALL_STATUSES } from '../../store/CallRecord.js';
import { CALL_NOT_FOUND_MESSAGE } from '../../lifecycle/errors.js';
import { isValidTimezone } from '../../schedule/customerZones.js';
import { ISO_639_1 } from '../validation/isoLanguages.js';
import { BODY_NOT_AN_OBJECT, ID_DIGITS, blankAsAbsent, emptyAsAbsent, errorOption, positiveIdSchema } from './common.js';

/** Create, read and list calls (SPEC 3.1): the requests, with the seeds' exact error messages. */

export const CALL_NOT_FOUND = CALL_NOT_FOUND_MESSAGE;

/** The 400 messages of POST /calls (SPEC 3.1 table), in the order they are checked. */
export const CREATE_CALL_ERRORS = {
  callType: 'Invalid call type',
  parentNotFound: (callId: unknown) => `call_id ${String(callId)} is not found`,
  menuRequired: 'menu_id is required',
  menuMalformed: 'menu_id is not well formed',
  menuNotFound: (menuId: number) => `menu_id ${menuId} is not found`,
  menuType: 'Only mobile and web menu IDs are permitted',
  menuAfterHours: "Menu is in 'after hours' state, can't accept incoming calls",
  menuRedirected: "Menu is in 'manual redirection' state, can't accept calls",
  numberRequired: 'end_user_number is required',
  numberMalformed: 'end_user_number is not well formed',
  scheduledAtRequired: 'scheduled_at is required',
  scheduledAtInvalid: 'scheduled_at must be a valid future time',
  languageNotFound: (lang: unknown) => `Language '${String(lang)}' is not found`,
  languageNotAvailable: (lang: string) => `Language '${lang}' is not available`,
  ticketMalformed: 'ticket_id is not well formed',
  recordingInvalid: 'recording_permission is not valid',
  timezoneInvalid: 'timezone is not valid',
} as const;

export const IDEMPOTENCY_ERRORS = {
  malformed: 'Idempotency-Key must be 1 to 255 characters',
  mismatch: 'Idempotency-Key was already used with a different request body',
  inProgress: 'A request with this Idempotency-Key is still in progress',
} as const;

const E = CREATE_CALL_ERRORS;
const requiredOr = (required: string, malformed: string) => errorOption((input) => (input === undefined ? required : malformed));

// ISO 8601 date-time with an explicit offset (Z or ±hh:mm); a time without offset is ambiguous.
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** A time Date.parse reads as written: it rolls a day that does not exist (2030-02-30) over into the next month. */
function isRealTime(isoText: string): boolean {
  const [year, month, day] = isoText.slice(0, 10).split('-').map(Number) as [number, number, number];
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate() && !Number.isNaN(Date.parse(isoText));
}

export const RECORDING_PERMISSIONS = [
  'recording_permission_not_asked',
  'recording_permission_denied',
  'recording_permission_granted',
] as const;

/**
 * The POST /calls body. Each field's schema checks its shape; what needs the configuration or the store (the
 * menu, its state and languages, the CRM's id format, the parent call, "in the future") is checked right after
 * that field by validateCreateCall, which walks the fields in this order so that the first problem found is
 * the one a client fixes first.
 */
/** `scheduled_at` of a create or a reschedule: ISO 8601 with an offset (the future is checked against the clock). */
export const scheduledAtSchema = blankAsAbsent(
  z
    .string(requiredOr(E.scheduledAtRequired, E.scheduledAtInvalid))
    .trim()
    .regex(ISO_WITH_OFFSET, { ...errorOption(E.scheduledAtInvalid), abort: true })
    .refine(isRealTime, errorOption(E.scheduledAtInvalid)),
);

export const createCallBodySchema = z
  .object(
    {
      call_type: z.enum(['Voice Scheduled (API)', 'ScheduledCall'], errorOption(E.callType)).meta({
        description: '`ScheduledCall` is the deprecated spelling; the call object always says `Voice Scheduled (API)`.',
      }),
      call_id: blankAsAbsent(positiveIdSchema(E.parentNotFound).nullish()).meta({
        description: 'A parent call: becomes `parent_id`, and its menu is used when `menu_id` is left out.',
        example: 123,
      }),
      menu_id: blankAsAbsent(positiveIdSchema(E.menuMalformed).nullish()).meta({
        description:
          'A configured web or mobile menu, open (not in `after_hours` or `manual_redirection` state). Required unless `call_id` is given.',
        example: 9,
      }),
      end_user_number: blankAsAbsent(z.union([z.string(), z.number()], requiredOr(E.numberRequired, E.numberMalformed))).meta({
        description: "A real phone number, stored in E.164; without a country code it is read in the config's `defaultRegion`.",
        example: '+1 859-657-9625',
      }),
      scheduled_at: scheduledAtSchema.meta({
        description: 'ISO 8601 with an offset, in the future.',
        format: 'date-time',
        example: '2030-01-01T10:00:00+02:00',
      }),
      lang: z
        .preprocess((v) => v ?? undefined, z.enum([...ISO_639_1] as [string, ...string[]], errorOption(E.languageNotFound)).default('en'))
        .meta({ description: 'ISO 639-1, enabled on the menu.' }),
      ticket_id: blankAsAbsent(
        z
          .union(
            [z.string(errorOption(E.ticketMalformed)).trim(), z.int(errorOption(E.ticketMalformed)).transform(String)],
            errorOption(E.ticketMalformed),
          )
          .nullish(),
      ).meta({
        description:
          "The CRM record, kept as a string and checked against the configured CRM's id format: Salesforce 15 or 18 letters and digits, Zendesk a positive integer, ServiceNow a 32-hex sys_id or a number like INC0010001.",
        example: '500Hs00001XyZaBIAV',
      }),
      recording_permission: z
        .preprocess(
          (v) => v ?? undefined,
          z.enum(RECORDING_PERMISSIONS, errorOption(E.recordingInvalid)).default('recording_permission_not_asked'),
        )
        .meta({ description: 'Whether the customer agreed to be recorded.' }),
      // Trimmed like the other text fields: blankAsAbsent already reads "  " as not given, so " UTC" is "UTC".
      timezone: blankAsAbsent(
        z.string(errorOption(E.timezoneInvalid)).trim().refine(isValidTimezone, errorOption(E.timezoneInvalid)).nullish(),
      ).meta({
        description:
          "The customer's IANA time zone, for the calling window (SPEC 9.3). Without it: the number's zone(s), else the config's `defaultTimezone`.",
        example: 'America/Chicago',
      }),
    },
    errorOption(BODY_NOT_AN_OBJECT),
  )
  .meta({ id: 'CreateCallRequest' });

export type CreateCallFields = typeof createCallBodySchema.shape;

/** The optional Idempotency-Key header of POST /calls. */
export const createCallHeadersSchema = z.object({
  'idempotency-key': z
    .string(errorOption(IDEMPOTENCY_ERRORS.malformed))
    .min(1, errorOption(IDEMPOTENCY_ERRORS.malformed))
    .max(255, errorOption(IDEMPOTENCY_ERRORS.malformed))
    .optional()
    .meta({
      description:
        'Makes a retried POST return the first response (same status, same body) instead of creating a second call, for 24 hours; the same key with a different body is a 422.',
      example: '6f1c2a7e-5b0d-4d53-9a55-0f6ad1f0c9b1',
    }),
});

/** `{id}` of /calls/{id}...: anything that is not a positive integer cannot name a call, hence a 404. */
export const callPathParamsSchema = z.object({
  id: z
    .string()
    .regex(ID_DIGITS, errorOption(CALL_NOT_FOUND))
    .transform(Number)
    .meta({ description: 'The call id (a positive integer)', example: '123' }),
});

export const MAX_PER_PAGE = 100;

export const LIST_CALLS_ERRORS = {
  status: `status must be one of: ${CALL_STATUSES.join(', ')}`,
  page: 'page must be a positive integer',
  perPage: 'per_page must be a positive integer',
  ticketId: 'ticket_id must be given once',
} as const;

const pageNumber = (message: string, fallback: number) => {
  const error = errorOption(message);
  return emptyAsAbsent(
    z
      .string(error)
      .regex(/^[1-9]\d{0,8}$/, error)
      .transform(Number)
      .optional()
      .default(fallback),
  ).meta({ default: String(fallback) });
};

/** GET /calls?status=&ticket_id=&page=&per_page= (checked in that order, ticket_id aside). */
export const listCallsQuerySchema = z.object({
  status: emptyAsAbsent(z.enum(CALL_STATUSES, errorOption(LIST_CALLS_ERRORS.status)).optional()).meta({
    description: 'Only the calls in this status',
  }),
  page: pageNumber(LIST_CALLS_ERRORS.page, 1).meta({ description: 'From 1', example: '1' }),
  per_page: pageNumber(LIST_CALLS_ERRORS.perPage, 25)
    .transform((n) => Math.min(n, MAX_PER_PAGE))
    .meta({ description: `Calls per page, at most ${MAX_PER_PAGE} (a larger value is read as ${MAX_PER_PAGE})`, example: '25' }),
  ticket_id: emptyAsAbsent(z.string(errorOption(LIST_CALLS_ERRORS.ticketId)).optional()).meta({
    description: "Only the calls of this CRM record (in any of the CRM's spellings of its id)",
  }),
});
