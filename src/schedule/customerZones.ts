import { timezones } from 'libphonenumber-geo-carrier';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { IANAZone } from 'luxon';

/** Whether `name` is a time zone the rules can use (an IANA name such as "Europe/Berlin"); for the API's `timezone`. */
export function isValidTimezone(name: string): boolean {
  return IANAZone.isValidZone(name);
}

/**
 * The IANA zones Google libphonenumber maps an E.164 number to (several for e.g. toll-free numbers), [] when the
 * number does not parse or maps to none. Zones this runtime does not know are dropped: no rule could use them.
 */
export async function zonesOfNumber(e164: string): Promise<string[]> {
  const parsed = parsePhoneNumberFromString(e164);
  if (!parsed) return [];
  const zones = (await timezones(parsed)) ?? [];
  return [...new Set(zones)].filter(isValidTimezone);
}
