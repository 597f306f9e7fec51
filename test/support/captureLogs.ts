import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';

/** A pino logger whose output lines are kept in memory, to check what an operator's log would hold. */
export function capturingLogger(level = 'trace'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: pino({ level }, sink), lines };
}
