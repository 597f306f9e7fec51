/**
 * ServiceNow record ids as a caller may pass them (ticket_id): a 32-hex `sys_id` or a display number such as
 * `INC0010001`. Ids are checked with anchored patterns before any request so that nothing from the caller can
 * reach an encoded query (`^`, `,`, `=` and spaces are never accepted).
 */

export type ServiceNowIdKind = 'sys_id' | 'number';

export interface ServiceNowId {
  kind: ServiceNowIdKind;
  /** As the caller passed it: the key of the returned Map. */
  asked: string;
  /** As ServiceNow stores it: sys_id lowercase, number uppercase. */
  normalized: string;
}

const SYS_ID = /^[0-9a-f]{32}$/i;
// 2-4 letter prefix (INC, CS, CHG, RITM, ...) and the zero-padded counter (7 digits by default; instances that
// outgrow it get more). The upper bound only keeps absurd input out of URLs.
const NUMBER = /^[a-z]{2,4}[0-9]{7,15}$/i;

export function parseServiceNowId(id: string): ServiceNowId | undefined {
  if (SYS_ID.test(id)) return { kind: 'sys_id', asked: id, normalized: id.toLowerCase() };
  if (NUMBER.test(id)) return { kind: 'number', asked: id, normalized: id.toUpperCase() };
  return undefined;
}

export function isValidServiceNowId(id: string): boolean {
  return parseServiceNowId(id) !== undefined;
}

/** ServiceNow's `glide_date_time` text form in UTC ('YYYY-MM-DD HH:mm:ss'), truncated to the second it stores. */
export function toGlideDateTime(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

/** Inverse of toGlideDateTime (values read with sysparm_display_value=false are UTC); undefined when malformed. */
export function fromGlideDateTime(value: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(value)) return undefined;
  const ms = Date.parse(`${value.replace(' ', 'T')}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}
