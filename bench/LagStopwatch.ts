/** How late each event came against its due time, and when the last one came (the end of a drain). */
export class LagStopwatch {
  /** ms, in the order the events came. */
  readonly lagsMs: number[] = [];
  lastAt = 0;

  record(dueAtMs: number): void {
    this.lastAt = Date.now();
    this.lagsMs.push(this.lastAt - dueAtMs);
  }

  /** Forgets what a warm-up recorded. */
  reset(): void {
    this.lagsMs.length = 0;
    this.lastAt = 0;
  }
}
