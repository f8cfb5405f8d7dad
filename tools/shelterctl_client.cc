#include "tools/shelterctl_client.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <exception>
#include <vector>

namespace shelter::tools::ctl {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

std::string describe(const beast::error_code& ec) {
  if (ec == beast::error::timeout)
    return "no answer within " + std::to_string(kTimeoutSeconds) + " s";
  return ec.message();
}

http::verb verb(Method method) {
  switch (method) {
    case Method::kGet:
      return http::verb::get;
    case Method::kPost:
      return http::verb::post;
    case Method::kPut:
      return http::verb::put;
    case Method::kPatch:
      return http::verb::patch;
    case Method::kDelete:
      return http::verb::delete_;
  }
  return http::verb::get;
}

http::request<http::string_body> make_request(const AdminAddress& address, const ApiCall& call,
                                              std::string_view token, std::string_view user_agent) {
  http::request<http::string_body> request(verb(call.method), call.target, 11);
  request.set(http::field::host, address.host_header);
  request.set(http::field::user_agent, user_agent);
  request.set(http::field::accept, "application/json");
  request.set(http::field::authorization, "Bearer " + std::string(token));
  request.keep_alive(false);
  if (!call.body.empty()) {
    request.set(http::field::content_type, "application/json");
    request.body() = call.body;
  }
  request.prepare_payload();
  return request;
}

// One deadline covers connect, write and read: beast::tcp_stream's timer only applies to
// asynchronous operations, so the "synchronous" exchange runs them on a private io_context.
asio::awaitable<void> exchange(const AdminAddress& address,
                               http::request<http::string_body> request, Exchange& out) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  stream.expires_after(std::chrono::seconds(kTimeoutSeconds));
  std::vector<tcp::endpoint> endpoints;
  for (const std::string& text : address.addresses) {
    beast::error_code ec;
    asio::ip::address ip = asio::ip::make_address(text, ec);
    if (!ec) endpoints.emplace_back(ip, address.port);
  }
  auto [connect_error, endpoint] = co_await stream.async_connect(endpoints, kUseTuple);
  if (connect_error) {
    out.failure = Failure::kConnect;
    out.error = describe(connect_error);
    co_return;
  }
  auto [write_error, written] = co_await http::async_write(stream, request, kUseTuple);
  if (write_error) {
    out.failure = Failure::kTransport;
    out.error = describe(write_error);
    co_return;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kBodyLimit);
  auto [read_error, read] = co_await http::async_read(stream, buffer, parser, kUseTuple);
  if (read_error) {
    out.failure = read_error == http::error::body_limit ? Failure::kTooLarge : Failure::kTransport;
    out.error = read_error == http::error::body_limit ? "the answer is larger than 8 MiB"
                                                      : describe(read_error);
    co_return;
  }
  http::response<http::string_body>& response = parser.get();
  out.answer = HttpAnswer{.status = static_cast<int>(response.result_int()),
                          .reason = std::string(response.reason()),
                          .body = std::move(response.body())};
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

}  // namespace

Exchange http_exchange(const AdminAddress& address, const ApiCall& call, std::string_view token,
                       std::string_view user_agent) {
  Exchange out;
  asio::io_context io;
  std::exception_ptr failed;
  asio::co_spawn(io, exchange(address, make_request(address, call, token, user_agent), out),
                 [&failed](std::exception_ptr e) { failed = std::move(e); });
  io.run();
  if (failed) std::rethrow_exception(failed);
  return out;
}

}  // namespace shelter::tools::ctl
