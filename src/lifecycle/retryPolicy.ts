import type { AppConfig, RetriesConfig } from '../config/schema.js';

/**
 * The retries in force for a menu's calls (SPEC 9.2): the menu's own, else the global ones; null when there are
 * none, or when `maxAttempts` is 1 (the first call is the only attempt).
 */
export function retryPolicyFor(config: Pick<AppConfig, 'retries' | 'menus'>, menuId: number): RetriesConfig | null {
  const retries = config.menus.find((menu) => menu.id === menuId)?.retries ?? config.retries;
  return retries && retries.maxAttempts > 1 ? retries : null;
}
