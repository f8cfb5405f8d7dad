#pragma once
// The one HTTP core every web listener uses (block page, public pages; later the proxy and the
// portal): one coroutine per connection, limits set before the first byte is read, a deadline
// per phase, the framing guard (head_guard.h) before Beast parses a head, caps on connections
// per client address and in total, a cap on requests per connection, and the security headers
// on every response. Handlers get a Request and return a Response; they do no I/O.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "proxy/http/head_guard.h"
#include "proxy/http/message.h"
#include "proxy/net/endpoint.h"

namespace boost::asio {
class io_context;
namespace ssl {
class context;
}
}  // namespace boost::asio

namespace shelter::proxy::http {

struct ServerLimits {
  HeadLimits head;                                   ///< 8 KiB, 64 fields
  std::size_t max_body_bytes = 64 * 1024;            ///< form bodies
  std::chrono::milliseconds header_timeout{10'000};  ///< from a request's first byte to its end
  std::chrono::milliseconds idle_timeout{60'000};    ///< keep-alive between requests
  std::chrono::milliseconds write_timeout{10'000};
  std::uint32_t max_connections = 4096;           ///< per server, all clients
  std::uint32_t max_connections_per_client = 64;  ///< per client address
  /// Requests served on one connection (pipelined or not) before it is closed.
  std::uint32_t max_requests_per_connection = 100;
  /// Threads that run the io_context: above one, each connection gets a strand of its own.
  std::uint32_t threads = 1;
};

using Handler = std::function<Response(const Request&)>;
/// A handler that waits for something (a store): it runs on the connection's executor and may
/// await work on others. The request outlives the wait.
using AsyncHandler = std::function<boost::asio::awaitable<Response>(const Request&)>;

/// The security headers every response gets unless its handler set them: a strict
/// Content-Security-Policy (no script, no framing, no base, forms to self), no referrer, no
/// sniffing, no framing.
void add_security_headers(Response& response);

/// The whole response in one buffer (one write, one system call): status line, Server, Date,
/// the handler's fields, the security headers, Content-Length and Connection. `head_only`: the
/// body is left out (an answer to HEAD).
void serialize_response(Response response, bool head_only, bool keep_alive, bool http10,
                        std::string& out);

class Server {
 public:
  /// Binds and listens on `endpoint` (throws std::system_error naming it and `name`), then
  /// serves on `io` once it runs (any number of threads may run it).
  Server(boost::asio::io_context& io, const net::Endpoint& endpoint, ServerLimits limits,
         Handler handler, std::string name);
  /// The same with a handler that awaits. A handler's exception is answered with a 500 (and
  /// logged), never a dropped connection. `tls` set: every connection is HTTPS with that
  /// context (its certificate and key), the handshake within header_timeout.
  Server(boost::asio::io_context& io, const net::Endpoint& endpoint, ServerLimits limits,
         AsyncHandler handler, std::string name,
         std::shared_ptr<boost::asio::ssl::context> tls = nullptr);
  /// Both: `awaits` says which requests go to `waiting` (the rest to `handler`, without a
  /// coroutine frame of their own: the block page's hot path stays as cheap as it was).
  Server(boost::asio::io_context& io, const net::Endpoint& endpoint, ServerLimits limits,
         Handler handler, AsyncHandler waiting, std::function<bool(const Request&)> awaits,
         std::string name);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  net::Endpoint local_endpoint() const;
  /// Stops accepting; connections end at their next deadline or request.
  void close();

  struct Stats {
    std::uint64_t connections = 0;          ///< accepted
    std::uint64_t refused_connections = 0;  ///< over a connection cap
    std::uint64_t requests = 0;
    std::uint64_t bad_requests = 0;       ///< framing refused, parse errors, over limits
    std::uint64_t failed_handshakes = 0;  ///< TLS listeners: handshakes that failed or timed out
    std::uint64_t open = 0;               ///< connections open now
  };
  Stats stats() const;

 private:
  struct Impl;
  void listen(boost::asio::io_context& io, const net::Endpoint& endpoint);
  std::shared_ptr<Impl> impl_;
};

}  // namespace shelter::proxy::http
