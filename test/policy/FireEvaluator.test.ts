import { describe, expect, it } from 'vitest';
import type { RecordLookup } from '../../src/crm/CrmAdapter.js';
import {
  CrmAuthError,
  CrmRejectedError,
  CrmTransientError,
  CrmUnreachableError,
  InvalidRecordIdError,
  RecordNotFoundError,
} from '../../src/crm/errors.js';
import { FireEvaluator } from '../../src/policy/FireEvaluator.js';
import { capturingLogger } from '../support/captureLogs.js';

/** A Zendesk evaluator (every fire reads the record) whose record reads end as `read` says; no other active call. */
function evaluatorReading(read: (id: string) => Promise<RecordLookup>) {
  const { logger, lines } = capturingLogger();
  const evaluator = new FireEvaluator({
    provider: 'zendesk',
    readRecord: read,
    recordKey: (id) => id,
    activeCalls: { activeCallIds: () => Promise.resolve([]) },
    policy: { getClosedRecordPolicy: () => Promise.resolve('reopen') },
    logger,
  });
  const logs = () => lines.map((line) => JSON.parse(line) as { level: number; msg: string; ticketId?: string; err?: unknown });
  return { evaluator, logs };
}

const ERROR = 50;
const WARN = 40;

describe('FireEvaluator: what a failed record read means', () => {
  it('a bug of ours (TypeError) is not "CRM unreachable": it propagates and is logged at error level', async () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'status')");
    const { evaluator, logs } = evaluatorReading(() => Promise.reject(bug));

    await expect(evaluator.evaluate('1001', 7)).rejects.toBe(bug);

    const errors = logs().filter((l) => l.level === ERROR);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ ticketId: '1001', err: { type: 'TypeError', message: bug.message } });
    expect(logs().some((l) => l.msg === 'CRM unreachable at fire time')).toBe(false);
  });

  it.each([
    ['the retry budget spent', new CrmUnreachableError('zendesk unreachable after 3 attempt(s): 503')],
    ['a transient failure', new CrmTransientError('zendesk answered HTTP 503', { status: 503 })],
    ['credentials refused', new CrmAuthError('zendesk answered HTTP 401')],
    ['a read the CRM refuses for good', new CrmRejectedError('zendesk answered HTTP 400', { status: 400 })],
  ])('a CRM failure (%s) is "CRM unreachable": cancel with its comment, logged as a warning', async (_case, failure) => {
    const { evaluator, logs } = evaluatorReading(() => Promise.reject(failure));

    const evaluation = await evaluator.evaluate('1002', 8);

    expect(evaluation.decision).toEqual({ action: 'cancel', reopen: false, comment: 'crm_unreachable', failReason: 'crm_unreachable' });
    expect(evaluation.lookupDetail).toBe('CRM unreachable');
    expect(logs().filter((l) => l.level === ERROR)).toEqual([]);
    expect(
      logs()
        .filter((l) => l.level === WARN)
        .map((l) => l.msg),
    ).toEqual(['CRM unreachable at fire time']);
  });

  it.each([
    ['record not found', new RecordNotFoundError('1003')],
    ['an id the CRM cannot have', new InvalidRecordIdError('1003')],
  ])('%s: canceled as record_not_found, without a comment', async (_case, failure) => {
    const { evaluator } = evaluatorReading(() => Promise.reject(failure));

    const evaluation = await evaluator.evaluate('1003', 9);

    expect(evaluation.decision).toEqual({ action: 'cancel', reopen: false, comment: null, failReason: 'record_not_found' });
  });
});
