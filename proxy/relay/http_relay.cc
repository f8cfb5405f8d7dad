#include "proxy/relay/http_relay.h"

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <limits>
#include <optional>
#include <string>
#include <system_error>

#include "blocklist/url.h"
#include "proxy/clock.h"
#include "proxy/http/field_syntax.h"
#include "proxy/http/head_guard.h"
#include "proxy/http/response_head.h"
#include "proxy/http/server.h"
#include "proxy/log.h"
#include "proxy/relay/authority.h"
#include "proxy/relay/deadline.h"
#include "proxy/relay/hop_fields.h"
#include "proxy/relay/http_body.h"
#include "proxy/relay/splice.h"
#include "proxy/relay/tls_terminate.h"
#include "proxy/relay/tunnel.h"

namespace shelter::proxy::relay {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadChunk = 64 * 1024;
using http::syntax::iequals;

class HttpSession {
 public:
  HttpSession(RelayThreadContext& context, tcp::socket socket, ClientConnection connection)
      : context_(context),
        shared_(context.shared),
        client_(std::move(socket)),
        origin_(client_.get_executor()),
        deadline_(client_.get_executor()),
        connection_(std::move(connection)) {}

  asio::awaitable<void> run();
  /// Closes both connections when the deadline passes (beside run()).
  asio::awaitable<void> watch() {
    return deadline_.watch([this] {
      boost::system::error_code ignored;
      client_.close(ignored);
      origin_.close(ignored);
    });
  }

 private:
  enum class Next : std::uint8_t { keep, close };

  asio::awaitable<bool> read_request_head(bool first);
  asio::awaitable<Next> handle_request();
  /// How reading an origin's answer ended.
  enum class HeadRead : std::uint8_t { ok, malformed, nothing, cut_short, client_gone };

  asio::awaitable<Next> forward(const RequestTarget& target, std::string_view host,
                                std::uint16_t port, std::string_view origin_path);
  asio::awaitable<std::optional<Next>> open_origin(std::string_view host, std::uint16_t port,
                                                   bool& reused);
  void build_request_head(const RequestTarget& target, std::string_view origin_path, bool upgrade);
  asio::awaitable<HeadRead> read_response_head(http::ResponseHead& response,
                                               http::ResponseCheck& rc, bool expect_continue);
  void build_response_head(const http::ResponseHead& response, const http::ResponseCheck& rc,
                           bool switching, bool chunk_out, bool close_after);
  asio::awaitable<Next> tunnel(std::string_view host, std::uint16_t port);
  asio::awaitable<Next> answer(http::Response response);
  asio::awaitable<Next> refuse(ClientRefusal why, unsigned status, std::string_view text);
  asio::awaitable<Next> refuse_origin(const OriginConnection& origin);
  asio::awaitable<bool> write_client(std::string_view bytes);
  void drop_origin();

  RelayThreadContext& context_;
  RelayShared& shared_;
  tcp::socket client_;
  tcp::socket origin_;
  Deadline deadline_;
  ClientConnection connection_;
  std::optional<SplicePipe> up_pipe_, down_pipe_;  // made for the first long body
  beast::flat_buffer client_buffer_;
  beast::flat_buffer origin_buffer_;
  http::RequestHead head_;
  http::HeadCheck check_;
  std::string origin_key_;  // "host:port" of the origin connection, empty when none
  bool last_request_ = false;
  std::string scratch_;
};

asio::awaitable<void> HttpSession::run() {
  count(shared_.metrics.connections);
  for (std::uint32_t served = 0; served < shared_.settings.max_requests_per_connection; ++served) {
    if (!co_await read_request_head(served == 0)) break;
    count(shared_.metrics.http_requests);
    // The last request a connection may carry is answered with "Connection: close", so the
    // client does not send another into a closing connection.
    last_request_ = served + 1 == shared_.settings.max_requests_per_connection;
    if (co_await handle_request() == Next::close) break;
  }
  // A finished origin connection serves the next client of this thread.
  if (!origin_key_.empty() && origin_.is_open() && origin_buffer_.size() == 0) {
    context_.pool.put(origin_key_, std::move(origin_));
  }
  boost::system::error_code ignored;
  client_.shutdown(tcp::socket::shutdown_send, ignored);
}

// Reads until a whole head is in the buffer and the guard passed it. False: closed, timed out
// or refused (the refusal is written).
asio::awaitable<bool> HttpSession::read_request_head(bool first) {
  const RelaySettings& s = shared_.settings;
  deadline_.set(client_buffer_.size() == 0 && !first ? s.idle_timeout : s.header_timeout);
  for (;;) {
    check_ = http::check_request_head(as_view(client_buffer_), {}, &head_);
    if (check_.status == http::HeadStatus::complete) co_return true;
    if (check_.status == http::HeadStatus::bad) {
      count(shared_.metrics.refused[static_cast<std::size_t>(ClientRefusal::bad_request)]);
      http::Response r = http::text_response(check_.status_code, "bad request: " + check_.reason);
      http::serialize_response(std::move(r), false, false, false, scratch_);
      co_await write_client(scratch_);
      co_return false;
    }
    const bool empty = client_buffer_.size() == 0;
    auto [ec, n] = co_await client_.async_read_some(client_buffer_.prepare(8192), kUseTuple);
    if (ec) co_return false;
    client_buffer_.commit(n);
    // The head's first bytes are in: the rest must come within the header deadline. (Most
    // heads arrive whole in one read and never get here.)
    if (empty && check_.status == http::HeadStatus::need_more) deadline_.set(s.header_timeout);
  }
}

asio::awaitable<HttpSession::Next> HttpSession::handle_request() {
  std::optional<RequestTarget> target = parse_target(head_.method, head_.target);
  if (!target || target->form == RequestTarget::Form::asterisk) {
    co_return co_await refuse(ClientRefusal::bad_request, 400, "bad request target");
  }
  // The authority: the target's (explicit proxying), else the Host header.
  Authority authority;
  if (target->form == RequestTarget::Form::origin) {
    auto from_host = parse_authority(field(head_.fields, "host"));
    if (!from_host) co_return co_await refuse(ClientRefusal::bad_request, 400, "bad Host header");
    authority = std::move(*from_host);
  } else {
    authority = target->authority;
  }
  const std::uint16_t port = connection_.original_destination
                                 ? connection_.original_destination->port
                                 : authority.port.value_or(connection_.default_port);
  if (target->form == RequestTarget::Form::authority)
    co_return co_await tunnel(authority.host, port);

  std::string_view path = target->path;
  std::string fixed_path;
  if (path.empty() || path.front() != '/') {
    fixed_path = "/" + std::string(path);
    path = fixed_path;
  }
  std::string error;
  std::string url = "http://";
  url += authority.host;
  url += path;
  std::optional<blocklist::CanonicalUrl> canonical = blocklist::canonicalise_url(url, error);
  if (!canonical) co_return co_await refuse(ClientRefusal::bad_request, 400, "bad URL: " + error);

  const std::int64_t now = clock::now();
  if (path.starts_with(kOwnPathPrefix) && shared_.gate.own_path) {
    http::Request request = page_request(head_, path, connection_);
    if (check_.has_body) {
      if (check_.chunked || check_.content_length > kMaxOwnBody) {
        co_return co_await refuse(ClientRefusal::bad_request, 413, "request body too large");
      }
      client_buffer_.consume(check_.head_bytes);
      check_.head_bytes = 0;
      while (client_buffer_.size() < check_.content_length) {
        deadline_.set(shared_.settings.header_timeout);
        auto [ec, n] = co_await client_.async_read_some(client_buffer_.prepare(8192), kUseTuple);
        if (ec) co_return Next::close;
        client_buffer_.commit(n);
      }
      request.body = std::string(as_view(client_buffer_).substr(0, check_.content_length));
      client_buffer_.consume(check_.content_length);
      check_.has_body = false;  // read: the connection may go on
    }
    co_return co_await answer(co_await shared_.gate.own_path(request));
  }
  std::optional<http::Response> page =
      shared_.gate.page(connection_.client, canonical->host, canonical->path, now,
                        [&] { return page_request(head_, path, connection_); });
  if (page) {
    count(shared_.metrics.http_blocked);
    // A request body is not read: the connection cannot go on after the answer.
    if (check_.has_body) page->close = true;
    co_return co_await answer(std::move(*page));
  }
  co_return co_await forward(*target, canonical->host, port, path);
}

asio::awaitable<bool> HttpSession::write_client(std::string_view bytes) {
  deadline_.set(shared_.settings.idle_timeout);
  auto [ec, n] = co_await asio::async_write(client_, asio::buffer(bytes), kUseTuple);
  if (!ec) shared_.metrics.bytes_to_client.fetch_add(n, std::memory_order_relaxed);
  co_return !ec;
}

// Our own answer (block page, refusal, /.shelter/ page).
asio::awaitable<HttpSession::Next> HttpSession::answer(http::Response response) {
  const bool keep = keeps_alive(head_.version_minor, field(head_.fields, "connection")) &&
                    !response.close && !check_.has_body && !last_request_;
  client_buffer_.consume(check_.head_bytes);
  http::serialize_response(std::move(response), head_.method == "HEAD", keep,
                           head_.version_minor == 0, scratch_);
  if (!co_await write_client(scratch_)) co_return Next::close;
  co_return keep ? Next::keep : Next::close;
}

asio::awaitable<HttpSession::Next> HttpSession::refuse(ClientRefusal why, unsigned status,
                                                       std::string_view text) {
  count(shared_.metrics.refused[static_cast<std::size_t>(why)]);
  http::Response response = http::text_response(status, text);
  response.close = true;
  co_return co_await answer(std::move(response));
}

// No origin: 403 when the guard refused it, 502 when it does not resolve or answer.
asio::awaitable<HttpSession::Next> HttpSession::refuse_origin(const OriginConnection& origin) {
  if (origin.refusal != OriginRefusal::none) {
    count(shared_.metrics.origin_refused[static_cast<std::size_t>(origin.refusal)]);
  }
  if (origin.refusal == OriginRefusal::none || origin.refusal == OriginRefusal::not_resolving) {
    co_return co_await refuse(ClientRefusal::unreachable, 502, origin.error);
  }
  co_return co_await refuse(ClientRefusal::origin, 403, origin.error);
}

void HttpSession::drop_origin() {
  boost::system::error_code ignored;
  origin_.close(ignored);
  origin_key_.clear();
  origin_buffer_.clear();
}

asio::awaitable<HttpSession::Next> HttpSession::tunnel(std::string_view host, std::uint16_t port) {
  const std::int64_t now = clock::now();
  std::string error;
  auto canonical = blocklist::canonicalise_url("http://" + std::string(host) + "/", error);
  if (!canonical) co_return co_await refuse(ClientRefusal::bad_request, 400, "bad CONNECT target");
  const policy::HostVerdict verdict =
      shared_.gate.host_verdict(connection_.client, canonical->host, now);
  if (verdict != policy::HostVerdict::pass) {
    count(shared_.metrics.http_blocked);
    // A managed network's explicit proxy: the device trusts the operator's CA, so it gets the
    // block page inside the tunnel it asked for.
    if (verdict == policy::HostVerdict::block && shared_.managed_tls &&
        port == shared_.settings.tls_origin_port) {
      client_buffer_.consume(check_.head_bytes);
      if (!co_await write_client("HTTP/1.1 200 Connection established\r\n\r\n"))
        co_return Next::close;
      const std::string early(as_view(client_buffer_));
      deadline_.never();  // the terminated session keeps its own
      co_await serve_block_page_over_tls(context_, client_, early, canonical->host, connection_);
      co_return Next::close;
    }
    http::Response r = http::text_response(403, "blocked by this network's filter");
    r.close = true;
    co_return co_await answer(std::move(r));
  }
  const net::Address* fixed =
      connection_.original_destination ? &connection_.original_destination->address : nullptr;
  OriginConnection origin = co_await connect_origin(context_, canonical->host, port, fixed);
  if (!origin.error.empty()) co_return co_await refuse_origin(origin);
  count(shared_.metrics.connect_tunnels);
  client_buffer_.consume(check_.head_bytes);
  if (!co_await write_client("HTTP/1.1 200 Connection established\r\n\r\n")) co_return Next::close;
  const std::string early(as_view(client_buffer_));
  deadline_.never();
  const TunnelBytes bytes =
      co_await run_tunnel(client_, origin.socket, shared_.settings.idle_timeout, early);
  count(shared_.metrics.bytes_to_origin, bytes.to_origin);
  count(shared_.metrics.bytes_to_client, bytes.to_client);
  co_return Next::close;
}

// The origin connection for `key`: the one kept from the last request, a pooled one
// (`reused`), or a new one. nullopt when there is one; else the refusal already answered.
asio::awaitable<std::optional<HttpSession::Next>> HttpSession::open_origin(std::string_view host,
                                                                           std::uint16_t port,
                                                                           bool& reused) {
  std::string key = std::string(host) + ':' + std::to_string(port);
  reused = origin_key_ == key && origin_.is_open();
  if (reused) co_return std::nullopt;
  if (!origin_key_.empty() && origin_.is_open() && origin_buffer_.size() == 0) {
    context_.pool.put(origin_key_, std::move(origin_));
  }
  drop_origin();
  tcp::socket pooled(client_.get_executor());
  if (!connection_.original_destination && context_.pool.take(key, pooled)) {
    count(shared_.metrics.origin_reused);
    origin_ = std::move(pooled);
    reused = true;
  } else {
    const net::Address* fixed =
        connection_.original_destination ? &connection_.original_destination->address : nullptr;
    OriginConnection origin = co_await connect_origin(context_, host, port, fixed);
    if (!origin.error.empty()) co_return co_await refuse_origin(origin);
    origin_ = std::move(origin.socket);
  }
  origin_key_ = std::move(key);
  co_return std::nullopt;
}

// The request head as we frame it, into scratch_: hop-by-hop fields dropped, Host from an
// absolute-form target, our own framing field.
void HttpSession::build_request_head(const RequestTarget& target, std::string_view origin_path,
                                     bool upgrade) {
  const Fields& fields = head_.fields;
  std::string& out = scratch_;
  out.clear();
  out.append(head_.method).append(" ").append(origin_path).append(" HTTP/1.1\r\n");
  for (const auto& [name, value] : fields) {
    if (hop_by_hop(name, fields)) continue;
    if (target.form == RequestTarget::Form::absolute && iequals(name, "host")) continue;
    out.append(name).append(": ").append(value).append("\r\n");
  }
  if (target.form == RequestTarget::Form::absolute) {
    out.append("Host: ").append(target.authority.host);
    if (target.authority.port) out.append(":").append(std::to_string(*target.authority.port));
    out.append("\r\n");
  }
  if (check_.chunked) {
    out.append("Transfer-Encoding: chunked\r\n");
  } else if (check_.content_length > 0 || head_.method == "POST" || head_.method == "PUT") {
    out.append("Content-Length: ").append(std::to_string(check_.content_length)).append("\r\n");
  }
  if (upgrade) {
    out.append("Connection: upgrade\r\nUpgrade: ").append(field(fields, "upgrade")).append("\r\n");
  }
  out.append("\r\n");
}

// Reads the origin's final response head; interim 1xx answers are passed on (a 100 that we
// answered ourselves is dropped).
asio::awaitable<HttpSession::HeadRead> HttpSession::read_response_head(http::ResponseHead& response,
                                                                       http::ResponseCheck& rc,
                                                                       bool expect_continue) {
  const bool head_request = head_.method == "HEAD";
  for (;;) {
    deadline_.set(shared_.settings.idle_timeout);
    rc = http::check_response_head(as_view(origin_buffer_), head_request, {}, &response);
    if (rc.status == http::HeadStatus::bad) co_return HeadRead::malformed;
    if (rc.status == http::HeadStatus::need_more) {
      const bool nothing_yet = origin_buffer_.size() == 0;
      auto [ec, n] =
          co_await origin_.async_read_some(origin_buffer_.prepare(kReadChunk), kUseTuple);
      if (ec) co_return nothing_yet ? HeadRead::nothing : HeadRead::cut_short;
      origin_buffer_.commit(n);
      continue;
    }
    if (response.status < 100 || response.status >= 200 || response.status == 101) {
      co_return HeadRead::ok;
    }
    origin_buffer_.consume(rc.head_bytes);
    if (response.status == 100 && expect_continue) continue;  // answered already
    if (head_.version_minor == 1) {
      std::string interim = "HTTP/1.1 " + std::to_string(response.status) + " " +
                            std::string(response.reason) + "\r\n\r\n";
      if (!co_await write_client(interim)) co_return HeadRead::client_gone;
    }
  }
}

// The response head for the client, into scratch_: the origin's fields but the hop-by-hop
// ones, and our framing.
void HttpSession::build_response_head(const http::ResponseHead& response,
                                      const http::ResponseCheck& rc, bool switching, bool chunk_out,
                                      bool close_after) {
  std::string& out = scratch_;
  out.clear();
  out.append("HTTP/1.1 ").append(std::to_string(response.status)).append(" ");
  out.append(response.reason).append("\r\n");
  for (const auto& [name, value] : response.fields) {
    // An answer to HEAD and a 304 keep the origin's Content-Length: it describes the body
    // they leave out.
    const bool kept_length =
        iequals(name, "content-length") && rc.framing == http::BodyFraming::none;
    if (!kept_length && hop_by_hop(name, response.fields)) continue;
    out.append(name).append(": ").append(value).append("\r\n");
  }
  if (switching) {
    out.append("Connection: upgrade\r\nUpgrade: ").append(field(response.fields, "upgrade"));
    out.append("\r\n");
  } else if (rc.framing == http::BodyFraming::length) {
    out.append("Content-Length: ").append(std::to_string(rc.content_length)).append("\r\n");
  } else if (chunk_out) {
    out.append("Transfer-Encoding: chunked\r\n");
  }
  if (close_after) out.append("Connection: close\r\n");
  out.append("\r\n");
}

// Forwards one allowed request and relays its response. A kept-alive origin connection the
// origin closed meanwhile is replaced once, when nothing of the request or the answer can
// have been used: no request body, no byte of an answer.
asio::awaitable<HttpSession::Next> HttpSession::forward(const RequestTarget& target,
                                                        std::string_view host, std::uint16_t port,
                                                        std::string_view origin_path) {
  const RelaySettings& s = shared_.settings;
  const Fields& fields = head_.fields;
  const bool upgrade =
      !field(fields, "upgrade").empty() && list_has(field(fields, "connection"), "upgrade");
  const bool expect_continue = iequals(field(fields, "expect"), "100-continue");
  const bool client_keep =
      keeps_alive(head_.version_minor, field(fields, "connection")) && !last_request_;
  client_buffer_.consume(check_.head_bytes);
  check_.head_bytes = 0;

  http::ResponseHead response;
  http::ResponseCheck rc;
  for (int attempt = 0;; ++attempt) {
    bool reused = false;
    if (auto refused = co_await open_origin(host, port, reused)) co_return *refused;
    const bool may_retry = reused && attempt == 0 && !check_.has_body;
    build_request_head(target, origin_path, upgrade);
    deadline_.set(s.idle_timeout);
    if (auto [ec, n] = co_await asio::async_write(origin_, asio::buffer(scratch_), kUseTuple); ec) {
      drop_origin();
      if (may_retry) continue;
      co_return co_await refuse(ClientRefusal::unreachable, 502,
                                "the origin closed the connection");
    }
    if (attempt == 0) count(shared_.metrics.http_forwarded);
    if (check_.has_body) {
      // We answer "100 Continue" ourselves: the body then flows without waiting on the origin.
      if (expect_continue && head_.version_minor == 1 &&
          !co_await write_client("HTTP/1.1 100 Continue\r\n\r\n")) {
        co_return Next::close;
      }
      const InFraming in{check_.chunked ? http::BodyFraming::chunked : http::BodyFraming::length,
                         check_.content_length};
      if (!co_await relay_body({client_, client_buffer_}, origin_, in, check_.chunked, deadline_,
                               s.idle_timeout, shared_.metrics.bytes_to_origin, up_pipe_)) {
        drop_origin();
        co_return Next::close;
      }
    }
    const HeadRead read = co_await read_response_head(response, rc, expect_continue);
    if (read == HeadRead::ok) break;
    drop_origin();
    if (read == HeadRead::client_gone) co_return Next::close;
    if (read == HeadRead::nothing && may_retry) continue;
    co_return co_await refuse(ClientRefusal::unreachable, 502,
                              read == HeadRead::malformed ? "the origin's answer was malformed"
                                                          : "the origin sent no answer");
  }

  const bool switching = response.status == 101 && upgrade;
  // How the client gets the body: the origin's length, or chunks (HTTP/1.1 clients) for a
  // chunked or until-close body, or until we close (HTTP/1.0 clients).
  const bool unframed =
      rc.framing == http::BodyFraming::chunked || rc.framing == http::BodyFraming::until_close;
  const bool chunk_out = head_.version_minor == 1 && unframed;
  const bool close_after = !switching && (!client_keep || (!chunk_out && unframed));
  build_response_head(response, rc, switching, chunk_out, close_after);
  origin_buffer_.consume(rc.head_bytes);
  if (!co_await write_client(scratch_)) {
    drop_origin();
    co_return Next::close;
  }
  if (switching) {
    count(shared_.metrics.upgrades);
    const std::string to_origin(as_view(client_buffer_));
    const std::string to_client(as_view(origin_buffer_));
    deadline_.never();
    const TunnelBytes bytes =
        co_await run_tunnel(client_, origin_, s.idle_timeout, to_origin, to_client);
    count(shared_.metrics.bytes_to_origin, bytes.to_origin);
    count(shared_.metrics.bytes_to_client, bytes.to_client);
    origin_key_.clear();
    co_return Next::close;
  }
  if (rc.framing != http::BodyFraming::none) {
    const InFraming in{rc.framing, rc.content_length};
    if (!co_await relay_body({origin_, origin_buffer_}, client_, in, chunk_out, deadline_,
                             s.idle_timeout, shared_.metrics.bytes_to_client, down_pipe_)) {
      drop_origin();
      co_return Next::close;
    }
  }
  if (!rc.reusable || origin_buffer_.size() != 0) drop_origin();
  co_return close_after ? Next::close : Next::keep;
}

}  // namespace

http::Request page_request(const http::RequestHead& head, std::string_view path,
                           const ClientConnection& connection) {
  http::Request request;
  request.method = std::string(head.method);
  request.target = std::string(path);
  request.version_minor = head.version_minor;
  for (const auto& [name, value] : head.fields) {
    std::string lower(name);
    for (char& c : lower)
      c = http::syntax::ascii_lower(c);
    request.headers.emplace_back(std::move(lower), std::string(value));
  }
  request.client = connection.client;
  request.local = connection.local;
  return request;
}

asio::awaitable<void> serve_http(RelayThreadContext& context, tcp::socket socket,
                                 ClientConnection connection) {
  socket.set_option(tcp::no_delay(true));
  HttpSession session(context, std::move(socket), std::move(connection));
  co_await (session.run() || session.watch());
}

}  // namespace shelter::proxy::relay
