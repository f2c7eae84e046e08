-- staunch-redis: one shared circuit breaker, protocol version 1.
-- Every shared transition happens here, atomically, on the server's clock.
-- KEYS: 1 hash P{N}, 2 probe leases P{N}:probes, 3 votes P{N}:votes, 4 replicas P{N}:replicas
-- ARGV: 1 op, 2 bucket_ms, 3 buckets, 4 min_calls, 5 rate_pct, 6 open_base_ms, 7 open_max_ms,
--       8 max_probes, 9 half_open_successes, 10 ttl_ms, 11 lease_ms, 12 quorum,
--       13 vote_window_ms, 14 replica_window_ms, 15 channel ('' = no publish), 16 name,
--       then the op's arguments from 17.
local hkey, pkey, vkey, rkey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local op = ARGV[1]
if op ~= 'record' and op ~= 'acquire' and op ~= 'complete' and op ~= 'force' then
  return redis.error_reply('staunch: unknown op ' .. tostring(op))
end
local bucket_ms, nb = tonumber(ARGV[2]), tonumber(ARGV[3])
local min_calls, rate = tonumber(ARGV[4]), tonumber(ARGV[5])
local open_base, open_max = tonumber(ARGV[6]), tonumber(ARGV[7])
local max_probes, ho_succ = tonumber(ARGV[8]), tonumber(ARGV[9])
local ttl, lease_ms = tonumber(ARGV[10]), tonumber(ARGV[11])
local quorum, vote_window, replica_window = tonumber(ARGV[12]), tonumber(ARGV[13]), tonumber(ARGV[14])
local channel, name = ARGV[15], ARGV[16]
local A = 17
if op == 'force' then
  local t = tonumber(ARGV[A])
  if t == nil or t < 0 or t > 4 or t ~= math.floor(t) then
    return redis.error_reply('staunch: force target ' .. tostring(ARGV[A]) .. ' is not a state code 0-4')
  end
end

local function s(x) return string.format('%.0f', x) end

local now, epoch_now
--NOW--

local v = redis.call('HGET', hkey, 'v')
if v and v ~= '1' then
  return redis.error_reply('staunch: protocol mismatch: ' .. hkey .. ' has version ' .. v .. ', this client speaks 1')
end
if not v then
  redis.call('DEL', pkey, vkey)
  redis.call('HSET', hkey, 'v', '1', 'epoch', epoch_now, 'st', '0', 'gen', '1', 'since', s(now),
    'until', '0', 'trips', '0', 'hs', '0')
end
local f = redis.call('HMGET', hkey, 'st', 'gen', 'since', 'until', 'trips', 'hs', 'epoch')
local st, gen, since, untl = tonumber(f[1]), tonumber(f[2]), tonumber(f[3]), tonumber(f[4])
local trips, hs, epoch = tonumber(f[5]), tonumber(f[6]), f[7]

local function transition(to)
  gen = gen + 1
  st = to
  since = now
  hs = 0
  if to == 1 then
    trips = trips + 1
    local d = open_base * math.pow(2, math.min(trips - 1, 40))
    if d > open_max then d = open_max end
    untl = now + d
  else
    untl = 0
  end
  if to == 0 or to == 4 then trips = 0 end
  local fields = {}
  for i = 0, 59 do
    fields[#fields + 1] = 'e' .. i
    fields[#fields + 1] = 's' .. i
    fields[#fields + 1] = 'f' .. i
  end
  redis.call('HDEL', hkey, unpack(fields))
  redis.call('DEL', pkey, vkey)
  redis.call('HSET', hkey, 'st', s(st), 'gen', s(gen), 'since', s(since), 'until', s(untl),
    'trips', s(trips), 'hs', '0')
  if channel ~= '' then
    redis.call('PUBLISH', channel, name .. ' ' .. epoch .. ' ' .. s(gen) .. ' ' .. s(st) .. ' ' .. s(untl) .. ' ' .. s(now))
  end
end

-- Time moves only here: an OPEN circuit past its period is HALF_OPEN.
if st == 1 and now >= untl then transition(2) end

local applied = 0
if op == 'record' then
  local rgen, ds, df = tonumber(ARGV[A]), tonumber(ARGV[A + 1]), tonumber(ARGV[A + 2])
  local inst, lt = ARGV[A + 3], ARGV[A + 4]
  redis.call('ZADD', rkey, now, inst)
  redis.call('ZREMRANGEBYSCORE', rkey, '-inf', now - replica_window)
  redis.call('PEXPIRE', rkey, ttl)
  if st == 0 and rgen == gen then
    applied = 1
    if ds + df > 0 then
      local b = math.floor(now / bucket_ms)
      local slot = b % nb
      local e = redis.call('HGET', hkey, 'e' .. slot)
      if not e or tonumber(e) ~= b then
        redis.call('HSET', hkey, 'e' .. slot, s(b), 's' .. slot, '0', 'f' .. slot, '0')
      end
      redis.call('HINCRBY', hkey, 's' .. slot, ds)
      redis.call('HINCRBY', hkey, 'f' .. slot, df)
      if quorum == 0 then
        local calls, fails = 0, 0
        for i = 0, nb - 1 do
          local r = redis.call('HMGET', hkey, 'e' .. i, 's' .. i, 'f' .. i)
          if r[1] and tonumber(r[1]) > b - nb then
            calls = calls + tonumber(r[2]) + tonumber(r[3])
            fails = fails + tonumber(r[3])
          end
        end
        if calls >= min_calls and fails * 100 >= rate * calls then transition(1) end
      end
    end
    if st == 0 and quorum > 0 and lt == '1' then
      redis.call('ZADD', vkey, now, inst)
      redis.call('ZREMRANGEBYSCORE', vkey, '-inf', now - vote_window)
      redis.call('PEXPIRE', vkey, vote_window)
      if redis.call('ZCARD', vkey) >= quorum then transition(1) end
    end
  end
elseif op == 'acquire' then
  if st == 2 then
    redis.call('ZREMRANGEBYSCORE', pkey, '-inf', now)
    if redis.call('ZCARD', pkey) + hs < max_probes then
      redis.call('ZADD', pkey, now + lease_ms, ARGV[A])
      redis.call('PEXPIRE', pkey, lease_ms)
      applied = 1
    end
  end
elseif op == 'complete' then
  local rgen, lease, outcome = tonumber(ARGV[A]), ARGV[A + 1], tonumber(ARGV[A + 2])
  local expiry = redis.call('ZSCORE', pkey, lease)
  redis.call('ZREM', pkey, lease)
  if expiry and tonumber(expiry) > now and rgen == gen and st == 2 and outcome ~= -1 then
    applied = 1
    if outcome == 0 then
      transition(1)
    else
      hs = hs + 1
      redis.call('HSET', hkey, 'hs', s(hs))
      if hs >= ho_succ then transition(0) end
    end
  end
elseif op == 'force' then
  transition(tonumber(ARGV[A]))
  applied = 1
end

redis.call('PEXPIRE', hkey, ttl)
return {applied, st, gen, since, untl, now, trips, epoch, hs, redis.call('ZCARD', rkey)}
