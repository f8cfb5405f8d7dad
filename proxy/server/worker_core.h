#pragma once
// What one worker thread's listeners share: its io_context, its view of the runtime, its cache,
// forwarder and counters. Internal to the worker's .cc files (it carries Asio).

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "proxy/dns/cache.h"
#include "proxy/metrics/metrics.h"
#include "proxy/profiles/household_activity.h"
#include "proxy/redis/client.h"
#include "proxy/server/connection_slots.h"
#include "proxy/server/query_pipeline.h"
#include "proxy/server/runtime.h"
#include "proxy/upstream/forwarder.h"

namespace shelter::proxy::server {

struct WorkerCore {
  WorkerCore(const RuntimeHolder& holder, dns::SharedResponseCache& shared_cache,
             metrics::WorkerMetrics& worker_metrics, ConnectionSlots& process_tcp_slots,
             upstream::HealthBoard* health = nullptr)
      : view(holder),
        cache(shared_cache),
        metrics(worker_metrics),
        tcp_slots(process_tcp_slots),
        forwarder(io.get_executor(), worker_metrics, health) {}

  /// The second half of a query that answer_locally could not answer: asks the upstreams and
  /// returns the answer for the client (relayed and cached, or SERVFAIL). Both listeners use it.
  boost::asio::awaitable<std::vector<std::uint8_t>> forward(std::vector<std::uint8_t> packet,
                                                            dns::Query query, bool over_tcp,
                                                            ForwardPlan plan);

  /// A query that answer_locally left at Step::fetch: waits for its household to be read from
  /// the store (at most redis.lookup-timeout), then resumes it from the household lookup with
  /// its parse and identity, and forwards it when it must. Nothing (drop) or the answer for
  /// the client.
  boost::asio::awaitable<std::optional<std::vector<std::uint8_t>>> answer_after_fetch(
      std::vector<std::uint8_t> packet, net::Address client, bool over_tcp, dns::Query query,
      policy::Identity identity);

  /// What answering a query now with `runtime` reads and counts: the one place a listener's
  /// QueryContext is made. `runtime` must outlive it.
  QueryContext context(const Runtime& runtime);

  boost::asio::io_context io{1};
  RuntimeView view;
  dns::SharedResponseCache& cache;
  metrics::WorkerMetrics& metrics;
  /// The process's TCP connection slots (dns.max-tcp-connections), shared by every worker.
  ConnectionSlots& tcp_slots;
  /// This worker's household blocks and new private MACs, until the control thread takes them.
  profiles::ActivityAccumulator activity;
  upstream::Forwarder forwarder;
  /// This worker's query-log buffer, when logging.query-log is on (else null).
  std::unique_ptr<querylog::Buffer> query_log;
  /// This worker's own Redis connection, when households live in Redis.
  std::unique_ptr<redis::Client> redis;
  /// Household reads in flight, each with the timer its waiters wait on (cancelled when done).
  using Fetches = std::unordered_map<std::string, std::shared_ptr<boost::asio::steady_timer>>;
  Fetches fetches;
  /// Reads a household (or joins the read in flight), waiting at most `wait`.
  boost::asio::awaitable<void> fetch_with_deadline(std::shared_ptr<const profiles::Directory> store,
                                                   std::string household,
                                                   std::chrono::milliseconds wait);
  /// Queries waiting for an upstream; a stopping worker waits for them to drain.
  std::size_t in_flight = 0;
};

}  // namespace shelter::proxy::server
