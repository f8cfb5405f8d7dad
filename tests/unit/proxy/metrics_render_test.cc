// /metrics as Prometheus reads it: every family, its HELP and TYPE, labels escaped and counters
// summed over workers, for one fixed state. The expected text is pinned byte for byte, so a
// change to the rendering shows up here (docs/metrics.md lists the same families).
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/metrics/metrics.h"

namespace metrics = shelter::proxy::metrics;

namespace {

// Two workers whose counters differ, so that a sum that reads one worker only shows.
void fill(metrics::WorkerMetrics& m, std::uint64_t base) {
  m.queries_udp.add(base + 1);
  m.queries_tcp.add(base + 2);
  for (std::size_t i = 0; i < m.responses.size(); ++i)
    m.responses[i].add(base + 10 + i);
  m.cache_hits.add(base + 3);
  m.cache_misses.add(base + 4);
  m.upstream_queries.add(base + 5);
  m.upstream_timeouts.add(base + 6);
  m.upstream_errors.add(base + 7);
  m.upstream_tcp_retries.add(base + 8);
  m.upstream_spoof_rejected.add(base + 9);
  m.legal_overrides.add(base + 11);
  for (std::size_t i = 0; i < m.identified_by.size(); ++i)
    m.identified_by[i].add(base + 20 + i);
  m.client_options_malformed.add(base + 12);
  for (std::size_t i = 0; i < m.household_lookups.size(); ++i)
    m.household_lookups[i].add(base + 30 + i);
  m.upstream_latency(0.0003);
  m.upstream_latency(0.02);
  m.upstream_latency(7.0);  // past the last bucket: +Inf only
  m.blocks[0].add(base + 40);
  m.blocks[1].add(base + 41);
  m.tcp_connections.set(base + 2);
}

struct State {
  metrics::WorkerMetrics a, b;
  metrics::BlockSlots slots;
  std::vector<metrics::ListGauge> lists;
  metrics::SharedGauges shared;

  State() {
    fill(a, 0);
    fill(b, 100);
    slots.slot("adult-list", "adult");
    slots.slot(metrics::kParentalControls, "paused");
    lists.push_back({.id = "adult-list",
                     .category = "adult",
                     .entries = 1234,
                     .age_seconds = 60,
                     .last_good_unix = 1'798'000'000,
                     .serving_last_good = false,
                     .stale = false,
                     .stale_events = 0,
                     .loads = {{"ok", 3}}});
    lists.push_back({.id = "odd \"list\"\\\n",  // every character the format escapes
                     .category = "csam",
                     .entries = 7,
                     .age_seconds = -5,  // a file from the future reads as 0
                     .last_good_unix = 1'797'000'000,
                     .serving_last_good = true,
                     .stale = true,
                     .stale_events = 2,
                     .loads = {{"ok", 1}, {"refused-shrink", 1}}});
    shared.ready = true;
    shared.degraded = true;
    shared.reloads = {4, 1, 2};
    shared.upstreams = {{.server = "192.0.2.53:53", .up = true},
                        {.server = "[2001:db8::53]:53", .up = false}};
    shared.cache_entries = 500;
    shared.cache_evictions = 9;
    shared.cache_memory_bytes = 65536;
    shared.list_memory_bytes = 1 << 20;
    shared.redis = metrics::RedisGauges{.subscribed = true,
                                        .fetched = 11,
                                        .fetch_failed = 2,
                                        .bad_documents = 1,
                                        .invalidations = 5,
                                        .binding_reloads = 3,
                                        .bindings = 100,
                                        .households = 42,
                                        .cache_bytes = 65536,
                                        .evictions = 5};
    shared.web = metrics::WebGauges{
        .connections = 70, .refused_connections = 1, .requests = 90, .bad_requests = 4, .open = 3};
  }
  std::string render() const { return metrics::render_prometheus({&a, &b}, slots, lists, shared); }
};

constexpr std::string_view kExpected =
    R"golden(# HELP shelter_dns_queries_total DNS queries received, by transport.
# TYPE shelter_dns_queries_total counter
shelter_dns_queries_total{transport="udp"} 102
shelter_dns_queries_total{transport="tcp"} 104
# HELP shelter_dns_responses_total DNS queries by how they ended.
# TYPE shelter_dns_responses_total counter
shelter_dns_responses_total{outcome="cache_hit"} 120
shelter_dns_responses_total{outcome="forwarded"} 122
shelter_dns_responses_total{outcome="blocked"} 124
shelter_dns_responses_total{outcome="steered"} 126
shelter_dns_responses_total{outcome="rewritten"} 128
shelter_dns_responses_total{outcome="refused"} 130
shelter_dns_responses_total{outcome="servfail"} 132
shelter_dns_responses_total{outcome="formerr"} 134
shelter_dns_responses_total{outcome="notimp"} 136
shelter_dns_responses_total{outcome="dropped"} 138
# HELP shelter_cache_hits_total Answers served from the cache.
# TYPE shelter_cache_hits_total counter
shelter_cache_hits_total 106
# HELP shelter_cache_misses_total Cache lookups that found nothing usable.
# TYPE shelter_cache_misses_total counter
shelter_cache_misses_total 108
# HELP shelter_cache_entries Answers held in the cache.
# TYPE shelter_cache_entries gauge
shelter_cache_entries 500
# HELP shelter_cache_evictions_total Answers evicted to stay within max-entries.
# TYPE shelter_cache_evictions_total counter
shelter_cache_evictions_total 9
# HELP shelter_cache_memory_bytes Memory held by cached answers (estimate).
# TYPE shelter_cache_memory_bytes gauge
shelter_cache_memory_bytes 65536
# HELP shelter_upstream_queries_total Queries sent to upstream resolvers.
# TYPE shelter_upstream_queries_total counter
shelter_upstream_queries_total 110
# HELP shelter_upstream_timeouts_total Upstream attempts that timed out.
# TYPE shelter_upstream_timeouts_total counter
shelter_upstream_timeouts_total 112
# HELP shelter_upstream_errors_total Upstream attempts that failed (network error or unusable answer).
# TYPE shelter_upstream_errors_total counter
shelter_upstream_errors_total 114
# HELP shelter_upstream_tcp_retries_total Upstream answers truncated over UDP and asked again over TCP.
# TYPE shelter_upstream_tcp_retries_total counter
shelter_upstream_tcp_retries_total 116
# HELP shelter_legal_overrides_total Blocks of legal (authority) lists lifted by an operator exception (announced at list load).
# TYPE shelter_legal_overrides_total counter
shelter_legal_overrides_total 122
# HELP shelter_subscriber_identified_total Queries by what identified their subscriber (none: the default profile applied).
# TYPE shelter_subscriber_identified_total counter
shelter_subscriber_identified_total{by="mac"} 140
shelter_subscriber_identified_total{by="cpe_id"} 142
shelter_subscriber_identified_total{by="client_subnet"} 144
shelter_subscriber_identified_total{by="source_address"} 146
shelter_subscriber_identified_total{by="none"} 148
# HELP shelter_household_lookups_total Households looked up for identified queries: in memory (hit), not in the store (absent), read from the store first (fetched), or not available in time (fallback: the default profile applied).
# TYPE shelter_household_lookups_total counter
shelter_household_lookups_total{result="hit"} 160
shelter_household_lookups_total{result="absent"} 162
shelter_household_lookups_total{result="fetched"} 164
shelter_household_lookups_total{result="fallback"} 166
# HELP shelter_client_options_malformed_total Queries whose EDNS identification options (MAC, CPE-ID, Client Subnet) did not decode; none of their claims were believed.
# TYPE shelter_client_options_malformed_total counter
shelter_client_options_malformed_total 124
# HELP shelter_upstream_mismatched_answers_total Upstream answers ignored because their ID or question did not match (spoofing guard).
# TYPE shelter_upstream_mismatched_answers_total counter
shelter_upstream_mismatched_answers_total 118
# HELP shelter_tcp_connections Client TCP connections open now.
# TYPE shelter_tcp_connections gauge
shelter_tcp_connections 104
# HELP shelter_upstream_latency_seconds Time to a usable upstream answer.
# TYPE shelter_upstream_latency_seconds histogram
shelter_upstream_latency_seconds_bucket{le="0.0005"} 2
shelter_upstream_latency_seconds_bucket{le="0.001"} 2
shelter_upstream_latency_seconds_bucket{le="0.0025"} 2
shelter_upstream_latency_seconds_bucket{le="0.005"} 2
shelter_upstream_latency_seconds_bucket{le="0.01"} 2
shelter_upstream_latency_seconds_bucket{le="0.025"} 4
shelter_upstream_latency_seconds_bucket{le="0.05"} 4
shelter_upstream_latency_seconds_bucket{le="0.1"} 4
shelter_upstream_latency_seconds_bucket{le="0.25"} 4
shelter_upstream_latency_seconds_bucket{le="0.5"} 4
shelter_upstream_latency_seconds_bucket{le="1"} 4
shelter_upstream_latency_seconds_bucket{le="2.5"} 4
shelter_upstream_latency_seconds_bucket{le="+Inf"} 6
shelter_upstream_latency_seconds_sum 14.0406
shelter_upstream_latency_seconds_count 6
# HELP shelter_blocks_total Blocked queries, by list (parental-controls: a household's own settings) and category.
# TYPE shelter_blocks_total counter
shelter_blocks_total{list="adult-list",category="adult"} 180
shelter_blocks_total{list="parental-controls",category="paused"} 182
# HELP shelter_list_entries Entries in force from each list.
# TYPE shelter_list_entries gauge
shelter_list_entries{list="adult-list",category="adult"} 1234
shelter_list_entries{list="odd \"list\"\\\n",category="csam"} 7
# HELP shelter_list_age_seconds Seconds since the version of each list in force was written (its file's mtime; inline lists: since loaded).
# TYPE shelter_list_age_seconds gauge
shelter_list_age_seconds{list="adult-list"} 60
shelter_list_age_seconds{list="odd \"list\"\\\n"} 0
# HELP shelter_list_last_good_timestamp_seconds When the version of each list in force was accepted (Unix time).
# TYPE shelter_list_last_good_timestamp_seconds gauge
shelter_list_last_good_timestamp_seconds{list="adult-list"} 1798000000
shelter_list_last_good_timestamp_seconds{list="odd \"list\"\\\n"} 1797000000
# HELP shelter_list_serving_last_good 1 while a newer version of the list was refused and its last good version serves.
# TYPE shelter_list_serving_last_good gauge
shelter_list_serving_last_good{list="adult-list"} 0
shelter_list_serving_last_good{list="odd \"list\"\\\n"} 1
# HELP shelter_list_stale 1 while the list is older than its max-age.
# TYPE shelter_list_stale gauge
shelter_list_stale{list="adult-list"} 0
shelter_list_stale{list="odd \"list\"\\\n"} 1
# HELP shelter_list_stale_total Times the list turned stale.
# TYPE shelter_list_stale_total counter
shelter_list_stale_total{list="adult-list"} 0
shelter_list_stale_total{list="odd \"list\"\\\n"} 2
# HELP shelter_list_reloads_total Loads of each list by result: ok, accepted-override, refused-empty, refused-format, refused-shrink, refused-unreadable, refused-snapshot.
# TYPE shelter_list_reloads_total counter
shelter_list_reloads_total{list="adult-list",result="ok"} 3
shelter_list_reloads_total{list="odd \"list\"\\\n",result="ok"} 1
shelter_list_reloads_total{list="odd \"list\"\\\n",result="refused-shrink"} 1
# HELP shelter_ready 1 while /readyz answers 200 (every legal list in force and fresh).
# TYPE shelter_ready gauge
shelter_ready 1
# HELP shelter_degraded 1 while ready but something is amiss (a refused list, a stale ordinary list, an upstream down); /readyz says what.
# TYPE shelter_degraded gauge
shelter_degraded 1
# HELP shelter_reloads_total Reloads by result: ok, partial (some list refused, its last good version kept), failed (nothing changed).
# TYPE shelter_reloads_total counter
shelter_reloads_total{result="ok"} 4
shelter_reloads_total{result="partial"} 1
shelter_reloads_total{result="failed"} 2
# HELP shelter_upstream_up 1 while the upstream resolver answers.
# TYPE shelter_upstream_up gauge
shelter_upstream_up{upstream="192.0.2.53:53"} 1
shelter_upstream_up{upstream="[2001:db8::53]:53"} 0
# HELP shelter_upstreams_up Upstream resolvers answering now.
# TYPE shelter_upstreams_up gauge
shelter_upstreams_up 1
# HELP shelter_upstreams Upstream resolvers configured.
# TYPE shelter_upstreams gauge
shelter_upstreams 2
# HELP shelter_list_memory_bytes Memory held by the loaded list snapshot.
# TYPE shelter_list_memory_bytes gauge
shelter_list_memory_bytes 1048576
# HELP shelter_web_connections_total Connections accepted by the web front.
# TYPE shelter_web_connections_total counter
shelter_web_connections_total 70
# HELP shelter_web_connections_refused_total Connections closed at once: over the per-client or total cap.
# TYPE shelter_web_connections_refused_total counter
shelter_web_connections_refused_total 1
# HELP shelter_web_requests_total Requests answered by the web front.
# TYPE shelter_web_requests_total counter
shelter_web_requests_total 90
# HELP shelter_web_bad_requests_total Requests refused: ambiguous framing, malformed, over a limit.
# TYPE shelter_web_bad_requests_total counter
shelter_web_bad_requests_total 4
# HELP shelter_web_connections Web front connections open now.
# TYPE shelter_web_connections gauge
shelter_web_connections 3
# HELP shelter_redis_subscribed 1 while the changes channel is subscribed (cached households can be trusted).
# TYPE shelter_redis_subscribed gauge
shelter_redis_subscribed 1
# HELP shelter_redis_households_fetched_total Households read from Redis on a cache miss.
# TYPE shelter_redis_households_fetched_total counter
shelter_redis_households_fetched_total 11
# HELP shelter_redis_fetch_failures_total Household reads that failed (Redis down or slow); the default profile applied.
# TYPE shelter_redis_fetch_failures_total counter
shelter_redis_fetch_failures_total 2
# HELP shelter_redis_bad_documents_total Household documents that did not parse or named unknown profiles or zones.
# TYPE shelter_redis_bad_documents_total counter
shelter_redis_bad_documents_total 1
# HELP shelter_redis_invalidations_total Change messages applied.
# TYPE shelter_redis_invalidations_total counter
shelter_redis_invalidations_total 5
# HELP shelter_redis_binding_reloads_total Full reads of the bindings (start and every reconnection).
# TYPE shelter_redis_binding_reloads_total counter
shelter_redis_binding_reloads_total 3
# HELP shelter_redis_bindings Bindings read at the last full read.
# TYPE shelter_redis_bindings gauge
shelter_redis_bindings 100
# HELP shelter_redis_households_cached Households held in memory.
# TYPE shelter_redis_households_cached gauge
shelter_redis_households_cached 42
# HELP shelter_redis_household_cache_bytes Estimated bytes of the households held in memory.
# TYPE shelter_redis_household_cache_bytes gauge
shelter_redis_household_cache_bytes 65536
# HELP shelter_redis_household_evictions_total Households evicted to keep the cache within redis.cache-memory-mb and redis.cache-households.
# TYPE shelter_redis_household_evictions_total counter
shelter_redis_household_evictions_total 5
)golden";

}  // namespace

TEST_CASE("render_prometheus: every family, byte for byte", "[metrics]") {
  State state;
  CHECK(state.render() == kExpected);
}
