import { randomBytes } from 'node:crypto';
import { ServiceNowAdapter } from '../../../adapters/servicenow/ServiceNowAdapter.js';
import { configSchema, type ServiceNowConfig } from '../../../src/config/schema.js';
import { RecordNotFoundError } from '../../../src/crm/errors.js';
import { ServiceNowFakeServer } from '../../fakes/ServiceNowFakeServer.js';
import { silentLogger } from '../adapterTestKit.js';
import type { CrmContractDriver } from '../CrmContractDriver.js';

/** The fake's crm section, validated by the product's own config schema, then `overrides` applied. */
export function serviceNowConfigFor(fake: ServiceNowFakeServer, overrides: Partial<ServiceNowConfig> = {}): ServiceNowConfig {
  const parsed = configSchema.parse({ auth: {}, crm: fake.crmConfig() });
  return { ...parsed.crm.servicenow!, ...overrides };
}

/** The ids a Table API list query asks for: `sys_idINa,b^ORnumberINc` or `number=c`. */
function idsInQuery(query: string): string[] {
  return query.split('^OR').flatMap((part) => {
    const m = /^(?:sys_id|number)(?:IN|=)(.*)$/.exec(part);
    return m ? m[1]!.split(',') : [];
  });
}

/** ServiceNow incidents through the Table API (axios), Basic auth, comments in work_notes. */
export function serviceNowContractDriver(): CrmContractDriver {
  const fake = new ServiceNowFakeServer();
  return {
    provider: 'servicenow',
    fake,
    maxBatchSize: 100,
    rawStatus: { open: '1', closed: '7' },
    malformedIds: ['INC1 OR 1=1', '^active=true', 'a'.repeat(31), 'b'.repeat(33), 'INC0010001^ORactive=true', 'INC001'],
    commentOnUnknownRecord: RecordNotFoundError,
    supportsReopen: false,
    missingCredentials: /username and password, or oauthToken/,
    newAdapter: ({ logger = silentLogger, credentials = 'valid' } = {}) =>
      new ServiceNowAdapter(serviceNowConfigFor(fake, credentials === 'wrong' ? { password: 'wrong-password' } : {}), { logger }),
    newAdapterWithoutCredentials: () =>
      new ServiceNowAdapter(serviceNowConfigFor(fake, { username: undefined, password: undefined }), { logger: silentLogger }),
    unknownId: () => randomBytes(16).toString('hex'),
    wellFormedIds: () => ['0123456789abcdefABCDEF0123456789', 'INC0010001', 'cs0001234', 'RITM00012345'],
    otherSpellings: (id) => {
      const number = fake.numberOf(id)!;
      // A number is a key of its own: mapping it to the sys_id would take a request.
      return [
        { spelling: id.toUpperCase(), key: id },
        { spelling: number, key: number },
        { spelling: number.toLowerCase(), key: number },
      ];
    },
    seedComment: (id, body, createdAt) => fake.addJournalEntry(id, 'work_notes', body, createdAt),
    // work_notes are agent-only; the `comments` journal is customer-visible.
    comments: (id) => fake.journal(id).map((e) => ({ body: e.value, internal: e.element === 'work_notes' })),
    batchReads: () =>
      fake.requests
        .filter((r) => r.method === 'GET' && r.path.split('?')[0] === `/api/now/table/${fake.table}`)
        .map((r) => idsInQuery(new URL(r.path, fake.origin).searchParams.get('sysparm_query') ?? '')),
    secrets: () => [fake.password, Buffer.from(`${fake.username}:${fake.password}`).toString('base64')],
  };
}
