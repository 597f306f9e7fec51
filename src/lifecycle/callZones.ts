import type { CallRecord } from '../store/CallRecord.js';

/** The zones the calling window is read in for a call: its own zone, else its number's zones ([] = the default zone). */
export function callZones(call: Pick<CallRecord, 'timezone' | 'customer_zones'>): string[] {
  return call.timezone !== null ? [call.timezone] : (call.customer_zones ?? []);
}
