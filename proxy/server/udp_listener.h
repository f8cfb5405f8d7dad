#pragma once
// The UDP side of the DNS server: batches of datagrams in (recvmmsg) and answers out (sendmmsg),
// so a busy socket costs two system calls per batch instead of two per query.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/udp.hpp>

#include "proxy/server/worker_core.h"

namespace shelter::proxy::server {

/// Serves queries arriving on `socket` until it is closed. The socket must outlive the call and
/// every forward it starts (the worker owns both).
boost::asio::awaitable<void> serve_udp(WorkerCore& core, boost::asio::ip::udp::socket& socket);

}  // namespace shelter::proxy::server
