#pragma once
// What one worker thread's listeners share: its io_context, its view of the runtime, its cache,
// forwarder and counters. Internal to the worker's .cc files (it carries Asio).

#include <boost/asio/io_context.hpp>
#include <chrono>

#include "proxy/dns/cache.h"
#include "proxy/metrics/metrics.h"
#include "proxy/server/query_pipeline.h"
#include "proxy/server/runtime.h"
#include "proxy/upstream/forwarder.h"

namespace shelter::proxy::server {

struct WorkerCore {
  WorkerCore(const RuntimeHolder& holder, dns::SharedResponseCache& shared_cache,
             metrics::WorkerMetrics& worker_metrics)
      : view(holder),
        cache(shared_cache),
        metrics(worker_metrics),
        forwarder(io.get_executor(), worker_metrics) {}

  /// Settings for forwarding under a given runtime (which the caller keeps alive).
  static upstream::ForwardSettings forward_settings(const Runtime& runtime) {
    const config::Config& config = *runtime.config;
    return {.servers = runtime.upstreams,
            .timeout = config.upstream.timeout,
            .attempts = config.upstream.attempts,
            .udp_payload_size = config.dns.udp_payload_size};
  }

  boost::asio::io_context io{1};
  RuntimeView view;
  dns::SharedResponseCache& cache;
  metrics::WorkerMetrics& metrics;
  upstream::Forwarder forwarder;
  /// Queries waiting for an upstream; a stopping worker waits for them to drain.
  std::size_t in_flight = 0;
};

}  // namespace shelter::proxy::server
