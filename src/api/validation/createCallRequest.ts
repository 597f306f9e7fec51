import type { z } from 'zod';
import type { MenuConfig } from '../../config/schema.js';
import type { ScheduleRequest } from '../../lifecycle/CallScheduler.js';
import type { RecordingPermission } from '../../store/CallRecord.js';
import { badRequest } from '../HttpError.js';
import {
  CREATE_CALL_ERRORS as E,
  createCallBodySchema,
  type CreateCallFields,
  type RECORDING_PERMISSIONS,
} from '../schemas/callSchemas.js';
import { anyJsonObject } from '../schemas/common.js';
import { parseRequestPart } from './parseRequestPart.js';
import { toE164 } from './phoneNumber.js';

export interface CreateCallContext {
  menus: readonly MenuConfig[];
  defaultRegion: string;
  /** The configured CRM's record-id format check. */
  isValidTicketId: (id: string) => boolean;
  /** The record's one key for a valid ticket id. */
  recordKey: (id: string) => string;
  /** Menu of an existing parent call, or null when there is no such call. */
  parentMenuId: (callId: number) => Promise<number | null>;
  now: Date;
}

const RECORDING: Record<(typeof RECORDING_PERMISSIONS)[number], RecordingPermission> = {
  recording_permission_not_asked: 'not_asked',
  recording_permission_denied: 'denied',
  recording_permission_granted: 'granted',
};

/**
 * Checks a POST /calls body in the order a client fixes it, with the seeds' exact messages (SPEC 3.1): field
 * by field in the schema's order, each field's shape (createCallBodySchema) and then what only the
 * configuration or the store can tell (menu, language on the menu, CRM id format, parent call, future time).
 * A whole-body parse would report a later field's shape before an earlier field's menu or parent problem.
 * Returns the call to store; throws HttpError(400) for the first problem found.
 */
export async function validateCreateCall(rawBody: unknown, ctx: CreateCallContext): Promise<ScheduleRequest> {
  const body = parseRequestPart(anyJsonObject, rawBody);
  const field = <K extends keyof CreateCallFields>(name: K): z.output<CreateCallFields[K]> =>
    parseRequestPart(createCallBodySchema.shape[name], body[name]) as z.output<CreateCallFields[K]>;

  field('call_type');

  const parentId = field('call_id') ?? null;
  const inheritedMenuId = parentId === null ? null : await ctx.parentMenuId(parentId);
  if (parentId !== null && inheritedMenuId === null) throw badRequest(E.parentNotFound(body.call_id));

  const menuId = field('menu_id') ?? inheritedMenuId;
  if (menuId === null) throw badRequest(E.menuRequired);
  const menu = acceptingMenu(ctx.menus, menuId);

  const number = toE164(field('end_user_number'), ctx.defaultRegion);
  if (!number) throw badRequest(E.numberMalformed);

  const scheduledMs = Date.parse(field('scheduled_at'));
  if (scheduledMs <= ctx.now.getTime()) throw badRequest(E.scheduledAtInvalid);

  const lang = field('lang');
  if (!menu.languages.includes(lang)) throw badRequest(E.languageNotAvailable(lang));

  const ticketId = field('ticket_id') ?? null;
  if (ticketId !== null && !ctx.isValidTicketId(ticketId)) throw badRequest(E.ticketMalformed);

  const recording = RECORDING[field('recording_permission')];
  const requestedTimezone = field('timezone') ?? null;

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
    requestedTimezone,
  };
}

/** The configured menu, if it takes scheduled calls now. */
function acceptingMenu(menus: readonly MenuConfig[], menuId: number): MenuConfig {
  const menu = menus.find((m) => m.id === menuId);
  if (!menu) throw badRequest(E.menuNotFound(menuId));
  if (menu.type !== 'web' && menu.type !== 'mobile') throw badRequest(E.menuType);
  if (menu.state === 'after_hours') throw badRequest(E.menuAfterHours);
  if (menu.state === 'manual_redirection') throw badRequest(E.menuRedirected);
  return menu;
}
