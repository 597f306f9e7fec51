import pino, { type Logger } from 'pino';
import { censorSecrets } from './censorSecrets.js';

/**
 * pino JSON logs, one object a line. Secrets never reach a log line: credential-looking fields are censored at
 * any depth (censorSecrets), and phone numbers are logged only through `maskPhone` (last 4 digits).
 */
export function createLogger(level: string = 'info', destination?: pino.DestinationStream): Logger {
  const logger = pino(
    {
      level,
      base: { service: 'callback-orchestrator' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Our own censor, not pino's `redact` (see censorSecrets: that one costs 28 KB of garbage a line).
      formatters: { log: (object) => censorSecrets(object), bindings: (bindings) => censorSecrets(bindings) },
    },
    destination,
  );
  // pino applies `formatters.bindings` to the root's bindings only; a child's (fastify's, ours) are censored here.
  // Children are created from their parent's prototype chain, so they all inherit this `child`.
  const child = Object.getPrototypeOf(logger) as Pick<Logger, 'child'>;
  logger.child = function censoredChild(this: Logger, bindings, options) {
    return child.child.call(this, censorSecrets(bindings), options);
  } as Logger['child'];
  return logger;
}

/** "+15551234567" → "***4567": enough for an operator to match a complaint, not enough to dial. */
export function maskPhone(number: string | null | undefined): string | null {
  if (!number) return null;
  const digits = number.replace(/\D/g, '');
  return `***${digits.slice(-4)}`;
}
