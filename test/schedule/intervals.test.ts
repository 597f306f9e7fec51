import { describe, expect, it } from 'vitest';
import { contains, intersect, normalize } from '../../src/schedule/intervals.js';

describe('intervals', () => {
  it('normalize sorts, drops empty spans and joins overlapping or touching ones', () => {
    expect(
      normalize([
        { start: 20, end: 30 },
        { start: 5, end: 5 },
        { start: 0, end: 10 },
        { start: 10, end: 12 },
        { start: 25, end: 40 },
      ]),
    ).toEqual([
      { start: 0, end: 12 },
      { start: 20, end: 40 },
    ]);
  });

  it('intersect keeps what both lists allow', () => {
    const a = [
      { start: 0, end: 10 },
      { start: 20, end: 30 },
    ];
    const b = [
      { start: 5, end: 25 },
      { start: 28, end: 50 },
    ];
    expect(intersect(a, b)).toEqual([
      { start: 5, end: 10 },
      { start: 20, end: 25 },
      { start: 28, end: 30 },
    ]);
    expect(intersect(a, [{ start: 10, end: 20 }])).toEqual([]);
  });

  it('contains includes the start and excludes the end', () => {
    const spans = [{ start: 10, end: 20 }];
    expect([9, 10, 19, 20].map((at) => contains(spans, at))).toEqual([false, true, true, false]);
  });
});
