-- Shared by every script that grants a lease; prepended at load time (see src/scripts.ts), so each
-- command is still a single script with one SHA.
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

local function tl_grant(lease, epochKey, owner, inst, ms, nowMs)
  local e = redis.call('INCR', epochKey)
  redis.call('DEL', lease)
  redis.call('HSET', lease, 'owner', owner, 'instance', inst, 'epoch', e, 'since', nowMs)
  redis.call('PEXPIRE', lease, ms)
  return e
end

-- Grants the lease to the first live waiter and wakes it through its own list; returns the epoch or 0.
local function tl_hand_off(lease, epochKey, queue, waiters, wakePrefix, wakeTtl, nowMs)
  local head, ms, inst = tl_pop_live(queue, waiters, nowMs)
  if not head then return 0, nil end
  local e = tl_grant(lease, epochKey, head, inst, ms, nowMs)
  local wake = wakePrefix .. head
  redis.call('RPUSH', wake, 'g:' .. e)
  redis.call('PEXPIRE', wake, wakeTtl)
  return e, head
end
