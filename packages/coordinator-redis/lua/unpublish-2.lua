-- unpublish: an instance leaving the fleet removes itself at once instead of waiting for its TTL.
-- KEYS[1] instance key  KEYS[2] index  ARGV[1] instanceId
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
