import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../../src/config/loadConfig.js';
import { WEBHOOK_EVENT_TYPES } from '../../src/config/webhookEventTypes.js';

const minimal = { auth: {} };
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const webhook = { url: 'https://events.example.com/callbacks', secret: SECRET, events: ['call.*'] };
const menu = { id: 9, name: 'Lock Star', type: 'web' };

/** A config whose only menu carries `fields`. */
const withMenu = (fields: Record<string, unknown>) => ({ ...minimal, menus: [{ ...menu, ...fields }] });
const withHours = (weekly: Record<string, unknown>, timezone = 'Europe/Berlin') => withMenu({ hours: { timezone, weekly } });

describe('lifecycle config (SPEC 9)', () => {
  it('keeps the seeds’ behaviour when none of the keys is given', () => {
    const config = parseConfig({ ...minimal, menus: [menu] }, {});
    expect(config.defaultTimezone).toBe('America/New_York');
    expect(config.webhooks).toEqual([]);
    expect(config.callingWindow).toBeUndefined();
    expect(config.retries).toBeUndefined();
    expect(config.menus[0]).toEqual({ ...menu, state: 'open', languages: ['en'] });
  });

  it('reads a full setting and fills in the defaults', () => {
    const config = parseConfig(
      {
        ...minimal,
        defaultTimezone: 'America/Chicago',
        callingWindow: { start: '08:00', end: '21:00' },
        retries: { maxAttempts: 3 },
        menus: [
          {
            ...menu,
            callingWindow: { start: '22:00', end: '06:00' },
            retries: { maxAttempts: 2, intervalSeconds: 60, on: ['busy'] },
            hours: {
              timezone: 'Europe/Berlin',
              weekly: {
                mon: [
                  ['09:00', '12:00'],
                  ['12:00', '24:00'],
                ],
                sat: [],
                sun: [['00:00', '23:59']],
              },
            },
          },
        ],
        webhooks: [webhook, { url: 'http://127.0.0.1:9100/hook', secret: 'whsec_aw==', events: ['*', 'call.failed'], timeoutMs: 2500 }],
      },
      {},
    );
    expect(config.defaultTimezone).toBe('America/Chicago');
    expect(config.callingWindow).toEqual({ start: '08:00', end: '21:00' });
    expect(config.retries).toEqual({ maxAttempts: 3, intervalSeconds: 900, on: ['no_answer', 'busy', 'voicemail'] });
    expect(config.menus[0]!.callingWindow).toEqual({ start: '22:00', end: '06:00' });
    expect(config.menus[0]!.retries).toEqual({ maxAttempts: 2, intervalSeconds: 60, on: ['busy'] });
    expect(config.menus[0]!.hours).toEqual({
      timezone: 'Europe/Berlin',
      weekly: {
        mon: [
          ['09:00', '12:00'],
          ['12:00', '24:00'],
        ],
        sat: [],
        sun: [['00:00', '23:59']],
      },
    });
    expect(config.webhooks).toEqual([
      { ...webhook, timeoutMs: 10000 },
      { url: 'http://127.0.0.1:9100/hook', secret: 'whsec_aw==', events: ['*', 'call.failed'], timeoutMs: 2500 },
    ]);
  });

  it('accepts every SPEC 9.4 event type by name', () => {
    const config = parseConfig({ ...minimal, webhooks: [{ ...webhook, events: [...WEBHOOK_EVENT_TYPES] }] }, {});
    expect(config.webhooks[0]!.events).toEqual([
      'call.created',
      'call.rescheduled',
      'call.deferred',
      'call.queued',
      'call.canceled',
      'call.failed',
      'call.finished',
      'call.retry_scheduled',
    ]);
  });

  it('accepts exactly the secrets the Standard Webhooks signer can use', () => {
    for (const secret of [SECRET, 'whsec_aw==', 'whsec_YWI=', `whsec_${randomBytes(24).toString('base64')}`]) {
      expect(parseConfig({ ...minimal, webhooks: [{ ...webhook, secret }] }, {}).webhooks[0]!.secret).toBe(secret);
      expect(() => new Webhook(secret)).not.toThrow();
    }
  });

  it('takes the webhook secret from the environment and checks the value it gets', () => {
    const raw = { ...minimal, webhooks: [{ ...webhook, secret: '${WEBHOOK_SECRET}' }] };
    expect(parseConfig(raw, { WEBHOOK_SECRET: SECRET }).webhooks[0]!.secret).toBe(SECRET);
    expect(() => parseConfig(raw, { WEBHOOK_SECRET: 'plain-secret' })).toThrow('webhooks.0.secret: must look like "whsec_<base64>"');
  });

  it('loads config/example.json with its calling window, retries, business hours and webhook', () => {
    const secrets = ['API_SECRET', 'XIMA_TOKEN', 'ADMIN_PASSWORD', 'SF_TOKEN', 'DIALER_SECRET'].map((v) => [v, 'x'.repeat(20)] as const);
    const config = loadConfig({ CONFIG_FILE: 'config/example.json', ...Object.fromEntries(secrets), WEBHOOK_SECRET: SECRET });
    expect(config.defaultTimezone).toBe('America/New_York');
    expect(config.callingWindow).toEqual({ start: '08:00', end: '21:00' });
    expect(config.retries).toEqual({ maxAttempts: 3, intervalSeconds: 900, on: ['no_answer', 'busy', 'voicemail'] });
    expect(config.menus.find((m) => m.id === 9)!.hours!.weekly.fri).toEqual([['09:00', '17:00']]);
    expect(config.webhooks[0]).toMatchObject({ url: 'https://events.example.com/callbacks', secret: SECRET });
  });

  it('stops start-up from a file naming the field of a bad value', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cbo-config-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ ...minimal, callingWindow: { start: '25:00', end: '21:00' } }));
    expect(() => loadConfig({ CONFIG_FILE: file })).toThrow(ConfigError);
    expect(() => loadConfig({ CONFIG_FILE: file })).toThrow(
      `${file}: invalid config:\n  callingWindow.start: must be a time of day like "08:00"`,
    );
  });

  it.each([
    // calling window
    [{ callingWindow: { start: '25:00', end: '21:00' } }, 'callingWindow.start: must be a time of day like "08:00"'],
    [{ callingWindow: { start: '8:00', end: '21:00' } }, 'callingWindow.start: must be a time of day like "08:00"'],
    [{ callingWindow: { start: '08:00', end: '08:60' } }, 'callingWindow.end: must be a time of day like "08:00"'],
    [{ callingWindow: { start: '08:00', end: '24:00' } }, 'callingWindow.end: must be a time of day like "08:00"'],
    [{ callingWindow: { start: '08:00', end: '08:00' } }, 'callingWindow.end: must differ from start'],
    [{ callingWindow: { start: '08:00' } }, 'callingWindow.end'],
    [{ callingWindow: { start: '08:00', end: '21:00', days: 'all' } }, 'callingWindow: Unrecognized key: "days"'],
    [withMenu({ callingWindow: { start: '08:00', end: '25:00' } }), 'menus.0.callingWindow.end: must be a time of day like "08:00"'],
    // time zones
    [{ defaultTimezone: 'Mars/Olympus_Mons' }, 'defaultTimezone: must be an IANA time zone like "America/New_York"'],
    [{ defaultTimezone: '' }, 'defaultTimezone: must be an IANA time zone like "America/New_York"'],
    [withHours({}, 'Europe/Atlantis'), 'menus.0.hours.timezone: must be an IANA time zone like "America/New_York"'],
    // retries
    [{ retries: { maxAttempts: 0 } }, 'retries.maxAttempts: must be a whole number, at least 1'],
    [{ retries: { maxAttempts: 2.5 } }, 'retries.maxAttempts: must be a whole number, at least 1'],
    [{ retries: { intervalSeconds: 900 } }, 'retries.maxAttempts: must be a whole number, at least 1'],
    [{ retries: { maxAttempts: 3, intervalSeconds: 0 } }, 'retries.intervalSeconds: must be a whole number of seconds, at least 1'],
    [{ retries: { maxAttempts: 3, on: [] } }, 'retries.on: must list at least one fail_reason'],
    [{ retries: { maxAttempts: 3, on: [''] } }, 'retries.on.0'],
    [{ retries: { maxAttempts: 3, everySeconds: 60 } }, 'retries: Unrecognized key: "everySeconds"'],
    [withMenu({ retries: { maxAttempts: 0 } }), 'menus.0.retries.maxAttempts: must be a whole number, at least 1'],
    // business hours
    [
      withHours({
        mon: [
          ['09:00', '12:00'],
          ['11:30', '17:00'],
        ],
      }),
      'menus.0.hours.weekly.mon.1: overlaps 09:00-12:00',
    ],
    [
      withHours({
        tue: [
          ['13:00', '17:00'],
          ['09:00', '13:01'],
        ],
      }),
      'menus.0.hours.weekly.tue.0: overlaps 09:00-13:01',
    ],
    [
      withHours({
        wed: [
          ['09:00', '17:00'],
          ['09:00', '10:00'],
        ],
      }),
      'menus.0.hours.weekly.wed',
    ],
    [withHours({ mon: [['24:00', '24:00']] }), 'menus.0.hours.weekly.mon.0.0: must be a time of day like "08:00"'],
    [
      withHours({ mon: [['09:00', '24:30']] }),
      'menus.0.hours.weekly.mon.0.1: must be a time of day like "17:00" (or "24:00" for midnight)',
    ],
    [withHours({ mon: [['17:00', '09:00']] }), 'menus.0.hours.weekly.mon.0.1: must be after the start'],
    [withHours({ mon: [['09:00', '09:00']] }), 'menus.0.hours.weekly.mon.0.1: must be after the start'],
    [withHours({ mon: [['09:00']] }), 'menus.0.hours.weekly.mon.0'],
    [withHours({ mon: [['09:00', '12:00', '17:00']] }), 'menus.0.hours.weekly.mon.0'],
    [withHours({ monday: [['09:00', '17:00']] }), 'menus.0.hours.weekly: Unrecognized key: "monday"'],
    [withMenu({ hours: { timezone: 'Europe/Berlin' } }), 'menus.0.hours.weekly'],
    // webhooks
    [{ webhooks: [{ ...webhook, url: 'ftp://events.example.com/in' }] }, 'webhooks.0.url: must be an http(s) URL'],
    [{ webhooks: [webhook, { ...webhook, url: 'redis://127.0.0.1:6379' }] }, 'webhooks.1.url: must be an http(s) URL'],
    [{ webhooks: [{ ...webhook, url: 'events.example.com/in' }] }, 'webhooks.0.url: must be an http(s) URL'],
    [{ webhooks: [{ ...webhook, secret: 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }] }, 'webhooks.0.secret: must look like "whsec_<base64>"'],
    [{ webhooks: [{ ...webhook, secret: 'whsec_' }] }, 'webhooks.0.secret: must look like "whsec_<base64>"'],
    [{ webhooks: [{ ...webhook, secret: 'whsec_not base64!' }] }, 'webhooks.0.secret: must look like "whsec_<base64>"'],
    [{ webhooks: [{ ...webhook, secret: 'whsec_abc' }] }, 'webhooks.0.secret: must look like "whsec_<base64>"'],
    [{ webhooks: [{ ...webhook, events: [] }] }, 'webhooks.0.events: must list at least one event type'],
    [{ webhooks: [{ ...webhook, events: ['call.queued', 'call.exploded'] }] }, 'webhooks.0.events.1: must be one of call.created'],
    [{ webhooks: [{ ...webhook, events: ['queued'] }] }, 'webhooks.0.events.0: must be one of'],
    [{ webhooks: [{ ...webhook, timeoutMs: 0 }] }, 'webhooks.0.timeoutMs'],
    [{ webhooks: [{ ...webhook, headers: {} }] }, 'webhooks.0: Unrecognized key: "headers"'],
    [{ webhooks: { ...webhook } }, 'webhooks'],
  ])('stops start-up naming the field for a bad value (%j)', (section, message) => {
    expect(() => parseConfig({ ...minimal, ...section }, {})).toThrow(ConfigError);
    expect(() => parseConfig({ ...minimal, ...section }, {})).toThrow(message);
  });
});
