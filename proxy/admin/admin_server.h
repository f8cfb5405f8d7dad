#pragma once
// The admin HTTP listener: GET /metrics (Prometheus text format), GET /healthz (the process is
// alive) and GET /readyz (it filters as configured; JSON). Loopback by default; it carries no
// secrets, but it should not be reachable from subscriber networks.

#include <functional>
#include <memory>
#include <string>

#include "proxy/config/address.h"

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
};

class AdminServer {
 public:
  /// Binds `endpoint` on `io` (throws std::system_error naming it on failure) and serves
  /// requests on that io_context once it runs. Returns with the socket bound.
  AdminServer(boost::asio::io_context& io, const config::Endpoint& endpoint,
              AdminHandlers handlers);
  ~AdminServer();
  config::Endpoint local_endpoint() const;
  void close();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace shelter::proxy::admin
