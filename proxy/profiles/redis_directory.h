#pragma once
// The subscriber directory of a fleet: bindings and household documents in Redis
// (docs/redis-schema.md), shared by every node. Each node keeps every binding in memory and a
// cache of compiled households, bounded by memory
// and evicted with CLOCK (household_cache.h); Pub/Sub messages on the changes channel drop what
// changed, so a portal edit is in force on every node within a second.
//
// Threads: identify() and find() are called by every worker, lock-shared. fetch() runs on a
// worker's executor with that worker's own Redis connection. start() runs the control side
// (the subscription and the binding reads) on the control thread's executor.

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "proxy/profiles/directory.h"
#include "proxy/profiles/household_cache.h"

namespace shelter::proxy::redis {
class Client;
class Subscriber;
struct Settings;
}  // namespace shelter::proxy::redis

namespace shelter::proxy::profiles {

/// Counters of the Redis store; atomics, read by /metrics.
struct RedisStoreCounters {
  std::atomic<std::uint64_t> fetched{0};          ///< households read on a cache miss
  std::atomic<std::uint64_t> fetch_failed{0};     ///< reads that failed (down, timeout)
  std::atomic<std::uint64_t> bad_documents{0};    ///< documents that did not parse or compile
  std::atomic<std::uint64_t> invalidations{0};    ///< change messages applied
  std::atomic<std::uint64_t> binding_reloads{0};  ///< full binding reads (start, reconnects)
  std::atomic<std::uint64_t> bindings{0};         ///< bindings held now
  std::atomic<std::uint64_t> households{0};       ///< households cached now
  std::atomic<std::uint64_t> cache_bytes{0};      ///< their estimated bytes now
  std::atomic<std::uint64_t> evictions{0};        ///< households evicted to stay in bounds
};

class RedisDirectory final : public Directory {
 public:
  RedisDirectory(const config::RedisConfig& config, std::shared_ptr<const ProfileBook> book);
  ~RedisDirectory() override;

  policy::Identity identify(const policy::ClientFacts& facts,
                            const policy::TrustRules& trust) const override;
  Found find(std::string_view household) const override;

  /// Reads the household's document with `client` (a worker's connection) and caches it.
  /// Never throws; a failure is counted and leaves the cache as it was.
  boost::asio::awaitable<void> fetch(redis::Client& client, std::string household) const override;

  /// Starts the subscription and the binding reads on `control` (the control thread).
  void start(boost::asio::any_io_executor control);
  void stop();
  /// A reload's new profiles: every cached household is compiled again on its next use.
  void set_book(std::shared_ptr<const ProfileBook> book);

  const RedisStoreCounters& counters() const { return counters_; }
  /// The changes channel is live. On the control thread only.
  bool subscribed() const;
  /// The household store's change counter this node has applied (`version <n>` messages).
  std::uint64_t applied_version() const { return applied_version_.load(); }
  const config::RedisConfig& config() const { return config_; }

 private:
  struct Control;

  void forget_all() const;
  void forget(std::string_view household) const;
  void count_cache() const;  // under cache_mutex_
  void cache(const std::string& household, std::shared_ptr<const Household> state,
             std::uint64_t epoch) const;
  void handle_message(std::string_view message);
  boost::asio::awaitable<void> reload_bindings();
  boost::asio::awaitable<bool> schema_understood();
  boost::asio::awaitable<void> reload_binding(std::string field);
  std::shared_ptr<const Household> compile(const std::string& household,
                                           std::string_view document) const;
  boost::asio::awaitable<void> report_applied();
  boost::asio::awaitable<void> heartbeat();

  config::RedisConfig config_;
  std::string schema_key_;     // "<prefix>:schema"
  std::string household_key_;  // "<prefix>:v1:household:"
  std::string bindings_key_;   // "<prefix>:v1:bindings"
  std::string channel_;        // "<prefix>:v1:changes"
  std::string nodes_key_;      // "<prefix>:v1:nodes": node -> "<applied version> <unix ms>"
  std::string version_key_;    // "<prefix>:v1:version"
  std::string node_;           // this node: "<host name>/<pid>"
  std::atomic<std::uint64_t> applied_version_{0};
  std::atomic<bool> stopped_{false};

  mutable std::shared_mutex bindings_mutex_;
  policy::SubscriberBindings bindings_;

  mutable std::shared_mutex cache_mutex_;
  // Null state: the store has no document for the household (the default profile applies).
  // find() takes the lock shared (a hit only sets the entry's referenced bit); changes unique.
  mutable HouseholdCache cache_;
  // Raised by every invalidation; a fetch that began before one does not cache its result.
  mutable std::atomic<std::uint64_t> epoch_{0};
  std::shared_ptr<const ProfileBook> book_;  // under cache_mutex_

  mutable RedisStoreCounters counters_;
  boost::asio::any_io_executor executor_;  // the control thread's
  std::unique_ptr<Control> control_;
};

}  // namespace shelter::proxy::profiles
