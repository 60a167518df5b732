-- release: compare-and-delete the caller's lease and hand it straight to the first live waiter, so the
-- next poll needs no further round trip beyond the waiter's BLPOP reply.
-- KEYS[1] lease  KEYS[2] epoch  KEYS[3] queue  KEYS[4] waiters
-- ARGV[1] owner token  ARGV[2] wake key prefix  ARGV[3] wakeTtlMs
-- ARGV[4] 1 when the owner blocks on its own wake list for a 'y' (it gets an 'r' to stop)
-- Returns {released (1|0), epoch handed to the next waiter or 0}
local lease, epochKey, queue, waiters = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local owner, wakePrefix, wakeTtl = ARGV[1], ARGV[2], tonumber(ARGV[3])
if ARGV[4] == '1' then tl_push(wakePrefix, owner, 'r', wakeTtl) end
if redis.call('HGET', lease, 'owner') ~= owner then return {0, 0} end
redis.call('DEL', lease)
local e = tl_hand_off(lease, epochKey, queue, waiters, wakePrefix, wakeTtl, tl_now(), nil)
return {1, e}
