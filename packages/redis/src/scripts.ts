// The Lua scripts. Each runs atomically in Redis, so offsets, history and session
// counters never disagree, whatever several nodes do at once. ioredis runs them with
// EVALSHA and falls back to EVAL after a Redis restart (NOSCRIPT).

/** Time in ms from Redis' own clock (one clock for every node). */
const NOW = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/**
 * Makes sure a channel has an epoch and an offset counter; when either is missing (first
 * use, Redis restarted without persistence, keys expired or evicted) the channel starts a
 * new epoch at offset 0 with an empty history.
 */
const ENSURE_EPOCH = `
local function ensure_epoch(offsetKey, epochKey, logKey, newEpoch)
  local epoch = redis.call('GET', epochKey)
  if (not epoch) or redis.call('EXISTS', offsetKey) == 0 then
    epoch = newEpoch
    redis.call('SET', epochKey, epoch)
    redis.call('SET', offsetKey, 0)
    redis.call('DEL', logKey)
  end
  return epoch
end
`;

/** Field `t` of a stream entry's field list. */
const ENTRY_TIME = `
local function entry_time(fields)
  for i = 1, #fields, 2 do
    if fields[i] == 't' then return tonumber(fields[i + 1]) end
  end
  return 0
end
local function entry_offset(id)
  return tonumber(string.match(id, '^(%d+)'))
end
`;

/**
 * Appends one publication.
 * KEYS: offset, epoch, log, session hash (for `origin`).
 * ARGV: newEpoch, maxLen, maxAgeMs, ttlMs, flag, data, pubsubChannel, originSeq ('' none).
 * Returns { epoch, offset }.
 */
export const APPEND = `${NOW}${ENSURE_EPOCH}${ENTRY_TIME}
local epoch = ensure_epoch(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
local offset = redis.call('INCR', KEYS[1])
local now = now_ms()
redis.call('XADD', KEYS[3], 'MAXLEN', ARGV[2], offset .. '-0', 'b', ARGV[5], 'd', ARGV[6], 't', now)
-- Age: drop a few expired entries from the head per append (reads filter by age exactly).
local cutoff = now - tonumber(ARGV[3])
local head = redis.call('XRANGE', KEYS[3], '-', '+', 'COUNT', 8)
local drop = nil
for _, e in ipairs(head) do
  if entry_time(e[2]) < cutoff then drop = entry_offset(e[1]) else break end
end
if drop then redis.call('XTRIM', KEYS[3], 'MINID', (drop + 1) .. '-0') end
local ttl = tonumber(ARGV[4])
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('PEXPIRE', KEYS[3], ttl)
-- The client message this comes from is handled, in the same atomic step.
if ARGV[8] ~= '' and redis.call('EXISTS', KEYS[4]) == 1 then
  local handled = tonumber(redis.call('HGET', KEYS[4], 'handled') or '0')
  if tonumber(ARGV[8]) > handled then redis.call('HSET', KEYS[4], 'handled', ARGV[8]) end
end
redis.call('PUBLISH', ARGV[7], epoch .. ' ' .. offset .. ' ' .. ARGV[5] .. ' ' .. ARGV[6])
return { epoch, offset }
`;

/**
 * Reads a channel's position and, when `since` is in the current epoch and history
 * still reaches back to it (count and age), the publications after it.
 * KEYS: offset, epoch, log. ARGV: newEpoch, sinceEpoch ('' none), sinceOffset, maxAgeMs, ttlMs.
 * Returns { epoch, latest, first, offset1, flag1, data1, offset2, … }.
 */
export const READ = `${NOW}${ENSURE_EPOCH}${ENTRY_TIME}
local epoch = ensure_epoch(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
local latest = tonumber(redis.call('GET', KEYS[1]))
local cutoff = now_ms() - tonumber(ARGV[4])
local out = { epoch, latest, latest + 1 }
local head = redis.call('XRANGE', KEYS[3], '-', '+', 'COUNT', 1)
local first = latest + 1
if #head > 0 then first = entry_offset(head[1][1]) end
if ARGV[2] == epoch then
  local since = tonumber(ARGV[3])
  if since < latest and since + 1 >= first then
    local entries = redis.call('XRANGE', KEYS[3], (since + 1) .. '-0', '+')
    if #entries > 0 and entry_time(entries[1][2]) < cutoff then
      -- The first missed publication is too old: not recoverable. Report where history starts.
      first = latest + 1
      for _, e in ipairs(entries) do
        if entry_time(e[2]) >= cutoff then first = entry_offset(e[1]); break end
      end
    else
      for _, e in ipairs(entries) do
        local f = e[2]
        local flag, data = '0', ''
        for i = 1, #f, 2 do
          if f[i] == 'b' then flag = f[i + 1] elseif f[i] == 'd' then data = f[i + 1] end
        end
        out[#out + 1] = entry_offset(e[1])
        out[#out + 1] = flag
        out[#out + 1] = data
      end
    end
  end
end
out[3] = first
local ttl = tonumber(ARGV[5])
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('PEXPIRE', KEYS[3], ttl)
return out
`;

/**
 * Writes a session: counters, new server→client messages (idempotent by seq), trims.
 * KEYS: session hash, out stream.
 * ARGV: nodeId, mode ('claim' | 'write'), token, identityKey, sent, received,
 *   handled, peerAck, expiresAt, nacks, firstKept, ttlMs, firstSeq, then (flag, data) pairs.
 * 'claim' takes the session over (a new one, or one adopted from another node); 'write' is
 * refused (FENCED) once another node has claimed it. A missing hash is (re)created: the
 * writing node holds the session's truth.
 */
export const SYNC_SESSION = `
local owner = redis.call('HGET', KEYS[1], 'owner')
if ARGV[2] == 'write' and owner and owner ~= ARGV[1] then
  return redis.error_reply('FENCED the session was taken over by another server')
end
local last = tonumber(redis.call('HGET', KEYS[1], 'sent') or '0')
local seq = tonumber(ARGV[13])
for i = 14, #ARGV, 2 do
  if seq > last then
    -- A hole (messages dropped before they were written): older entries are useless.
    if seq > last + 1 then redis.call('DEL', KEYS[2]) end
    redis.call('XADD', KEYS[2], seq .. '-0', 'b', ARGV[i], 'd', ARGV[i + 1])
    last = seq
  end
  seq = seq + 1
end
local function raise(field, value)
  local old = tonumber(redis.call('HGET', KEYS[1], field) or '0')
  if tonumber(value) > old then redis.call('HSET', KEYS[1], field, value) end
end
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'token', ARGV[3], 'identityKey', ARGV[4],
  'received', ARGV[6], 'expiresAt', ARGV[9], 'nacks', ARGV[10])
raise('sent', last)
raise('handled', ARGV[7])
raise('peerAck', ARGV[8])
local firstKept = tonumber(ARGV[11])
if firstKept > 1 then redis.call('XTRIM', KEYS[2], 'MINID', firstKept .. '-0') end
local ttl = tonumber(ARGV[12])
redis.call('PEXPIRE', KEYS[1], ttl)
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], ttl) end
return last
`;

/**
 * Deletes a session, unless another node owns it and it has not expired.
 * KEYS: session hash, out stream. ARGV: nodeId, nowMs.
 */
export const DELETE_SESSION = `
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner and owner ~= ARGV[1] then
  local expiresAt = tonumber(redis.call('HGET', KEYS[1], 'expiresAt') or '0')
  if expiresAt == 0 or expiresAt > tonumber(ARGV[2]) then return 0 end
end
redis.call('DEL', KEYS[1], KEYS[2])
return 1
`;
