-- group-status: who holds a group's lease, since when, and how many live waiters queue for it.
-- KEYS[1] lease  KEYS[2] epoch  KEYS[3] waiters  KEYS[4] fence
-- Returns {owner|false, instanceId|false, epoch, since, pttl, liveWaiters, lastEpoch, fencePttl}
local lease, epochKey, waiters, fence = KEYS[1], KEYS[2], KEYS[3], KEYS[4]

local nowMs = tl_now()
local h = redis.call('HMGET', lease, 'owner', 'instance', 'epoch', 'since')
local live = 0
local all = redis.call('HVALS', waiters)
for _, v in ipairs(all) do
  local dl = string.match(v, '^(%d+)|')
  if dl and tonumber(dl) >= nowMs then live = live + 1 end
end
return {h[1], h[2], tonumber(h[3] or '0'), tonumber(h[4] or '0'), redis.call('PTTL', lease), live,
  tonumber(redis.call('GET', epochKey) or '0'), redis.call('PTTL', fence)}
