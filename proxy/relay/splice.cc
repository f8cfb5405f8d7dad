#include "proxy/relay/splice.h"

#include <fcntl.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <system_error>

namespace shelter::proxy::relay {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr unsigned kFlags = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;
// Moved per call, and the pipe's size: four times the default 64 KiB, so a bulk transfer
// takes a quarter of the calls. The pages are only the kernel's while bytes are in flight.
constexpr std::size_t kChunk = 256 * 1024;

boost::system::error_code last_error() {
  return {errno, boost::system::system_category()};
}

}  // namespace

SplicePipe::SplicePipe() {
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
    throw std::system_error(errno, std::generic_category(), "pipe2 for splice");
  }
  read_.fd = fds[0];
  write_.fd = fds[1];
  ::fcntl(write_.fd, F_SETPIPE_SZ, static_cast<int>(kChunk));  // the default stays if refused
}

asio::awaitable<Spliced> splice_bytes(tcp::socket& from, tcp::socket& to, SplicePipe& pipe,
                                      const std::function<void()>& on_progress,
                                      std::uint64_t limit) {
  Spliced out;
  boost::system::error_code ignored;
  from.native_non_blocking(true, ignored);
  to.native_non_blocking(true, ignored);
  const int in_fd = from.native_handle();
  const int out_fd = to.native_handle();
  for (;;) {
    // Drain the pipe first: it holds what a read took and a write has not passed on yet.
    while (pipe.pending > 0) {
      const ssize_t n = ::splice(pipe.read_end(), nullptr, out_fd, nullptr, pipe.pending, kFlags);
      if (n > 0) {
        pipe.pending -= static_cast<std::size_t>(n);
        out.bytes += static_cast<std::uint64_t>(n);
        on_progress();
        continue;
      }
      if (n < 0 && errno == EAGAIN) {
        auto [ec] = co_await to.async_wait(tcp::socket::wait_write, kUseTuple);
        if (ec) {
          out.error = ec;
          co_return out;
        }
        continue;
      }
      out.error = n < 0 ? last_error() : asio::error::broken_pipe;
      co_return out;
    }
    if (out.bytes >= limit) co_return out;
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(limit - out.bytes, kChunk));
    const ssize_t n = ::splice(in_fd, nullptr, pipe.write_end(), nullptr, want, kFlags);
    if (n > 0) {
      pipe.pending = static_cast<std::size_t>(n);
      continue;
    }
    if (n == 0) {
      out.end_of_stream = true;
      co_return out;
    }
    if (errno != EAGAIN) {
      out.error = last_error();
      co_return out;
    }
    auto [ec] = co_await from.async_wait(tcp::socket::wait_read, kUseTuple);
    if (ec) {
      out.error = ec;
      co_return out;
    }
  }
}

}  // namespace shelter::proxy::relay
