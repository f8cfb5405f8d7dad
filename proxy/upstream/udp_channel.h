#pragma once
// UDP exchanges with one upstream over a small set of long-lived sockets. Internal to the
// forwarder (it carries Asio).
//
// Why a set of sockets rather than one per query: opening, connecting, registering and closing
// a socket per query cost more CPU than everything else a cache miss does. Why not one socket
// for ever: a fixed source port leaves only the 16-bit ID to an off-path spoofer. So each socket
// gets a kernel-chosen random port, serves a bounded number of queries, and is then replaced;
// with kSockets sockets and random IDs a spoofer must hit one of kSockets*65536 (port, ID)
// pairs that change every kQueriesPerSocket queries, and the answer must also carry our exact
// question to be accepted.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "proxy/config/address.h"
#include "proxy/dns/message.h"
#include "proxy/metrics/metrics.h"
#include "proxy/upstream/random_pool.h"
#include "proxy/upstream/upstream_answer.h"

namespace shelter::proxy::upstream {

enum class Attempt : std::uint8_t { answered, truncated, failed, timed_out };

/// Checks that a message answers our query: same ID, a well-formed response, same question.
bool answers_query(std::span<const std::uint8_t> message, std::uint16_t id, const dns::Query& query,
                   dns::Response& parsed);

class UdpChannel {
 public:
  static constexpr std::size_t kSockets = 4;
  static constexpr std::uint32_t kQueriesPerSocket = 256;
  /// How often deadlines are checked: an upstream timeout is kept to within this.
  static constexpr std::chrono::milliseconds kSweepInterval{10};

  UdpChannel(boost::asio::any_io_executor executor, config::Endpoint server,
             metrics::WorkerMetrics& metrics, RandomPool& random);
  ~UdpChannel();
  UdpChannel(const UdpChannel&) = delete;
  UdpChannel& operator=(const UdpChannel&) = delete;

  /// Sends `request` (its ID is overwritten with a fresh random one, which `id` returns) and
  /// waits until the matching answer arrives or `deadline` passes.
  boost::asio::awaitable<Attempt> exchange(std::vector<std::uint8_t>& request,
                                           const dns::Query& query,
                                           std::chrono::steady_clock::time_point deadline,
                                           UpstreamAnswer& answer);

 private:
  struct Waiter;
  struct Socket;
  std::shared_ptr<Socket> socket_for_next_query();
  static void deliver(Socket& socket, std::span<const std::uint8_t> message,
                      metrics::WorkerMetrics& metrics);
  boost::asio::awaitable<void> sweep_deadlines();
  static boost::asio::awaitable<void> read_answers(std::shared_ptr<Socket> socket,
                                                   metrics::WorkerMetrics& metrics);

  boost::asio::any_io_executor executor_;
  config::Endpoint server_;
  metrics::WorkerMetrics& metrics_;
  RandomPool& random_;
  std::vector<std::shared_ptr<Socket>> sockets_;
  std::size_t next_ = 0;
  boost::asio::steady_timer sweep_timer_;
  bool sweeping_ = false;
};

}  // namespace shelter::proxy::upstream
