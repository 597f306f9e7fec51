import { z } from 'zod';
import { BODY_NOT_AN_OBJECT, errorOption } from './common.js';

/** The dialer's status reports and the customer flags (SPEC 3.1). */

export const STATUS_UPDATE_ERRORS = {
  statusRequired: 'status is required',
  failReason: 'fail_reason must be a string of at most 100 characters',
  illegalMove: (from: string, to: string) => `Cannot change status from '${from}' to '${to}'`,
} as const;

/** `{"status": ...}`: any status is read here; one that is not a legal move is a 409, not a 400. */
export const statusUpdateBodySchema = z
  .object(
    {
      status: z
        .string(errorOption(STATUS_UPDATE_ERRORS.statusRequired))
        .min(1, errorOption(STATUS_UPDATE_ERRORS.statusRequired))
        .meta({
          description:
            'Forward along queued → assigned → connecting → connected → finished (steps may be skipped), or failed from any of those before finished. finished, failed and canceled are final: anything after them, the same report again included, is a 409, as is any other move.',
          examples: ['queued', 'assigned', 'connecting', 'connected', 'finished', 'failed'],
        }),
      fail_reason: z
        .string(errorOption(STATUS_UPDATE_ERRORS.failReason))
        .max(100, errorOption(STATUS_UPDATE_ERRORS.failReason))
        .optional()
        .meta({
          description:
            "With `failed`: why (default `dialer_reported_failure`); one listed in the menu's `retries.on` schedules the next attempt",
          example: 'no_answer',
        }),
    },
    errorOption(BODY_NOT_AN_OBJECT),
  )
  .meta({ id: 'StatusUpdateRequest' });

export const FLAG_NAMES = ['verified_customer', 'bad_actor', 'repeat_customer'] as const;
export type FlagName = (typeof FLAG_NAMES)[number];

export const flagNotBoolean = (name: FlagName) => `${name} must be a boolean`;

const flag = (name: FlagName) => z.boolean(errorOption(flagNotBoolean(name))).optional();

/** The seed's spelling is only read when the right one is absent: then it is not looked at, even if wrong. */
const withoutIgnoredSpelling = (body: unknown) => {
  if (typeof body !== 'object' || body === null || !('repeat_customer' in body) || body.repeat_customer === undefined) return body;
  const { repeat_customers: _ignored, ...rest } = body as Record<string, unknown>;
  return rest;
};

/** Some of the three flags; the seed's `repeat_customers` spelling counts when `repeat_customer` is absent. */
export const customerFlagsPatchSchema = z
  .preprocess(
    withoutIgnoredSpelling,
    z
      .object(
        {
          verified_customer: flag('verified_customer'),
          bad_actor: flag('bad_actor'),
          repeat_customer: flag('repeat_customer'),
          repeat_customers: flag('repeat_customer').meta({
            deprecated: true,
            description: "The seed's spelling of `repeat_customer`, read when that is absent",
          }),
        },
        errorOption(BODY_NOT_AN_OBJECT),
      )
      .transform(({ repeat_customers, ...flags }) => ({ ...flags, repeat_customer: flags.repeat_customer ?? repeat_customers })),
  )
  .meta({ id: 'CustomerFlagsPatch' });
