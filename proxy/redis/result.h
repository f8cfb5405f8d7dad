#pragma once
// What the Redis Client and Subscriber hand back: replies or errors as values, and counters.

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

#include "proxy/redis/resp.h"

namespace shelter::proxy::redis {

enum class ErrorKind {
  not_connected,  ///< no connection right now (or stopped): fall back at once
  timeout,        ///< no reply within command_timeout; the connection is dropped and remade
  io,             ///< the connection broke while the command was in flight
  protocol,       ///< the server sent something that is not RESP (connection dropped)
  cancelled,      ///< the caller's own cancellation (e.g. an `||` with its own timer)
};

const char* to_string(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::io;
  std::string text;
};

/// A reply, or why there is none. A Redis error reply ("-ERR ...", "-NOPERM ...") is a reply.
class Result {
 public:
  /// A not_connected error (co_spawn needs a default).
  Result() : value_(Error{ErrorKind::not_connected, "no result"}) {}
  Result(Reply reply) : value_(std::move(reply)) {}  // NOLINT: implicit on purpose
  Result(Error error) : value_(std::move(error)) {}  // NOLINT: implicit on purpose

  bool ok() const { return value_.index() == 0; }
  explicit operator bool() const { return ok(); }
  /// Preconditions: ok() for reply(), !ok() for error().
  const Reply& reply() const { return std::get<Reply>(value_); }
  Reply& reply() { return std::get<Reply>(value_); }
  const Error& error() const { return std::get<Error>(value_); }

 private:
  std::variant<Reply, Error> value_;
};

/// Totals since construction; plain integers, read them from the owning thread.
struct Counters {
  std::uint64_t connects = 0;     ///< connections made ready (AUTH, SELECT, ROLE done)
  std::uint64_t disconnects = 0;  ///< ready connections lost or dropped (not by stop())
  std::uint64_t timeouts = 0;     ///< commands (or keepalive PINGs) without a timely reply
  std::uint64_t errors = 0;       ///< failed connection attempts, protocol errors
};

}  // namespace shelter::proxy::redis
