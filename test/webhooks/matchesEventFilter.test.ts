import { describe, expect, it } from 'vitest';
import { matchesEventFilter } from '../../src/webhooks/matchesEventFilter.js';

describe('matchesEventFilter', () => {
  it('selects exactly the type listed', () => {
    expect(matchesEventFilter(['call.queued'], 'call.queued')).toBe(true);
    expect(matchesEventFilter(['call.queued'], 'call.canceled')).toBe(false);
    expect(matchesEventFilter(['call.queued'], 'call.queued.extra')).toBe(false);
  });

  it('selects every call event with call.* and nothing of another group', () => {
    for (const type of ['call.created', 'call.retry_scheduled', 'call.finished']) expect(matchesEventFilter(['call.*'], type)).toBe(true);
    expect(matchesEventFilter(['call.*'], 'callback.created')).toBe(false);
    expect(matchesEventFilter(['call.*'], 'call.')).toBe(false);
    expect(matchesEventFilter(['call.*'], 'call')).toBe(false);
  });

  it('selects everything with *', () => {
    expect(matchesEventFilter(['*'], 'call.deferred')).toBe(true);
  });

  it('selects when any filter of the list does, nothing with an empty list', () => {
    expect(matchesEventFilter(['call.finished', 'call.failed'], 'call.failed')).toBe(true);
    expect(matchesEventFilter(['call.finished', 'call.failed'], 'call.queued')).toBe(false);
    expect(matchesEventFilter([], 'call.queued')).toBe(false);
  });
});
