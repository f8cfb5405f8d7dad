#pragma once
// The admin HTTP listener: GET /metrics (Prometheus text format), GET /healthz (the process is
// alive), GET /readyz (it filters as configured; JSON), and the admin API under /v1/ (bearer
// tokens; admin_api.h). Loopback by default: it should not be reachable from subscriber
// networks. Served by the HTTP core (proxy/http), with its limits and framing guard.

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "proxy/http/server.h"
#include "proxy/net/endpoint.h"

namespace boost::asio {
class io_context;
}

namespace shelter::proxy::admin {

/// The /readyz answer: 200 when ready, else 503, with a JSON body saying why.
struct ReadyAnswer {
  bool ready = true;
  std::string json;
};

struct AdminHandlers {
  std::function<std::string()> metrics;  ///< the /metrics body
  std::function<bool()> healthy;         ///< /healthz (alive) answers 200 "ok" when true, else 503
  std::function<ReadyAnswer()> readiness;  ///< /readyz: able to filter as configured
  http::AsyncHandler api;                  ///< /v1/...; null: the API is off
};

class AdminServer {
 public:
  /// Binds `endpoint` on `io` (throws std::system_error naming it on failure) and serves
  /// requests on that io_context once it runs. Returns with the socket bound.
  AdminServer(boost::asio::io_context& io, const net::Endpoint& endpoint, AdminHandlers handlers);
  ~AdminServer();
  net::Endpoint local_endpoint() const;
  void close();

 private:
  std::unique_ptr<http::Server> server_;
};

}  // namespace shelter::proxy::admin
