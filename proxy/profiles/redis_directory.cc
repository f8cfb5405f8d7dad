#include "proxy/profiles/redis_directory.h"

#include <unistd.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <chrono>

#include "proxy/config/subscribers.h"
#include "proxy/log.h"
#include "proxy/node_name.h"
#include "proxy/redis/client.h"
#include "proxy/redis/settings_from_config.h"
#include "proxy/redis/subscriber.h"

namespace shelter::proxy::profiles {
namespace {

namespace asio = boost::asio;

// "household/device" or "household".
policy::Subscriber subscriber_of(std::string_view value) {
  std::size_t slash = value.find('/');
  if (slash == std::string_view::npos) return {std::string(value), {}};
  return {std::string(value.substr(0, slash)), std::string(value.substr(slash + 1))};
}

// Applies one field of the bindings hash ("addr:<prefix>", "mac:<mac>", "cpe:<id>") to
// `table`; false when the field is not understood.
bool apply_binding(policy::SubscriberBindings& table, std::string_view field,
                   std::string_view value, bool present) {
  std::size_t colon = field.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view kind = field.substr(0, colon);
  std::string_view key = field.substr(colon + 1);
  if (kind == "addr") {
    auto prefix = policy::Cidr::parse(key);
    if (!prefix) return false;
    present ? table.bind_prefix(*prefix, subscriber_of(value)) : table.unbind_prefix(*prefix);
  } else if (kind == "mac") {
    auto mac = policy::parse_mac(key);
    if (!mac) return false;
    present ? table.bind_mac(*mac, subscriber_of(value)) : table.unbind_mac(*mac);
  } else if (kind == "cpe" && !key.empty()) {
    present ? table.bind_cpe_id(std::string(key), subscriber_of(value))
            : table.unbind_cpe_id(std::string(key));
  } else {
    return false;
  }
  return true;
}

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void warn_bad_binding(std::string_view field) {
  log_warn("redis: binding field '" + std::string(field).substr(0, 80) +
           "' is not understood; ignored");
}

}  // namespace

// The control side: one command connection for binding reads, one subscription.
struct RedisDirectory::Control {
  explicit Control(asio::any_io_executor executor) : heartbeat(std::move(executor)) {}
  std::unique_ptr<redis::Client> client;
  std::unique_ptr<redis::Subscriber> subscriber;
  asio::steady_timer heartbeat;  // report_applied every 15 s
};

RedisDirectory::RedisDirectory(const config::RedisConfig& config,
                               std::shared_ptr<const ProfileBook> book)
    : config_(config),
      schema_key_(config.key_prefix + ":schema"),
      household_key_(config.key_prefix + ":v1:household:"),
      bindings_key_(config.key_prefix + ":v1:bindings"),
      channel_(config.key_prefix + ":v1:changes"),
      nodes_key_(config.key_prefix + ":v1:nodes"),
      version_key_(config.key_prefix + ":v1:version"),
      node_(node_name()),
      cache_(HouseholdCache::Limits{.max_bytes = config.cache_memory_mb << 20,
                                    .max_entries = config.cache_households}),
      book_(std::move(book)) {}

RedisDirectory::~RedisDirectory() {
  stop();
}

policy::Identity RedisDirectory::identify(const policy::ClientFacts& facts,
                                          const policy::TrustRules& trust) const {
  std::shared_lock lock(bindings_mutex_);
  return policy::identify(facts, bindings_, trust);
}

Found RedisDirectory::find(std::string_view household) const {
  std::shared_lock lock(cache_mutex_);
  const std::shared_ptr<const Household>* state = cache_.find(household);
  if (state == nullptr) return {Found::Status::pending, nullptr, nullptr};
  if (!*state) return {Found::Status::absent, nullptr, nullptr};
  return {Found::Status::hit, state->get(), *state};
}

std::shared_ptr<const Household> RedisDirectory::compile(const std::string& household,
                                                         std::string_view document) const {
  config::HouseholdsResult parsed = config::parse_household_document(document, household);
  std::vector<std::string> errors = std::move(parsed.errors);
  std::shared_ptr<const Household> state;
  if (errors.empty()) {
    std::shared_ptr<const ProfileBook> book;
    {
      std::shared_lock lock(cache_mutex_);
      book = book_;
    }
    state = compile_household(parsed.households.front(), std::move(book), errors);
  }
  if (!errors.empty()) {
    // The household's settings are broken, not its browsing: say which and why, once per read.
    counters_.bad_documents.fetch_add(1, std::memory_order_relaxed);
    log_warn("redis: household '" + household +
             "' is unusable, the default profile applies: " + errors.front());
  }
  return state;
}

void RedisDirectory::cache(const std::string& household, std::shared_ptr<const Household> state,
                           std::uint64_t epoch) const {
  std::unique_lock lock(cache_mutex_);
  if (epoch_.load() != epoch) return;  // something changed while it was read: read it again
  // Past a limit the hand evicts households not asked for lately; they are read again when
  // next asked for.
  cache_.insert(household, std::move(state));
  count_cache();
}

void RedisDirectory::count_cache() const {
  counters_.households.store(cache_.size(), std::memory_order_relaxed);
  counters_.cache_bytes.store(cache_.bytes(), std::memory_order_relaxed);
  counters_.evictions.store(cache_.evictions(), std::memory_order_relaxed);
}

asio::awaitable<void> RedisDirectory::fetch(redis::Client& client, std::string household) const {
  const std::uint64_t epoch = epoch_.load();
  redis::Result result = co_await client.command("GET", household_key_ + household);
  if (!result.ok() || result.reply().is_error()) {
    counters_.fetch_failed.fetch_add(1, std::memory_order_relaxed);
    co_return;
  }
  counters_.fetched.fetch_add(1, std::memory_order_relaxed);
  const redis::Reply& reply = result.reply();
  std::shared_ptr<const Household> state;
  if (reply.type == redis::ReplyType::string) state = compile(household, reply.text);
  cache(household, std::move(state), epoch);
}

void RedisDirectory::forget_all() const {
  std::unique_lock lock(cache_mutex_);
  epoch_.fetch_add(1);
  cache_.clear();
  count_cache();
}

void RedisDirectory::forget(std::string_view household) const {
  std::unique_lock lock(cache_mutex_);
  epoch_.fetch_add(1);
  cache_.erase(household);
  count_cache();
}

void RedisDirectory::set_book(std::shared_ptr<const ProfileBook> book) {
  {
    std::unique_lock lock(cache_mutex_);
    book_ = std::move(book);
  }
  forget_all();
}

// Every binding, read afresh into a new table that replaces the old one whole: bindings
// removed while this node was away must go too.
// The data's schema version (docs/redis-schema.md): missing or "1" is what this node reads.
// Another version is refused whole, so that no household is misread: every binding is
// dropped and every client gets the default profile until node and data agree.
asio::awaitable<bool> RedisDirectory::schema_understood() {
  redis::Result r = co_await control_->client->command("GET", schema_key_);
  if (!r.ok() || r.reply().type != redis::ReplyType::string || r.reply().text == "1") {
    co_return true;
  }
  log_error("redis: the data is schema version '" + r.reply().text.substr(0, 16) +
            "' and this shelterd reads version 1: every client gets the default profile");
  {
    std::unique_lock lock(bindings_mutex_);
    bindings_ = policy::SubscriberBindings{};
  }
  forget_all();
  counters_.bindings.store(0, std::memory_order_relaxed);
  co_return false;
}

asio::awaitable<void> RedisDirectory::reload_bindings() {
  if (!co_await schema_understood()) co_return;
  redis::Client& client = *control_->client;
  policy::SubscriberBindings fresh;
  std::string cursor = "0";
  std::uint64_t count = 0;
  do {
    redis::Result r = co_await client.command("HSCAN", bindings_key_, cursor, "COUNT", "1000");
    if (!r.ok() || r.reply().elements.size() != 2) {
      // Keep what we had; the next (re)connection reads them again.
      log_warn("redis: could not read the bindings; keeping the ones in memory");
      co_return;
    }
    cursor = r.reply().elements[0].text;
    const auto& pairs = r.reply().elements[1].elements;
    for (std::size_t i = 0; i + 1 < pairs.size(); i += 2) {
      if (apply_binding(fresh, pairs[i].text, pairs[i + 1].text, true)) {
        ++count;
      } else {
        warn_bad_binding(pairs[i].text);
      }
    }
  } while (cursor != "0");
  {
    std::unique_lock lock(bindings_mutex_);
    std::swap(fresh, bindings_);
  }
  counters_.bindings.store(count, std::memory_order_relaxed);
  counters_.binding_reloads.fetch_add(1, std::memory_order_relaxed);
  log_info("redis: " + std::to_string(count) + " bindings read");
  // Everything was read again: this node is as new as the store's counter (at least).
  redis::Result version = co_await control_->client->command("GET", version_key_);
  if (version.ok() && version.reply().type == redis::ReplyType::string) {
    std::uint64_t v = 0;
    const std::string& text = version.reply().text;
    std::from_chars(text.data(), text.data() + text.size(), v);
    std::uint64_t seen = applied_version_.load();
    while (v > seen && !applied_version_.compare_exchange_weak(seen, v)) {
    }
  }
  co_await report_applied();
}

// Tells the other nodes (and the portal, which waits for every node) which change counter this
// node has applied. The PING first: its reply comes after those of the binding reads asked for
// before it, so they are in force by then.
asio::awaitable<void> RedisDirectory::report_applied() {
  redis::Result barrier = co_await control_->client->command("PING");
  if (!barrier.ok()) co_return;
  const std::string value =
      std::to_string(applied_version_.load()) + " " + std::to_string(unix_ms());
  co_await control_->client->command("HSET", nodes_key_, node_, value);
}

// Every 15 s: a node that stops reporting (gone, cut off) is not waited for after 45 s.
asio::awaitable<void> RedisDirectory::heartbeat() {
  for (;;) {
    control_->heartbeat.expires_after(std::chrono::seconds(15));
    auto [ec] = co_await control_->heartbeat.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec || stopped_.load()) co_return;
    if (control_->client->connected()) co_await report_applied();
  }
}

asio::awaitable<void> RedisDirectory::reload_binding(std::string field) {
  redis::Result r = co_await control_->client->command("HGET", bindings_key_, field);
  if (!r.ok() || r.reply().is_error()) {
    // Missing one change would leave a stale binding: read them all on the next connection.
    log_warn("redis: could not read binding '" + field + "'; reading all of them again");
    co_await reload_bindings();
    co_return;
  }
  bool present = r.reply().type == redis::ReplyType::string;
  std::unique_lock lock(bindings_mutex_);
  if (!apply_binding(bindings_, field, r.reply().text, present)) warn_bad_binding(field);
}

void RedisDirectory::handle_message(std::string_view message) {
  // Grants and operator allows: the case store reads them (cases/), households are unchanged.
  if (message == "overrides") return;
  if (message.starts_with("version ")) {
    // Sent after every household edit's other messages: they are applied (or, for bindings,
    // asked for), so this node is as new as that version.
    std::uint64_t v = 0;
    const std::string_view text = message.substr(8);
    if (std::from_chars(text.data(), text.data() + text.size(), v).ec == std::errc()) {
      std::uint64_t seen = applied_version_.load();
      while (v > seen && !applied_version_.compare_exchange_weak(seen, v)) {
      }
      asio::co_spawn(executor_, report_applied(), asio::detached);
    }
    return;
  }
  counters_.invalidations.fetch_add(1, std::memory_order_relaxed);
  if (message.starts_with("household ")) {
    forget(message.substr(10));
  } else if (message.starts_with("binding ")) {
    asio::co_spawn(executor_, reload_binding(std::string(message.substr(8))), asio::detached);
  } else {
    forget_all();
    asio::co_spawn(executor_, reload_bindings(), asio::detached);
  }
}

void RedisDirectory::start(asio::any_io_executor control) {
  executor_ = control;
  control_ = std::make_unique<Control>(control);
  redis::Settings settings = redis::settings_from(config_);
  control_->client = std::make_unique<redis::Client>(control, settings);
  control_->subscriber = std::make_unique<redis::Subscriber>(
      control, settings, std::vector<std::string>{channel_},
      [this](std::string_view, std::string_view message) { handle_message(message); },
      "redis changes");
  // After every (re)subscription: messages sent meanwhile are lost, so forget every household
  // and read every binding again. Bindings need the command connection, which may come up
  // after the subscription; it reads them on its own (re)connection too.
  control_->subscriber->on_subscribed([this] {
    forget_all();
    if (control_->client->connected()) asio::co_spawn(executor_, reload_bindings(), asio::detached);
  });
  control_->client->on_connected(
      [this] { asio::co_spawn(executor_, reload_bindings(), asio::detached); });
  control_->client->start();
  control_->subscriber->start();
  asio::co_spawn(executor_, heartbeat(), asio::detached);
}

bool RedisDirectory::subscribed() const {
  return control_ && control_->subscriber->subscribed();
}

void RedisDirectory::stop() {
  stopped_.store(true);
  if (!control_) return;
  control_->heartbeat.cancel();
  control_->subscriber->stop();
  control_->client->stop();
}

}  // namespace shelter::proxy::profiles
