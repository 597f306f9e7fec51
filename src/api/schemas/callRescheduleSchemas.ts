import { z } from 'zod';
import { NotReschedulableError, OutsideCallingRulesError } from '../../lifecycle/errors.js';
import { CREATE_CALL_ERRORS, scheduledAtSchema } from './callSchemas.js';

/** Reschedule a scheduled call (SPEC 9.1). */

/** The 400s of the body: the create route's messages (SPEC 9.1). */
export const RESCHEDULE_BODY_ERRORS = [CREATE_CALL_ERRORS.scheduledAtRequired, CREATE_CALL_ERRORS.scheduledAtInvalid] as const;

/** The 409: the call is not `scheduled`, or its fire job has already decided. */
export const NOT_RESCHEDULABLE = new NotReschedulableError().message;

/** An example of the 400 of SPEC 9.3 (the new time is outside the calling window or the business hours). */
export const OUTSIDE_CALLING_RULES_EXAMPLE = new OutsideCallingRulesError(new Date('2030-01-02T13:00:00.000Z')).message;

/**
 * `{"scheduled_at": "<ISO 8601 with offset>"}`; other fields are ignored. The route reads a body that is not a
 * JSON object as one without `scheduled_at`: `scheduled_at is required` says what to send.
 */
export const rescheduleCallBodySchema = z
  .object({
    scheduled_at: scheduledAtSchema.meta({
      description: 'The new time: ISO 8601 with an offset, in the future, within the calling rules (SPEC 9.3).',
      format: 'date-time',
      example: '2030-01-01T10:00:00+02:00',
    }),
  })
  .meta({ id: 'RescheduleCallRequest' });
