import type { FastifyInstance } from 'fastify';
import type { AppServices } from '../AppServices.js';
import { crmSettingsSchema, historyQuerySchema, type CrmSettings } from '../api/schemas/settingsSchemas.js';
import { parseRequestPart } from '../api/validation/parseRequestPart.js';
import type { ClosedRecordPolicy } from '../policy/ClosedRecordPolicy.js';
import type { PolicyValue } from './policyWording.js';

// The admin wording and the config schema must list the same values.
const sameValues: [ClosedRecordPolicy, PolicyValue] extends [PolicyValue, ClosedRecordPolicy] ? true : never = true;
void sameValues;

export const SETTINGS_PATH = '/admin/v1/settings/crm';
export const HISTORY_PATH = '/admin/v1/settings/crm/history';

export type { CrmSettings };

export async function currentSettings(s: AppServices): Promise<CrmSettings> {
  return { salesforce: { closedRecordPolicy: await s.settings.getClosedRecordPolicy() } };
}

/**
 * Reads `{"salesforce": {"closedRecordPolicy": ...}}` and nothing else; every refusal names the allowed values
 * (see crmSettingsSchema), so that whoever sent it can fix the request from the message alone.
 */
export function parseSettingsBody(body: unknown): ClosedRecordPolicy {
  return parseRequestPart(crmSettingsSchema, body).salesforce.closedRecordPolicy;
}

/** GET / PUT of the live CRM settings and the audit trail of changes (SPEC 3.3). */
export function registerSettingsRoutes(app: FastifyInstance, s: AppServices): void {
  app.get(SETTINGS_PATH, async () => currentSettings(s));

  app.put(SETTINGS_PATH, async (request) => {
    const value = parseSettingsBody(request.body);
    const user = request.principal ?? 'unknown';
    const change = await s.settings.setClosedRecordPolicy(value, user);
    if (change) {
      s.logger.info(
        { component: 'admin', user, old: change.old, new: change.new, at: change.at },
        'salesforce closed-record policy changed',
      );
    } else {
      s.logger.info({ component: 'admin', user, value }, 'salesforce closed-record policy saved unchanged');
    }
    return { salesforce: { closedRecordPolicy: value } } satisfies CrmSettings;
  });

  app.get(HISTORY_PATH, async (request) => s.settings.history(parseRequestPart(historyQuerySchema, request.query).limit));
}
