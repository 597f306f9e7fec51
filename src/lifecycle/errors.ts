/**
 * A lifecycle step refused what it was asked (SPEC 3.1, 9). `statusCode` and `message` are what the API answers
 * (the server's error handler sends any error with a 4xx statusCode as `{"message"}`).
 */
export class CallRefusedError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** The record already has a scheduled call (the duplicate guard). */
export class DuplicateScheduledCallError extends CallRefusedError {
  override readonly name = 'DuplicateScheduledCallError';
  constructor(
    message: string,
    readonly existingCallId: number,
  ) {
    super(409, message);
  }
}

/** SPEC 9.3: the asked time is outside the calling window or the business hours; `next` is the earliest allowed. */
export class OutsideCallingRulesError extends CallRefusedError {
  override readonly name = 'OutsideCallingRulesError';
  constructor(readonly next: Date | null) {
    super(
      400,
      next
        ? `scheduled_at is outside the calling window; next allowed time is ${next.toISOString()}`
        : 'scheduled_at is outside the calling window; no allowed time within the next 14 days',
    );
  }
}

export const CALL_NOT_FOUND_MESSAGE = 'Call not found';

export class CallNotFoundError extends CallRefusedError {
  override readonly name = 'CallNotFoundError';
  constructor() {
    super(404, CALL_NOT_FOUND_MESSAGE);
  }
}

/** SPEC 9.1: not `scheduled`, or its fire job has already decided. */
export class NotReschedulableError extends CallRefusedError {
  override readonly name = 'NotReschedulableError';
  constructor() {
    super(409, 'Only a scheduled call can be rescheduled');
  }
}
