#include "proxy/relay/relay_front.h"

#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstring>
#include <map>
#include <system_error>
#include <thread>

#include "proxy/log.h"
#include "proxy/net/asio_endpoint.h"
#include "proxy/relay/http_relay.h"
#include "proxy/relay/tls_relay.h"
#include "proxy/relay/tls_terminate.h"

namespace shelter::proxy::relay {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

enum class Kind : std::uint8_t { http, tls };

// REDIRECT rewrote the destination: conntrack still knows the one the client chose.
std::optional<net::Endpoint> redirected_destination(tcp::socket& socket, bool v6) {
  sockaddr_storage storage{};
  socklen_t size = sizeof storage;
  const int rc =
      v6 ? ::getsockopt(socket.native_handle(), SOL_IPV6, IP6T_SO_ORIGINAL_DST, &storage, &size)
         : ::getsockopt(socket.native_handle(), SOL_IP, SO_ORIGINAL_DST, &storage, &size);
  if (rc != 0) return std::nullopt;
  net::Endpoint e;
  if (storage.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&storage);
    std::memcpy(e.address.bytes.data(), &sin->sin_addr, 4);
    e.port = ntohs(sin->sin_port);
  } else if (storage.ss_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&storage);
    e.address.v6 = true;
    std::memcpy(e.address.bytes.data(), &sin6->sin6_addr, 16);
    e.port = ntohs(sin6->sin6_port);
  } else {
    return std::nullopt;
  }
  return e;
}

// TPROXY delivers a diverted connection with the destination the client chose as its local
// address. A connection made to one of this node's own endpoints (a steered client on the proxy
// address, beside the transparent listeners) was not diverted: its origin comes from the Host
// or the server name, as in the steered mode.
bool diverted(const net::Endpoint& here, const net::Endpoint& listener,
              const std::vector<OwnEndpoint>& own) {
  if (here == listener) return false;
  return std::none_of(own.begin(), own.end(), [&](const OwnEndpoint& o) {
    return o.address == here.address && o.port == here.port;
  });
}

struct Listener {
  tcp::acceptor acceptor;
  Kind kind;
  net::Endpoint endpoint;
};

}  // namespace

struct RelayFront::Impl {
  struct Thread {
    asio::io_context io{1};
    std::unique_ptr<OriginResolver> resolver;
    OriginPool pool;
    std::unique_ptr<RelayThreadContext> context;
    std::vector<std::unique_ptr<Listener>> listeners;
    std::map<net::Address, std::uint32_t, bool (*)(const net::Address&, const net::Address&)>
        per_client{[](const net::Address& a, const net::Address& b) {
          return std::tie(a.v6, a.bytes) < std::tie(b.v6, b.bytes);
        }};
    std::uint32_t open = 0;
    std::thread thread;
  };

  RelayShared shared;
  std::vector<net::Cidr> clients;
  std::uint32_t max_connections = 0;
  std::uint32_t max_per_client = 0;
  bool tproxy = false;
  std::vector<std::unique_ptr<Thread>> threads;
  std::vector<std::string> names;

  Impl(const server::RuntimeHolder& runtime, PageGate gate)
      : shared{.runtime = runtime,
               .gate = std::move(gate),
               .origins = {},
               .settings = {},
               .metrics = {},
               .managed_tls = nullptr} {}

  bool is_client(const net::Address& a) const {
    return std::any_of(clients.begin(), clients.end(),
                       [&](const net::Cidr& c) { return c.contains(a); });
  }

  asio::awaitable<void> accept_loop(Thread& t, Listener& l);
};

asio::awaitable<void> RelayFront::Impl::accept_loop(Thread& t, Listener& l) {
  for (;;) {
    auto [error, socket] = co_await l.acceptor.async_accept(kUseTuple);
    if (!l.acceptor.is_open()) co_return;
    if (error) continue;
    boost::system::error_code ec;
    const auto peer = socket.remote_endpoint(ec);
    const auto here = socket.local_endpoint(ec);
    if (ec) continue;
    const net::Address client = net::from_asio(peer.address());
    if (!is_client(client)) {
      count(shared.metrics.refused[static_cast<std::size_t>(ClientRefusal::not_a_client)]);
      continue;  // never an open proxy: closed at once
    }
    auto& n = t.per_client[client];
    if (t.open >= max_connections || n >= max_per_client) {
      if (n == 0) t.per_client.erase(client);
      count(shared.metrics.refused[static_cast<std::size_t>(ClientRefusal::too_many)]);
      continue;
    }
    ++n;
    ++t.open;
    ClientConnection connection{
        .client = client,
        .local = net::from_asio(here.address()),
        .original_destination = std::nullopt,
        .default_port = l.kind == Kind::http ? std::uint16_t{80} : shared.settings.tls_origin_port};
    auto original = redirected_destination(socket, here.address().is_v6());
    if (original && !(original->address == connection.local && original->port == here.port())) {
      connection.original_destination = original;
    } else if (tproxy) {
      const net::Endpoint local{.address = connection.local, .port = here.port()};
      if (diverted(local, l.endpoint, shared.origins.own)) {
        connection.original_destination = local;
      }
    }
    auto done = [&t, client](const std::exception_ptr& e) {
      auto it = t.per_client.find(client);
      if (it != t.per_client.end() && --it->second == 0) t.per_client.erase(it);
      --t.open;
      if (e) log_exception{"proxy connection"}(e);
    };
    if (l.kind == Kind::http) {
      asio::co_spawn(t.io, serve_http(*t.context, std::move(socket), std::move(connection)), done);
    } else {
      asio::co_spawn(t.io, serve_tls(*t.context, std::move(socket), std::move(connection)), done);
    }
  }
}

RelayFront::RelayFront(const server::RuntimeHolder& runtime, PageGate gate,
                       std::vector<net::Endpoint> resolvers)
    : impl_(std::make_unique<Impl>(runtime, std::move(gate))) {
  const config::Config& config = *runtime.current()->config;
  const config::ProxyConfig& p = config.proxy;
  Impl& impl = *impl_;
  impl.clients = p.clients;
  impl.max_connections = p.max_connections;
  impl.max_per_client = p.max_connections_per_client;
  impl.tproxy = p.tproxy;
  RelaySettings& s = impl.shared.settings;
  s.connect_timeout = p.connect_timeout;
  s.idle_timeout = p.idle_timeout;
  s.header_timeout = config.web.header_timeout;
  s.hello_timeout = p.hello_timeout;
  s.tls_origin_port = p.tls_origin_port;
  if (p.managed_tls.enabled()) impl.shared.managed_tls = make_managed_tls(p.managed_tls);
  OriginPolicy& origins = impl.shared.origins;
  origins.ports = p.ports;
  origins.private_origins = p.private_origins;
  auto own = [&](const net::Endpoint& e) { origins.own.push_back({e.address, e.port}); };
  for (const auto& e : p.http_listen) {
    own(e);
    for (const auto& a : p.address_ipv4)
      own({a, e.port});
    for (const auto& a : p.address_ipv6)
      own({a, e.port});
  }
  for (const auto& e : p.tls_listen) {
    own(e);
    for (const auto& a : p.address_ipv4)
      own({a, e.port});
    for (const auto& a : p.address_ipv6)
      own({a, e.port});
  }
  for (const auto& e : config.web.block_listen)
    own(e);
  for (const auto& e : config.web.public_listen)
    own(e);
  for (const auto& e : config.dns.listen)
    own(e);
  if (config.admin.listen) own(*config.admin.listen);

  const std::uint32_t thread_count = std::max<std::uint32_t>(p.threads, 1);
  auto bind = [&](Impl::Thread& t, const net::Endpoint& endpoint, Kind kind) {
    auto listener = std::make_unique<Listener>(Listener{tcp::acceptor(t.io), kind, endpoint});
    try {
      auto local = net::to_asio_endpoint<tcp>(endpoint);
      tcp::acceptor& a = listener->acceptor;
      a.open(local.protocol());
      a.set_option(asio::socket_base::reuse_address(true));
      const int one = 1;
      // Every thread listens on the same endpoints: the kernel spreads the connections.
      ::setsockopt(a.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
      if (impl.tproxy) {
        if (::setsockopt(a.native_handle(), endpoint.address.v6 ? SOL_IPV6 : SOL_IP,
                         endpoint.address.v6 ? IPV6_TRANSPARENT : IP_TRANSPARENT, &one,
                         sizeof one) != 0) {
          throw std::system_error(errno, std::generic_category(),
                                  "IP_TRANSPARENT (proxy.tproxy needs CAP_NET_ADMIN)");
        }
      }
      if (endpoint.address.v6) a.set_option(asio::ip::v6_only(true));
      a.bind(local);
      a.listen();
    } catch (const std::system_error& e) {
      throw std::system_error(e.code(), "cannot listen on " + endpoint.to_string() + " (" +
                                            (kind == Kind::http ? "HTTP proxy" : "TLS proxy") +
                                            "): " + e.what());
    }
    t.listeners.push_back(std::move(listener));
  };
  if (p.http_listen.empty() && p.tls_listen.empty()) return;
  for (std::uint32_t i = 0; i < thread_count; ++i) {
    auto t = std::make_unique<Impl::Thread>();
    t->resolver =
        std::make_unique<OriginResolver>(t->io.get_executor(), resolvers, p.connect_timeout);
    t->context = std::make_unique<RelayThreadContext>(
        RelayThreadContext{impl.shared, *t->resolver, t->pool});
    // Port 0 (tests): the first thread's kernel-chosen port is every other thread's.
    for (std::size_t k = 0; k < p.http_listen.size(); ++k) {
      net::Endpoint e = p.http_listen[k];
      if (i > 0) e = impl.threads[0]->listeners[k]->endpoint;
      bind(*t, e, Kind::http);
      if (i == 0) {
        auto local = t->listeners.back()->acceptor.local_endpoint();
        t->listeners.back()->endpoint.port = local.port();
      }
    }
    for (std::size_t k = 0; k < p.tls_listen.size(); ++k) {
      net::Endpoint e = p.tls_listen[k];
      if (i > 0) e = impl.threads[0]->listeners[p.http_listen.size() + k]->endpoint;
      bind(*t, e, Kind::tls);
      if (i == 0) {
        auto local = t->listeners.back()->acceptor.local_endpoint();
        t->listeners.back()->endpoint.port = local.port();
      }
    }
    impl.threads.push_back(std::move(t));
  }
  for (const auto& l : impl.threads[0]->listeners) {
    impl.names.push_back(std::string(l->kind == Kind::http ? "HTTP proxy on " : "TLS proxy on ") +
                         l->endpoint.to_string());
  }
}

RelayFront::~RelayFront() {
  stop();
}

void RelayFront::start() {
  for (auto& t : impl_->threads) {
    for (auto& l : t->listeners)
      asio::co_spawn(t->io, impl_->accept_loop(*t, *l), log_exception{"proxy listener"});
    t->thread = std::thread([io = &t->io] {
      auto work = asio::make_work_guard(*io);
      io->run();
    });
  }
}

void RelayFront::stop() {
  for (auto& t : impl_->threads) {
    // Connections in keep-alive or in a tunnel would hold the thread: stop now.
    t->io.stop();
    if (t->thread.joinable()) t->thread.join();
  }
}

std::string RelayFront::describe() const {
  std::string text;
  for (const std::string& name : impl_->names)
    text += (text.empty() ? "" : ", ") + name;
  return text;
}

const RelayMetrics& RelayFront::metrics() const {
  return impl_->shared.metrics;
}

}  // namespace shelter::proxy::relay
