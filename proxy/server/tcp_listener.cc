#include "proxy/server/tcp_listener.h"

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <memory>
#include <vector>

#include "proxy/log.h"
#include "proxy/net/asio_endpoint.h"

namespace shelter::proxy::server {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(WorkerCore& core, tcp::socket socket, net::Address client, ConnectionSlots::Slot slot)
      : core_(core),
        slot_(std::move(slot)),
        socket_(std::move(socket)),
        idle_timer_(socket_.get_executor()),
        client_(client) {
    core_.metrics.tcp_connections.add();
  }
  ~Connection() { core_.metrics.tcp_connections.set(core_.metrics.tcp_connections.get() - 1); }

  asio::awaitable<void> serve() {
    auto self = shared_from_this();
    asio::co_spawn(socket_.get_executor(), watch_idle(), asio::detached);
    std::array<std::uint8_t, 2> length{};
    for (;;) {
      touch();
      auto [e1, n1] = co_await asio::async_read(socket_, asio::buffer(length), kUseTuple);
      if (e1) break;
      std::vector<std::uint8_t> packet(dns::read_u16(length.data()));
      if (packet.empty()) break;
      auto [e2, n2] = co_await asio::async_read(socket_, asio::buffer(packet), kUseTuple);
      if (e2) break;
      touch();
      handle(std::move(packet));
    }
    close();
  }

 private:
  void handle(std::vector<std::uint8_t> packet) {
    std::shared_ptr<const Runtime> runtime = core_.view.get();
    QueryContext context = core_.context(*runtime);
    dns::Query query;
    std::vector<std::uint8_t> answer;
    LocalAnswer local = answer_locally({.packet = packet, .client = client_, .over_tcp = true},
                                       query, answer, context);
    if (local.step == Step::reply) {
      send(std::move(answer));
    } else if (local.step == Step::forward) {
      ++in_flight_;
      asio::co_spawn(socket_.get_executor(),
                     forward(std::move(packet), query, std::move(local.plan)),
                     log_exception("tcp forward"));
    } else if (local.step == Step::fetch) {
      ++in_flight_;
      asio::co_spawn(socket_.get_executor(),
                     fetch_then_answer(std::move(packet), query, std::move(local.identity)),
                     log_exception("tcp household fetch"));
    }
  }

  asio::awaitable<void> fetch_then_answer(std::vector<std::uint8_t> packet, dns::Query query,
                                          policy::Identity identity) {
    auto self = shared_from_this();
    std::optional<std::vector<std::uint8_t>> answer = co_await core_.answer_after_fetch(
        std::move(packet), client_, true, query, std::move(identity));
    --in_flight_;
    if (answer) send(std::move(*answer));
  }

  asio::awaitable<void> forward(std::vector<std::uint8_t> packet, dns::Query query,
                                ForwardPlan plan) {
    auto self = shared_from_this();
    std::vector<std::uint8_t> answer = co_await core_.forward(std::move(packet), query, true, plan);
    --in_flight_;
    send(std::move(answer));
  }

  // Queues an answer; one writer drains the queue so messages never interleave on the wire.
  void send(std::vector<std::uint8_t> answer) {
    if (!socket_.is_open()) return;
    std::vector<std::uint8_t> framed(2 + answer.size());
    dns::write_u16(framed.data(), static_cast<std::uint16_t>(answer.size()));
    std::copy(answer.begin(), answer.end(), framed.begin() + 2);
    writes_.push_back(std::move(framed));
    if (!writing_) {
      writing_ = true;
      asio::co_spawn(socket_.get_executor(), drain_writes(), asio::detached);
    }
  }

  asio::awaitable<void> drain_writes() {
    auto self = shared_from_this();
    while (!writes_.empty()) {
      auto [error, n] =
          co_await asio::async_write(socket_, asio::buffer(writes_.front()), kUseTuple);
      writes_.pop_front();
      if (error) {
        writes_.clear();
        close();
      }
    }
    writing_ = false;
  }

  // Closes the connection once it has been idle (no query read, nothing in flight) too long.
  asio::awaitable<void> watch_idle() {
    auto self = shared_from_this();
    while (socket_.is_open()) {
      idle_timer_.expires_at(last_active_ + core_.view.get()->config->dns.tcp_idle_timeout);
      co_await idle_timer_.async_wait(kUseTuple);
      if (!socket_.is_open()) break;
      auto deadline = last_active_ + core_.view.get()->config->dns.tcp_idle_timeout;
      if (in_flight_ == 0 && writes_.empty() && std::chrono::steady_clock::now() >= deadline) {
        close();
      }
    }
  }

  void touch() { last_active_ = std::chrono::steady_clock::now(); }

  void close() {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    idle_timer_.cancel();
  }

  WorkerCore& core_;
  ConnectionSlots::Slot slot_;  // one of the process's dns.max-tcp-connections
  tcp::socket socket_;
  asio::steady_timer idle_timer_;
  net::Address client_;
  std::chrono::steady_clock::time_point last_active_ = std::chrono::steady_clock::now();
  std::deque<std::vector<std::uint8_t>> writes_;
  bool writing_ = false;
  std::size_t in_flight_ = 0;
};

}  // namespace

asio::awaitable<void> serve_tcp(WorkerCore& core, tcp::acceptor& acceptor) {
  for (;;) {
    auto [error, socket] = co_await acceptor.async_accept(kUseTuple);
    if (!acceptor.is_open()) co_return;
    if (error) continue;  // e.g. the peer reset before we accepted
    // Over the process-wide cap: accepted and closed at once (the client sees the close and
    // may retry or fall back), as before when the cap was per worker.
    ConnectionSlots::Slot slot =
        core.tcp_slots.try_take(core.view.get()->config->dns.max_tcp_connections);
    if (!slot) {
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    boost::system::error_code endpoint_error;
    auto peer = socket.remote_endpoint(endpoint_error);
    if (endpoint_error) continue;
    auto connection = std::make_shared<Connection>(core, std::move(socket),
                                                   net::from_asio(peer.address()), std::move(slot));
    asio::co_spawn(acceptor.get_executor(), connection->serve(), log_exception("tcp session"));
  }
}

}  // namespace shelter::proxy::server
