#pragma once
// Counters for /metrics. Each worker thread owns one WorkerMetrics and is its only writer, so
// an increment is a plain relaxed load and store (no locked instruction on the hot path); the
// admin thread only reads and sums them.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shelter::proxy::metrics {

/// A counter with a single writer thread and any number of reader threads.
class Counter {
 public:
  void add(std::uint64_t n = 1) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void set(std::uint64_t v) { value_.store(v, std::memory_order_relaxed); }
  std::uint64_t get() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

/// How a query ended (one label value of shelter_dns_responses_total).
enum class Outcome : std::uint8_t {
  cache_hit,
  forwarded,
  blocked,
  steered,    ///< answered with the proxy's address: the name has URL-level entries only
  rewritten,  ///< safe search: a CNAME to the engine's safe endpoint and its records
  refused,
  servfail,
  formerr,
  notimp,
  dropped,
  kCount,
};
std::string_view outcome_name(Outcome o);

/// Upper bounds of the upstream latency histogram, seconds.
inline constexpr std::array<double, 12> kLatencyBuckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5};
/// Block counters a worker keeps, one per (source, category) pair; pairs beyond this share the
/// last slot ("other", "other").
inline constexpr std::size_t kMaxBlockSources = 1024;
/// The source of blocks no list made: a household's own settings (paused, schedule,
/// profile-deny) and encrypted-DNS bypass prevention.
inline constexpr std::string_view kParentalControls = "parental-controls";

struct WorkerMetrics {
  Counter queries_udp;
  Counter queries_tcp;
  std::array<Counter, static_cast<std::size_t>(Outcome::kCount)> responses;
  Counter cache_hits;
  Counter cache_misses;
  Counter upstream_queries;
  Counter upstream_timeouts;
  Counter upstream_errors;  // network errors and unusable answers
  Counter upstream_tcp_retries;
  Counter upstream_spoof_rejected;  // answers whose ID or question did not match
  Counter legal_overrides;          // legal blocks lifted by an operator's legal-class exception
  /// Queries by the fact that identified their subscriber (policy::IdentifiedBy order).
  std::array<Counter, 5> identified_by;
  Counter client_options_malformed;  // EDNS identification options that did not decode
  /// Households looked up for identified queries: found in memory, known absent, fetched
  /// from the store, or not available in time (the default profile applied).
  std::array<Counter, 4> household_lookups;
  std::array<Counter, kLatencyBuckets.size() + 1> upstream_latency_buckets;  // last is +Inf
  Counter upstream_latency_sum_us;
  /// Blocks by (source, category) slot (BlockSlots): one add per blocked query.
  std::array<Counter, kMaxBlockSources> blocks;
  Counter tcp_connections;  // gauge, open now

  void response(Outcome o) { responses[static_cast<std::size_t>(o)].add(); }
  void upstream_latency(double seconds);
};

/// Where blocks came from: a list's id and the category of its rule, or kParentalControls and
/// the household setting that blocked ("paused", "schedule", "profile-deny", "bypass").
struct BlockSource {
  std::string list{};
  std::string category{};
};

/// Stable numbering of (source, category) pairs for WorkerMetrics::blocks: a pair keeps its
/// slot for the life of the process, across list reloads (a removed list's counts stay where
/// they were). Thread-safe; used when a runtime is built and when counters are read, never per
/// query.
class BlockSlots {
 public:
  std::size_t slot(std::string_view list, std::string_view category);
  std::vector<BlockSource> sources() const;  ///< index = slot

 private:
  mutable std::mutex mutex_;
  std::vector<BlockSource> sources_;
};

/// Facts about each configured list, worked out when /metrics is read.
struct ListGauge {
  std::string id{};
  std::string category{};
  std::uint64_t entries = 0;        ///< rules of the version in force
  std::int64_t age_seconds = 0;     ///< since the version in force was written
  std::int64_t last_good_unix = 0;  ///< when the version in force was accepted
  bool serving_last_good = false;   ///< a newer version was refused
  bool stale = false;               ///< older than its max-age
  std::uint64_t stale_events = 0;   ///< times it turned stale
  /// Loads of this list by result ("ok", "refused-shrink", ...), over the process's life.
  std::vector<std::pair<std::string, std::uint64_t>> loads{};
};

/// Process-wide figures that no single worker owns.
/// The Redis store's state, when households live in Redis.
struct RedisGauges {
  bool subscribed = false;          ///< the changes channel is live
  std::uint64_t fetched = 0;        ///< households read on a cache miss
  std::uint64_t fetch_failed = 0;   ///< reads that failed (down, timeout)
  std::uint64_t bad_documents = 0;  ///< documents that did not parse or compile
  std::uint64_t invalidations = 0;  ///< change messages applied
  std::uint64_t binding_reloads = 0;
  std::uint64_t bindings = 0;     ///< bindings read at the last full read
  std::uint64_t households = 0;   ///< households cached now
  std::uint64_t cache_bytes = 0;  ///< their estimated bytes
  std::uint64_t evictions = 0;    ///< households evicted to keep the cache in bounds
};

/// The web front's counters (block page listeners).
struct WebGauges {
  std::uint64_t connections = 0;
  std::uint64_t refused_connections = 0;  ///< over a connection cap
  std::uint64_t requests = 0;
  std::uint64_t bad_requests = 0;  ///< framing refused, parse errors, over limits
  std::uint64_t open = 0;
};

struct UpstreamGauge {
  std::string server{};  ///< "192.0.2.53:53"
  bool up = true;
};

struct SharedGauges {
  bool ready = true;      ///< /readyz answers 200
  bool degraded = false;  ///< ready, but something is amiss (/readyz says what)
  /// Whole reloads (SIGHUP, a changed list file or snapshot) by result: ok, partial (some
  /// list refused), failed (nothing changed).
  std::array<std::uint64_t, 3> reloads{};
  std::vector<UpstreamGauge> upstreams{};
  std::uint64_t cache_entries = 0;
  std::uint64_t cache_evictions = 0;
  std::uint64_t cache_memory_bytes = 0;
  std::uint64_t list_memory_bytes = 0;
  std::int64_t now_unix = 0;
  std::optional<RedisGauges> redis{};
  std::optional<WebGauges> web{};
};

/// Renders every worker's counters, summed, in the Prometheus text format (version 0.0.4).
std::string render_prometheus(const std::vector<const WorkerMetrics*>& workers,
                              const BlockSlots& blocks, const std::vector<ListGauge>& lists,
                              const SharedGauges& shared);

}  // namespace shelter::proxy::metrics
