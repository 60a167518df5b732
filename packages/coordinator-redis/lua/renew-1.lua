-- renew: compare-and-extend; only the current owner may push the lease's expiry out.
-- KEYS[1] lease  ARGV[1] owner token  ARGV[2] leaseMs
-- Returns 1 when extended, 0 when the caller no longer owns the lease.
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
  return 1
end
return 0
