#include "proxy/profiles/redis_household_store.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <chrono>
#include <set>

#include "proxy/config/subscribers.h"
#include "proxy/profiles/household_bindings.h"
#include "proxy/profiles/household_json.h"
#include "proxy/redis/client.h"

namespace shelter::proxy::profiles {
namespace {

constexpr int kAttempts = 5;  // compare-and-set rounds before the edit gives up

// KEYS: document, bindings hash, index, version. ARGV: id, channel, the document as read ("" =
// none), the new document ("" = delete), the number of old fields, the old fields, then the new
// fields and their values in pairs.
// Answers {"ok", version}, {"conflict"} (the document changed since it was read) or {"taken",
// field, owner} (a new binding is another household's).
constexpr std::string_view kEditScript = R"lua(
local id, channel, before, after = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if (redis.call('GET', KEYS[1]) or '') ~= before then return {'conflict'} end
local old_count = tonumber(ARGV[5])
local old, new = {}, {}
for i = 6, 5 + old_count do old[ARGV[i]] = true end
for i = 6 + old_count, #ARGV, 2 do
  local field, value = ARGV[i], ARGV[i + 1]
  local owner = redis.call('HGET', KEYS[2], field)
  if owner and string.match(owner, '^[^/]*') ~= id then return {'taken', field, owner} end
  new[field] = value
end
local changed = {}
for field in pairs(old) do
  if not new[field] then
    redis.call('HDEL', KEYS[2], field)
    changed[#changed + 1] = field
  end
end
for field, value in pairs(new) do
  if redis.call('HGET', KEYS[2], field) ~= value then
    redis.call('HSET', KEYS[2], field, value)
    changed[#changed + 1] = field
  end
end
if after == '' then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[3], id)
else
  redis.call('SET', KEYS[1], after)
  redis.call('ZADD', KEYS[3], 0, id)
end
local version = redis.call('INCR', KEYS[4])
redis.call('PUBLISH', channel, 'household ' .. id)
for _, field in ipairs(changed) do redis.call('PUBLISH', channel, 'binding ' .. field) end
redis.call('PUBLISH', channel, 'version ' .. version)
return {'ok', tostring(version)}
)lua";

// The reply, or HouseholdStoreUnavailable saying why there is none.
redis::Reply checked(redis::Result result) {
  if (!result.ok()) {
    const redis::Error& e = result.error();
    throw HouseholdStoreUnavailable("redis: " + std::string(redis::to_string(e.kind)) +
                                    (e.text.empty() ? "" : ": " + e.text));
  }
  if (result.reply().is_error()) throw HouseholdStoreUnavailable("redis: " + result.reply().text);
  return std::move(result.reply());
}

config::HouseholdConfig read_document(const std::string& id, const std::string& text) {
  config::HouseholdsResult parsed = household_from_json(text, id);
  if (!parsed.errors.empty() || parsed.households.size() != 1) {
    std::string why = parsed.errors.empty() ? std::string("empty") : parsed.errors.front();
    throw HouseholdStoreUnavailable("the stored document of household '" + id +
                                    "' does not read (" + why + "): fix or replace it");
  }
  return std::move(parsed.households.front());
}

// The EVAL of kEditScript. A plain function: GCC 12 rejects braced lists of strings inside
// coroutines.
struct EditKeys {
  std::string document, bindings, index, version, channel;
};
std::vector<std::string> edit_command(const EditKeys& k, const std::string& id,
                                      const std::string& before, const std::string& after,
                                      const std::vector<BindingField>& old_fields,
                                      const std::vector<BindingField>& new_fields) {
  std::vector<std::string> out = {"EVAL",     std::string(kEditScript),
                                  "4",        k.document,
                                  k.bindings, k.index,
                                  k.version,  id,
                                  k.channel,  before,
                                  after,      std::to_string(old_fields.size())};
  for (const BindingField& b : old_fields)
    out.push_back(b.field);
  for (const BindingField& b : new_fields) {
    out.push_back(b.field);
    out.push_back(b.value);
  }
  return out;
}

}  // namespace

RedisHouseholdStore::RedisHouseholdStore(std::shared_ptr<redis::Client> client,
                                         const config::RedisConfig& config)
    : client_(std::move(client)),
      household_key_(config.key_prefix + ":v1:household:"),
      bindings_key_(config.key_prefix + ":v1:bindings"),
      index_key_(config.key_prefix + ":v1:households"),
      version_key_(config.key_prefix + ":v1:version"),
      nodes_key_(config.key_prefix + ":v1:nodes"),
      channel_(config.key_prefix + ":v1:changes") {}

boost::asio::awaitable<std::optional<std::string>> RedisHouseholdStore::document(
    const std::string& id) {
  const std::string key = household_key_ + id;
  redis::Reply reply = checked(co_await client_->command("GET", key));
  if (reply.type != redis::ReplyType::string) co_return std::nullopt;
  co_return std::move(reply.text);
}

boost::asio::awaitable<std::optional<config::HouseholdConfig>> RedisHouseholdStore::get(
    std::string id) {
  std::optional<std::string> text = co_await document(id);
  if (!text) co_return std::nullopt;
  co_return read_document(id, *text);
}

boost::asio::awaitable<HouseholdPage> RedisHouseholdStore::list(std::string after,
                                                                std::size_t limit) {
  limit = std::min(limit, kMaxPage);
  const std::string from = after.empty() ? std::string("-") : "(" + after;
  const std::string count = std::to_string(limit + 1);
  redis::Reply ids =
      checked(co_await client_->command("ZRANGEBYLEX", index_key_, from, "+", "LIMIT", "0", count));
  HouseholdPage page;
  if (ids.elements.empty()) co_return page;
  const bool more = ids.elements.size() > limit;
  if (more) ids.elements.resize(limit);
  std::vector<std::string> mget;
  mget.emplace_back("MGET");
  for (const redis::Reply& id : ids.elements)
    mget.push_back(household_key_ + id.text);
  redis::Reply documents = checked(co_await client_->command(std::move(mget)));
  for (std::size_t i = 0; i < ids.elements.size() && i < documents.elements.size(); ++i) {
    // Deleted between the two reads: not listed.
    if (documents.elements[i].type != redis::ReplyType::string) continue;
    page.households.push_back(read_document(ids.elements[i].text, documents.elements[i].text));
  }
  if (more) page.next_after = ids.elements.back().text;
  co_return page;
}

boost::asio::awaitable<EditOutcome> RedisHouseholdStore::edit(
    std::string id, HouseholdEdit edit, std::shared_ptr<const ProfileBook> book) {
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    std::optional<std::string> before = co_await document(id);
    std::optional<config::HouseholdConfig> current;
    if (before) current = read_document(id, *before);
    std::optional<config::HouseholdConfig> next = edit(current);
    EditOutcome outcome;
    if (!next && !current) co_return outcome;
    if (next) next->id = id;
    if (next && current && household_to_json(*next) == *before) {
      outcome.household = std::move(next);  // nothing to write, audit or publish
      co_return outcome;
    }
    std::string after;
    std::vector<BindingField> fields;
    if (next) {
      next->id = id;
      std::vector<std::string> errors = check_household(*next, book);
      if (!errors.empty()) throw HouseholdRejected(std::move(errors));
      after = household_to_json(*next);
      fields = binding_fields(*next);
    }
    const std::vector<BindingField> old_fields =
        current ? binding_fields(*current) : std::vector<BindingField>();
    const EditKeys keys{household_key_ + id, bindings_key_, index_key_, version_key_, channel_};
    redis::Reply reply = checked(co_await client_->command(
        edit_command(keys, id, before.value_or(""), after, old_fields, fields)));
    const std::string verdict = reply.elements.empty() ? std::string() : reply.elements[0].text;
    if (verdict == "conflict") continue;
    if (verdict == "taken" && reply.elements.size() == 3) {
      const std::string& field = reply.elements[1].text;
      throw BindingTaken(field.substr(field.find(':') + 1) + " is already bound to household '" +
                         household_of(reply.elements[2].text) + "'");
    }
    if (verdict != "ok" || reply.elements.size() != 2) {
      throw HouseholdStoreUnavailable("redis: the edit script answered unexpectedly");
    }
    outcome.household = std::move(next);
    outcome.changed = true;
    outcome.version = std::stoull(reply.elements[1].text);
    co_return outcome;
  }
  throw HouseholdStoreUnavailable("household '" + id +
                                  "' kept changing under this edit; try again");
}

boost::asio::awaitable<InForce> RedisHouseholdStore::wait_in_force(
    std::uint64_t version, std::chrono::milliseconds timeout) {
  constexpr std::int64_t kAliveMs = 45'000;  // three missed heartbeats: gone
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  InForce seen{.nodes = 0, .applied = 0};
  for (;;) {
    redis::Result result = co_await client_->command("HGETALL", nodes_key_);
    if (result.ok() && result.reply().type == redis::ReplyType::array) {
      const auto& e = result.reply().elements;
      const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
      seen = InForce{.nodes = 0, .applied = 0};
      for (std::size_t i = 0; i + 1 < e.size(); i += 2) {
        std::uint64_t applied = 0;
        std::int64_t at = 0;
        const std::string& value = e[i + 1].text;
        const std::size_t space = value.find(' ');
        if (space == std::string::npos) continue;
        std::from_chars(value.data(), value.data() + space, applied);
        std::from_chars(value.data() + space + 1, value.data() + value.size(), at);
        if (now - at > kAliveMs && applied < version) continue;  // gone
        ++seen.nodes;
        if (applied >= version) ++seen.applied;
      }
      if (seen.nodes > 0 && seen.everywhere()) co_return seen;
    }
    if (std::chrono::steady_clock::now() >= deadline) co_return seen;
    timer.expires_after(std::chrono::milliseconds(5));
    co_await timer.async_wait(boost::asio::use_awaitable);
  }
}

}  // namespace shelter::proxy::profiles
