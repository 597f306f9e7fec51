/**
 * Lua scripts that keep a call, its indexes and the per-record guards consistent in one atomic step.
 * Every key a script touches shares the store's `{hash tag}`, so they also run on Redis Cluster.
 */

/** KEYS: call, events. ARGV: prefix, id, doc json, record key ('' = none), events json... */
export const CREATE_CALL = `
local p = ARGV[1]
local id = ARGV[2]
local ticket = ARGV[4]
if ticket ~= '' then
  local existing = redis.call('GET', p .. 'scheduled-for:' .. ticket)
  if existing then return {'duplicate', existing} end
  redis.call('SET', p .. 'scheduled-for:' .. ticket, id)
  redis.call('SADD', p .. 'active:' .. ticket, id)
  redis.call('ZADD', p .. 'idx:ticket:' .. ticket, id, id)
end
redis.call('SET', KEYS[1], ARGV[3])
redis.call('ZADD', p .. 'idx:all', id, id)
redis.call('ZADD', p .. 'idx:status:scheduled', id, id)
for i = 5, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
return {'ok', id}
`;

/**
 * KEYS: call, events.
 * ARGV: prefix, id, allowed-from (comma list, '' = any), to status ('' = keep), patch json,
 *       refuse-when-firing ('1'/'0'), events json...
 */
export const TRANSITION_CALL = `
local raw = redis.call('GET', KEYS[1])
if not raw then return {'missing'} end
local doc = cjson.decode(raw)
local old = doc.status
if ARGV[3] ~= '' then
  local allowed = false
  for s in string.gmatch(ARGV[3], '[^,]+') do
    if s == old then allowed = true end
  end
  if not allowed then return {'conflict', old} end
end
if ARGV[6] == '1' and doc.firing == true then return {'conflict', 'firing'} end
for k, v in pairs(cjson.decode(ARGV[5])) do doc[k] = v end
local new = old
if ARGV[4] ~= '' then
  new = ARGV[4]
  doc.status = new
end
local encoded = cjson.encode(doc)
redis.call('SET', KEYS[1], encoded)
local p = ARGV[1]
local id = ARGV[2]
if new ~= old then
  redis.call('ZREM', p .. 'idx:status:' .. old, id)
  redis.call('ZADD', p .. 'idx:status:' .. new, id, id)
  local ticket = doc.record_key
  if type(ticket) == 'string' then
    if old == 'scheduled' and redis.call('GET', p .. 'scheduled-for:' .. ticket) == id then
      redis.call('DEL', p .. 'scheduled-for:' .. ticket)
    end
    if new == 'finished' or new == 'failed' or new == 'canceled' then
      redis.call('SREM', p .. 'active:' .. ticket, id)
    end
  end
end
for i = 7, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
return {'ok', encoded}
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
