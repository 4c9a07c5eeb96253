import { RedisScript } from './redis-script';

/**
 * Lua scripts of shared jobs (see redis-chunks.ts for the key layout). Every script reads the time
 * from the server (`TIME`), so leases are measured on one clock whatever the workers' clocks say.
 * KEYS are always: 1 the job's record (hash), 2 the leases (sorted set: chunk → lease expiry ms),
 * 3 the lease tokens (hash: chunk → token), 4 the done items (bitmap, bit = item index).
 * @internal
 */

const NOW = `local function now() local t = redis.call('TIME') return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) end
`;

/**
 * Opens the job. ARGV: total, chunk size, chunk count, fingerprint JSON, retention ms.
 * Returns { total, size, fp, complete ('1' or false), runs }.
 * @internal
 */
export const OPEN = new RedisScript(
  NOW +
    `if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
  redis.call('HSET', KEYS[1], 'total', ARGV[1], 'size', ARGV[2], 'chunks', ARGV[3], 'fp', ARGV[4], 'next', 0, 'donechunks', 0, 'runs', 0, 'updated', now())
  if tonumber(ARGV[3]) == 0 then
    redis.call('HSET', KEYS[1], 'complete', '1')
    redis.call('PEXPIRE', KEYS[1], ARGV[5])
  end
end
redis.call('HINCRBY', KEYS[1], 'runs', 1)
return redis.call('HMGET', KEYS[1], 'total', 'size', 'fp', 'complete', 'runs')`,
  4,
);

/**
 * Claims a chunk: the first one whose lease expired, else the next never claimed, else answers
 * the wait until the earliest lease expiry. ARGV: lease ms, new token.
 * Returns {'done'}, {'wait', ms} or {'chunk', chunk, start, end, done offsets as "a,b,c"}.
 * @internal
 */
export const CLAIM = new RedisScript(
  NOW +
    `if redis.call('EXISTS', KEYS[1]) == 0 then return {'gone'} end
if redis.call('HGET', KEYS[1], 'complete') then return {'done'} end
local t = now()
local fresh = false
local chunk
local exp = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', t, 'LIMIT', 0, 1)
if #exp > 0 then
  chunk = tonumber(exp[1])
else
  local nxt = tonumber(redis.call('HGET', KEYS[1], 'next'))
  if nxt < tonumber(redis.call('HGET', KEYS[1], 'chunks')) then
    chunk = nxt
    fresh = true
    redis.call('HSET', KEYS[1], 'next', nxt + 1)
  else
    local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    if #first == 0 then return {'done'} end
    return {'wait', tostring(math.max(1, tonumber(first[2]) - t))}
  end
end
redis.call('ZADD', KEYS[2], t + tonumber(ARGV[1]), chunk)
redis.call('HSET', KEYS[3], chunk, ARGV[2])
local size = tonumber(redis.call('HGET', KEYS[1], 'size'))
local s = chunk * size
local e = math.min(tonumber(redis.call('HGET', KEYS[1], 'total')), s + size)
local out = {}
if not fresh then
  for i = s, e - 1 do
    if redis.call('GETBIT', KEYS[4], i) == 1 then out[#out + 1] = tostring(i - s) end
  end
end
return {'chunk', tostring(chunk), tostring(s), tostring(e), table.concat(out, ',')}`,
  4,
);

/** Renews a lease. ARGV: chunk, token, lease ms. Returns 1, or 0 when it is not ours. @internal */
export const RENEW = new RedisScript(
  NOW +
    `if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('ZADD', KEYS[2], 'XX', now() + tonumber(ARGV[3]), ARGV[1])
return 1`,
  4,
);

/**
 * Marks items done and extends the lease. ARGV: chunk, token, offsets "a,b,c", lease ms. Returns 1,
 * or 0 when the lease is not ours.
 * @internal
 */
export const MARK = new RedisScript(
  NOW +
    `if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('ZADD', KEYS[2], 'XX', now() + tonumber(ARGV[4]), ARGV[1])
local s = tonumber(ARGV[1]) * tonumber(redis.call('HGET', KEYS[1], 'size'))
for o in string.gmatch(ARGV[3], '%d+') do redis.call('SETBIT', KEYS[4], s + tonumber(o), 1) end
return 1`,
  4,
);

/**
 * Completes a chunk. ARGV: chunk, token, retention ms. Returns 0 (lease not ours), 1 (done), or 2
 * (that was the last chunk: the job is complete, and its keys expire after the retention time).
 * @internal
 */
export const COMPLETE = new RedisScript(
  NOW +
    `if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
local d = redis.call('HINCRBY', KEYS[1], 'donechunks', 1)
redis.call('HSET', KEYS[1], 'updated', now())
if d >= tonumber(redis.call('HGET', KEYS[1], 'chunks')) then
  redis.call('HSET', KEYS[1], 'complete', '1')
  for _, k in ipairs(KEYS) do redis.call('PEXPIRE', k, ARGV[3]) end
  return 2
end
return 1`,
  4,
);

/** Gives a chunk back (claimable at once). ARGV: chunk, token. @internal */
export const RELEASE = new RedisScript(
  `if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('ZADD', KEYS[2], 'XX', 0, ARGV[1])
return 1`,
  4,
);

/**
 * The record and the done bitmap (as hex, so that no client decoding can alter the bytes).
 * Returns false without a record, else { total, size, fp, complete, runs, failure, updated, hex }.
 * @internal
 */
export const STATUS = new RedisScript(
  `if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local r = redis.call('HMGET', KEYS[1], 'total', 'size', 'fp', 'complete', 'runs', 'failure', 'updated')
local b = redis.call('GET', KEYS[4]) or ''
r[8] = (string.gsub(b, '.', function(c) return string.format('%02x', string.byte(c)) end))
return r`,
  4,
);
