import type { MenuConfig } from '../config/schema.js';
import type { CallEvent, CallRecord } from '../store/CallRecord.js';

/**
 * The call object as the API returns it (and as the dialer receives it): the shape of the seeds' call
 * object, with nulls / zeros / empty lists where a field does not apply, plus `end_user_number` and `events`.
 */
export function toCallView(call: CallRecord, events: readonly CallEvent[], menus: readonly MenuConfig[]) {
  const menu = menus.find((m) => m.id === call.menu_id);
  return {
    id: call.id,
    parent_id: call.parent_id,
    lang: call.lang,
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

export type CallView = ReturnType<typeof toCallView>;
