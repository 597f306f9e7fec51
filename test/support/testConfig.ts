import { parseConfig } from '../../src/config/loadConfig.js';
import type { AppConfig } from '../../src/config/schema.js';
import { TEST_REDIS_URL } from './redis.js';

export const API_USER = { username: 'key', password: 'api-secret-123' };
export const ADMIN_USER = { username: 'admin', password: 'admin-secret-123' };
export const SKILL_TOKEN = 'xima-token-0123456789abcdef';
export const OTHER_SKILL_TOKEN = 'xima-token-other-0123456789';
export const DIALER_SECRET = 'dialer-secret-0123456789';

/** A complete config for tests: menus covering every menu rule, two skills, the given CRM and dialer. */
export function testConfig(prefix: string, overrides: Record<string, unknown> = {}): AppConfig {
  return parseConfig(
    {
      server: { host: '127.0.0.1', port: 0 },
      defaultRegion: 'US',
      redis: { url: TEST_REDIS_URL, prefix },
      auth: {
        apiUsers: [API_USER],
        adminUsers: [ADMIN_USER],
        bearerTokens: [
          { token: SKILL_TOKEN, skills: ['Online Requests'] },
          { token: OTHER_SKILL_TOKEN, skills: ['Billing'] },
        ],
      },
      menus: [
        { id: 9, name: 'Lock Star', type: 'web', state: 'open', languages: ['en', 'es'] },
        { id: 10, name: 'App Support', type: 'mobile', state: 'open', languages: ['en'] },
        { id: 50, name: 'Phone Tree', type: 'ivr', state: 'open', languages: ['en'] },
        { id: 51, name: 'Night Desk', type: 'web', state: 'after_hours', languages: ['en'] },
        { id: 52, name: 'Redirected', type: 'web', state: 'manual_redirection', languages: ['en'] },
      ],
      skills: [
        { name: 'Online Requests', menuId: 9 },
        { name: 'Billing', menuId: 10 },
      ],
      crm: { provider: 'none', lookup: { timeoutMs: 500, attempts: 2, budgetMs: 1500 } },
      dialer: { kind: 'log' },
      worker: { concurrency: 20, batchWindowMs: 20 },
      logLevel: 'silent',
      ...overrides,
    },
    {},
  );
}
