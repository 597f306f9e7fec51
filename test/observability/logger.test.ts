import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CENSORED, censorSecrets } from '../../src/observability/censorSecrets.js';
import { createLogger } from '../../src/observability/logger.js';

/** The lines a logger at `info` writes, parsed. */
function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger('info', sink), lines };
}

describe('log lines never carry secrets', () => {
  it('censors every secret field at the top level and nested, and leaves the rest as it was', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        callId: 7,
        password: 'pw-1',
        token: 'tok-1',
        crm: { accessToken: 'sf-1', instanceUrl: 'http://127.0.0.1:1', nested: { secret: 'dial-1' } },
        req: { headers: { authorization: 'Basic a2V5OnNlY3JldA==', host: 'x' } },
        calls: [{ end_user_number: '+18595551234', id: 1 }],
        callbackNumber: '3855551234',
      },
      'something happened',
    );
    const line = lines[0]!;
    const text = JSON.stringify(line);
    for (const secret of ['pw-1', 'tok-1', 'sf-1', 'dial-1', 'a2V5OnNlY3JldA', '8595551234', '3855551234'])
      expect(text).not.toContain(secret);
    expect(line).toMatchObject({
      callId: 7,
      password: CENSORED,
      token: CENSORED,
      crm: { accessToken: CENSORED, instanceUrl: 'http://127.0.0.1:1', nested: { secret: CENSORED } },
      req: { headers: { authorization: CENSORED, host: 'x' } },
      calls: [{ end_user_number: CENSORED, id: 1 }],
      callbackNumber: CENSORED,
      msg: 'something happened',
    });
  });

  it("never changes the caller's object", () => {
    const { logger } = capture();
    const config = { crm: { password: 'pw-2' }, list: [{ token: 't' }] };
    logger.info({ config }, 'config loaded');
    expect(config).toEqual({ crm: { password: 'pw-2' }, list: [{ token: 't' }] });
  });

  it('censors a secret carried by an error and still logs its message', () => {
    const { logger, lines } = capture();
    const err = Object.assign(new Error('CRM refused'), { config: { password: 'pw-3' } });
    logger.error({ err }, 'lookup failed');
    expect(JSON.stringify(lines[0])).not.toContain('pw-3');
    expect(lines[0]!.err).toMatchObject({ message: 'CRM refused', config: { password: CENSORED } });
    expect(err.config.password).toBe('pw-3');
  });

  it('censors child logger bindings', () => {
    const { logger, lines } = capture();
    const child = logger.child({ token: 'tok-4', worker: 'w1' });
    child.info('bound');
    child.child({ secret: 's-5', job: 3 }).info('bound twice');
    expect(lines[0]).toMatchObject({ token: CENSORED, worker: 'w1' });
    expect(lines[1]).toMatchObject({ token: CENSORED, worker: 'w1', secret: CENSORED, job: 3 });
  });

  it('returns the same object, untouched, when nothing is secret (the usual line)', () => {
    const object = { callId: 1, number: '***1234', nested: { status: 'queued' } };
    expect(censorSecrets(object)).toBe(object);
    const withBytes = { body: Buffer.from('password=1'), callId: 2 };
    expect(censorSecrets(withBytes)).toBe(withBytes);
  });
});
