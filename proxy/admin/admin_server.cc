#include "proxy/admin/admin_server.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <system_error>

#include "proxy/log.h"
#include "proxy/net/asio_endpoint.h"

namespace shelter::proxy::admin {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr auto kRequestTimeout = std::chrono::seconds(5);

http::response<http::string_body> respond(const http::request<http::empty_body>& request,
                                          const AdminHandlers& handlers) {
  http::response<http::string_body> response;
  response.version(request.version());
  response.keep_alive(false);
  response.set(http::field::server, "shelterd");
  response.set(http::field::content_type, "text/plain; charset=utf-8");
  if (request.method() != http::verb::get && request.method() != http::verb::head) {
    response.result(http::status::method_not_allowed);
    response.set(http::field::allow, "GET, HEAD");
    response.body() = "method not allowed\n";
  } else if (request.target() == "/metrics") {
    response.result(http::status::ok);
    response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    response.body() = handlers.metrics();
  } else if (request.target() == "/healthz") {
    bool healthy = handlers.healthy();
    response.result(healthy ? http::status::ok : http::status::service_unavailable);
    response.body() = healthy ? "ok\n" : "unhealthy\n";
  } else if (request.target() == "/readyz" && handlers.readiness) {
    ReadyAnswer answer = handlers.readiness();
    response.result(answer.ready ? http::status::ok : http::status::service_unavailable);
    response.set(http::field::content_type, "application/json");
    response.set(http::field::cache_control, "no-store");
    response.body() = std::move(answer.json);
  } else {
    response.result(http::status::not_found);
    response.body() = "not found: try /metrics, /healthz or /readyz\n";
  }
  response.prepare_payload();
  return response;
}

asio::awaitable<void> serve_connection(beast::tcp_stream stream, const AdminHandlers& handlers) {
  beast::flat_buffer buffer(8192);
  http::request_parser<http::empty_body> parser;
  parser.header_limit(8192);
  stream.expires_after(kRequestTimeout);
  auto [read_error, n] = co_await http::async_read(stream, buffer, parser, kUseTuple);
  if (read_error) co_return;
  auto response = respond(parser.get(), handlers);
  co_await http::async_write(stream, response, kUseTuple);
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace

struct AdminServer::Impl {
  Impl(asio::io_context& io, AdminHandlers h) : acceptor(io), handlers(std::move(h)) {}
  tcp::acceptor acceptor;
  AdminHandlers handlers;
};

AdminServer::AdminServer(asio::io_context& io, const config::Endpoint& endpoint,
                         AdminHandlers handlers)
    : impl_(std::make_shared<Impl>(io, std::move(handlers))) {
  try {
    auto local = net::to_asio_endpoint<tcp>(endpoint);
    impl_->acceptor.open(local.protocol());
    impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
    impl_->acceptor.bind(local);
    impl_->acceptor.listen();
  } catch (const boost::system::system_error& e) {
    throw std::system_error(e.code(), "cannot listen on " + endpoint.to_string() + " (admin)");
  }
  asio::co_spawn(
      io,
      [impl = impl_]() -> asio::awaitable<void> {
        for (;;) {
          auto [error, socket] = co_await impl->acceptor.async_accept(kUseTuple);
          if (!impl->acceptor.is_open()) co_return;
          if (error) continue;
          asio::co_spawn(impl->acceptor.get_executor(),
                         serve_connection(beast::tcp_stream(std::move(socket)), impl->handlers),
                         log_exception("admin request"));
        }
      },
      log_exception("admin listener"));
}

AdminServer::~AdminServer() = default;

config::Endpoint AdminServer::local_endpoint() const {
  auto local = impl_->acceptor.local_endpoint();
  return {.address = net::from_asio(local.address()), .port = local.port()};
}

void AdminServer::close() {
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
}

}  // namespace shelter::proxy::admin
