#include "proxy/http/server.h"

#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <ctime>
#include <map>
#include <mutex>
#include <system_error>

#include "proxy/log.h"
#include "proxy/net/asio_endpoint.h"

namespace shelter::proxy::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using asio::ip::tcp;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadChunk = 4096;
constexpr auto kLingerTime = std::chrono::seconds(1);
constexpr std::size_t kMaxLingerBytes = 256 * 1024;

constexpr std::string_view kDefaultCsp =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

std::string http_date() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[64];
  std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return text;
}

// Connections per client address and in total, shared by the server's threads.
class ConnectionCaps {
 public:
  ConnectionCaps(std::uint32_t total, std::uint32_t per_client)
      : total_(total), per_client_(per_client) {}
  bool acquire(const net::Address& client) {
    std::lock_guard lock(mutex_);
    auto& n = by_client_[key(client)];
    if (open_ >= total_ || n >= per_client_) {
      if (n == 0) by_client_.erase(key(client));
      return false;
    }
    ++n;
    ++open_;
    return true;
  }
  void release(const net::Address& client) {
    std::lock_guard lock(mutex_);
    auto it = by_client_.find(key(client));
    if (it != by_client_.end() && --it->second == 0) by_client_.erase(it);
    --open_;
  }
  std::uint64_t open() const {
    std::lock_guard lock(mutex_);
    return open_;
  }

 private:
  static std::string key(const net::Address& a) {
    return std::string(reinterpret_cast<const char*>(a.bytes.data()), a.v6 ? 16 : 4);
  }
  mutable std::mutex mutex_;
  std::map<std::string, std::uint32_t> by_client_;
  std::uint32_t open_ = 0;
  std::uint32_t total_;
  std::uint32_t per_client_;
};

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c;
  return out;
}

// A request without a body, from the parts the head guard found (copied: they point into the
// read buffer).
Request from_head(const RequestHead& head, const net::Address& client, const net::Address& local) {
  Request request;
  request.method = std::string(head.method);
  request.target = std::string(head.target);
  request.version_minor = head.version_minor;
  request.headers.reserve(head.fields.size());
  for (const auto& [name, value] : head.fields)
    request.headers.emplace_back(lower_ascii(name), std::string(value));
  request.client = client;
  request.local = local;
  return request;
}

// A request with a body, as Beast parsed it.
Request from_message(const bhttp::request<bhttp::string_body>& message, const net::Address& client,
                     const net::Address& local) {
  Request request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  request.version_minor = message.version() % 10;
  for (const auto& field : message)
    request.headers.emplace_back(lower_ascii(field.name_string()), std::string(field.value()));
  request.body = message.body();
  request.client = client;
  request.local = local;
  return request;
}

// RFC 9112 9.3: HTTP/1.1 keeps the connection unless told to close; 1.0 only when asked.
bool wants_keep_alive(const Request& request) {
  const std::string connection = lower_ascii(request.header("connection").value_or(""));
  auto has = [&](std::string_view token) {
    std::string_view rest = connection;
    while (!rest.empty()) {
      const std::size_t comma = std::min(rest.find(','), rest.size());
      std::string_view item = rest.substr(0, comma);
      rest.remove_prefix(std::min(comma + 1, rest.size()));
      while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
        item.remove_prefix(1);
      while (!item.empty() && (item.back() == ' ' || item.back() == '\t'))
        item.remove_suffix(1);
      if (item == token) return true;
    }
    return false;
  };
  return request.version_minor >= 1 ? !has("close") : has("keep-alive");
}

// The Date header, formatted once a second per thread.
const std::string& http_date_now() {
  thread_local std::time_t formatted_at = 0;
  thread_local std::string text;
  const std::time_t now = std::time(nullptr);
  if (now != formatted_at) {
    formatted_at = now;
    text = http_date();
  }
  return text;
}

}  // namespace

// The whole response in one buffer: one write, one system call, no scatter list to walk.
void serialize_response(Response response, bool head_only, bool keep_alive, bool http10,
                        std::string& out) {
  add_security_headers(response);
  out.clear();
  out += http10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(response.status);
  out += ' ';
  out += bhttp::obsolete_reason(static_cast<bhttp::status>(response.status));
  out += "\r\nServer: shelter\r\nDate: ";
  out += http_date_now();
  out += "\r\nContent-Type: ";
  out += response.content_type;
  for (const auto& [name, value] : response.headers) {
    // Handlers set their own header values; one with a line break would split the response.
    if (value.find_first_of("\r\n") != std::string::npos) continue;
    out += "\r\n";
    out += name;
    out += ": ";
    out += value;
  }
  out += "\r\nContent-Length: ";
  out += std::to_string(response.body.size());
  const bool keep = keep_alive && !response.close;
  if (!keep) out += "\r\nConnection: close";
  if (keep && http10) out += "\r\nConnection: keep-alive";
  out += "\r\n\r\n";
  if (!head_only) out += response.body;
}

void add_security_headers(Response& response) {
  auto has = [&](std::string_view name) {
    for (const auto& [key, value] : response.headers) {
      if (key == name) return true;
    }
    return false;
  };
  if (!has("Content-Security-Policy"))
    response.headers.emplace_back("Content-Security-Policy", kDefaultCsp);
  if (!has("Referrer-Policy")) response.headers.emplace_back("Referrer-Policy", "no-referrer");
  if (!has("X-Content-Type-Options"))
    response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (!has("X-Frame-Options")) response.headers.emplace_back("X-Frame-Options", "DENY");
  if (!has("Cache-Control")) response.headers.emplace_back("Cache-Control", "no-store");
}

// The socket under a plain or TLS stream: deadlines and shutdowns act on it.
template <typename Stream>
beast::tcp_stream& tcp_of(Stream& stream) {
  return beast::get_lowest_layer(stream);
}

struct Server::Impl {
  Impl(asio::io_context& io, ServerLimits l, Handler h, AsyncHandler a, std::string n)
      : acceptor(io),
        limits(l),
        handler(std::move(h)),
        async_handler(std::move(a)),
        name(std::move(n)),
        caps(l.max_connections, l.max_connections_per_client) {}

  tcp::acceptor acceptor;
  ServerLimits limits;
  Handler handler;  // at least one of the two is set
  AsyncHandler async_handler;
  std::function<bool(const Request&)> awaits;  // both set: which requests go to async_handler
  std::string name;
  ConnectionCaps caps;
  std::shared_ptr<asio::ssl::context> tls;  // set: the listener speaks HTTPS only
  std::atomic<std::uint64_t> connections{0}, refused{0}, requests{0}, bad{0}, handshakes_failed{0};

  asio::awaitable<void> accept_loop(std::shared_ptr<Impl> self);
  asio::awaitable<void> serve(tcp::socket socket, net::Address client, net::Address local);
  template <typename Stream>
  asio::awaitable<void> serve_on(Stream& stream, net::Address client, net::Address local);
  template <typename Stream>
  asio::awaitable<bool> reply(Stream& stream, Response response, bool head_only, bool http10,
                              bool keep_alive);
  template <typename Stream>
  asio::awaitable<void> refuse(Stream& stream, Response response);
};

// A refusal closes the connection, but closing a socket with unread bytes makes the kernel
// send a reset, which can reach the client before the refusal it should read. So: send the
// answer, shut down sending, and read (and drop) what the client still sends, briefly.
template <typename Stream>
asio::awaitable<void> Server::Impl::refuse(Stream& stream, Response response) {
  response.close = true;
  co_await reply(stream, std::move(response), false, false, false);
  beast::error_code ignored;
  tcp_of(stream).socket().shutdown(tcp::socket::shutdown_send, ignored);
  tcp_of(stream).expires_after(kLingerTime);
  std::array<char, kReadChunk> sink;
  for (std::size_t drained = 0; drained < kMaxLingerBytes;) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), kUseTuple);
    if (ec) break;
    drained += n;
  }
}

asio::awaitable<void> Server::Impl::accept_loop(std::shared_ptr<Impl> self) {
  for (;;) {
    // Several threads: each connection on a strand, so that its deadline timer and its reads
    // never run at once. One thread needs none. (No temporary with a destructor inside a
    // co_await expression: GCC 12 destroys some twice; proxy/redis/client.h says more.)
    asio::any_io_executor executor = acceptor.get_executor();
    if (limits.threads > 1) executor = asio::make_strand(acceptor.get_executor());
    auto [error, socket] = co_await acceptor.async_accept(executor, kUseTuple);
    if (!acceptor.is_open()) co_return;
    if (error) continue;
    boost::system::error_code ec;
    const auto peer = socket.remote_endpoint(ec);
    const auto here = socket.local_endpoint(ec);
    if (ec) continue;
    const net::Address client = net::from_asio(peer.address());
    if (!caps.acquire(client)) {
      refused.fetch_add(1, std::memory_order_relaxed);
      continue;  // closed at once: a flood costs the server an accept and a close
    }
    connections.fetch_add(1, std::memory_order_relaxed);
    auto connection_executor = socket.get_executor();
    asio::co_spawn(connection_executor,
                   serve(std::move(socket), client, net::from_asio(here.address())),
                   [self, client](const std::exception_ptr& e) {
                     self->caps.release(client);
                     if (e) log_exception{"web request"}(e);
                   });
  }
}

template <typename Stream>
asio::awaitable<bool> Server::Impl::reply(Stream& stream, Response response, bool head_only,
                                          bool http10, bool keep_alive) {
  const bool keep = keep_alive && !response.close;
  std::string out;
  serialize_response(std::move(response), head_only, keep, http10, out);
  tcp_of(stream).expires_after(limits.write_timeout);
  auto [ec, n] = co_await asio::async_write(stream, asio::buffer(out), kUseTuple);
  co_return !ec && keep;
}

asio::awaitable<void> Server::Impl::serve(tcp::socket socket, net::Address client,
                                          net::Address local) {
  beast::tcp_stream plain(std::move(socket));
  beast::error_code ignored;
  if (!tls) {
    co_await serve_on(plain, client, local);
    plain.socket().shutdown(tcp::socket::shutdown_send, ignored);
    co_return;
  }
  beast::ssl_stream<beast::tcp_stream> stream(std::move(plain), *tls);
  stream.next_layer().expires_after(limits.header_timeout);
  auto [error] = co_await stream.async_handshake(asio::ssl::stream_base::server, kUseTuple);
  if (error) {
    handshakes_failed.fetch_add(1, std::memory_order_relaxed);
    co_return;
  }
  co_await serve_on(stream, client, local);
  // close_notify, briefly: a client that does not answer it is not waited for.
  stream.next_layer().expires_after(kLingerTime);
  auto [closed] = co_await stream.async_shutdown(kUseTuple);
  (void)closed;
}

template <typename Stream>
asio::awaitable<void> Server::Impl::serve_on(Stream& stream, net::Address client,
                                             net::Address local) {
  beast::flat_buffer buffer(limits.head.max_head_bytes + limits.max_body_bytes + kReadChunk);
  RequestHead head;
  for (std::uint32_t served = 0; served < limits.max_requests_per_connection; ++served) {
    // The head: the idle deadline until its first byte, then the header deadline.
    tcp_of(stream).expires_after(buffer.size() == 0
                                     ? (served == 0 ? limits.header_timeout : limits.idle_timeout)
                                     : limits.header_timeout);
    HeadCheck check;
    for (;;) {
      const auto data = buffer.data();
      check = check_request_head(
          std::string_view(static_cast<const char*>(data.data()), data.size()), limits.head, &head);
      if (check.status != HeadStatus::need_more) break;
      const bool first_byte = buffer.size() == 0;
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(kReadChunk), kUseTuple);
      if (ec) co_return;  // closed, or a deadline passed: nothing to answer
      buffer.commit(n);
      if (first_byte) tcp_of(stream).expires_after(limits.header_timeout);
    }
    if (check.status == HeadStatus::bad) {
      bad.fetch_add(1, std::memory_order_relaxed);
      Response refusal = text_response(check.status_code, "bad request: " + check.reason);
      co_await refuse(stream, std::move(refusal));
      co_return;
    }
    Request request;
    if (!check.has_body) {
      request = from_head(head, client, local);
      buffer.consume(check.head_bytes);
    } else {
      // A body: Beast parses what the guard let through, the head from the buffer, then the
      // body (Content-Length or chunked) within its limit.
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(limits.head.max_head_bytes));
      parser.body_limit(limits.max_body_bytes);
      tcp_of(stream).expires_after(limits.header_timeout);
      auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, kUseTuple);
      if (ec) {
        bad.fetch_add(1, std::memory_order_relaxed);
        if (ec == beast::error::timeout || ec == bhttp::error::end_of_stream) co_return;
        Response refusal = ec == bhttp::error::body_limit
                               ? text_response(413, "request body too large")
                               : text_response(400, "bad request");
        co_await refuse(stream, std::move(refusal));
        co_return;
      }
      request = from_message(parser.get(), client, local);
    }
    requests.fetch_add(1, std::memory_order_relaxed);
    const bool last = served + 1 == limits.max_requests_per_connection;
    const bool head_only = request.method == "HEAD";
    const bool http10 = request.version_minor == 0;
    const bool keep_alive = wants_keep_alive(request) && !last;
    Response response;
    if (async_handler && (!handler || !awaits || awaits(request))) {
      std::exception_ptr failure;
      try {
        response = co_await async_handler(request);
      } catch (...) {
        failure = std::current_exception();
      }
      if (failure) {
        log_exception{name.c_str()}(failure);
        response = text_response(500, "internal error");
        response.close = true;
      }
    } else {
      response = handler(request);
    }
    const bool keep = co_await reply(stream, std::move(response), head_only, http10, keep_alive);
    if (!keep) break;
  }
}

Server::Server(asio::io_context& io, const net::Endpoint& endpoint, ServerLimits limits,
               Handler handler, std::string name)
    : impl_(std::make_shared<Impl>(io, limits, std::move(handler), nullptr, std::move(name))) {
  listen(io, endpoint);
}

Server::Server(asio::io_context& io, const net::Endpoint& endpoint, ServerLimits limits,
               AsyncHandler handler, std::string name,
               std::shared_ptr<boost::asio::ssl::context> tls)
    : impl_(std::make_shared<Impl>(io, limits, nullptr, std::move(handler), std::move(name))) {
  impl_->tls = std::move(tls);
  listen(io, endpoint);
}

Server::Server(asio::io_context& io, const net::Endpoint& endpoint, ServerLimits limits,
               Handler handler, AsyncHandler waiting, std::function<bool(const Request&)> awaits,
               std::string name)
    : impl_(std::make_shared<Impl>(io, limits, std::move(handler), std::move(waiting),
                                   std::move(name))) {
  impl_->awaits = std::move(awaits);
  listen(io, endpoint);
}

void Server::listen(asio::io_context& io, const net::Endpoint& endpoint) {
  try {
    auto local = net::to_asio_endpoint<tcp>(endpoint);
    impl_->acceptor.open(local.protocol());
    impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
    if (endpoint.address.v6) impl_->acceptor.set_option(asio::ip::v6_only(true));
    impl_->acceptor.bind(local);
    impl_->acceptor.listen();
  } catch (const boost::system::system_error& e) {
    throw std::system_error(e.code(),
                            "cannot listen on " + endpoint.to_string() + " (" + impl_->name + ")");
  }
  asio::co_spawn(io, impl_->accept_loop(impl_), log_exception{"web listener"});
}

Server::~Server() {
  close();
}

net::Endpoint Server::local_endpoint() const {
  auto local = impl_->acceptor.local_endpoint();
  return {.address = net::from_asio(local.address()), .port = local.port()};
}

void Server::close() {
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
}

Server::Stats Server::stats() const {
  return {.connections = impl_->connections.load(std::memory_order_relaxed),
          .refused_connections = impl_->refused.load(std::memory_order_relaxed),
          .requests = impl_->requests.load(std::memory_order_relaxed),
          .bad_requests = impl_->bad.load(std::memory_order_relaxed),
          .failed_handshakes = impl_->handshakes_failed.load(std::memory_order_relaxed),
          .open = impl_->caps.open()};
}

}  // namespace shelter::proxy::http
