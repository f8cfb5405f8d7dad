#include "proxy/profiles/activity_stores.h"

#include <charconv>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "proxy/fs/atomic_file.h"
#include "proxy/log.h"
#include "proxy/redis/client.h"

namespace shelter::proxy::profiles {
namespace {

constexpr std::string_view kFileName = "household-activity.json";
// Redis keeps a week's counters five weeks, a household's devices 30 days after the last
// sighting (each entry's own age is checked when read).
constexpr std::int64_t kWeekKeySeconds = kWeeksKept * 7 * 86400;
constexpr std::size_t kKeysPerScript = 256;  // a flush of many households: several scripts

// KEYS: the week counter hashes (ARGV[1] of them), then the households' device hashes.
// ARGV: count of counter keys, their TTL, the device hashes' TTL, the most devices a
// household keeps; then per counter key: n, then n (category, count) pairs; then per device
// key: n, then n (mac, first, last) triples. A device's value is "<first> <last>", with
// " dismissed" once a parent bound or dismissed it; the first sighting and the flag are kept.
constexpr std::string_view kAddScript = R"lua(
local nb, block_ttl, dev_ttl, max_dev = tonumber(ARGV[1]), ARGV[2], ARGV[3], tonumber(ARGV[4])
local i = 5
for k = 1, nb do
  local n = tonumber(ARGV[i]); i = i + 1
  for j = 1, n do
    redis.call('HINCRBY', KEYS[k], ARGV[i], ARGV[i + 1]); i = i + 2
  end
  redis.call('EXPIRE', KEYS[k], block_ttl)
end
for k = nb + 1, #KEYS do
  local n = tonumber(ARGV[i]); i = i + 1
  for j = 1, n do
    local mac, first, last = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]); i = i + 3
    local old = redis.call('HGET', KEYS[k], mac)
    local flag = ''
    if old then
      local f, l, d = string.match(old, '^(%d+) (%d+)(.*)$')
      if f then
        first = math.min(first, tonumber(f)); last = math.max(last, tonumber(l)); flag = d
      end
    elseif redis.call('HLEN', KEYS[k]) >= max_dev then
      local all = redis.call('HGETALL', KEYS[k])
      local oldest, at = nil, nil
      for x = 1, #all, 2 do
        local l = tonumber(string.match(all[x + 1], '^%d+ (%d+)') or '0')
        if not at or l < at then oldest, at = all[x], l end
      end
      if oldest then redis.call('HDEL', KEYS[k], oldest) end
    end
    redis.call('HSET', KEYS[k], mac, string.format('%d %d', first, last) .. flag)
  end
  redis.call('EXPIRE', KEYS[k], dev_ttl)
end
return 'OK'
)lua";

// KEYS: the household's device hash. ARGV: mac, now, TTL. Marks the device dismissed (adding
// it when it is not there), so that its next query does not list it again.
constexpr std::string_view kSettleScript = R"lua(
local old = redis.call('HGET', KEYS[1], ARGV[1])
local value = ARGV[2] .. ' ' .. ARGV[2] .. ' dismissed'
if old then
  local f, l = string.match(old, '^(%d+) (%d+)')
  if f then value = f .. ' ' .. l .. ' dismissed' end
end
redis.call('HSET', KEYS[1], ARGV[1], value)
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 'OK'
)lua";

redis::Reply checked(redis::Result result) {
  if (!result.ok()) {
    const redis::Error& e = result.error();
    throw std::runtime_error("redis: " + std::string(redis::to_string(e.kind)) +
                             (e.text.empty() ? "" : ": " + e.text));
  }
  if (result.reply().is_error()) throw std::runtime_error("redis: " + result.reply().text);
  return std::move(result.reply());
}

std::map<std::string, std::uint64_t> counts_of(const redis::Reply& reply) {
  std::map<std::string, std::uint64_t> out;
  for (std::size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
    const std::string& text = reply.elements[i + 1].text;
    std::uint64_t n = 0;
    std::from_chars(text.data(), text.data() + text.size(), n);
    out[reply.elements[i].text] = n;
  }
  return out;
}

std::optional<DeviceSighting> sighting_of(const std::string& household, const std::string& mac,
                                          const std::string& value) {
  DeviceSighting d{.household = household, .mac = mac};
  const char* end = value.data() + value.size();
  auto [p, ec] = std::from_chars(value.data(), end, d.first);
  if (ec != std::errc() || p == end || *p != ' ') return std::nullopt;
  auto [q, ec2] = std::from_chars(p + 1, end, d.last);
  if (ec2 != std::errc()) return std::nullopt;
  d.dismissed = std::string_view(q, end).find("dismissed") != std::string_view::npos;
  return d;
}

// The EVALs of kAddScript for a batch, at most kKeysPerScript keys each. Plain code: GCC 12
// rejects braced lists of strings inside coroutines.
std::vector<std::vector<std::string>> add_commands(const ActivityBatch& batch, std::int64_t now,
                                                   const std::string& blocks_key,
                                                   const std::string& devices_key) {
  const std::string week = iso_week(now);
  std::map<std::string, std::vector<const BlockCount*>> by_key;
  for (const BlockCount& b : batch.blocks)
    by_key[blocks_key + b.household + ":" + week].push_back(&b);
  std::map<std::string, std::vector<const DeviceSighting*>> by_household;
  for (const DeviceSighting& d : batch.devices)
    by_household[devices_key + d.household].push_back(&d);

  std::vector<std::vector<std::string>> out;
  auto block_it = by_key.begin();
  auto device_it = by_household.begin();
  while (block_it != by_key.end() || device_it != by_household.end()) {
    std::vector<std::string> keys, args;
    std::size_t blocks = 0;
    for (; block_it != by_key.end() && keys.size() < kKeysPerScript; ++block_it, ++blocks) {
      keys.push_back(block_it->first);
      args.push_back(std::to_string(block_it->second.size()));
      for (const BlockCount* b : block_it->second) {
        args.push_back(b->category);
        args.push_back(std::to_string(b->count));
      }
    }
    for (; device_it != by_household.end() && keys.size() < kKeysPerScript; ++device_it) {
      keys.push_back(device_it->first);
      args.push_back(std::to_string(device_it->second.size()));
      for (const DeviceSighting* d : device_it->second) {
        args.push_back(d->mac);
        args.push_back(std::to_string(d->first));
        args.push_back(std::to_string(d->last));
      }
    }
    std::vector<std::string> command = {"EVAL", std::string(kAddScript),
                                        std::to_string(keys.size())};
    command.insert(command.end(), keys.begin(), keys.end());
    command.push_back(std::to_string(blocks));
    command.push_back(std::to_string(kWeekKeySeconds));
    command.push_back(std::to_string(kDeviceKeptSeconds));
    command.push_back(std::to_string(kMaxNewDevices));
    command.insert(command.end(), args.begin(), args.end());
    out.push_back(std::move(command));
  }
  return out;
}

std::vector<std::string> settle_command(const std::string& key, const std::string& mac,
                                        std::int64_t now) {
  return {"EVAL",
          std::string(kSettleScript),
          "1",
          key,
          mac,
          std::to_string(now),
          std::to_string(kDeviceKeptSeconds)};
}

}  // namespace

// ---- embedded

EmbeddedActivityStore::EmbeddedActivityStore(const std::string& directory, std::string& warning) {
  warning.clear();
  if (directory.empty()) {
    warning = "no state directory: household activity is kept in memory only";
    return;
  }
  path_ = (std::filesystem::path(directory) / kFileName).string();
  std::ifstream in(path_, std::ios::binary);
  if (!in) return;  // none yet
  std::stringstream text;
  text << in.rdbuf();
  if (book_.from_json(text.str())) return;
  const std::string aside = path_ + ".unreadable-" + std::to_string(std::time(nullptr));
  std::error_code ec;
  std::filesystem::rename(path_, aside, ec);
  warning = path_ + " does not read: moved aside to " + aside + ", counting starts again";
}

void EmbeddedActivityStore::save() {
  if (path_.empty()) return;
  const std::string text = book_.to_json();
  const std::string error = fs::write_file_atomically(path_, text, 0600);
  if (!error.empty()) throw std::runtime_error(path_ + ": " + error);
}

boost::asio::awaitable<void> EmbeddedActivityStore::add(ActivityBatch batch, std::int64_t now) {
  book_.add(batch, now);
  save();
  co_return;
}

boost::asio::awaitable<ActivityView> EmbeddedActivityStore::read(std::string household,
                                                                 std::int64_t now) {
  co_return book_.view(household, now);
}

boost::asio::awaitable<void> EmbeddedActivityStore::settle(std::string household, std::string mac,
                                                           std::int64_t now) {
  book_.settle(household, mac, now);
  save();
  co_return;
}

// ---- Redis

RedisActivityStore::RedisActivityStore(std::shared_ptr<redis::Client> client,
                                       const std::string& key_prefix)
    : client_(std::move(client)),
      blocks_key_(key_prefix + ":v1:hblocks:"),
      devices_key_(key_prefix + ":v1:newdev:") {}

boost::asio::awaitable<void> RedisActivityStore::add(ActivityBatch batch, std::int64_t now) {
  std::vector<std::vector<std::string>> commands =
      add_commands(batch, now, blocks_key_, devices_key_);
  for (std::vector<std::string>& command : commands)
    checked(co_await client_->command(std::move(command)));
}

boost::asio::awaitable<ActivityView> RedisActivityStore::read(std::string household,
                                                              std::int64_t now) {
  ActivityView view;
  const std::string this_week = blocks_key_ + household + ":" + iso_week(now);
  const std::string last_week = blocks_key_ + household + ":" + iso_week(now - 7 * 86400);
  const std::string devices = devices_key_ + household;
  view.this_week = counts_of(checked(co_await client_->command("HGETALL", this_week)));
  view.last_week = counts_of(checked(co_await client_->command("HGETALL", last_week)));
  const redis::Reply all = checked(co_await client_->command("HGETALL", devices));
  for (std::size_t i = 0; i + 1 < all.elements.size(); i += 2) {
    std::optional<DeviceSighting> d =
        sighting_of(household, all.elements[i].text, all.elements[i + 1].text);
    if (d && !d->dismissed && d->last >= now - kDeviceKeptSeconds)
      view.new_devices.push_back(std::move(*d));
  }
  order_new_devices(view.new_devices);
  co_return view;
}

boost::asio::awaitable<void> RedisActivityStore::settle(std::string household, std::string mac,
                                                        std::int64_t now) {
  std::vector<std::string> command = settle_command(devices_key_ + household, mac, now);
  checked(co_await client_->command(std::move(command)));
}

}  // namespace shelter::proxy::profiles
