import { SalesforceAdapter } from '../../../adapters/salesforce/SalesforceAdapter.js';
import { configSchema, type SalesforceConfig } from '../../../src/config/schema.js';
import { CrmRejectedError } from '../../../src/crm/errors.js';
import { SalesforceFakeServer, type SalesforceConfigOptions } from '../../fakes/SalesforceFakeServer.js';
import { silentLogger } from '../adapterTestKit.js';
import type { CrmContractDriver } from '../CrmContractDriver.js';

/** The fake's crm section, validated by the product's own config schema, then `overrides` applied. */
export function salesforceConfigFor(
  fake: SalesforceFakeServer,
  options: SalesforceConfigOptions = {},
  overrides: Partial<SalesforceConfig> = {},
): SalesforceConfig {
  const parsed = configSchema.parse({ auth: {}, crm: fake.crmConfig(options) });
  return { ...parsed.crm.salesforce!, ...overrides };
}

/** Salesforce Cases through jsforce, with the static access token of the fake's default config. */
export function salesforceContractDriver(): CrmContractDriver {
  const fake = new SalesforceFakeServer();
  return {
    provider: 'salesforce',
    fake,
    maxBatchSize: 2000,
    rawStatus: { open: 'New', closed: 'Closed' },
    malformedIds: [
      "500Hs00000' OR Id != '",
      '500Hs00000AbCd',
      '500Hs00000AbCdEFG',
      '500Hs00000AbCdEFGHIJ',
      '500Hs00000AbCdE ',
      '500Hs-0000AbCdE',
    ],
    // Salesforce answers INVALID_CROSS_REFERENCE_KEY (400) for the ParentId, not 404.
    commentOnUnknownRecord: CrmRejectedError,
    supportsReopen: true,
    missingCredentials: /accessToken/,
    // jsforce requests are bounded by ctx.timeoutMs, but an abort of ctx.signal mid-request is not passed on.
    newAdapter: ({ logger = silentLogger, credentials = 'valid' } = {}) =>
      new SalesforceAdapter(salesforceConfigFor(fake, {}, credentials === 'wrong' ? { accessToken: 'not-a-token-the-org-issued' } : {}), {
        logger,
      }),
    newAdapterWithoutCredentials: () =>
      new SalesforceAdapter(salesforceConfigFor(fake, {}, { accessToken: undefined }), { logger: silentLogger }),
    unknownId: () => fake.newCaseId(),
    wellFormedIds: () => {
      const id = fake.newCaseId();
      return [id, id.toLowerCase(), id.slice(0, 15)];
    },
    otherSpellings: (id) => [
      { spelling: id.toLowerCase(), key: id },
      { spelling: id.slice(0, 15), key: id },
    ],
    seedComment: (id, body, createdAt) => fake.seedComment(id, body, { createdAt }),
    comments: (id) => fake.commentRecords(id).map((c) => ({ body: c.CommentBody, internal: !c.IsPublished })),
    batchReads: () => fake.requestsTo('/composite/sobjects/Case').map((r) => (r.body as { ids: string[] }).ids),
    secrets: () => [fake.accessToken, fake.clientSecret],
  };
}
