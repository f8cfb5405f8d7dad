#pragma once
// The TCP side of the DNS server (RFC 7766): length-prefixed messages, several queries in
// flight on one connection (answers may leave in a different order), an idle timeout, and a cap
// on connections across the whole process (ConnectionSlots, shared by every worker).

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "proxy/server/worker_core.h"

namespace shelter::proxy::server {

/// Accepts and serves connections until `acceptor` is closed.
boost::asio::awaitable<void> serve_tcp(WorkerCore& core, boost::asio::ip::tcp::acceptor& acceptor);

}  // namespace shelter::proxy::server
