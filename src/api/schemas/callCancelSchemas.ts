import { z } from 'zod';
import { BODY_NOT_AN_OBJECT, errorOption, positiveIdSchema } from './common.js';

/** Cancel one scheduled call, or many in the background (SPEC 3.1). */

export const MAX_BULK_CANCEL = 1000;
export const OPERATION_NOT_FOUND = 'Operation not found';

/** The 409 of a single cancel: the call is no longer scheduled, or its fire step has started. */
export const cannotCancel = (callId: number, status: string) =>
  `Call ${callId} cannot be canceled: ${status === 'firing' ? 'it is already being processed' : `its status is '${status}'`}`;

export const BULK_CANCEL_ERRORS = {
  empty: 'call_ids must be a non-empty array of call ids',
  tooMany: `call_ids must not contain more than ${MAX_BULK_CANCEL} ids`,
  notAnId: (id: unknown) => `call_ids must contain only positive integers (got ${JSON.stringify(id)})`,
} as const;

/** `{"call_ids": [123, 456]}`: the list is checked as a whole (empty, too long) before its ids. */
export const bulkCancelBodySchema = z
  .object(
    {
      call_ids: z
        .array(positiveIdSchema(BULK_CANCEL_ERRORS.notAnId, { trim: false }), errorOption(BULK_CANCEL_ERRORS.empty))
        .min(1, errorOption(BULK_CANCEL_ERRORS.empty))
        .max(MAX_BULK_CANCEL, errorOption(BULK_CANCEL_ERRORS.tooMany))
        .transform((ids) => [...new Set(ids)])
        .meta({ description: 'Call ids (numbers, or their digits as strings); repeated ids count once', example: [123, 456] }),
    },
    errorOption(BODY_NOT_AN_OBJECT),
  )
  .meta({ id: 'BulkCancelRequest' });

export const bulkCancelPathParamsSchema = z.object({
  operationId: z
    .string()
    .regex(/^[0-9a-f-]{36}$/, errorOption(OPERATION_NOT_FOUND))
    .meta({ description: 'From the Location header of the bulk cancel', example: '0b7c6a52-3f0e-4a43-9a3e-6c1f2a8d9e10' }),
});

export const bulkCancelOperationSchema = z
  .object({
    id: z.uuid(),
    status: z.enum(['in_progress', 'completed']),
    results: z
      .array(z.object({ call_id: z.int().positive(), result: z.enum(['canceled', 'not_found', 'not_scheduled']) }))
      .meta({ description: 'One entry per call handled so far' }),
  })
  .meta({ id: 'BulkCancelOperation' });
