-- cancel: an aborted waiter leaves the queue, hands on a lease granted to it in the meantime, and
-- unblocks its own BLPOP with a 'c' message.
-- KEYS[1] lease  KEYS[2] epoch  KEYS[3] queue  KEYS[4] waiters
-- ARGV[1] waiterId  ARGV[2] wake key prefix  ARGV[3] wakeTtlMs
-- Returns 1 when a lease granted to the waiter was handed on, else 0.
local lease, epochKey, queue, waiters = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local me, wakePrefix, wakeTtl = ARGV[1], ARGV[2], tonumber(ARGV[3])
redis.call('ZREM', queue, me)
redis.call('HDEL', waiters, me)
local handed = 0
if redis.call('HGET', lease, 'owner') == me then
  redis.call('DEL', lease)
  handed = 1
  tl_hand_off(lease, epochKey, queue, waiters, wakePrefix, wakeTtl, tl_now(), nil)
end
tl_push(wakePrefix, me, 'c', wakeTtl)
return handed
