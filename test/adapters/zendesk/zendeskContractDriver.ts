import { ZendeskAdapter } from '../../../adapters/zendesk/ZendeskAdapter.js';
import { configSchema, type ZendeskConfig } from '../../../src/config/schema.js';
import { RecordNotFoundError } from '../../../src/crm/errors.js';
import { ZendeskFakeServer } from '../../fakes/ZendeskFakeServer.js';
import { silentLogger } from '../adapterTestKit.js';
import type { CrmContractDriver } from '../CrmContractDriver.js';

/** The fake's crm section, validated by the product's own config schema, then `overrides` applied. */
export function zendeskConfigFor(fake: ZendeskFakeServer, overrides: Partial<ZendeskConfig> = {}): ZendeskConfig {
  const parsed = configSchema.parse({ auth: {}, crm: fake.crmConfig() });
  return { ...parsed.crm.zendesk!, ...overrides };
}

/** Zendesk tickets through node-zendesk, with the API token (Basic email/token:TOKEN) of the fake's config. */
export function zendeskContractDriver(): CrmContractDriver {
  const fake = new ZendeskFakeServer();
  let unknown = 88_880_000;
  return {
    provider: 'zendesk',
    fake,
    maxBatchSize: 100,
    rawStatus: { open: 'open', closed: 'closed' },
    malformedIds: ['0', '-1', '007', '1.5', '1e3', ' 12', '1234567890123456'],
    commentOnUnknownRecord: RecordNotFoundError,
    supportsReopen: false,
    missingCredentials: /email \+ token|oauthToken/,
    newAdapter: ({ logger = silentLogger, credentials = 'valid' } = {}) =>
      new ZendeskAdapter(zendeskConfigFor(fake, credentials === 'wrong' ? { token: 'not-the-token' } : {}), { logger }),
    newAdapterWithoutCredentials: () =>
      new ZendeskAdapter(zendeskConfigFor(fake, { email: undefined, token: undefined, oauthToken: undefined }), { logger: silentLogger }),
    unknownId: () => String((unknown += 1)),
    wellFormedIds: () => ['1', '42', '123456789012345'],
    // A ticket id is a plain integer: one spelling only.
    otherSpellings: () => [],
    seedComment: (id, body, createdAt) => fake.seedComment(id, body, { createdAt, public: false }),
    comments: (id) => fake.commentRecords(id).map((c) => ({ body: c.body, internal: !c.public })),
    batchReads: () =>
      fake.requestsTo('/api/v2/tickets/show_many.json').map((r) => new URL(r.path, fake.origin).searchParams.get('ids')!.split(',')),
    secrets: () => [fake.token, Buffer.from(`${fake.email}/token:${fake.token}`).toString('base64')],
  };
}
