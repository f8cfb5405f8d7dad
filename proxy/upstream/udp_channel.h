#pragma once
// UDP exchanges with one upstream. Internal to the forwarder (it carries Asio).
//
// Source ports: every socket is connected to the upstream on a kernel-chosen random port and
// serves `queries_per_socket` queries, then takes no more and closes once its last answer is in.
// With the default of 1 every query leaves from a fresh random port, so an off-path spoofer must
// guess port and ID together (and the answer must carry our exact question to be accepted).
// Opening, connecting, registering and closing a socket per query is also the largest CPU cost
// of a cache miss, so operators whose path to the upstream is trusted may let a socket carry
// more queries: up to kSockets sockets then take queries in turn (docs/BENCHMARKS.md has both).

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "proxy/dns/message.h"
#include "proxy/metrics/metrics.h"
#include "proxy/net/endpoint.h"
#include "proxy/upstream/random_pool.h"
#include "proxy/upstream/upstream_answer.h"

namespace shelter::proxy::upstream {

enum class Attempt : std::uint8_t { answered, truncated, failed, timed_out };

/// Checks that a message answers our query: same ID, a well-formed response, same question.
bool answers_query(std::span<const std::uint8_t> message, std::uint16_t id, const dns::Query& query,
                   dns::Response& parsed);

class UdpChannel {
 public:
  /// Sockets taking queries at once (when a socket may carry more than one).
  static constexpr std::size_t kSockets = 4;
  /// How often deadlines are checked: an upstream timeout is kept to within this.
  static constexpr std::chrono::milliseconds kSweepInterval{10};

  UdpChannel(boost::asio::any_io_executor executor, net::Endpoint server,
             metrics::WorkerMetrics& metrics, RandomPool& random);
  ~UdpChannel();
  UdpChannel(const UdpChannel&) = delete;
  UdpChannel& operator=(const UdpChannel&) = delete;

  /// Sends `request` (its ID is overwritten with a fresh random one) and waits until the
  /// matching answer arrives or `deadline` passes. `queries_per_socket` >= 1.
  boost::asio::awaitable<Attempt> exchange(std::vector<std::uint8_t>& request,
                                           const dns::Query& query,
                                           std::chrono::steady_clock::time_point deadline,
                                           std::uint32_t queries_per_socket,
                                           UpstreamAnswer& answer);

 private:
  struct Waiter;
  struct Socket;
  std::shared_ptr<Socket> socket_for_next_query(std::uint32_t queries_per_socket);
  boost::asio::awaitable<void> sweep_deadlines();
  static void deliver(Socket& socket, std::span<const std::uint8_t> message,
                      metrics::WorkerMetrics& metrics);
  static boost::asio::awaitable<void> read_answers(std::shared_ptr<Socket> socket,
                                                   std::uint32_t queries_per_socket,
                                                   metrics::WorkerMetrics& metrics);

  boost::asio::any_io_executor executor_;
  net::Endpoint server_;
  metrics::WorkerMetrics& metrics_;
  RandomPool& random_;
  std::vector<std::shared_ptr<Socket>> open_;  // sockets still taking queries
  std::size_t next_ = 0;
  std::unordered_set<Waiter*> waiters_;  // every query waiting, on any socket
  boost::asio::steady_timer sweep_timer_;
  bool sweeping_ = false;
};

}  // namespace shelter::proxy::upstream
