#pragma once
// The upstreams' health as the whole process sees it, for /readyz, the metrics and the log
// lines that mark an outage's start and end. Every worker's Forwarder records its attempts
// here; the control thread reads. An upstream is down after kFailuresToDown failed attempts
// in a row (from any worker) and up again at its next answer.

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#include "proxy/net/endpoint.h"

namespace shelter::proxy::upstream {

class HealthBoard {
 public:
  static constexpr std::uint32_t kFailuresToDown = 3;
  /// Upstreams tracked over the life of the process (configurations come and go); one past
  /// this is not tracked and counts as up.
  static constexpr std::size_t kMaxTracked = 64;

  /// Workers, after each attempt. No lock; a store only when the state changes, so healthy
  /// upstreams cost a read of a shared line.
  void record(const net::Endpoint& server, bool success);

  struct Entry {
    net::Endpoint server;
    bool up = true;
  };
  /// The state of `servers` (the upstreams in force), in their order. Control thread.
  std::vector<Entry> read(const std::vector<net::Endpoint>& servers);

 private:
  struct Slot {
    net::Endpoint server;
    std::atomic<std::uint32_t> failures{0};
  };
  Slot* find(const net::Endpoint& server);
  Slot* find_or_add(const net::Endpoint& server);

  std::array<Slot, kMaxTracked> slots_;
  std::atomic<std::size_t> count_{0};  // slots [0, count_) are published
  std::mutex add_mutex_;
};

}  // namespace shelter::proxy::upstream
