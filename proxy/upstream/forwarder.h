#pragma once
// Forwarding of client queries to the upstream resolvers: UDP first, TCP when the answer is
// truncated, timeouts and retries across upstreams, and health tracking so a dead upstream is
// skipped. One Forwarder per worker thread; it is not thread-safe and needs no locks.
//
// Anti-spoofing: UDP goes through a UdpChannel per upstream (connected sockets on random ports,
// by default a fresh one per query), every query gets a fresh random ID, and an answer is
// accepted only when its ID and question match ours.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "proxy/dns/message.h"
#include "proxy/metrics/metrics.h"
#include "proxy/net/endpoint.h"
#include "proxy/upstream/health_board.h"
#include "proxy/upstream/random_pool.h"
#include "proxy/upstream/udp_channel.h"
#include "proxy/upstream/upstream_answer.h"

namespace shelter::proxy::upstream {

struct ForwardSettings {
  std::span<const net::Endpoint> servers;
  std::chrono::milliseconds timeout{1000};  ///< per attempt
  std::uint32_t attempts = 3;
  std::uint16_t udp_payload_size = 1232;
  std::uint32_t queries_per_socket = 1;  ///< see UdpChannel
};

class Forwarder {
 public:
  /// `board` (may be null) hears of every attempt's outcome, for the process-wide health.
  Forwarder(boost::asio::any_io_executor executor, metrics::WorkerMetrics& metrics,
            HealthBoard* board = nullptr);
  ~Forwarder();
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  /// Asks the upstreams for `query`'s question. Never throws for network trouble: failure is an
  /// answer with ok == false. `settings.servers` must stay alive until the call completes.
  boost::asio::awaitable<UpstreamAnswer> forward(const dns::Query& query, ForwardSettings settings);

 private:
  struct Health {
    net::Endpoint server;
    std::uint32_t consecutive_failures = 0;
    std::chrono::steady_clock::time_point down_until{};
    std::unique_ptr<UdpChannel> channel;
  };
  Health& health_of(const net::Endpoint& server);
  const net::Endpoint& pick(std::span<const net::Endpoint> servers, std::uint32_t attempt);
  void record(const net::Endpoint& server, bool success);

  boost::asio::any_io_executor executor_;
  metrics::WorkerMetrics& metrics_;
  HealthBoard* board_;
  RandomPool random_;
  std::vector<Health> health_;
};

}  // namespace shelter::proxy::upstream
