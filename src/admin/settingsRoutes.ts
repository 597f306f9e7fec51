import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppServices } from '../AppServices.js';
import { badRequest } from '../api/HttpError.js';
import type { ClosedRecordPolicy } from '../policy/ClosedRecordPolicy.js';
import { POLICY_VALUES, isPolicyValue, type PolicyValue } from './policyWording.js';

// The admin wording and the config schema must list the same values.
const sameValues: [ClosedRecordPolicy, PolicyValue] extends [PolicyValue, ClosedRecordPolicy] ? true : never = true;
void sameValues;

export const SETTINGS_PATH = '/admin/v1/settings/crm';
export const HISTORY_PATH = '/admin/v1/settings/crm/history';

const ALLOWED = POLICY_VALUES.join(', ');
const HISTORY_MAX = 1000;

export interface CrmSettings {
  salesforce: { closedRecordPolicy: ClosedRecordPolicy };
}

export async function currentSettings(s: AppServices): Promise<CrmSettings> {
  return { salesforce: { closedRecordPolicy: await s.settings.getClosedRecordPolicy() } };
}

/**
 * Reads `{"salesforce": {"closedRecordPolicy": ...}}` and nothing else; every refusal names the allowed values,
 * so that whoever sent it can fix the request from the message alone.
 */
export function parseSettingsBody(body: unknown): ClosedRecordPolicy {
  const expected = `expected {"salesforce": {"closedRecordPolicy": ...}} with closedRecordPolicy one of: ${ALLOWED}`;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest(`Request body must be a JSON object: ${expected}`);
  const extra = Object.keys(body).filter((k) => k !== 'salesforce');
  if (extra.length) throw badRequest(`Unknown field "${extra[0]}": ${expected}`);
  const sf = (body as Record<string, unknown>).salesforce;
  if (sf === null || typeof sf !== 'object' || Array.isArray(sf)) throw badRequest(`salesforce is required: ${expected}`);
  const sfExtra = Object.keys(sf).filter((k) => k !== 'closedRecordPolicy');
  if (sfExtra.length) throw badRequest(`Unknown field "salesforce.${sfExtra[0]}": ${expected}`);
  const value = (sf as Record<string, unknown>).closedRecordPolicy;
  if (!isPolicyValue(value)) throw badRequest(`salesforce.closedRecordPolicy must be one of: ${ALLOWED}`);
  return value;
}

function historyLimit(request: FastifyRequest): number {
  const raw = (request.query as Record<string, unknown>).limit;
  if (raw === undefined || raw === '') return 100;
  if (typeof raw !== 'string' || !/^[1-9]\d{0,5}$/.test(raw) || Number(raw) > HISTORY_MAX) {
    throw badRequest(`limit must be an integer from 1 to ${HISTORY_MAX}`);
  }
  return Number(raw);
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

  app.get(HISTORY_PATH, async (request) => s.settings.history(historyLimit(request)));
}
