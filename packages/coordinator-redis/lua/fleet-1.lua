-- fleet: the states of every live instance, in one round trip.
-- KEYS[1] index (zset instanceId -> expiry ms)  ARGV[1] instance key prefix
-- Returns a flat list {instanceId, json, instanceId, json, ...}

local nowMs = tl_now()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', nowMs)
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
local out = {}
for _, id in ipairs(ids) do
  local v = redis.call('GET', ARGV[1] .. id)
  if v then
    out[#out + 1] = id
    out[#out + 1] = v
  end
end
return out
