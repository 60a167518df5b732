-- publish: store one instance's state with a TTL and index it by expiry time.
-- KEYS[1] instance key  KEYS[2] index (zset instanceId -> expiry ms)
-- ARGV[1] instanceId  ARGV[2] JSON state  ARGV[3] ttlMs

local nowMs = tl_now()
local ttl = tonumber(ARGV[3])
redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl)
redis.call('ZADD', KEYS[2], nowMs + ttl, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', nowMs)
return 1
