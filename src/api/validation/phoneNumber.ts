import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

/** Parses a phone number as a person typed it; returns E.164 or null when it is not a real number. */
export function toE164(input: unknown, defaultRegion: string): string | null {
  if (typeof input !== 'string' && typeof input !== 'number') return null;
  const text = String(input).trim();
  if (text.length === 0 || text.length > 40) return null;
  const parsed = parsePhoneNumberFromString(text, defaultRegion as CountryCode);
  return parsed?.isValid() ? parsed.number : null;
}
