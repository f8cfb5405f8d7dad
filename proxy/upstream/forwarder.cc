#include "proxy/upstream/forwarder.h"

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "proxy/dns/builder.h"
#include "proxy/net/asio_endpoint.h"

namespace shelter::proxy::upstream {
namespace {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// A health record is marked down after this many failures in a row, for a back-off that
// doubles from one second up to kMaxDownTime.
constexpr std::uint32_t kFailuresBeforeDown = 3;
constexpr auto kMaxDownTime = std::chrono::seconds(30);

// An upstream that answers with SERVFAIL or REFUSED is not helping: try the next one.
bool usable(const dns::Response& parsed) {
  return parsed.rcode != dns::Rcode::servfail && parsed.rcode != dns::Rcode::refused;
}

// One query over a new TCP connection (after a truncated UDP answer).
asio::awaitable<Attempt> ask_tcp(const net::Endpoint& server, std::span<const std::uint8_t> request,
                                 std::uint16_t id, const dns::Query& query,
                                 Clock::time_point deadline, UpstreamAnswer& answer,
                                 metrics::WorkerMetrics& metrics) {
  auto executor = co_await asio::this_coro::executor;
  asio::ip::tcp::socket socket(executor);
  asio::steady_timer timer(executor, deadline);
  auto exchange = [&]() -> asio::awaitable<boost::system::error_code> {
    auto [connect_error] =
        co_await socket.async_connect(net::to_asio_endpoint<asio::ip::tcp>(server), kUseTuple);
    if (connect_error) co_return connect_error;
    std::array<std::uint8_t, 2> length{};
    dns::write_u16(length.data(), static_cast<std::uint16_t>(request.size()));
    std::array<asio::const_buffer, 2> out{asio::buffer(length),
                                          asio::buffer(request.data(), request.size())};
    auto [write_error, written] = co_await asio::async_write(socket, out, kUseTuple);
    if (write_error) co_return write_error;
    auto [read_error, read] = co_await asio::async_read(socket, asio::buffer(length), kUseTuple);
    if (read_error) co_return read_error;
    answer.message.resize(dns::read_u16(length.data()));
    auto [body_error, body] =
        co_await asio::async_read(socket, asio::buffer(answer.message), kUseTuple);
    co_return body_error;
  };
  auto result = co_await (exchange() || timer.async_wait(kUseTuple));
  if (result.index() == 1) co_return Attempt::timed_out;
  if (std::get<0>(result)) co_return Attempt::failed;
  if (!answers_query(answer.message, id, query, answer.parsed)) {
    metrics.upstream_spoof_rejected.add();
    co_return Attempt::failed;
  }
  co_return Attempt::answered;
}

}  // namespace

Forwarder::Forwarder(boost::asio::any_io_executor executor, metrics::WorkerMetrics& metrics,
                     HealthBoard* board)
    : executor_(std::move(executor)), metrics_(metrics), board_(board) {}

Forwarder::~Forwarder() = default;

Forwarder::Health& Forwarder::health_of(const net::Endpoint& server) {
  for (Health& h : health_) {
    if (h.server == server) return h;
  }
  health_.push_back(
      Health{.server = server,
             .channel = std::make_unique<UdpChannel>(executor_, server, metrics_, random_)});
  return health_.back();
}

const net::Endpoint& Forwarder::pick(std::span<const net::Endpoint> servers,
                                     std::uint32_t attempt) {
  // Healthy upstreams first, in configured order, then those marked down: attempt k takes the
  // k-th of that order (wrapping), without building the order.
  auto now = Clock::now();
  auto is_down = [&](const net::Endpoint& s) { return health_of(s).down_until > now; };
  std::size_t healthy = 0;
  for (const net::Endpoint& s : servers)
    healthy += is_down(s) ? 0 : 1;
  std::size_t k = attempt % servers.size();
  bool want_down = k >= healthy;
  if (want_down) k -= healthy;
  for (const net::Endpoint& s : servers) {
    if (is_down(s) != want_down) continue;
    if (k-- == 0) return s;
  }
  return servers.front();  // not reached: k is always within the group
}

void Forwarder::record(const net::Endpoint& server, bool success) {
  if (board_ != nullptr) board_->record(server, success);
  Health& h = health_of(server);
  if (success) {
    h.consecutive_failures = 0;
    h.down_until = {};
    return;
  }
  ++h.consecutive_failures;
  if (h.consecutive_failures >= kFailuresBeforeDown) {
    std::uint32_t doublings =
        std::min<std::uint32_t>(h.consecutive_failures - kFailuresBeforeDown, 5);
    auto back_off =
        std::min<Clock::duration>(std::chrono::seconds(1) * (1u << doublings), kMaxDownTime);
    h.down_until = Clock::now() + back_off;
  }
}

boost::asio::awaitable<UpstreamAnswer> Forwarder::forward(const dns::Query& query,
                                                          ForwardSettings settings) {
  UpstreamAnswer answer;
  if (settings.servers.empty()) co_return answer;
  std::vector<std::uint8_t> request;
  for (std::uint32_t attempt = 0; attempt < settings.attempts; ++attempt) {
    const net::Endpoint& server = pick(settings.servers, attempt);
    dns::build_upstream_query(query, 0, settings.udp_payload_size, request);
    auto started = Clock::now();
    metrics_.upstream_queries.add();
    Attempt result = co_await health_of(server).channel->exchange(
        request, query, started + settings.timeout, settings.queries_per_socket, answer);
    if (result == Attempt::truncated) {
      metrics_.upstream_tcp_retries.add();
      std::uint16_t id = random_.next_u16();  // a new exchange, a new ID
      dns::write_u16(&request[dns::kOffId], id);
      result = co_await ask_tcp(server, request, id, query, Clock::now() + settings.timeout, answer,
                                metrics_);
    }
    if (result == Attempt::answered && usable(answer.parsed)) {
      record(server, true);
      metrics_.upstream_latency(std::chrono::duration<double>(Clock::now() - started).count());
      answer.ok = true;
      co_return answer;
    }
    record(server, false);
    (result == Attempt::timed_out ? metrics_.upstream_timeouts : metrics_.upstream_errors).add();
  }
  answer.message.clear();
  co_return answer;
}

}  // namespace shelter::proxy::upstream
