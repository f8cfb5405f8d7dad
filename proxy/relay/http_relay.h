#pragma once
// The HTTP proxy's connection: per request on a keep-alive connection, rebuild the URL from
// the target and Host, canonicalise it as the lists are, ask the decision core, and either
// answer with the block page (or 403) or forward: the head re-serialised by us (hop-by-hop
// fields dropped, our own framing), bodies streamed both ways without holding them, origin
// connections kept alive. CONNECT and upgrades (websockets) become tunnels. docs/proxy.md.

#include <cstdint>
#include <optional>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "proxy/http/head_guard.h"
#include "proxy/http/message.h"
#include "proxy/net/endpoint.h"
#include "proxy/relay/relay_context.h"

namespace shelter::proxy::relay {

struct ClientConnection {
  net::Address client;  ///< the TCP peer
  net::Address local;   ///< the address it came to
  /// A transparent connection's original destination (REDIRECT's SO_ORIGINAL_DST, or the
  /// local address under TPROXY): the origin to connect to. Null: steered or explicit.
  std::optional<net::Endpoint> original_destination;
  std::uint16_t default_port = 80;  ///< the origin port when Host names none
};

/// The block listener's own paths on a steered host ("Ask my parent"), and the largest body
/// read for one of them (the web front's form limit).
inline constexpr std::string_view kOwnPathPrefix = "/.shelter/";
inline constexpr std::uint64_t kMaxOwnBody = 64 * 1024;

/// A request as the web pages see it, for the block page and /.shelter/ paths (only then: the
/// forwarding path never copies a head into one). `path`: the origin-form target.
http::Request page_request(const http::RequestHead& head, std::string_view path,
                           const ClientConnection& connection);

/// Serves one client connection until it closes, errs, idles out or asks to close.
boost::asio::awaitable<void> serve_http(RelayThreadContext& context,
                                        boost::asio::ip::tcp::socket socket,
                                        ClientConnection connection);

}  // namespace shelter::proxy::relay
