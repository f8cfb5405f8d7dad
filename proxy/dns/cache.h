#pragma once
// The response cache: upstream answers kept for their TTL and served with TTLs counted down.
// ResponseCache is single-threaded; SharedResponseCache shards it for all worker threads.

#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "proxy/dns/message.h"

namespace shelter::proxy::dns {

struct CacheLimits {
  std::size_t max_entries = 100000;
  std::uint32_t min_ttl = 0;
  std::uint32_t max_ttl = 86400;
  std::uint32_t max_negative_ttl = 3600;
  /// Memory the entries may hold (answer bytes plus a fixed overhead each). Answers can be up
  /// to 64 KiB, so an entry count alone does not bound memory: a client asking for names with
  /// huge answers could otherwise fill a small gateway's RAM.
  std::size_t max_bytes = std::size_t{64} << 20;
};

struct CacheStats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t inserts = 0;
  std::uint64_t evictions = 0;
};

/// Seconds on a monotonic clock; the caller passes "now" so tests control time.
using CacheClock = std::chrono::steady_clock;

class ResponseCache {
 public:
  explicit ResponseCache(CacheLimits limits);

  /// Stores an answer for the query it answers. `answer` is the upstream response as
  /// adopt_upstream_answer made it (OPT removed); `response` is that response's parse, whose
  /// offsets still hold. Answers that should not be cached (SERVFAIL, truncated, negative without
  /// SOA, TTL 0) are ignored. The TTL limits are applied to `answer` in place, so the client
  /// that caused the insert sees the same TTLs as those served from the cache later.
  /// Returns whether it was stored.
  bool insert(const Query& query, std::span<std::uint8_t> answer, const Response& response,
              CacheClock::time_point now);

  /// Remembers that no answer could be had (SERVFAIL) for `seconds`.
  void insert_failure(const Query& query, std::uint32_t seconds, CacheClock::time_point now);

  /// Writes the cached answer for `query` into `out` (without OPT: the caller finishes the
  /// answer) with the client's ID, RD bit, question case, and TTLs reduced by the time spent in
  /// the cache. Returns false on a miss or an expired entry.
  bool lookup(Bytes packet, const Query& query, CacheClock::time_point now,
              std::vector<std::uint8_t>& out);

  std::size_t size() const { return index_.size(); }
  const CacheStats& stats() const { return stats_; }
  std::size_t memory_bytes() const { return bytes_; }

 private:
  struct Entry {
    std::string key;
    std::vector<std::uint8_t> wire;          // the answer without OPT, question as cached
    std::vector<std::uint16_t> ttl_offsets;  // record TTL fields to count down
    CacheClock::time_point stored;
    CacheClock::time_point expires;
  };
  using Lru = std::list<Entry>;

  static void make_key(const Query& query, std::string& key);
  bool store(Entry entry);  // false when the entry alone exceeds the memory budget
  void evict_one();

  CacheLimits limits_;
  Lru lru_;  // most recently used first
  std::unordered_map<std::string_view, Lru::iterator> index_;
  CacheStats stats_;
  std::size_t bytes_ = 0;
  std::string scratch_key_;
};

}  // namespace shelter::proxy::dns

namespace shelter::proxy::dns {

/// The cache that every worker thread shares: ResponseCache shards, each behind its own mutex,
/// chosen by a hash of the question. Sharing matters: the kernel spreads one client's queries
/// across workers (SO_REUSEPORT hashes the source port), so per-thread caches would miss once
/// per thread and hold every answer once per thread. With 64 shards two workers rarely meet on
/// a lock, and an uncontended lock costs far less than the system calls around it.
class SharedResponseCache {
 public:
  explicit SharedResponseCache(CacheLimits limits);

  bool insert(const Query& query, std::span<std::uint8_t> answer, const Response& response,
              CacheClock::time_point now);
  void insert_failure(const Query& query, std::uint32_t seconds, CacheClock::time_point now);
  bool lookup(Bytes packet, const Query& query, CacheClock::time_point now,
              std::vector<std::uint8_t>& out);

  std::size_t size() const;          ///< entries in all shards
  CacheStats stats() const;          ///< summed over shards
  std::size_t memory_bytes() const;  ///< summed over shards

 private:
  static constexpr std::size_t kShards = 64;
  struct Shard {
    explicit Shard(CacheLimits limits) : cache(limits) {}
    mutable std::mutex mutex;
    ResponseCache cache;
  };
  Shard& shard_for(const Query& query);

  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace shelter::proxy::dns
