#pragma once
// The TLS-SNI proxy's connection: read the ClientHello (across segments and records, within
// proxy.hello-timeout and 16 KiB), decide on its server name as DNS would, then splice the
// client to the origin byte for byte (the hello first), or answer a blocked host with a TLS
// alert, never a certificate of ours. docs/proxy.md.

#include <span>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "proxy/relay/http_relay.h"
#include "proxy/relay/relay_context.h"

namespace shelter::proxy::relay {

/// The class names of unreadable hellos, in the order of RelayMetrics::hello_failures.
std::span<const std::string_view> hello_failure_classes();

boost::asio::awaitable<void> serve_tls(RelayThreadContext& context,
                                       boost::asio::ip::tcp::socket socket,
                                       ClientConnection connection);

}  // namespace shelter::proxy::relay
