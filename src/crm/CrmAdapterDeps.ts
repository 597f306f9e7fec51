import type { Logger } from 'pino';

/** What every adapter constructor gets besides its own config section. */
export interface CrmAdapterDeps {
  logger: Logger;
}
