import { z } from 'zod';
import type { MenuConfig } from '../config/schema.js';
import { CALL_STATUSES, type CallEvent, type CallRecord } from '../store/CallRecord.js';

const isoTime = z.iso.datetime().meta({ description: 'UTC, ISO 8601 with milliseconds', example: '2030-01-01T10:00:00.000Z' });
const notApplicable = z.null().meta({ description: "Not used by this product; kept for the seeds' shape" });

/** The three reserved customer attributes stored on a call (SPEC 3.1). */
export const customerFlagsSchema = z
  .object({ verified_customer: z.boolean(), bad_actor: z.boolean(), repeat_customer: z.boolean() })
  .meta({ id: 'CustomerFlags' });

/**
 * The call object (SPEC 3.1), described for the API reference; toCallView's return type is this schema's, so
 * the description cannot drift from what the API and the dialer receive.
 */
export const callViewSchema = z
  .object({
    id: z.int().positive(),
    parent_id: z.int().positive().nullable().meta({ description: 'The call given as `call_id` when this one was created' }),
    lang: z.string().meta({ description: 'ISO 639-1', example: 'en' }),
    attempt: z.int().positive().meta({ description: '1 for a call created through the API or the skill callback; a retry counts on' }),
    timezone: z.string().nullable().meta({
      description:
        "The customer's IANA zone: the request's `timezone`, else the number's when it maps to one zone; null when it maps to several (the calling window then holds in all of them); else `defaultTimezone`",
      example: 'America/New_York',
    }),
    call_type: z.literal('Voice Scheduled (API)'),
    status: z.enum(CALL_STATUSES),
    created_at: isoTime,
    queued_at: isoTime.nullable(),
    assigned_at: isoTime.nullable(),
    connected_at: isoTime.nullable(),
    ends_at: isoTime.nullable(),
    scheduled_at: isoTime,
    wait_duration: z.number(),
    call_duration: z.number(),
    hold_duration: z.number(),
    rating: notApplicable,
    has_feedback: z.boolean(),
    out_ticket_id: z.string().nullable().meta({ description: 'The CRM record id given as `ticket_id`' }),
    out_ticket_url: notApplicable,
    verified: z.boolean(),
    recording_url: notApplicable,
    recording_permission: z.enum(['not_asked', 'denied', 'granted']),
    voicemail_reason: z.string(),
    deflection: z.string(),
    disconnected_by: z.string(),
    fail_reason: z.string().meta({ description: '`nothing` until the call fails or is canceled', example: 'canceled_by_request' }),
    fail_details: z.string().nullable(),
    support_number: notApplicable,
    selected_menu: z
      .object({
        id: z.int().positive(),
        name: z.string(),
        parent_id: z.null(),
        position: z.number(),
        deleted: z.boolean(),
        hidden: z.boolean(),
        menu_type: z.string().meta({ example: 'web_menu' }),
        output_msg: z.null(),
      })
      .nullable(),
    menu_path: z.object({ items_count: z.number(), name: z.string(), materialized_path: z.string() }).nullable(),
    agent_info: notApplicable,
    end_user: z.object({ id: z.int(), identifier: z.null(), out_contact_id: z.null() }),
    end_user_number: z.string().meta({ description: 'E.164', example: '+18596579625' }),
    photos: z.array(z.unknown()),
    videos: z.array(z.unknown()),
    transfers: z.array(z.unknown()),
    deflection_details: z.array(z.unknown()),
    participants: z.array(z.unknown()),
    customer_flag: customerFlagsSchema,
    events: z
      .array(
        z.object({
          at: isoTime,
          type: z
            .string()
            .meta({ examples: ['scheduled', 'fired', 'crm_lookup', 'decision', 'comment_written', 'dialed', 'canceled', 'status'] }),
          detail: z.string().nullable(),
        }),
      )
      .meta({ description: 'What happened to the call, oldest first' }),
  })
  .meta({
    id: 'Call',
    description:
      "The seeds' call object, with nulls / zeros / empty lists where a field does not apply, plus `end_user_number` and `events`.",
  });

export type CallView = z.infer<typeof callViewSchema>;

/**
 * The call object as the API returns it (and as the dialer receives it): the shape of the seeds' call
 * object, with nulls / zeros / empty lists where a field does not apply, plus `end_user_number` and `events`.
 */
export function toCallView(call: CallRecord, events: readonly CallEvent[], menus: readonly MenuConfig[]): CallView {
  const menu = menus.find((m) => m.id === call.menu_id);
  return {
    id: call.id,
    parent_id: call.parent_id,
    lang: call.lang,
    attempt: call.attempt,
    timezone: call.timezone,
    call_type: call.call_type,
    status: call.status,
    created_at: call.created_at,
    queued_at: call.queued_at,
    assigned_at: call.assigned_at,
    connected_at: call.connected_at,
    ends_at: call.ends_at,
    scheduled_at: call.scheduled_at,
    wait_duration: 0,
    call_duration: 0,
    hold_duration: 0,
    rating: null,
    has_feedback: false,
    out_ticket_id: call.ticket_id,
    out_ticket_url: null,
    verified: false,
    recording_url: null,
    recording_permission: call.recording_permission,
    voicemail_reason: 'not_voicemail',
    deflection: 'no_deflection',
    disconnected_by: 'disconnected_by_unknown',
    fail_reason: call.fail_reason,
    fail_details: call.fail_details,
    support_number: null,
    selected_menu: menu
      ? {
          id: menu.id,
          name: menu.name,
          parent_id: null,
          position: 0,
          deleted: false,
          hidden: false,
          menu_type: `${menu.type}_menu`,
          output_msg: null,
        }
      : null,
    menu_path: menu ? { items_count: 1, name: menu.name, materialized_path: String(menu.id) } : null,
    agent_info: null,
    end_user: { id: call.id, identifier: null, out_contact_id: null },
    end_user_number: call.end_user_number,
    photos: [],
    videos: [],
    transfers: [],
    deflection_details: [],
    participants: [],
    customer_flag: {
      verified_customer: call.verified_customer,
      bad_actor: call.bad_actor,
      repeat_customer: call.repeat_customer,
    },
    events: events.map((e) => ({ at: e.at, type: e.type, detail: e.detail })),
  };
}
