/**
 * Lua scripts that keep a call, its indexes and the per-record guards consistent in one atomic step.
 * Every key a script touches shares the store's `{hash tag}`, so they also run on Redis Cluster.
 */

/*
 * Call keys of one shard (prefix p, all in one slot):
 *   c:<id>      the call: JSON of the fields that differ from their defaults (see storedCall.ts)
 *   e:<id>      its events, once there are any beyond the implicit `scheduled` one
 *   r:<record>  the record's hash: `s` = its scheduled call, `<id>` = 1 (active) or 0 (final) for each call
 *   st:<status> ids by status, scored by id (lists, X-Total-Count; the list of all calls merges them)
 *   pending     scheduled calls whose fire job may not exist yet (score: when), for the reconciler
 *   dialing     calls handed to the dialer (score: when), for the stale-call sweep
 *   ended       final calls (score: when they ended), for retention
 *   outbox      outcome events written with the change they tell of, until their webhook jobs are queued (score:
 *               when; member "<call id> <type> <event key>"), so that a crash in between loses none (OutboxRelay)
 */

/**
 * Adds the outbox members of a list ('\n'-separated, '' = none; `{id}` stands for the call's id) at `now`, or
 * takes them out (`withdraw`: members written whole).
 */
const ANNOUNCE = `
local function announce(p, members, id, now)
  for member in string.gmatch(members, '[^\\n]+') do
    redis.call('ZADD', p .. 'outbox', now, (string.gsub(member, '{id}', id)))
  end
end
local function withdraw(p, members)
  for member in string.gmatch(members, '[^\\n]+') do redis.call('ZREM', p .. 'outbox', member) end
end
`;

/**
 * KEYS: the shard's `st:scheduled` index. ARGV: p, id ('' = next of the shard's sequence), doc json, record key
 * ('' = none), now ms, outbox members (see ANNOUNCE).
 */
export const CREATE_CALL = `${ANNOUNCE}
local p = ARGV[1]
local rec = ARGV[4]
if rec ~= '' then
  local existing = redis.call('HGET', p .. 'r:' .. rec, 's')
  if existing then return {'duplicate', existing} end
end
local id = ARGV[2]
if id == '' then id = tostring(redis.call('INCR', p .. 'seq')) end
if rec ~= '' then redis.call('HSET', p .. 'r:' .. rec, 's', id, id, '1') end
redis.call('SET', p .. 'c:' .. id, ARGV[3])
redis.call('ZADD', KEYS[1], id, id)
redis.call('ZADD', p .. 'pending', ARGV[5], id)
announce(p, ARGV[6], id, ARGV[5])
return {'ok', id}
`;

/**
 * KEYS: the call. ARGV: p, id. What the fire step needs, in one round trip: the call, its stored events and the
 * ids of its record's active calls (the record hash lives in the call's shard). Returns false when it is gone.
 */
export const FIRE_VIEW = `
local raw = redis.call('GET', KEYS[1])
if not raw then return false end
local p = ARGV[1]
local doc = cjson.decode(raw)
local rec = doc.record_key or doc.ticket_id
local active = {}
if type(rec) == 'string' then
  local h = redis.call('HGETALL', p .. 'r:' .. rec)
  for i = 1, #h, 2 do
    if h[i] ~= 's' and h[i + 1] == '1' then active[#active + 1] = h[i] end
  end
end
return {raw, redis.call('LRANGE', p .. 'e:' .. ARGV[2], 0, -1), active}
`;

/**
 * KEYS: the call. ARGV: p, id, allowed-from (comma list, '' = any), to status ('' = keep), patch json,
 * refuse-when-firing ('1'/'0'), now ms, expected scheduled_at ('' = any), reply with the call ('1'/'0'), outbox members
 * to add, outbox members to take out (see ANNOUNCE), events json...
 * The expected scheduled_at makes a step that read the call refuse to apply when it was rescheduled meanwhile.
 * A patch value of null or false removes the field (the stored call keeps only what differs from its default).
 */
export const TRANSITION_CALL = `${ANNOUNCE}
local raw = redis.call('GET', KEYS[1])
if not raw then return {'missing'} end
local doc = cjson.decode(raw)
local old = doc.status or 'scheduled'
if ARGV[3] ~= '' then
  local allowed = false
  for s in string.gmatch(ARGV[3], '[^,]+') do
    if s == old then allowed = true end
  end
  if not allowed then return {'conflict', old} end
end
if ARGV[6] == '1' and doc.firing == true then return {'conflict', 'firing'} end
if ARGV[8] ~= '' and doc.scheduled_at ~= ARGV[8] then return {'conflict', 'rescheduled'} end
for k, v in pairs(cjson.decode(ARGV[5])) do
  if v == cjson.null or v == false then doc[k] = nil else doc[k] = v end
end
local new = old
if ARGV[4] ~= '' then new = ARGV[4] end
if new == 'scheduled' then doc.status = nil else doc.status = new end
local encoded = cjson.encode(doc)
redis.call('SET', KEYS[1], encoded)
local p = ARGV[1]
local id = ARGV[2]
local now = ARGV[7]
if new ~= old then
  redis.call('ZREM', p .. 'st:' .. old, id)
  redis.call('ZADD', p .. 'st:' .. new, id, id)
  local final = new == 'finished' or new == 'failed' or new == 'canceled'
  local rec = doc.record_key or doc.ticket_id
  if type(rec) == 'string' then
    local r = p .. 'r:' .. rec
    if old == 'scheduled' and redis.call('HGET', r, 's') == id then redis.call('HDEL', r, 's') end
    if final then redis.call('HSET', r, id, '0') end
  end
  if final then
    redis.call('ZREM', p .. 'pending', id)
    redis.call('ZREM', p .. 'dialing', id)
    redis.call('ZADD', p .. 'ended', now, id)
  elseif old == 'scheduled' then
    redis.call('ZREM', p .. 'pending', id)
    redis.call('ZADD', p .. 'dialing', now, id)
  end
end
if #ARGV >= 12 then redis.call('RPUSH', p .. 'e:' .. id, unpack(ARGV, 12)) end
announce(p, ARGV[10], id, now)
withdraw(p, ARGV[11])
if ARGV[9] == '0' then return {'ok'} end
return {'ok', encoded}
`;

/** KEYS: the call's events. ARGV: p, now ms, outbox members (see ANNOUNCE; `{id}` not used), event json. */
export const APPEND_EVENT = `${ANNOUNCE}
redis.call('RPUSH', KEYS[1], ARGV[4])
announce(ARGV[1], ARGV[3], '', ARGV[2])
return 1
`;

/** KEYS: the call. ARGV: p, id. Deletes a final call with its events and index entries (retention). */
export const PURGE_CALL = `
local p = ARGV[1]
local id = ARGV[2]
local raw = redis.call('GET', KEYS[1])
redis.call('ZREM', p .. 'ended', id)
if not raw then return 0 end
local doc = cjson.decode(raw)
local status = doc.status or 'scheduled'
if status ~= 'finished' and status ~= 'failed' and status ~= 'canceled' then return 0 end
redis.call('DEL', KEYS[1], p .. 'e:' .. id)
redis.call('ZREM', p .. 'st:' .. status, id)
local rec = doc.record_key or doc.ticket_id
if type(rec) == 'string' then redis.call('HDEL', p .. 'r:' .. rec, id) end
return 1
`;

/**
 * KEYS: policy, history. ARGV: new value, value used while the key is unset, history limit, at (ISO), user.
 * Returns the old value, or nil when the value is the same (then nothing is written).
 * The entry is pushed before the value is set: a script that fails part-way (wrong key type, out of memory)
 * then leaves the policy as it was, never changed without its entry.
 */
export const SET_CLOSED_RECORD_POLICY = `
local old = redis.call('GET', KEYS[1]) or ARGV[2]
if old == ARGV[1] then return false end
local entry = '{"at":' .. cjson.encode(ARGV[4]) .. ',"user":' .. cjson.encode(ARGV[5]) ..
  ',"old":' .. cjson.encode(old) .. ',"new":' .. cjson.encode(ARGV[1]) .. '}'
redis.call('LPUSH', KEYS[2], entry)
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[3]) - 1)
redis.call('SET', KEYS[1], ARGV[1])
return old
`;
