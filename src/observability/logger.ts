import pino, { type Logger } from 'pino';

/**
 * pino JSON logs, one object a line. Secrets never reach a log line: credential-looking fields are censored,
 * and phone numbers are logged only through `maskPhone` (last 4 digits).
 */
export function createLogger(level: string = 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'callback-orchestrator' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'password',
          '*.password',
          'token',
          '*.token',
          'secret',
          '*.secret',
          'accessToken',
          '*.accessToken',
          'authorization',
          '*.authorization',
          'headers.authorization',
          'req.headers.authorization',
          'end_user_number',
          '*.end_user_number',
          'callbackNumber',
          '*.callbackNumber',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/** "+15551234567" → "***4567": enough for an operator to match a complaint, not enough to dial. */
export function maskPhone(number: string | null | undefined): string | null {
  if (!number) return null;
  const digits = number.replace(/\D/g, '');
  return `***${digits.slice(-4)}`;
}
