#pragma once
// What every relay session reads: the shared settings and counters of the filtering proxy, and
// the per-thread parts (resolver, idle origin connections). Internal to proxy/relay.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "policy/decide.h"
#include "proxy/http/message.h"
#include "proxy/net/endpoint.h"
#include "proxy/relay/origin_guard.h"
#include "proxy/relay/origin_resolver.h"
#include "proxy/relay/relay_metrics.h"
#include "proxy/server/runtime.h"

namespace shelter::proxy::relay {

/// The web front's side of a page check (web::WebFront implements it).
struct PageGate {
  /// One decision for `client` on this canonical host and path at `now`: the block page
  /// (navigation) or the short 403 (sub-resource), built for `request()` (called only then),
  /// when the page is blocked; nullopt: forward it.
  std::function<std::optional<http::Response>(const net::Address& client, std::string_view host,
                                              std::string_view path, std::int64_t now,
                                              const std::function<http::Request()>& request)>
      page;
  /// The decision on a host alone (TLS, CONNECT): pass, blocked whole, or its HTTPS refused.
  std::function<policy::HostVerdict(const net::Address& client, std::string_view host,
                                    std::int64_t now)>
      host_verdict;
  /// The block listener's own paths (/.shelter/...: "Ask my parent") on a steered host.
  std::function<boost::asio::awaitable<http::Response>(const http::Request& request)> own_path;
};

struct ManagedTls;  // tls_terminate.h

struct RelaySettings {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds hello_timeout{5'000};
  std::uint16_t tls_origin_port = 443;
  std::uint32_t max_requests_per_connection = 1000;
};

/// Read by every thread; set before the first connection.
struct RelayShared {
  const server::RuntimeHolder& runtime;
  PageGate gate;
  OriginPolicy origins;
  RelaySettings settings;
  RelayMetrics metrics;
  /// Managed networks: the operator's CA, to show blocked HTTPS hosts the block page. Null:
  /// off (the default), a blocked host gets a TLS alert.
  std::shared_ptr<ManagedTls> managed_tls;
};

/// Idle keep-alive connections to origins, by "host:port" as the request named it (the
/// address was guarded when the connection was made). One per thread: no locking.
class OriginPool {
 public:
  static constexpr std::size_t kMaxPerKey = 8;
  static constexpr std::size_t kMaxTotal = 1024;
  static constexpr std::chrono::seconds kMaxIdle{30};

  /// A live idle connection for `key`, or a closed socket when there is none.
  bool take(const std::string& key, boost::asio::ip::tcp::socket& out);
  void put(const std::string& key, boost::asio::ip::tcp::socket socket);

 private:
  struct Idle {
    boost::asio::ip::tcp::socket socket;
    std::chrono::steady_clock::time_point since;
  };
  std::unordered_map<std::string, std::vector<Idle>> idle_;
  std::size_t total_ = 0;
};

/// One thread's parts.
struct RelayThreadContext {
  RelayShared& shared;
  OriginResolver& resolver;
  OriginPool& pool;
};

/// An origin connection, or why there is none.
struct OriginConnection {
  boost::asio::ip::tcp::socket socket;
  OriginRefusal refusal = OriginRefusal::none;
  std::string error;  ///< empty when connected
};

/// Resolves `host` (a normalised name, or an IP literal, brackets allowed) unless `fixed` (a
/// transparent connection's original destination) is given, guards each address and connects
/// to the first allowed one that answers within the connect timeout.
boost::asio::awaitable<OriginConnection> connect_origin(RelayThreadContext& context,
                                                        std::string_view host, std::uint16_t port,
                                                        const net::Address* fixed);

}  // namespace shelter::proxy::relay
