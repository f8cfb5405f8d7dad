#pragma once
// The runtime state every query reads: configuration, list snapshot and what is derived from
// them. It is immutable once published; a reload builds a new one and swaps it in. Workers read
// it without locks through a RuntimeView (the pattern of dnsdist's GlobalStateHolder).

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "policy/category.h"
#include "policy/decide.h"
#include "proxy/config/config.h"
#include "proxy/dns/cache.h"
#include "proxy/lists/list_loader.h"
#include "proxy/metrics/metrics.h"
#include "proxy/profiles/directory.h"
#include "proxy/profiles/profile_book.h"

namespace shelter::proxy::server {

struct Runtime {
  std::shared_ptr<const config::Config> config;
  std::shared_ptr<const lists::LoadedLists> lists;
  /// The upstreams in force: config's, or those of resolv.conf.
  std::vector<net::Endpoint> upstreams;
  /// Profiles by name, the default profile and the never-blocked services.
  std::shared_ptr<const profiles::ProfileBook> profiles;
  /// Who a query is from and their household's state.
  std::shared_ptr<const profiles::Directory> subscribers;
  /// Profile category ids -> this snapshot's category bits.
  policy::CategoryBits category_bits;
  /// Some EDNS claim is trusted from somewhere: the options are worth reading.
  bool reads_client_options = false;
  /// Per (list, category) pair, at list * categories + category: its block counter's slot
  /// (metrics::BlockSlots). Pairs a list cannot make share the overflow slot.
  std::vector<std::uint16_t> source_slot;
  /// Per policy::Reason: the slot of blocks that no list made (parental-controls and "paused",
  /// "schedule", "profile-deny", "bypass").
  std::array<std::uint16_t, policy::kReasonCount> reason_slot{};
  /// Categories of the snapshot (the stride of source_slot and block_reason).
  std::size_t categories = 0;
  /// Per (list, category) pair, at list * categories + category: the EDE EXTRA-TEXT.
  std::vector<std::string> block_reason;
  /// The same as structured DNS errors (I-JSON), for clients that ask for them; "" when no
  /// contact is configured.
  std::vector<std::string> block_reason_json;
  /// Per policy::Reason of blocks that no list made ("paused", ...): the EXTRA-TEXT, and the
  /// same as a structured error.
  std::array<std::string, policy::kReasonCount> reason_text{};
  std::array<std::string, policy::kReasonCount> reason_json{};
  std::vector<std::array<std::uint8_t, 4>> block_page_v4;
  std::vector<std::array<std::uint8_t, 16>> block_page_v6;
  /// Where names with URL-level entries only are sent (the filtering proxy); empty: no proxy.
  std::vector<std::array<std::uint8_t, 4>> proxy_v4;
  std::vector<std::array<std::uint8_t, 16>> proxy_v6;
  /// proxy.cover-names: always steered (null when there are none).
  std::shared_ptr<const policy::NameSet> cover_names;
  /// The query log as it runs (docs/query-log.md): read at start and kept across reloads (a
  /// change takes effect after a restart), so the pages say what the running log keeps.
  config::QueryLogConfig query_log{};
  /// What answers to appeals and access requests put in force (never null once published).
  std::shared_ptr<const policy::Overrides> overrides = std::make_shared<const policy::Overrides>();

  /// Where the household lives ("today" ends at its midnight): its time zone, else
  /// subscribers.time-zone, else UTC. Never null.
  std::shared_ptr<const policy::TimeZone> zone_of(std::string_view household) const {
    const profiles::Found found = subscribers->find(household);
    if (found.household != nullptr && found.household->zone) return found.household->zone;
    if (profiles->default_zone()) return profiles->default_zone();
    static const auto kUtc = std::make_shared<const policy::TimeZone>(policy::TimeZone::utc());
    return kUtc;
  }

  const std::string& reason_for(std::uint32_t list, std::uint32_t category) const {
    return block_reason[list * categories + category];
  }
  const std::string& json_reason_for(std::uint32_t list, std::uint32_t category) const {
    return block_reason_json[list * categories + category];
  }
  /// The block counter slot of a block decision (the one add per blocked query).
  std::size_t block_slot(const policy::Decision& decision) const {
    return decision.reason == policy::Reason::list
               ? source_slot[decision.rule.list_index * categories + decision.rule.category]
               : reason_slot[static_cast<std::size_t>(decision.reason)];
  }
  policy::Environment environment() const {
    return {
        .lists = *lists->snapshot,
        .category_bits = category_bits,
        .capabilities = {.proxy = !proxy_v4.empty() || !proxy_v6.empty()},
        .never_blocked = &profiles->never_blocked(),
        .operator_allow = overrides->operator_allow.empty() ? nullptr : &overrides->operator_allow,
        .cover_names = cover_names.get()};
  }
};

/// The response cache's limits as the configuration sets them.
dns::CacheLimits cache_limits(const config::CacheConfig& cache);

/// Builds the derived parts of a Runtime from config, lists and upstreams. `running_query_log`:
/// the query log's settings as it runs (null: config's).
std::shared_ptr<const Runtime> make_runtime(
    std::shared_ptr<const config::Config> config, std::shared_ptr<const lists::LoadedLists> lists,
    std::vector<net::Endpoint> upstreams, profiles::Subscribers subscribers,
    metrics::BlockSlots& slots, const config::QueryLogConfig* running_query_log = nullptr);

/// Owner of the current Runtime. publish() is rare (start, reload); current() is for readers
/// that are not on the hot path. Thread-safe.
class RuntimeHolder {
 public:
  /// Publishes `runtime` with the overrides in force (a reload keeps them).
  void publish(std::shared_ptr<const Runtime> runtime) {
    std::lock_guard lock(mutex_);
    if (runtime && overrides_ && runtime->overrides != overrides_) {
      auto copy = std::make_shared<Runtime>(*runtime);
      copy->overrides = overrides_;
      runtime = std::move(copy);
    }
    current_ = std::move(runtime);
    generation_.fetch_add(1, std::memory_order_release);
  }
  /// New overrides (an appeal overturned, a request answered, here or on another node): the
  /// current runtime is published again with them. Rare (people's decisions), so a copy of the
  /// runtime's small parts is fine; the lists and profiles are shared.
  void publish_overrides(std::shared_ptr<const policy::Overrides> overrides) {
    std::lock_guard lock(mutex_);
    overrides_ = std::move(overrides);
    if (!current_) return;
    auto copy = std::make_shared<Runtime>(*current_);
    copy->overrides = overrides_;
    current_ = std::move(copy);
    generation_.fetch_add(1, std::memory_order_release);
  }
  std::shared_ptr<const Runtime> current() const {
    std::lock_guard lock(mutex_);
    return current_;
  }
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Runtime> current_;
  std::shared_ptr<const policy::Overrides> overrides_;
  std::atomic<std::uint64_t> generation_{0};
};

/// A worker thread's cached reference to the current Runtime: one atomic load per query, and a
/// locked copy only when a reload has published a new generation.
class RuntimeView {
 public:
  explicit RuntimeView(const RuntimeHolder& holder) : holder_(holder) { refresh(); }
  const std::shared_ptr<const Runtime>& get() {
    if (holder_.generation() != generation_) refresh();
    return runtime_;
  }

 private:
  void refresh() {
    generation_ = holder_.generation();
    runtime_ = holder_.current();
  }
  const RuntimeHolder& holder_;
  std::uint64_t generation_ = 0;
  std::shared_ptr<const Runtime> runtime_;
};

}  // namespace shelter::proxy::server
