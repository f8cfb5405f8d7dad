#pragma once
// Internal to proxy/redis: the bytes of one connection, over plain TCP or TLS (OpenSSL through
// asio::ssl). It carries Asio's and OpenSSL's headers, so only this folder's .cc files include it.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <cstddef>
#include <memory>
#include <string>
#include <tuple>
#include <variant>

#include "proxy/redis/settings.h"

namespace shelter::proxy::redis {

/// A TLS client context built from Settings::Tls, or why it could not be (a file that does not
/// load). Built once per Client or Subscriber and shared by its connections.
struct TlsContext {
  std::shared_ptr<boost::asio::ssl::context> context;
  std::string error;
};
TlsContext make_tls_context(const Settings::Tls& tls);

/// One connection. Not thread-safe: one coroutine reads while at most one other writes.
class Stream {
 public:
  /// Plain TCP when `tls` is null; TLS with peer verification against `verify_name` otherwise.
  Stream(boost::asio::any_io_executor executor, std::shared_ptr<boost::asio::ssl::context> tls);

  /// TCP connect, then the TLS handshake when there is TLS. `verify_name` is the host name or IP
  /// address the server's certificate must name (also sent as SNI when it is a name).
  boost::asio::awaitable<boost::system::error_code> connect(boost::asio::ip::tcp::endpoint to,
                                                            std::string verify_name);
  boost::asio::awaitable<std::tuple<boost::system::error_code, std::size_t>> read_some(
      boost::asio::mutable_buffer into);
  /// Writes all of `bytes`.
  boost::asio::awaitable<boost::system::error_code> write(boost::asio::const_buffer bytes);
  /// Closes the socket: operations in flight complete with an error. No TLS close_notify (a
  /// peer that stops answering must not hold us up).
  void close();

 private:
  using Tcp = boost::asio::ip::tcp::socket;
  using Tls = boost::asio::ssl::stream<Tcp>;
  Tcp& socket();

  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::variant<Tcp, Tls> stream_;
};

}  // namespace shelter::proxy::redis
