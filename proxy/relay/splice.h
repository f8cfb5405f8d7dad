#pragma once
// Moving bytes from one socket to another without copying them through user space:
// splice(2) from the source socket into a pipe and from the pipe into the destination, the
// kernel handing pages along. Used for what the proxy passes on unchanged: spliced TLS
// connections, CONNECT and websocket tunnels, and bodies whose framing the proxy keeps
// (a Content-Length body, or one that runs until the origin closes).

#include <cstdint>
#include <functional>
#include <limits>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include "proxy/fs/unique_fd.h"

namespace shelter::proxy::relay {

/// A pipe for splice(2), made once per direction of a connection and reused.
class SplicePipe {
 public:
  /// Throws std::system_error when no pipe can be made (out of descriptors).
  SplicePipe();
  int read_end() const { return read_.fd; }
  int write_end() const { return write_.fd; }
  /// Bytes in the pipe not yet passed on (non-zero only after a failed write).
  std::size_t pending = 0;

 private:
  fs::UniqueFd read_;
  fs::UniqueFd write_;
};

struct Spliced {
  std::uint64_t bytes = 0;          ///< moved to the destination
  bool end_of_stream = false;       ///< the source closed its sending side
  boost::system::error_code error;  ///< a read or write failed (not end of stream)
};

/// Moves up to `limit` bytes (all until end of stream by default) from `from` to `to`, both
/// switched to non-blocking mode. `on_progress` is called after each move (to push a deadline
/// or an idle watchdog on).
boost::asio::awaitable<Spliced> splice_bytes(
    boost::asio::ip::tcp::socket& from, boost::asio::ip::tcp::socket& to, SplicePipe& pipe,
    const std::function<void()>& on_progress,
    std::uint64_t limit = std::numeric_limits<std::uint64_t>::max());

}  // namespace shelter::proxy::relay
