#pragma once
// An asynchronous Redis client for shelterd's workers: per-household profiles live in Redis,
// shared by a fleet of nodes.
//
// Why it is built this way:
// - The DNS workers each run a single-threaded io_context. A profile lookup must never block that
//   thread and must fail fast when Redis is down, so the caller can fall back at once to a cached
//   or default profile. Hence: one connection per worker, owned by its executor, no locks; while
//   the connection is down a command fails immediately (not_connected) instead of queueing.
// - Asio does all the I/O, plain TCP or TLS through asio::ssl::stream and OpenSSL 3. Debian 12's
//   hiredis is 0.14.1, which has no TLS, and its own async layer would need an adapter per event
//   loop anyway. hiredis is used only as the RESP codec: its reader parses the replies (untrusted
//   bytes from the network) behind ReplyReader, which also caps sizes hiredis 0.14 does not
//   check; commands are encoded by a few lines of our own.
// - Commands are pipelined: a write queue flushed by one writer, and a FIFO of pending commands
//   that replies complete in order. Each command has a deadline; a timed-out command leaves the
//   pipeline out of step with the replies, so the connection is dropped and made again.
// - Reconnection with exponential back-off and jitter; with Sentinel, every connection asks the
//   sentinels for the primary and checks it with ROLE (a stale answer right after a failover is
//   caught that way), and +switch-master announcements move the client at once.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "proxy/net/endpoint.h"
#include "proxy/redis/result.h"
#include "proxy/redis/settings.h"

namespace shelter::proxy::redis {

/// What Client::command takes one by one: std::string, std::string_view, string literals.
template <typename T>
concept CommandArgument = std::is_convertible_v<const T&, std::string_view>;

/// One auto-reconnecting connection, owned by one executor. Every member function must be called
/// on that executor's thread (or before it runs); nothing here is thread-safe. Destroying the
/// Client stops it: commands in flight complete with not_connected, nothing dangles (the state
/// the coroutines use is shared with them and outlives the Client as long as they run).
class Client {
 public:
  Client(boost::asio::any_io_executor executor, Settings settings);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// Starts connecting (in the background, on the executor). Once only.
  void start();
  /// Closes the connection, fails the commands in flight, stops reconnecting. Final.
  void stop();

  /// Sends one command, e.g. {"HGET", "shelter:profile:42", "categories"}. Completes with the
  /// reply (which may be a Redis error reply), or an Error: not_connected at once when there is
  /// no connection; timeout after command_timeout (the connection is then remade); io when the
  /// connection broke meanwhile; protocol; cancelled when the caller cancelled the wait. Never
  /// throws for Redis or network trouble.
  boost::asio::awaitable<Result> command(std::vector<std::string> args);
  /// The same with the arguments one by one: command("HGET", key, "categories"). Prefer it
  /// inside coroutines: GCC 12 rejects a braced list of strings there ("array used as
  /// initializer").
  template <CommandArgument First, CommandArgument... Rest>
  boost::asio::awaitable<Result> command(const First& first, const Rest&... rest) {
    std::vector<std::string> args;
    args.reserve(1 + sizeof...(rest));
    args.emplace_back(std::string_view(first));
    (args.emplace_back(std::string_view(rest)), ...);
    return command(std::move(args));
  }

  /// Ready for commands: connected, AUTH, SELECT (and ROLE) done.
  bool connected() const;
  /// The server of the current connection, if any.
  std::optional<net::Endpoint> server() const;
  const Counters& counters() const;
  /// Called after every successful (re)connection, once AUTH and SELECT succeeded, on the
  /// executor: the owner reloads its state then (commands may be sent from it). Must not throw
  /// (an exception is logged and ignored).
  void on_connected(std::function<void()> hook);

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace shelter::proxy::redis
