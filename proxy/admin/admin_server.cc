#include "proxy/admin/admin_server.h"

#include <boost/asio/io_context.hpp>

namespace shelter::proxy::admin {
namespace {

namespace asio = boost::asio;

asio::awaitable<http::Response> respond(const http::Request& request,
                                        const AdminHandlers& handlers) {
  if (request.path().starts_with("/v1/") && handlers.api) co_return co_await handlers.api(request);
  if (request.method != "GET" && request.method != "HEAD") {
    http::Response r = http::text_response(405, "method not allowed");
    r.set("Allow", "GET, HEAD");
    co_return r;
  }
  const std::string_view path = request.path();
  if (path == "/metrics") {
    http::Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = handlers.metrics();
    co_return r;
  }
  if (path == "/healthz") {
    const bool healthy = handlers.healthy();
    co_return http::text_response(healthy ? 200 : 503, healthy ? "ok" : "unhealthy");
  }
  if (path == "/readyz" && handlers.readiness) {
    ReadyAnswer answer = handlers.readiness();
    http::Response r;
    r.status = answer.ready ? 200 : 503;
    r.content_type = "application/json";
    r.body = std::move(answer.json);
    co_return r;
  }
  co_return http::text_response(404, "not found: try /metrics, /healthz, /readyz or /v1/");
}

}  // namespace

AdminServer::AdminServer(asio::io_context& io, const net::Endpoint& endpoint,
                         AdminHandlers handlers) {
  http::ServerLimits limits;
  limits.max_connections = 256;
  limits.max_connections_per_client = 64;
  auto shared = std::make_shared<const AdminHandlers>(std::move(handlers));
  server_ = std::make_unique<http::Server>(
      io, endpoint, limits,
      http::AsyncHandler([shared](const http::Request& r) { return respond(r, *shared); }),
      "admin");
}

AdminServer::~AdminServer() = default;

net::Endpoint AdminServer::local_endpoint() const {
  return server_->local_endpoint();
}

void AdminServer::close() {
  server_->close();
}

}  // namespace shelter::proxy::admin
