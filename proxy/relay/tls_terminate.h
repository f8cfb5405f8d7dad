#pragma once
// Managed networks only (proxy.managed-tls): a TLS connection to a host blocked whole is
// answered with the block page over TLS, under a certificate minted for the name
// (proxy/tls/cert_minter.h), instead of a TLS alert. Every request on such a connection gets the
// block page (or the 403 of a sub-resource), or the block listener's own /.shelter/ paths ("Ask my
// parent"); nothing is ever forwarded from a terminated connection. docs/proxy.md.

#include <memory>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "proxy/config/config.h"
#include "proxy/relay/http_relay.h"
#include "proxy/relay/relay_context.h"

namespace shelter::proxy::relay {

/// Loads the CA and makes the TLS server context (TLS 1.2 and 1.3, ALPN http/1.1). Throws
/// std::runtime_error with a message naming the file and the fault.
std::shared_ptr<ManagedTls> make_managed_tls(const config::ProxyConfig::ManagedTls& config);

/// Serves the block page on `client`, whose first bytes (`hello_bytes`, the ClientHello and
/// whatever followed it) were already read, for the blocked `host` (the SNI, or the original
/// destination's address). Bounded by the header timeout per request.
boost::asio::awaitable<void> serve_block_page_over_tls(RelayThreadContext& context,
                                                       boost::asio::ip::tcp::socket& client,
                                                       std::string_view hello_bytes,
                                                       std::string_view host,
                                                       const ClientConnection& connection);

}  // namespace shelter::proxy::relay
