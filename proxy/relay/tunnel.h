#pragma once
// Two connections joined byte for byte: a TLS connection spliced to its origin, a CONNECT
// tunnel, an upgraded (websocket) HTTP connection. Each direction ends on its own (a
// half-close is passed on as a shutdown of the other side's sending), an error ends both, and
// the whole tunnel ends when no byte has moved either way for `idle`.

#include <chrono>
#include <cstdint>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace shelter::proxy::relay {

struct TunnelBytes {
  std::uint64_t to_origin = 0;  ///< client -> origin
  std::uint64_t to_client = 0;  ///< origin -> client
};

/// Joins `client` and `origin` until both directions end or the tunnel is idle. The bytes
/// already read from either side (`to_origin_first`, `to_client_first`) are written first.
boost::asio::awaitable<TunnelBytes> run_tunnel(boost::asio::ip::tcp::socket& client,
                                               boost::asio::ip::tcp::socket& origin,
                                               std::chrono::milliseconds idle,
                                               std::string_view to_origin_first = {},
                                               std::string_view to_client_first = {});

}  // namespace shelter::proxy::relay
