#pragma once
// The daemon's side of the query log: four times a second, on the control thread, takes what each
// worker's buffer holds and writes it (querylog::Writer); prunes files at start and at each new
// period; renders the log's counters for /metrics.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "proxy/config/config.h"
#include "proxy/metrics/metrics.h"
#include "proxy/querylog/query_log.h"

namespace shelter::proxy::querylog {

class LogPump {
 public:
  /// `buffers`: one per worker. `slots` names the block counters a record's slot refers to.
  LogPump(const config::QueryLogConfig& config, std::vector<Buffer*> buffers,
          const metrics::BlockSlots& slots, boost::asio::any_io_executor executor);

  /// Makes the directory when missing and deletes files past the retention. Throws
  /// std::system_error when the directory cannot be made.
  void start();
  /// Writes what the buffers hold now (every 250 ms, and once more after the workers stop).
  void flush();
  void stop();

  /// shelter_query_log_* families, Prometheus text.
  std::string render_metrics() const;

 private:
  void keep_flushing();

  Settings settings_;
  std::vector<Buffer*> buffers_;
  const metrics::BlockSlots& slots_;
  Writer writer_;
  boost::asio::steady_timer timer_;
};

}  // namespace shelter::proxy::querylog
