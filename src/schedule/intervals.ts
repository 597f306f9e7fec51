/** Half-open spans of instants `[start, end)` in epoch milliseconds. */
export interface Interval {
  start: number;
  end: number;
}

/** Sorted, without empty spans, overlapping or touching spans joined (so "24:00" then "00:00" is one span). */
export function normalize(intervals: Interval[]): Interval[] {
  const sorted = intervals.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start);
  const merged: Interval[] = [];
  for (const next of sorted) {
    const last = merged[merged.length - 1];
    if (last && next.start <= last.end) last.end = Math.max(last.end, next.end);
    else merged.push({ ...next });
  }
  return merged;
}

/** The instants in both lists (each normalized). */
export function intersect(a: Interval[], b: Interval[]): Interval[] {
  const both: Interval[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    const start = Math.max(x.start, y.start);
    const end = Math.min(x.end, y.end);
    if (end > start) both.push({ start, end });
    if (x.end < y.end) i++;
    else j++;
  }
  return both;
}

export function contains(intervals: Interval[], at: number): boolean {
  return intervals.some((i) => i.start <= at && at < i.end);
}
