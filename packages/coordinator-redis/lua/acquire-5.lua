-- acquire: take the group's lease, or join its FIFO queue of waiters.
-- KEYS[1] lease (hash: owner, instance, epoch, since, contended)   KEYS[2] epoch (counter)
-- KEYS[3] queue (zset waiterId -> arrival µs)   KEYS[4] waiters (hash waiterId -> "deadline|leaseMs|instanceId")
-- KEYS[5] fence (string with PX: nobody acquires while it exists)
-- ARGV[1] waiterId (also the owner token)  ARGV[2] instanceId  ARGV[3] leaseMs  ARGV[4] waiterTtlMs
-- ARGV[5] floorEpoch (highest epoch this client has seen)  ARGV[6] fenceMs  ARGV[7] wake key prefix  ARGV[8] wakeTtlMs
-- Returns {granted (1|0), epoch, waitMs (pttl of lease or fence; -1 unknown), stateLost (1|0), contended (1|0),
-- now (Redis ms: lets the caller date a later grant, whose message carries Redis time, by its own clock)}
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
  -- Whatever waits in the caller's wake list is stale now that it does not hold the lease: above all a
  -- grant that reached it while it was not blocked on the list (its BLPOP had timed out) and whose lease
  -- has since expired. Left there, its next BLPOP would take that dead grant for a new one.
  redis.call('DEL', wakePrefix .. me)
  -- NX keeps the original arrival time: a waiter that re-registers after a BLPOP timeout keeps its place.
  redis.call('ZADD', queue, 'NX', nowUs, me)
  redis.call('HSET', waiters, me, (nowMs + waiterTtl) .. '|' .. leaseMs .. '|' .. instance)
end

local h = redis.call('HMGET', lease, 'owner', 'epoch', 'contended')
local owner = h[1]
if owner == me then
  return {1, tonumber(h[2]), redis.call('PTTL', lease), lost, tonumber(h[3] or '1'), nowMs}
end
if owner then
  register()
  -- The holder may be keeping the lease across polls; tell it once that someone waits now.
  if h[3] ~= '1' then
    redis.call('HSET', lease, 'contended', 1)
    tl_push(wakePrefix, owner, 'y', wakeTtl)
  end
  return {0, cur, redis.call('PTTL', lease), lost, 0, nowMs}
end
local fencePttl = redis.call('PTTL', fence)
if fencePttl > 0 then
  register()
  return {0, cur, fencePttl, lost, 0, nowMs}
end

-- The lease is free. Waiters that queued earlier go first; the caller gets it only at the head.
register()
local e, head, ms, contended = tl_hand_off(lease, epochKey, queue, waiters, wakePrefix, wakeTtl, nowMs, me)
if head == me then return {1, e, ms, lost, contended, nowMs} end
if not head then
  -- Over a thousand dead registrations ahead of us: we are live, so take it and leave the rest to age out.
  redis.call('ZREM', queue, me)
  redis.call('HDEL', waiters, me)
  local mine, c = tl_grant(lease, epochKey, queue, me, instance, leaseMs, nowMs)
  return {1, mine, leaseMs, lost, c, nowMs}
end
return {0, e, ms, lost, 0, nowMs}
