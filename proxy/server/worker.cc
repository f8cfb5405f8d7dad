#include "proxy/server/worker.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <list>
#include <system_error>

#include "proxy/log.h"
#include "proxy/net/asio_endpoint.h"
#include "proxy/net/socket_buffers.h"
#include "proxy/profiles/redis_directory.h"
#include "proxy/redis/settings.h"
#include "proxy/redis/settings_from_config.h"
#include "proxy/server/tcp_listener.h"
#include "proxy/server/udp_listener.h"
#include "proxy/server/worker_core.h"

namespace shelter::proxy::server {
namespace {

namespace asio = boost::asio;

// SO_REUSEPORT lets every worker bind the same address; the kernel balances between them.
using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

template <typename Socket>
void prepare(Socket& socket, const typename Socket::protocol_type& protocol, bool v6) {
  socket.open(protocol);
  socket.set_option(asio::socket_base::reuse_address(true));
  socket.set_option(ReusePort(true));
  if (v6) socket.set_option(asio::ip::v6_only(true));
}

}  // namespace

struct Worker::Impl {
  Impl(const RuntimeHolder& holder, dns::SharedResponseCache& cache, ConnectionSlots& tcp_slots,
       upstream::HealthBoard* health)
      : core(holder, cache, metrics, tcp_slots, health) {
    // Households in Redis: this worker reads them over a connection of its own (one per
    // thread, no locks). Redis settings take effect at start only.
    const config::Config& config = *holder.current()->config;
    if (config.subscribers.store == config::StoreKind::redis) {
      core.redis = std::make_unique<redis::Client>(core.io.get_executor(),
                                                   redis::settings_from(config.redis));
      core.redis->start();
    }
    const config::QueryLogConfig& query_log = config.logging.query_log;
    if (query_log.enabled) {
      core.query_log = std::make_unique<querylog::Buffer>(std::size_t{query_log.buffer_kb} * 1024);
    }
  }

  metrics::WorkerMetrics metrics;
  WorkerCore core;
  std::list<asio::ip::udp::socket> udp;
  std::list<asio::ip::tcp::acceptor> tcp;
  std::unique_ptr<asio::steady_timer> stop_timer;
  asio::steady_timer refresh_timer{core.io};

  // A worker that gets no queries would keep the runtime it last saw (and its list snapshot)
  // alive after a reload; looking once a second bounds what a reload can leave behind.
  void refresh_runtime() {
    refresh_timer.expires_after(std::chrono::seconds(1));
    refresh_timer.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      core.view.get();
      refresh_runtime();
    });
  }
};

Worker::Worker(const RuntimeHolder& runtime, dns::SharedResponseCache& cache,
               ConnectionSlots& tcp_slots, upstream::HealthBoard* health)
    : impl_(std::make_unique<Impl>(runtime, cache, tcp_slots, health)) {}
Worker::~Worker() = default;

net::Endpoint Worker::listen(const net::Endpoint& endpoint) {
  boost::system::error_code ec;
  net::Endpoint bound = endpoint;
  try {
    auto& udp = impl_->udp.emplace_back(impl_->core.io);
    auto udp_endpoint = net::to_asio_endpoint<asio::ip::udp>(endpoint);
    prepare(udp, udp_endpoint.protocol(), endpoint.address.v6);
    udp.bind(udp_endpoint);
    udp.non_blocking(true);
    net::enlarge_receive_buffer(udp.native_handle());
    bound.port = udp.local_endpoint().port();

    auto& tcp = impl_->tcp.emplace_back(impl_->core.io);
    auto tcp_endpoint = net::to_asio_endpoint<asio::ip::tcp>(bound);
    prepare(tcp, tcp_endpoint.protocol(), endpoint.address.v6);
    tcp.bind(tcp_endpoint);
    tcp.listen(asio::socket_base::max_listen_connections);
  } catch (const boost::system::system_error& e) {
    throw std::system_error(e.code(), "cannot listen on " + endpoint.to_string());
  }
  asio::co_spawn(impl_->core.io, serve_udp(impl_->core, impl_->udp.back()),
                 log_exception("udp listener"));
  asio::co_spawn(impl_->core.io, serve_tcp(impl_->core, impl_->tcp.back()),
                 log_exception("tcp listener"));
  return bound;
}

void Worker::run() {
  impl_->refresh_runtime();
  impl_->core.io.run();
}

void Worker::stop(std::chrono::milliseconds grace) {
  asio::post(impl_->core.io, [this, grace] {
    boost::system::error_code ignored;
    // UDP sockets stay open (only their reads end) so forwards in flight can still answer.
    for (auto& s : impl_->udp)
      s.cancel(ignored);
    for (auto& a : impl_->tcp)
      a.close(ignored);
    if (impl_->core.redis) impl_->core.redis->stop();
    impl_->stop_timer = std::make_unique<asio::steady_timer>(impl_->core.io);
    wait_for_drain(std::chrono::steady_clock::now() + grace);
  });
}

void Worker::wait_for_drain(std::chrono::steady_clock::time_point deadline) {
  if (impl_->core.in_flight == 0 || std::chrono::steady_clock::now() >= deadline) {
    impl_->core.io.stop();
    return;
  }
  impl_->stop_timer->expires_after(std::chrono::milliseconds(20));
  impl_->stop_timer->async_wait(
      [this, deadline](boost::system::error_code) { wait_for_drain(deadline); });
}

const metrics::WorkerMetrics& Worker::metrics() const {
  return impl_->metrics;
}

profiles::ActivityAccumulator& Worker::activity() {
  return impl_->core.activity;
}

querylog::Buffer* Worker::query_log() {
  return impl_->core.query_log.get();
}

}  // namespace shelter::proxy::server
