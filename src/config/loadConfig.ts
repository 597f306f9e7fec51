import { readFileSync } from 'node:fs';

import { configSchema, type AppConfig } from './schema.js';

/** Raised for a config file that cannot be used; the message names the offending field. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const VAR = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${VAR}` inside every string value with the environment variable (secrets stay out of files).
 * `${VAR:-fallback}` uses the fallback when VAR is unset (the local default config runs with no secrets set).
 * Paths in `lenient` (the CRM sections not in use) get '' for an unset variable instead of an error, so a file
 * that lists every CRM needs only the secrets of the one selected.
 */
export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, path: string[] = [], lenient: string[] = []): unknown {
  if (typeof value === 'string') {
    return value.replace(VAR, (_, name: string, fallback: string | undefined) => {
      const set = env[name];
      const v = set !== undefined && set !== '' ? set : fallback; // an empty variable counts as unset
      if (v !== undefined) return v;
      if (lenient.some((p) => path.join('.').startsWith(p))) return '';
      throw new ConfigError(`config ${path.join('.') || '(root)'}: environment variable ${name} is not set`);
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateEnv(v, env, [...path, String(i)], lenient));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateEnv(v, env, [...path, k], lenient)]));
  }
  return value;
}

const PROVIDERS = ['salesforce', 'zendesk', 'servicenow'];

/** A config section's fields, to merge an env override into (none when the file has no such section). */
function sectionOf(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

/** Validates a parsed config object; REDIS_CLUSTER_NODES, REDIS_URL and PORT from `env` override the file. */
export function parseConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): AppConfig {
  const provider = interpolateEnv((raw as { crm?: { provider?: unknown } } | null)?.crm?.provider ?? 'none', env, ['crm', 'provider']);
  const unused = PROVIDERS.filter((p) => p !== provider).map((p) => `crm.${p}`);
  const interpolated = interpolateEnv(raw, env, [], unused) as Record<string, unknown>;
  if (!interpolated || typeof interpolated !== 'object' || Array.isArray(interpolated)) {
    throw new ConfigError('config must be a JSON object');
  }
  const withOverrides = structuredClone(interpolated);
  const clusterNodes = env.REDIS_CLUSTER_NODES?.split(',')
    .map((node) => node.trim())
    .filter(Boolean);
  if (clusterNodes?.length) withOverrides.redis = { ...sectionOf(withOverrides.redis), cluster: clusterNodes };
  // With a cluster (from the file or REDIS_CLUSTER_NODES) the single-Redis URL is not used: REDIS_URL is ignored.
  const cluster = sectionOf(withOverrides.redis).cluster;
  if (env.REDIS_URL && cluster === undefined) withOverrides.redis = { ...sectionOf(withOverrides.redis), url: env.REDIS_URL };
  if (env.PORT !== undefined && env.PORT !== '') {
    const port = Number(env.PORT);
    if (!Number.isInteger(port)) throw new ConfigError(`PORT must be a whole number, got "${env.PORT}"`);
    withOverrides.server = { ...sectionOf(withOverrides.server), port };
  }
  const result = configSchema.safeParse(withOverrides);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new ConfigError(`invalid config:\n${lines.join('\n')}`);
  }
  return result.data;
}

/** Reads CONFIG_FILE (default config/default.json). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const file = env.CONFIG_FILE || 'config/default.json';
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  try {
    return parseConfig(raw, env);
  } catch (err) {
    if (err instanceof ConfigError) err.message = `${file}: ${err.message}`;
    throw err;
  }
}
