#pragma once
// Internal to proxy/redis (carries Asio): finding and opening one ready connection. Servers are
// tried in order, or Sentinel is asked for the primary (or replicas); then TLS, AUTH, SELECT and,
// for a primary named by Sentinel, ROLE. Shared by Client and Subscriber through Reconnector.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/net/endpoint.h"
#include "proxy/redis/resp.h"
#include "proxy/redis/settings.h"
#include "proxy/redis/stream.h"

namespace shelter::proxy::redis {

using Command = std::vector<std::string>;

/// A ready connection: connected, authenticated, database selected; `reader` holds any bytes
/// that came after the handshake's replies.
struct Session {
  std::unique_ptr<Stream> stream;
  ReplyReader reader;
  net::Endpoint server;
};

/// The outcome of one connection attempt: a session and the replies to the extra commands sent
/// with the handshake, or why there is none.
struct Attempt {
  std::optional<Session> session;
  std::vector<Reply> replies;
  std::string error;
};

/// How read_replies ended: `why` is empty when the handler ended it.
struct ReadEnd {
  bool protocol_error = false;
  std::string why;
};

/// Hands every reply (those already buffered in `reader` first) to `handle` until it returns
/// false, the stream fails or ends, or the bytes are not RESP.
boost::asio::awaitable<ReadEnd> read_replies(Stream& stream, ReplyReader& reader,
                                             const std::function<bool(Reply&)>& handle);

/// Writes `commands` in one go, then reads one reply per command into `replies`. Returns the
/// error text (empty on success); a Redis error reply counts as an error, named by its command.
boost::asio::awaitable<std::string> exchange(Session& session, std::span<const Command> commands,
                                             std::vector<Reply>& replies);

class Connector {
 public:
  Connector(boost::asio::any_io_executor executor, Settings settings);

  const Settings& settings() const { return settings_; }

  /// One round over the candidates, each attempt within connect_timeout: a ready session, or
  /// the last attempt's error.
  boost::asio::awaitable<Attempt> connect();

 private:
  struct Login {
    std::string_view user, password;
    int database = 0;
  };
  Login data_login() const;
  Login sentinel_login() const;
  boost::asio::awaitable<Attempt> connect_via_sentinels();
  boost::asio::awaitable<Attempt> try_replicas(const Reply& replicas,
                                               std::vector<net::Endpoint>& tried);
  /// Connects to `server`, logs in, and sends `queries` pipelined after the login commands;
  /// their replies come back in Attempt::replies.
  boost::asio::awaitable<Attempt> open(net::Endpoint server, Login login,
                                       std::vector<Command> queries);

  boost::asio::any_io_executor executor_;
  Settings settings_;
  TlsContext tls_;
  std::vector<net::Endpoint> sentinels_;  // the last one that answered goes first
  std::minstd_rand rng_;
};

}  // namespace shelter::proxy::redis
