-- Shared by every script; prepended at load time (see src/scripts.ts), so each command is still a
-- single script with one SHA. The number in each script's file name is its number of KEYS.
local function tl_now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), tonumber(t[1]) * 1000000 + tonumber(t[2])
end

-- Pops the first waiter whose registration is still live; crashed waiters age out by their deadline.
-- Waiter entries are "deadlineMs|leaseMs|instanceId".
local function tl_pop_live(queue, waiters, nowMs)
  for _ = 1, 1000 do
    local head = redis.call('ZRANGE', queue, 0, 0)[1]
    if not head then return nil end
    redis.call('ZREM', queue, head)
    local v = redis.call('HGET', waiters, head)
    redis.call('HDEL', waiters, head)
    if v then
      local dl, ms, inst = string.match(v, '^(%d+)|(%d+)|(.*)$')
      if dl and tonumber(dl) >= nowMs then return head, tonumber(ms), inst end
    end
  end
  return nil
end

-- A lease records whether others queue for it ('contended'): its holder may keep it across polls only
-- while nobody does, and learns of a later waiter through a 'y' pushed to its own wake list.
local function tl_grant(lease, epochKey, queue, owner, inst, ms, nowMs)
  local e = redis.call('INCR', epochKey)
  local contended = 0
  if redis.call('ZCARD', queue) > 0 then contended = 1 end
  redis.call('DEL', lease)
  redis.call('HSET', lease, 'owner', owner, 'instance', inst, 'epoch', e, 'since', nowMs, 'contended', contended)
  redis.call('PEXPIRE', lease, ms)
  return e, contended
end

local function tl_push(wakePrefix, waiterId, message, wakeTtl)
  local wake = wakePrefix .. waiterId
  redis.call('RPUSH', wake, message)
  redis.call('PEXPIRE', wake, wakeTtl)
end

-- The one hand-off: grants the (free) lease to the first live waiter and wakes it through its own list
-- with "g:<epoch>:<contended>:<now ms>" (the release time, for the hand-off gap), unless that waiter is `self`, who learns it from the script's reply.
-- Returns epoch, waiterId, leaseMs, contended; epoch 0 when nobody waits.
local function tl_hand_off(lease, epochKey, queue, waiters, wakePrefix, wakeTtl, nowMs, self)
  local head, ms, inst = tl_pop_live(queue, waiters, nowMs)
  if not head then return 0, nil, 0, 0 end
  local e, contended = tl_grant(lease, epochKey, queue, head, inst, ms, nowMs)
  if head ~= self then tl_push(wakePrefix, head, 'g:' .. e .. ':' .. contended .. ':' .. nowMs, wakeTtl) end
  return e, head, ms, contended
end
