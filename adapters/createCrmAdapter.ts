import type { AppConfig } from '../src/config/schema.js';
import type { CrmAdapter } from '../src/crm/CrmAdapter.js';
import type { CrmAdapterDeps } from '../src/crm/CrmAdapterDeps.js';
import { NoCrm } from './none/NoCrm.js';
import { SalesforceAdapter } from './salesforce/SalesforceAdapter.js';
import { ServiceNowAdapter } from './servicenow/ServiceNowAdapter.js';
import { ZendeskAdapter } from './zendesk/ZendeskAdapter.js';

/** The adapter for `crm.provider` (NoCrm for "none"). The schema guarantees the provider's section exists. */
export function createCrmAdapter(crm: AppConfig['crm'], deps: CrmAdapterDeps): CrmAdapter {
  switch (crm.provider) {
    case 'salesforce':
      return new SalesforceAdapter(crm.salesforce!, deps);
    case 'zendesk':
      return new ZendeskAdapter(crm.zendesk!, deps);
    case 'servicenow':
      return new ServiceNowAdapter(crm.servicenow!, deps);
    case 'none':
      return new NoCrm();
  }
}
