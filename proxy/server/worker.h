#pragma once
// One worker thread: its own io_context, its own sockets on every listen address (the kernel
// spreads clients across workers with SO_REUSEPORT), its own cache and forwarder. Workers share
// nothing but the published Runtime and the process's TCP connection count (one atomic,
// dns.max-tcp-connections), so the query path takes no locks.

#include <chrono>
#include <memory>

#include "proxy/dns/cache.h"
#include "proxy/metrics/metrics.h"
#include "proxy/net/endpoint.h"
#include "proxy/server/runtime.h"

namespace shelter::proxy::profiles {
class ActivityAccumulator;
}  // namespace shelter::proxy::profiles

namespace shelter::proxy::querylog {
class Buffer;
}  // namespace shelter::proxy::querylog

namespace shelter::proxy::upstream {
class HealthBoard;
}  // namespace shelter::proxy::upstream

namespace shelter::proxy::server {

class ConnectionSlots;

class Worker {
 public:
  /// `tcp_slots` caps client TCP connections across every worker of the process; `health`
  /// (may be null) hears of every upstream attempt's outcome.
  Worker(const RuntimeHolder& runtime, dns::SharedResponseCache& cache, ConnectionSlots& tcp_slots,
         upstream::HealthBoard* health = nullptr);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  /// Binds UDP and TCP on `endpoint`. Throws std::system_error naming the endpoint on failure.
  /// Returns the bound endpoint (the port filled in when `endpoint.port` was 0).
  net::Endpoint listen(const net::Endpoint& endpoint);

  /// Runs the worker's event loop on the calling thread until stop() and drain.
  void run();
  /// Closes the listeners (no new queries) and lets queries in flight finish, at most `grace`,
  /// then ends run(). Thread-safe.
  void stop(std::chrono::milliseconds grace);

  const metrics::WorkerMetrics& metrics() const;
  /// What this worker counted for households since the last flush (proxy/profiles/
  /// household_activity.h): the control thread takes it.
  profiles::ActivityAccumulator& activity();
  /// This worker's query-log buffer (null: the log is off): the control thread takes it.
  querylog::Buffer* query_log();

 private:
  void wait_for_drain(std::chrono::steady_clock::time_point deadline);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shelter::proxy::server
