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
      WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
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

describe('Redis Cluster, shards and retention (SPEC 10)', () => {
  const seeds = ['redis://10.0.0.1:7000', 'redis://10.0.0.2:7000', 'redis://10.0.0.3:7000'];

  it('defaults to one Redis, one shard and a 30-day retention of final calls', () => {
    const config = parseConfig(minimal, {});
    expect(config.redis).toEqual({ url: 'redis://127.0.0.1:6379', prefix: 'cbo', shards: 1 });
    expect(config.retention.finalCallSeconds).toBe(2_592_000);
  });

  it('reads redis.cluster, redis.shards and retention.finalCallSeconds from the file', () => {
    const config = parseConfig({ ...minimal, redis: { cluster: seeds, shards: 6 }, retention: { finalCallSeconds: 5 } }, {});
    expect(config.redis.cluster).toEqual(seeds);
    expect(config.redis.shards).toBe(6);
    expect(config.retention.finalCallSeconds).toBe(5);
  });

  it('accepts rediss:// seeds with credentials, and the bounds 1 and 64 shards', () => {
    const config = parseConfig({ ...minimal, redis: { cluster: ['rediss://app:s3cret@node-1.example:6380'], shards: 64 } }, {});
    expect(config.redis.cluster).toEqual(['rediss://app:s3cret@node-1.example:6380']);
    expect(parseConfig({ ...minimal, redis: { shards: 1 } }, {}).redis.shards).toBe(1);
  });

  it('lets REDIS_CLUSTER_NODES (comma-separated) replace the file’s seeds', () => {
    const env = { REDIS_CLUSTER_NODES: ' redis://192.168.1.5:7001, redis://192.168.1.6:7001 ' };
    const config = parseConfig({ ...minimal, redis: { cluster: seeds } }, env);
    expect(config.redis.cluster).toEqual(['redis://192.168.1.5:7001', 'redis://192.168.1.6:7001']);
    expect(parseConfig(minimal, env).redis.cluster).toEqual(['redis://192.168.1.5:7001', 'redis://192.168.1.6:7001']);
  });

  it('ignores REDIS_URL when a cluster is set, from the file or from REDIS_CLUSTER_NODES', () => {
    const fromFile = parseConfig({ ...minimal, redis: { url: 'redis://file:6379', cluster: seeds } }, { REDIS_URL: 'redis://env:6379' });
    expect(fromFile.redis.url).toBe('redis://file:6379');
    expect(fromFile.redis.cluster).toEqual(seeds);
    const fromEnv = parseConfig(minimal, { REDIS_URL: 'redis://env:6379', REDIS_CLUSTER_NODES: seeds.join(',') });
    expect(fromEnv.redis.url).toBe('redis://127.0.0.1:6379');
    expect(fromEnv.redis.cluster).toEqual(seeds);
  });

  it('treats an empty REDIS_CLUSTER_NODES as unset', () => {
    const config = parseConfig(minimal, { REDIS_CLUSTER_NODES: '', REDIS_URL: 'redis://env:6379' });
    expect(config.redis.cluster).toBeUndefined();
    expect(config.redis.url).toBe('redis://env:6379');
  });

  it.each([
    [{ redis: { shards: 0 } }, 'redis.shards: must be a whole number from 1 to 64'],
    [{ redis: { shards: 65 } }, 'redis.shards: must be a whole number from 1 to 64'],
    [{ redis: { shards: 1.5 } }, 'redis.shards: must be a whole number from 1 to 64'],
    [{ redis: { shards: '6' } }, 'redis.shards: must be a whole number from 1 to 64'],
    [{ redis: { cluster: [] } }, 'redis.cluster: must list at least one node'],
    [{ redis: { cluster: 'redis://10.0.0.1:7000' } }, 'redis.cluster'],
    [{ redis: { cluster: ['http://10.0.0.1:7000'] } }, 'redis.cluster.0: must be a node URL like "redis://10.0.0.1:6379"'],
    [{ redis: { cluster: ['redis://10.0.0.1:7000', '10.0.0.2:7000'] } }, 'redis.cluster.1: must be a node URL'],
    [{ redis: { cluster: ['redis://10.0.0.1:7000/2'] } }, 'redis.cluster.0: a cluster node URL has no database'],
    [{ redis: { cluster: ['redis://10.0.0.1:7000', 'rediss://10.0.0.2:7000'] } }, 'redis.cluster: every node must use the same scheme'],
    [{ retention: { finalCallSeconds: 0 } }, 'retention.finalCallSeconds: must be a whole number of seconds, at least 1'],
    [{ retention: { finalCallSeconds: 2.5 } }, 'retention.finalCallSeconds: must be a whole number of seconds, at least 1'],
    [{ retention: { finalCallDays: 30 } }, 'retention'],
  ])('stops start-up naming the field for a bad value (%j)', (section, message) => {
    expect(() => parseConfig({ ...minimal, ...section }, {})).toThrow(ConfigError);
    expect(() => parseConfig({ ...minimal, ...section }, {})).toThrow(message);
  });

  it('names the field for a bad seed from REDIS_CLUSTER_NODES too', () => {
    expect(() => parseConfig(minimal, { REDIS_CLUSTER_NODES: 'redis://10.0.0.1:7000,10.0.0.2:7000' })).toThrow(
      'redis.cluster.1: must be a node URL',
    );
  });

  it('loads config/example.json with its shards and retention', () => {
    const env = {
      CONFIG_FILE: 'config/example.json',
      ...Object.fromEntries(['API_SECRET', 'XIMA_TOKEN', 'ADMIN_PASSWORD', 'SF_TOKEN', 'DIALER_SECRET'].map((v) => [v, 'x'.repeat(20)])),
      WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    };
    const config = loadConfig(env);
    expect(config.redis.shards).toBe(1);
    expect(config.retention.finalCallSeconds).toBe(2_592_000);
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
