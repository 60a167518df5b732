-- acquire: take the group's lease, or join its FIFO queue of waiters.
-- KEYS[1] lease (hash: owner, instance, epoch, since)   KEYS[2] epoch (counter)
-- KEYS[3] queue (zset waiterId -> arrival µs)           KEYS[4] waiters (hash waiterId -> "deadline|leaseMs|instanceId")
-- KEYS[5] fence (string with PX: nobody acquires while it exists)
-- ARGV[1] waiterId (also the owner token)  ARGV[2] instanceId  ARGV[3] leaseMs  ARGV[4] waiterTtlMs
-- ARGV[5] floorEpoch (highest epoch this client has seen)  ARGV[6] fenceMs  ARGV[7] wake key prefix  ARGV[8] wakeTtlMs
-- Returns {granted (1|0), epoch, waitMs (pttl of lease or fence; -1 unknown), stateLost (1|0)}
local lease, epochKey, queue, waiters, fence = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local me, instance = ARGV[1], ARGV[2]
local leaseMs, waiterTtl = tonumber(ARGV[3]), tonumber(ARGV[4])
local floor, fenceMs = tonumber(ARGV[5]), tonumber(ARGV[6])
local wakePrefix, wakeTtl = ARGV[7], tonumber(ARGV[8])
local nowMs, nowUs = tl_now()

-- An epoch below what a client has already seen means Redis lost the group's state (restart without
-- persistence, failover to a lagging replica, flush). A holder from before may still be polling, so the
-- epoch is restored and nobody acquires until that holder's lease would have expired.
local cur = tonumber(redis.call('GET', epochKey) or '0')
local lost = 0
if floor > cur then
  lost = 1
  cur = floor
  redis.call('SET', epochKey, cur)
  if fenceMs > 0 and redis.call('EXISTS', lease) == 0 then
    redis.call('SET', fence, '1', 'PX', fenceMs, 'NX')
  end
end

local function register()
  -- NX keeps the original arrival time: a waiter that re-registers after a BLPOP timeout keeps its place.
  redis.call('ZADD', queue, 'NX', nowUs, me)
  redis.call('HSET', waiters, me, (nowMs + waiterTtl) .. '|' .. leaseMs .. '|' .. instance)
end

local owner = redis.call('HGET', lease, 'owner')
if owner == me then
  return {1, tonumber(redis.call('HGET', lease, 'epoch')), redis.call('PTTL', lease), lost}
end
if owner then
  register()
  return {0, cur, redis.call('PTTL', lease), lost}
end
local fencePttl = redis.call('PTTL', fence)
if fencePttl > 0 then
  register()
  return {0, cur, fencePttl, lost}
end

-- The lease is free. Waiters that queued earlier go first; the caller gets it only at the head.
register()
local head, ms, inst = tl_pop_live(queue, waiters, nowMs)
if head == me or not head then
  return {1, tl_grant(lease, epochKey, me, instance, leaseMs, nowMs), leaseMs, lost}
end
local e = tl_grant(lease, epochKey, head, inst, ms, nowMs)
local wake = wakePrefix .. head
redis.call('RPUSH', wake, 'g:' .. e)
redis.call('PEXPIRE', wake, wakeTtl)
return {0, e, ms, lost}
