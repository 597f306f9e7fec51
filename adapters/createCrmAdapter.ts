import type { AppConfig } from '../src/config/schema.js';
import type { CrmAdapter } from '../src/crm/CrmAdapter.js';
import type { CrmAdapterDeps } from '../src/crm/CrmAdapterDeps.js';
import { SalesforceAdapter } from './salesforce/SalesforceAdapter.js';
import { ServiceNowAdapter } from './servicenow/ServiceNowAdapter.js';
import { ZendeskAdapter } from './zendesk/ZendeskAdapter.js';

/** The adapter for `crm.provider`, or null for "none". The schema guarantees the provider's section exists. */
export function createCrmAdapter(crm: AppConfig['crm'], deps: CrmAdapterDeps): CrmAdapter | null {
  switch (crm.provider) {
    case 'salesforce':
      return new SalesforceAdapter(crm.salesforce!, deps);
    case 'zendesk':
      return new ZendeskAdapter(crm.zendesk!, deps);
    case 'servicenow':
      return new ServiceNowAdapter(crm.servicenow!, deps);
    default:
      return null;
  }
}
