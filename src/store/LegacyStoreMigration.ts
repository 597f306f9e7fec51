import type { CallRecord } from './CallRecord.js';
import { toStoredCall } from './storedCall.js';
import { storeKeyPrefix, type RedisClient } from './storeKeys.js';

/**
 * Moves calls stored by version 0.1 (a full JSON document a call, an events list that starts with the
 * `scheduled` event, sorted-set indexes and three keys a record) into today's layout, one call at a time in a
 * script: a process that stops half-way, or two that run at once, leave every call in one layout or the other.
 * Ids and the id sequence are kept, so the calls' delayed jobs (`call-<id>`) still find them.
 */
const MIGRATE_CALL = `
local p = ARGV[1]
local id = ARGV[2]
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('SET', p .. 'c:' .. id, ARGV[3])
local status = ARGV[4]
local rec = ARGV[5]
local final = status == 'finished' or status == 'failed' or status == 'canceled'
if redis.call('EXISTS', p .. 'events:' .. id) == 1 then
  redis.call('RENAME', p .. 'events:' .. id, p .. 'e:' .. id)
  local first = redis.call('LINDEX', p .. 'e:' .. id, 0)
  if first and string.find(first, '"type":"scheduled"', 1, true) then redis.call('LPOP', p .. 'e:' .. id) end
end
redis.call('ZADD', p .. 'st:' .. status, id, id)
if rec ~= '' then
  redis.call('HSET', p .. 'r:' .. rec, id, final and '0' or '1')
  if status == 'scheduled' then redis.call('HSET', p .. 'r:' .. rec, 's', id) end
end
if final then
  redis.call('ZADD', p .. 'ended', ARGV[6], id)
elseif status ~= 'scheduled' then
  redis.call('ZADD', p .. 'dialing', ARGV[6], id)
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', p .. 'idx:all', id)
redis.call('ZREM', p .. 'idx:status:' .. status, id)
return 1
`;

const PAGE = 500;
const LEGACY_RECORD_KEYS = ['scheduled-for:*', 'active:*', 'idx:ticket:*'];

/** True when calls of version 0.1 are still in the store under this prefix. */
export async function hasLegacyCalls(redis: RedisClient, prefix: string): Promise<boolean> {
  return (await redis.exists(`${storeKeyPrefix(prefix)}idx:all`)) === 1;
}

/** Migrates every legacy call; returns how many this process moved. */
export async function migrateLegacyCalls(redis: RedisClient, prefix: string): Promise<number> {
  const p = storeKeyPrefix(prefix);
  redis.defineCommand('cboMigrateCall', { numberOfKeys: 1, lua: MIGRATE_CALL });
  const migrate = (redis as unknown as { cboMigrateCall(...args: string[]): Promise<number> }).cboMigrateCall.bind(redis);
  let moved = 0;
  for (;;) {
    const ids = await redis.zrange(`${p}idx:all`, 0, PAGE - 1);
    if (ids.length === 0) break;
    for (const id of ids) {
      const raw = await redis.get(`${p}call:${id}`);
      if (!raw) {
        await redis.zrem(`${p}idx:all`, id); // moved by another process meanwhile
        continue;
      }
      const call = JSON.parse(raw) as CallRecord;
      const since = Date.parse(call.ends_at ?? call.queued_at ?? call.created_at);
      moved += await migrate(`${p}call:${id}`, p, id, toStoredCall(call), call.status, call.record_key ?? '', String(since));
    }
  }
  // The per-record keys of 0.1 are now carried by the record hashes.
  for (const pattern of LEGACY_RECORD_KEYS) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${p}${pattern}`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await Promise.all(keys.map((key) => redis.del(key)));
    } while (cursor !== '0');
  }
  return moved;
}
