/**
 * Salesforce record ids: 15 characters (case-sensitive) or 18 (the same plus a 3-character suffix that encodes
 * the letter case, so the id survives case-insensitive systems).
 */

const SUFFIX_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

/** The 3-character suffix that makes a 15-character id case-insensitive-safe. */
export function salesforceIdSuffix(id15: string): string {
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let flags = 0;
    for (let i = 0; i < 5; i++) {
      const c = id15.charAt(chunk * 5 + i);
      if (c >= 'A' && c <= 'Z') flags |= 1 << i;
    }
    suffix += SUFFIX_CHARS.charAt(flags);
  }
  return suffix;
}

/** The true-case 15-character id an 18-character id in any letter case stands for; undefined if inconsistent. */
export function restoreCase(id18: string): string | undefined {
  const suffix = id18.slice(15).toUpperCase();
  let id15 = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    const flags = SUFFIX_CHARS.indexOf(suffix.charAt(chunk));
    if (flags < 0) return undefined;
    for (let i = 0; i < 5; i++) {
      const c = id18.charAt(chunk * 5 + i);
      id15 += flags & (1 << i) ? c.toUpperCase() : c.toLowerCase();
    }
  }
  return salesforceIdSuffix(id15) === suffix ? id15 : undefined;
}

/**
 * One key per record: the 18-character id with its true letter case, whichever form was given. An 18-character
 * id whose suffix does not match its letters is kept as given (Salesforce will answer for it).
 */
export function canonicalSalesforceId(id: string): string {
  const id15 = id.length === 15 ? id : restoreCase(id);
  return id15 === undefined ? id : id15 + salesforceIdSuffix(id15);
}
