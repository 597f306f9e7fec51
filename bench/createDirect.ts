import type { AppServices } from '../src/AppServices.js';
import { validateCreateCall } from '../src/api/validation/createCallRequest.js';

/**
 * What `POST /apps/api/v1/calls` does to schedule a call, without HTTP (the `million` mode: a million requests
 * would take too long on two cores). Mirrors the route's `create` in src/api/routes/callRoutes.ts, minus the
 * response body; keep it in step when that route changes.
 */
export async function createDirect(s: AppServices, body: unknown, now = new Date()): Promise<void> {
  const call = await validateCreateCall(body, {
    menus: s.config.menus,
    defaultRegion: s.config.defaultRegion,
    isValidTicketId: (id) => s.crm.isValidRecordId(id),
    recordKey: s.recordKey,
    parentMenuId: async (id) => (await s.calls.get(id))?.menu_id ?? null,
    now,
  });
  await s.scheduler.schedule(call, now, 'refuse');
}
