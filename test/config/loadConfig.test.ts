import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../../src/config/loadConfig.js';

const minimal = { auth: {} };

function fileWith(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cbo-config-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, content);
  return file;
}

describe('loadConfig', () => {
  it('loads the shipped default config with no secrets set', () => {
    const config = loadConfig({ CONFIG_FILE: 'config/default.json' });
    expect(config.server.port).toBe(8080);
    expect(config.crm.provider).toBe('none');
    expect(config.dialer.kind).toBe('log');
    expect(config.auth.apiUsers[0]!.password).toBe('local-api-secret');
  });

  it('loads config/example.json when its secrets are in the environment', () => {
    const env = {
      CONFIG_FILE: 'config/example.json',
      API_SECRET: 'a'.repeat(12),
      XIMA_TOKEN: 't'.repeat(20),
      ADMIN_PASSWORD: 'b'.repeat(12),
      SF_TOKEN: 'sf',
      ZD_TOKEN: 'zd',
      SN_PASSWORD: 'sn',
      DIALER_SECRET: 'd'.repeat(20),
    };
    const config = loadConfig(env);
    expect(config.crm.salesforce!.accessToken).toBe('sf');
    expect(config.dialer).toMatchObject({ kind: 'webhook', secret: 'd'.repeat(20) });
  });

  it('replaces ${VAR} from the environment and uses ${VAR:-fallback} only when unset', () => {
    const raw = {
      auth: {
        apiUsers: [{ username: 'key', password: '${API_SECRET}' }],
        adminUsers: [{ username: 'admin', password: '${ADMIN:-fallback-pw}' }],
      },
    };
    const config = parseConfig(raw, { API_SECRET: 'from-env-123', ADMIN: undefined });
    expect(config.auth.apiUsers[0]!.password).toBe('from-env-123');
    expect(config.auth.adminUsers[0]!.password).toBe('fallback-pw');
  });

  it('names the variable and the field when a ${VAR} is not set', () => {
    const raw = { auth: { apiUsers: [{ username: 'key', password: '${NOPE_NOT_SET}' }] } };
    expect(() => parseConfig(raw, {})).toThrow(/auth\.apiUsers\.0\.password: environment variable NOPE_NOT_SET is not set/);
  });

  it('lets REDIS_URL and PORT override the file', () => {
    const config = parseConfig(minimal, { REDIS_URL: 'redis://10.0.0.5:6380', PORT: '9090' });
    expect(config.redis.url).toBe('redis://10.0.0.5:6380');
    expect(config.server.port).toBe(9090);
  });

  it.each([
    [{ auth: {}, crm: { provider: 'salesforce' } }, 'crm.salesforce: required when crm.provider is "salesforce"'],
    [{ auth: {}, crm: { provider: 'hubspot' } }, 'crm.provider'],
    [{ auth: {}, dialer: { kind: 'webhook', url: 'not a url', secret: 'x'.repeat(20) } }, 'dialer.url'],
    [
      { auth: {}, menus: [{ id: 9, name: 'M', type: 'web' }], skills: [{ name: 'S', menuId: 7 }] },
      'skills.0.menuId: menu 7 is not configured',
    ],
    [{ auth: {}, servr: {} }, 'servr'],
    [{ auth: { apiUsers: [{ username: 'key', password: '' }] } }, 'auth.apiUsers.0.password: must not be empty'],
  ])('rejects a bad file with a message naming the field (%#)', (raw, field) => {
    expect(() => parseConfig(raw, {})).toThrow(ConfigError);
    expect(() => parseConfig(raw, {})).toThrow(field);
  });

  it('reports a missing file and invalid JSON with the file name', () => {
    expect(() => loadConfig({ CONFIG_FILE: '/nonexistent/cbo.json' })).toThrow(/cannot read config file \/nonexistent\/cbo.json/);
    const file = fileWith('{ "auth": ');
    expect(() => loadConfig({ CONFIG_FILE: file })).toThrow(new RegExp(`config file ${file} is not valid JSON`));
  });

  it('rejects a non-integer PORT', () => {
    expect(() => parseConfig(minimal, { PORT: 'eighty' })).toThrow('PORT must be a whole number');
  });
});

describe('CRM sections not in use', () => {
  it('need no secrets: the SPEC example with only the selected CRM secret set starts', () => {
    const raw = {
      auth: { apiUsers: [{ username: 'key', password: '${API_SECRET}' }] },
      crm: {
        provider: 'zendesk',
        salesforce: { instanceUrl: 'https://x.my.salesforce.com', accessToken: '${SF_TOKEN}' },
        zendesk: { url: 'https://x.zendesk.com/api/v2', email: 'a@x.com', token: '${ZD_TOKEN}' },
        servicenow: { instanceUrl: 'https://x.service-now.com', username: 'u', password: '${SN_PASSWORD}' },
      },
      dialer: { kind: 'webhook', url: 'http://127.0.0.1:9000/dial', secret: '${DIALER_SECRET}' },
    };
    const config = parseConfig(raw, { API_SECRET: 'secret', ZD_TOKEN: 'zd', DIALER_SECRET: 's3cret' });
    expect(config.crm.zendesk!.token).toBe('zd');
    expect(config.crm.salesforce!.accessToken).toBe('');
    // ... but the selected one does.
    expect(() => parseConfig(raw, { API_SECRET: 'secret', DIALER_SECRET: 's3cret' })).toThrow(
      /crm\.zendesk\.token: environment variable ZD_TOKEN is not set/,
    );
  });
});
