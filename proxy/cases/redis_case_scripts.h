#pragma once
// The Lua scripts of the Redis case store (redis_case_store.cc), one per change that must not
// interleave with another node's.

#include <string_view>

namespace shelter::proxy::cases::lua {

// The scripts: each runs whole, so no other node's command comes between its reads and writes.
// Records are JSON written by case_json.cc only; the scripts decode them to check a status but
// never encode one (cjson would turn kAlways into a float).

// KEYS: the appeal, appeals, appeals:open, appeals:closed, appeals:contact. ARGV: the appeal,
// created, id, the bound, when it was decided ('' while open: a legal list's appeal is stored
// already referred), '1' when it has a contact.
constexpr std::string_view kAddAppeal = R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then return 'conflict' end
if ARGV[5] == '' and redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[4]) then return 'full' end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
if ARGV[5] == '' then
  redis.call('ZADD', KEYS[3], ARGV[2], ARGV[3])
else
  redis.call('ZADD', KEYS[4], ARGV[5], ARGV[3])
  if ARGV[6] == '1' then redis.call('ZADD', KEYS[5], ARGV[5], ARGV[3]) end
end
return 'ok'
)lua";

// KEYS: the appeal, appeals:open, appeals:closed, appeals:contact, allows. ARGV: the closed
// appeal, its id, when it was decided, '1' when it has a contact, the allow's site ('' for
// none), the allow, the changes channel.
constexpr std::string_view kCloseAppeal = R"lua(
local current = redis.call('GET', KEYS[1])
if not current then return 'missing' end
local ok, record = pcall(cjson.decode, current)
if not ok or type(record) ~= 'table' or record.status ~= 'open' then return 'conflict' end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
if ARGV[4] == '1' then redis.call('ZADD', KEYS[4], ARGV[3], ARGV[2]) end
if ARGV[5] ~= '' then
  redis.call('HSET', KEYS[5], ARGV[5], ARGV[6])
  redis.call('PUBLISH', ARGV[7], 'overrides')
end
return 'ok'
)lua";

// KEYS: the request, requests, requests:waiting. ARGV: the request, created, id, its waiting
// field, the bound.
constexpr std::string_view kAddRequest = R"lua(
local existing = redis.call('HGET', KEYS[3], ARGV[4])
if existing then return {'existing', existing} end
if redis.call('EXISTS', KEYS[1]) == 1 then return {'conflict'} end
if redis.call('HLEN', KEYS[3]) >= tonumber(ARGV[5]) then return {'full'} end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[3], ARGV[4], ARGV[3])
return {'ok'}
)lua";

// KEYS: the request, requests:waiting, grants. ARGV: the answered request, its id, its waiting
// field, the grant ('' for none), the changes channel.
constexpr std::string_view kAnswerRequest = R"lua(
local current = redis.call('GET', KEYS[1])
if not current then return 'missing' end
local ok, record = pcall(cjson.decode, current)
if not ok or type(record) ~= 'table' or record.status ~= 'waiting' then return 'conflict' end
redis.call('SET', KEYS[1], ARGV[1])
if redis.call('HGET', KEYS[2], ARGV[3]) == ARGV[2] then redis.call('HDEL', KEYS[2], ARGV[3]) end
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[3], ARGV[2], ARGV[4])
  redis.call('PUBLISH', ARGV[5], 'overrides')
end
return 'ok'
)lua";

// Replaces (or with '' deletes) records still as read, and takes their ids out of index sets.
// ARGV[1] = m; KEYS[1..m]: sorted sets; KEYS[m+1..]: records. Per record, ARGV: id, the text as
// read ('' = it was missing), the new text ('' = delete). Returns how many were applied.
constexpr std::string_view kApply = R"lua(
local m = tonumber(ARGV[1])
local done = 0
for i = m + 1, #KEYS do
  local j = 2 + (i - m - 1) * 3
  local id, old, new = ARGV[j], ARGV[j + 1], ARGV[j + 2]
  local current = redis.call('GET', KEYS[i])
  if (current == false and old == '') or current == old then
    if new == '' then redis.call('DEL', KEYS[i]) else redis.call('SET', KEYS[i], new) end
    for k = 1, m do redis.call('ZREM', KEYS[k], id) end
    done = done + 1
  end
end
return done
)lua";

// Settles entries of requests:waiting (KEYS[1]); KEYS[2..]: their requests. Per entry, ARGV:
// field, id, the request as read and its expired text (both '': the entry is stale, the
// request is gone or no longer waiting). An entry goes only while it still names that request.
constexpr std::string_view kSettleWaiting = R"lua(
local done = 0
for i = 2, #KEYS do
  local j = (i - 2) * 4 + 1
  local field, id, old, new = ARGV[j], ARGV[j + 1], ARGV[j + 2], ARGV[j + 3]
  local settled = old == ''
  if not settled and redis.call('GET', KEYS[i]) == old then
    redis.call('SET', KEYS[i], new)
    settled = true
    done = done + 1
  end
  if settled and redis.call('HGET', KEYS[1], field) == id then redis.call('HDEL', KEYS[1], field) end
end
return done
)lua";

// KEYS[1]: grants. ARGV: now, the changes channel, then request ids whose grants ended.
constexpr std::string_view kDropGrants = R"lua(
local now = tonumber(ARGV[1])
local removed = 0
for i = 3, #ARGV do
  local text = redis.call('HGET', KEYS[1], ARGV[i])
  if text then
    local ok, grant = pcall(cjson.decode, text)
    if ok and type(grant) == 'table' and tonumber(grant['until']) and
       tonumber(grant['until']) <= now then
      redis.call('HDEL', KEYS[1], ARGV[i])
      removed = removed + 1
    end
  end
end
if removed > 0 then redis.call('PUBLISH', ARGV[2], 'overrides') end
return removed
)lua";

// Both hashes as of one moment. KEYS: grants, allows.
constexpr std::string_view kReadOverrides = R"lua(
return {redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2])}
)lua";

}  // namespace shelter::proxy::cases::lua
