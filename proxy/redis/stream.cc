#include "proxy/redis/stream.h"

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace shelter::proxy::redis {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using boost::system::error_code;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// The step that failed goes into the error text: "tls ca_file /x: no such file".
std::string load_error(const char* what, const std::string& file, const error_code& ec) {
  return std::string("tls ") + what + " " + file + ": " + ec.message();
}

}  // namespace

TlsContext make_tls_context(const Settings::Tls& tls) {
  TlsContext out;
  if (!tls.enabled) return out;
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  error_code ec;
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                           ssl::context::no_tlsv1_1,
                       ec);
  if (tls.ca_file.empty()) {
    context->set_default_verify_paths(ec);
    if (ec) out.error = "tls: cannot load the system trust store: " + ec.message();
  } else if (context->load_verify_file(tls.ca_file, ec); ec) {
    out.error = load_error("ca_file", tls.ca_file, ec);
  }
  if (out.error.empty() && !tls.cert_file.empty()) {
    if (context->use_certificate_chain_file(tls.cert_file, ec); ec)
      out.error = load_error("cert_file", tls.cert_file, ec);
    else if (context->use_private_key_file(tls.key_file, ssl::context::pem, ec); ec)
      out.error = load_error("key_file", tls.key_file, ec);
  }
  if (out.error.empty()) out.context = std::move(context);
  return out;
}

Stream::Stream(asio::any_io_executor executor, std::shared_ptr<ssl::context> tls)
    : tls_(std::move(tls)), stream_(std::in_place_type<Tcp>, executor) {
  if (tls_) stream_.emplace<Tls>(executor, *tls_);
}

Stream::Tcp& Stream::socket() {
  if (auto* tls = std::get_if<Tls>(&stream_)) return tls->next_layer();
  return std::get<Tcp>(stream_);
}

asio::awaitable<error_code> Stream::connect(asio::ip::tcp::endpoint to, std::string verify_name) {
  auto [ec] = co_await socket().async_connect(to, kUseTuple);
  if (ec) co_return ec;
  socket().set_option(asio::ip::tcp::no_delay(true), ec);
  socket().set_option(asio::socket_base::keep_alive(true), ec);
  auto* tls = std::get_if<Tls>(&stream_);
  if (tls == nullptr) co_return error_code{};
  error_code parse_error;
  asio::ip::make_address(verify_name, parse_error);
  // SNI carries host names only, never address literals (RFC 6066, section 3).
  if (parse_error) SSL_set_tlsext_host_name(tls->native_handle(), verify_name.c_str());
  tls->set_verify_mode(ssl::verify_peer);
  tls->set_verify_callback(ssl::host_name_verification(verify_name));
  auto [handshake_error] = co_await tls->async_handshake(ssl::stream_base::client, kUseTuple);
  co_return handshake_error;
}

asio::awaitable<std::tuple<error_code, std::size_t>> Stream::read_some(asio::mutable_buffer into) {
  if (auto* tls = std::get_if<Tls>(&stream_))
    co_return co_await tls->async_read_some(into, kUseTuple);
  co_return co_await std::get<Tcp>(stream_).async_read_some(into, kUseTuple);
}

asio::awaitable<error_code> Stream::write(asio::const_buffer bytes) {
  error_code ec;
  if (auto* tls = std::get_if<Tls>(&stream_)) {
    std::tie(ec, std::ignore) = co_await asio::async_write(*tls, bytes, kUseTuple);
  } else {
    std::tie(ec, std::ignore) =
        co_await asio::async_write(std::get<Tcp>(stream_), bytes, kUseTuple);
  }
  co_return ec;
}

void Stream::close() {
  error_code ignored;
  socket().shutdown(asio::socket_base::shutdown_both, ignored);
  socket().close(ignored);
}

}  // namespace shelter::proxy::redis
