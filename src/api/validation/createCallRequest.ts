import type { MenuConfig } from '../../config/schema.js';
import type { NewCall, RecordingPermission } from '../../store/CallRecord.js';
import { badRequest } from '../HttpError.js';
import { ISO_639_1 } from './isoLanguages.js';
import { toE164 } from './phoneNumber.js';

export interface CreateCallContext {
  menus: readonly MenuConfig[];
  defaultRegion: string;
  /** The configured CRM's record-id format check (a permissive one when no CRM is configured). */
  isValidTicketId: (id: string) => boolean;
  /** The record's one key for a valid ticket id. */
  recordKey: (id: string) => string;
  /** Menu of an existing parent call, or null when there is no such call. */
  parentMenuId: (callId: number) => Promise<number | null>;
  now: Date;
}

const CALL_TYPES = new Set(['Voice Scheduled (API)', 'ScheduledCall']);
const RECORDING = new Map<unknown, RecordingPermission>([
  ['recording_permission_not_asked', 'not_asked'],
  ['recording_permission_denied', 'denied'],
  ['recording_permission_granted', 'granted'],
]);
// ISO 8601 date-time with an explicit offset (Z or ±hh:mm); a time without offset is ambiguous.
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

const isBlank = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

function asPositiveInt(v: unknown): number | null {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return v;
  if (typeof v === 'string' && /^[1-9]\d{0,15}$/.test(v.trim())) return Number(v.trim());
  return null;
}

/**
 * Checks a POST /calls body in the order a client fixes it, with the seeds' exact messages (SPEC 3.1).
 * Returns the call to store; throws HttpError(400) for the first problem found.
 */
export async function validateCreateCall(body: Record<string, unknown>, ctx: CreateCallContext): Promise<NewCall> {
  if (!CALL_TYPES.has(body.call_type as string)) throw badRequest('Invalid call type');

  let parentId: number | null = null;
  let inheritedMenuId: number | null = null;
  if (!isBlank(body.call_id)) {
    parentId = asPositiveInt(body.call_id);
    inheritedMenuId = parentId === null ? null : await ctx.parentMenuId(parentId);
    if (parentId === null || inheritedMenuId === null) throw badRequest(`call_id ${String(body.call_id)} is not found`);
  }

  let menuId: number;
  if (isBlank(body.menu_id)) {
    if (inheritedMenuId === null) throw badRequest('menu_id is required');
    menuId = inheritedMenuId;
  } else {
    const parsed = asPositiveInt(body.menu_id);
    if (parsed === null) throw badRequest('menu_id is not well formed');
    menuId = parsed;
  }
  const menu = ctx.menus.find((m) => m.id === menuId);
  if (!menu) throw badRequest(`menu_id ${menuId} is not found`);
  if (menu.type !== 'web' && menu.type !== 'mobile') throw badRequest('Only mobile and web menu IDs are permitted');
  if (menu.state === 'after_hours') throw badRequest("Menu is in 'after hours' state, can't accept incoming calls");
  if (menu.state === 'manual_redirection') throw badRequest("Menu is in 'manual redirection' state, can't accept calls");

  if (isBlank(body.end_user_number)) throw badRequest('end_user_number is required');
  const number = toE164(body.end_user_number, ctx.defaultRegion);
  if (!number) throw badRequest('end_user_number is not well formed');

  if (isBlank(body.scheduled_at)) throw badRequest('scheduled_at is required');
  const scheduledText = body.scheduled_at;
  const scheduledMs =
    typeof scheduledText === 'string' && ISO_WITH_OFFSET.test(scheduledText.trim()) && isCalendarDate(scheduledText.trim())
      ? Date.parse(scheduledText.trim())
      : NaN;
  if (Number.isNaN(scheduledMs) || scheduledMs <= ctx.now.getTime()) throw badRequest('scheduled_at must be a valid future time');

  const lang = body.lang === undefined || body.lang === null ? 'en' : body.lang;
  if (typeof lang !== 'string' || !ISO_639_1.has(lang)) throw badRequest(`Language '${String(lang)}' is not found`);
  if (!menu.languages.includes(lang)) throw badRequest(`Language '${lang}' is not available`);

  let ticketId: string | null = null;
  if (!isBlank(body.ticket_id)) {
    const raw = body.ticket_id;
    ticketId = typeof raw === 'number' && Number.isSafeInteger(raw) ? String(raw) : typeof raw === 'string' ? raw.trim() : null;
    if (ticketId === null || !ctx.isValidTicketId(ticketId)) throw badRequest('ticket_id is not well formed');
  }

  let recording: RecordingPermission = 'not_asked';
  if (body.recording_permission !== undefined && body.recording_permission !== null) {
    const value = RECORDING.get(body.recording_permission);
    if (!value) throw badRequest('recording_permission is not valid');
    recording = value;
  }

  return {
    parent_id: parentId,
    lang,
    call_type: 'Voice Scheduled (API)',
    created_at: ctx.now.toISOString(),
    scheduled_at: new Date(scheduledMs).toISOString(),
    menu_id: menuId,
    end_user_number: number,
    ticket_id: ticketId,
    record_key: ticketId === null ? null : ctx.recordKey(ticketId),
    recording_permission: recording,
    source: 'api',
    skill: null,
  };
}

/** V8's Date.parse rolls a day that does not exist (2030-02-30, 2030-04-31) over into the next month. */
function isCalendarDate(isoText: string): boolean {
  const [year, month, day] = isoText.slice(0, 10).split('-').map(Number) as [number, number, number];
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Record ids when no CRM is configured: plain tokens only, never anything that could be a query. */
export const isPlainTicketId = (id: string) => /^[A-Za-z0-9_.-]{1,64}$/.test(id);
