import { describe, expect, it } from 'vitest';
import { isValidTimezone, zonesOfNumber } from '../../src/schedule/customerZones.js';

describe('zonesOfNumber', () => {
  it.each([
    ['a London number', '+442079460000', ['Europe/London']],
    ['a Los Angeles number', '+12135550123', ['America/Los_Angeles']],
    ['a New York number', '+12125550123', ['America/New_York']],
    ['a Berlin number', '+4930123456', ['Europe/Berlin']],
    ['an international freephone number (no zone)', '+80012345678', []],
    ['a number that does not parse', 'not-a-number', []],
  ])('%s', async (_case, e164, zones) => {
    expect(await zonesOfNumber(e164)).toEqual(zones);
  });

  it('a US toll-free number maps to every NANP zone, from Guam to Pago Pago', async () => {
    const zones = await zonesOfNumber('+18005550123');
    expect(zones.length).toBeGreaterThan(20);
    expect(zones).toEqual(
      expect.arrayContaining([
        'America/New_York',
        'America/Los_Angeles',
        'America/St_Johns',
        'Pacific/Guam',
        'Pacific/Honolulu',
        'Pacific/Pago_Pago',
      ]),
    );
    expect(new Set(zones).size).toBe(zones.length);
  });
});

describe('isValidTimezone', () => {
  it.each([
    ['Europe/Berlin', true],
    ['America/New_York', true],
    ['UTC', true],
    ['Mars/Olympus', false],
    ['', false],
    ['+05:00', false],
    ['New York', false],
  ])('%j → %s', (name, valid) => {
    expect(isValidTimezone(name)).toBe(valid);
  });
});
