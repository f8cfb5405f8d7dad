#include "proxy/metrics/metrics.h"

#include "proxy/metrics/prometheus_writer.h"

#include <algorithm>
#include <cstdio>

namespace shelter::proxy::metrics {
namespace {

// Label values come from configuration (list ids, categories): escape them per the format.
std::string label(std::string_view key, std::string_view value) {
  std::string s(key);
  s += "=\"";
  for (char c : value) {
    if (c == '\\' || c == '"') s += '\\';
    if (c == '\n') {
      s += "\\n";
      continue;
    }
    s += c;
  }
  s += '"';
  return s;
}

template <typename Get>
std::uint64_t sum(const std::vector<const WorkerMetrics*>& workers, Get get) {
  std::uint64_t total = 0;
  for (const WorkerMetrics* w : workers)
    total += get(*w).get();
  return total;
}

}  // namespace

std::string_view outcome_name(Outcome o) {
  switch (o) {
    case Outcome::cache_hit:
      return "cache_hit";
    case Outcome::forwarded:
      return "forwarded";
    case Outcome::blocked:
      return "blocked";
    case Outcome::steered:
      return "steered";
    case Outcome::rewritten:
      return "rewritten";

    case Outcome::refused:
      return "refused";
    case Outcome::servfail:
      return "servfail";
    case Outcome::formerr:
      return "formerr";
    case Outcome::notimp:
      return "notimp";
    case Outcome::dropped:
      return "dropped";
    case Outcome::kCount:
      break;
  }
  return "unknown";
}

void WorkerMetrics::upstream_latency(double seconds) {
  auto bucket = std::lower_bound(kLatencyBuckets.begin(), kLatencyBuckets.end(), seconds);
  upstream_latency_buckets[static_cast<std::size_t>(bucket - kLatencyBuckets.begin())].add();
  upstream_latency_sum_us.add(static_cast<std::uint64_t>(seconds * 1e6));
}

std::size_t BlockSlots::slot(std::string_view list, std::string_view category) {
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < sources_.size(); ++i) {
    if (sources_[i].list == list && sources_[i].category == category) return i;
  }
  if (sources_.size() + 1 >= kMaxBlockSources) {
    if (sources_.size() + 1 == kMaxBlockSources) sources_.push_back({"other", "other"});
    return kMaxBlockSources - 1;
  }
  sources_.push_back({std::string(list), std::string(category)});
  return sources_.size() - 1;
}

std::vector<BlockSource> BlockSlots::sources() const {
  std::lock_guard lock(mutex_);
  return sources_;
}

namespace {

void render_list_gauges(Writer& w, const std::vector<ListGauge>& lists) {
  w.help("shelter_list_entries", "gauge", "Entries in force from each list.");
  for (const ListGauge& l : lists) {
    w.sample("shelter_list_entries", label("list", l.id) + "," + label("category", l.category),
             l.entries);
  }
  auto per_list = [&](std::string_view name, std::string_view type, std::string_view help,
                      auto value) {
    w.help(name, type, help);
    for (const ListGauge& l : lists)
      w.sample(name, label("list", l.id), static_cast<std::uint64_t>(value(l)));
  };
  per_list("shelter_list_age_seconds", "gauge",
           "Seconds since the version of each list in force was written (its file's mtime; "
           "inline lists: since loaded).",
           [](const ListGauge& l) { return std::max<std::int64_t>(0, l.age_seconds); });
  per_list("shelter_list_last_good_timestamp_seconds", "gauge",
           "When the version of each list in force was accepted (Unix time).",
           [](const ListGauge& l) { return std::max<std::int64_t>(0, l.last_good_unix); });
  per_list("shelter_list_serving_last_good", "gauge",
           "1 while a newer version of the list was refused and its last good version serves.",
           [](const ListGauge& l) { return l.serving_last_good ? 1 : 0; });
  per_list("shelter_list_stale", "gauge", "1 while the list is older than its max-age.",
           [](const ListGauge& l) { return l.stale ? 1 : 0; });
  per_list("shelter_list_stale_total", "counter", "Times the list turned stale.",
           [](const ListGauge& l) { return l.stale_events; });
  w.help("shelter_list_reloads_total", "counter",
         "Loads of each list by result: ok, accepted-override, refused-empty, refused-format, "
         "refused-shrink, refused-unreadable, refused-snapshot.");
  for (const ListGauge& l : lists) {
    for (const auto& [result, count] : l.loads)
      w.sample("shelter_list_reloads_total", label("list", l.id) + "," + label("result", result),
               count);
  }
}

void render_health(Writer& w, const SharedGauges& shared) {
  w.help("shelter_ready", "gauge",
         "1 while /readyz answers 200 (every legal list in force and fresh).");
  w.sample("shelter_ready", "", std::uint64_t{shared.ready ? 1u : 0u});
  w.help("shelter_degraded", "gauge",
         "1 while ready but something is amiss (a refused list, a stale ordinary list, an "
         "upstream down); /readyz says what.");
  w.sample("shelter_degraded", "", std::uint64_t{shared.degraded ? 1u : 0u});
  w.help("shelter_reloads_total", "counter",
         "Reloads by result: ok, partial (some list refused, its last good version kept), "
         "failed (nothing changed).");
  constexpr std::array<std::string_view, 3> kReloads = {"ok", "partial", "failed"};
  for (std::size_t i = 0; i < kReloads.size(); ++i)
    w.sample("shelter_reloads_total", label("result", kReloads[i]), shared.reloads[i]);
  w.help("shelter_upstream_up", "gauge", "1 while the upstream resolver answers.");
  std::uint64_t up = 0;
  for (const UpstreamGauge& u : shared.upstreams) {
    w.sample("shelter_upstream_up", label("upstream", u.server), std::uint64_t{u.up ? 1u : 0u});
    up += u.up ? 1 : 0;
  }
  w.help("shelter_upstreams_up", "gauge", "Upstream resolvers answering now.");
  w.sample("shelter_upstreams_up", "", up);
  w.help("shelter_upstreams", "gauge", "Upstream resolvers configured.");
  w.sample("shelter_upstreams", "", static_cast<std::uint64_t>(shared.upstreams.size()));
}

// A metric with one sample and no labels.
void one(Writer& w, std::string_view name, std::string_view type, std::string_view help,
         std::uint64_t value) {
  w.help(name, type, help);
  w.sample(name, "", value);
}

// The workers' counters, each family summed over every worker.
struct Summed {
  Writer& w;
  const std::vector<const WorkerMetrics*>& workers;

  // One sample, no labels.
  void counter(std::string_view name, std::string_view type, std::string_view help,
               Counter WorkerMetrics::*member) const {
    w.help(name, type, help);
    w.sample(name, "", sum(workers, [member](const WorkerMetrics& m) -> const Counter& {
               return m.*member;
             }));
  }
  // One sample per entry of a counter array, labelled `key`="the entry's name".
  template <std::size_t N, typename Name>
  void per_label(std::string_view name, std::string_view help, std::string_view key,
                 std::array<Counter, N> WorkerMetrics::*member, Name name_of) const {
    w.help(name, "counter", help);
    for (std::size_t i = 0; i < N; ++i) {
      w.sample(name, label(key, name_of(i)),
               sum(workers, [member, i](const WorkerMetrics& m) -> const Counter& {
                 return (m.*member)[i];
               }));
    }
  }
};

void render_dns_outcomes(const Summed& s) {
  s.w.help("shelter_dns_queries_total", "counter", "DNS queries received, by transport.");
  s.w.sample(
      "shelter_dns_queries_total", label("transport", "udp"),
      sum(s.workers, [](const WorkerMetrics& m) -> const Counter& { return m.queries_udp; }));
  s.w.sample(
      "shelter_dns_queries_total", label("transport", "tcp"),
      sum(s.workers, [](const WorkerMetrics& m) -> const Counter& { return m.queries_tcp; }));
  s.per_label("shelter_dns_responses_total", "DNS queries by how they ended.", "outcome",
              &WorkerMetrics::responses,
              [](std::size_t i) { return outcome_name(static_cast<Outcome>(i)); });
}

void render_cache(const Summed& s, const SharedGauges& shared) {
  s.counter("shelter_cache_hits_total", "counter", "Answers served from the cache.",
            &WorkerMetrics::cache_hits);
  s.counter("shelter_cache_misses_total", "counter", "Cache lookups that found nothing usable.",
            &WorkerMetrics::cache_misses);
  one(s.w, "shelter_cache_entries", "gauge", "Answers held in the cache.", shared.cache_entries);
  one(s.w, "shelter_cache_evictions_total", "counter",
      "Answers evicted to stay within max-entries.", shared.cache_evictions);
  one(s.w, "shelter_cache_memory_bytes", "gauge", "Memory held by cached answers (estimate).",
      shared.cache_memory_bytes);
}

void render_upstream_counters(const Summed& s) {
  s.counter("shelter_upstream_queries_total", "counter", "Queries sent to upstream resolvers.",
            &WorkerMetrics::upstream_queries);
  s.counter("shelter_upstream_timeouts_total", "counter", "Upstream attempts that timed out.",
            &WorkerMetrics::upstream_timeouts);
  s.counter("shelter_upstream_errors_total", "counter",
            "Upstream attempts that failed (network error or unusable answer).",
            &WorkerMetrics::upstream_errors);
  s.counter("shelter_upstream_tcp_retries_total", "counter",
            "Upstream answers truncated over UDP and asked again over TCP.",
            &WorkerMetrics::upstream_tcp_retries);
}

// Who the queries were from and whose settings applied (legal exceptions included).
void render_subscribers(const Summed& s) {
  s.counter(
      "shelter_legal_overrides_total", "counter",
      "Blocks of legal (authority) lists lifted by an operator exception (announced at list load).",
      &WorkerMetrics::legal_overrides);
  static constexpr std::array<std::string_view, 5> kIdentifiedBy = {
      "mac", "cpe_id", "client_subnet", "source_address", "none"};
  s.per_label("shelter_subscriber_identified_total",
              "Queries by what identified their subscriber (none: the default profile applied).",
              "by", &WorkerMetrics::identified_by, [](std::size_t i) { return kIdentifiedBy[i]; });
  static constexpr std::array<std::string_view, 4> kLookups = {"hit", "absent", "fetched",
                                                               "fallback"};
  s.per_label("shelter_household_lookups_total",
              "Households looked up for identified queries: in memory (hit), not in the store "
              "(absent), read from the store first (fetched), or not available in time (fallback: "
              "the default profile applied).",
              "result", &WorkerMetrics::household_lookups,
              [](std::size_t i) { return kLookups[i]; });
  s.counter("shelter_client_options_malformed_total", "counter",
            "Queries whose EDNS identification options (MAC, CPE-ID, Client Subnet) did not "
            "decode; none of their claims were believed.",
            &WorkerMetrics::client_options_malformed);
}

// What the listeners and the forwarder refused or hold open.
void render_guards(const Summed& s) {
  s.counter("shelter_upstream_mismatched_answers_total", "counter",
            "Upstream answers ignored because their ID or question did not match (spoofing "
            "guard).",
            &WorkerMetrics::upstream_spoof_rejected);
  s.counter("shelter_tcp_connections", "gauge", "Client TCP connections open now.",
            &WorkerMetrics::tcp_connections);
}

// A bucket's upper bound as the format writes it ("0.0005", ..., "+Inf").
std::string bucket_bound(std::size_t i) {
  if (i == kLatencyBuckets.size()) return "+Inf";
  char b[32];
  std::snprintf(b, sizeof b, "%g", kLatencyBuckets[i]);
  return b;
}

void render_upstream_latency(const Summed& s) {
  s.w.help("shelter_upstream_latency_seconds", "histogram", "Time to a usable upstream answer.");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= kLatencyBuckets.size(); ++i) {
    cumulative += sum(s.workers, [i](const WorkerMetrics& m) -> const Counter& {
      return m.upstream_latency_buckets[i];
    });
    s.w.sample("shelter_upstream_latency_seconds_bucket", label("le", bucket_bound(i)), cumulative);
  }
  const std::uint64_t sum_us = sum(s.workers, [](const WorkerMetrics& m) -> const Counter& {
    return m.upstream_latency_sum_us;
  });
  s.w.sample("shelter_upstream_latency_seconds_sum", "", static_cast<double>(sum_us) / 1e6);
  s.w.sample("shelter_upstream_latency_seconds_count", "", cumulative);
}

void render_blocks(const Summed& s, const BlockSlots& blocks) {
  s.w.help(
      "shelter_blocks_total", "counter",
      "Blocked queries, by list (parental-controls: a household's own settings) and category.");
  const std::vector<BlockSource> sources = blocks.sources();
  for (std::size_t i = 0; i < sources.size(); ++i) {
    s.w.sample(
        "shelter_blocks_total",
        label("list", sources[i].list) + "," + label("category", sources[i].category),
        sum(s.workers, [i](const WorkerMetrics& m) -> const Counter& { return m.blocks[i]; }));
  }
}

void render_web(Writer& w, const WebGauges& web) {
  one(w, "shelter_web_connections_total", "counter", "Connections accepted by the web front.",
      web.connections);
  one(w, "shelter_web_connections_refused_total", "counter",
      "Connections closed at once: over the per-client or total cap.", web.refused_connections);
  one(w, "shelter_web_requests_total", "counter", "Requests answered by the web front.",
      web.requests);
  one(w, "shelter_web_bad_requests_total", "counter",
      "Requests refused: ambiguous framing, malformed, over a limit.", web.bad_requests);
  one(w, "shelter_web_connections", "gauge", "Web front connections open now.", web.open);
}

void render_redis(Writer& w, const RedisGauges& r) {
  one(w, "shelter_redis_subscribed", "gauge",
      "1 while the changes channel is subscribed (cached households can be trusted).",
      r.subscribed ? 1 : 0);
  one(w, "shelter_redis_households_fetched_total", "counter",
      "Households read from Redis on a cache miss.", r.fetched);
  one(w, "shelter_redis_fetch_failures_total", "counter",
      "Household reads that failed (Redis down or slow); the default profile applied.",
      r.fetch_failed);
  one(w, "shelter_redis_bad_documents_total", "counter",
      "Household documents that did not parse or named unknown profiles or zones.",
      r.bad_documents);
  one(w, "shelter_redis_invalidations_total", "counter", "Change messages applied.",
      r.invalidations);
  one(w, "shelter_redis_binding_reloads_total", "counter",
      "Full reads of the bindings (start and every reconnection).", r.binding_reloads);
  one(w, "shelter_redis_bindings", "gauge", "Bindings read at the last full read.", r.bindings);
  one(w, "shelter_redis_households_cached", "gauge", "Households held in memory.", r.households);
  one(w, "shelter_redis_household_cache_bytes", "gauge",
      "Estimated bytes of the households held in memory.", r.cache_bytes);
  one(w, "shelter_redis_household_evictions_total", "counter",
      "Households evicted to keep the cache within redis.cache-memory-mb and "
      "redis.cache-households.",
      r.evictions);
}

}  // namespace

std::string render_prometheus(const std::vector<const WorkerMetrics*>& workers,
                              const BlockSlots& blocks, const std::vector<ListGauge>& lists,
                              const SharedGauges& shared) {
  Writer w;
  const Summed summed{w, workers};
  render_dns_outcomes(summed);
  render_cache(summed, shared);
  render_upstream_counters(summed);
  render_subscribers(summed);
  render_guards(summed);
  render_upstream_latency(summed);
  render_blocks(summed, blocks);
  render_list_gauges(w, lists);
  render_health(w, shared);
  one(w, "shelter_list_memory_bytes", "gauge", "Memory held by the loaded list snapshot.",
      shared.list_memory_bytes);
  if (shared.web) render_web(w, *shared.web);
  if (shared.redis) render_redis(w, *shared.redis);
  return w.take();
}

}  // namespace shelter::proxy::metrics
