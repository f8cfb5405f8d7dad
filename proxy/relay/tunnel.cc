#include "proxy/relay/tunnel.h"

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <memory>
#include <optional>
#include <system_error>

#include "proxy/relay/splice.h"

namespace shelter::proxy::relay {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
// Large enough that a bulk transfer costs few system calls, small enough for many tunnels.
constexpr std::size_t kPumpBuffer = 64 * 1024;

// One direction: read from `from`, write to `to`, until end of stream or an error.
asio::awaitable<void> pump(tcp::socket& from, tcp::socket& to, std::string_view first,
                           std::uint64_t& bytes, Clock::time_point& last_activity) {
  if (!first.empty()) {
    auto [ec, n] = co_await asio::async_write(to, asio::buffer(first), kUseTuple);
    if (ec) co_return;
    bytes += n;
  }
  auto buffer = std::make_unique<std::array<char, kPumpBuffer>>();
  for (;;) {
    auto [rec, n] = co_await from.async_read_some(asio::buffer(*buffer), kUseTuple);
    if (rec) {
      boost::system::error_code ignored;
      if (rec == asio::error::eof) {
        to.shutdown(tcp::socket::shutdown_send, ignored);  // pass the half-close on
      } else {
        // A reset or an error: nothing more will flow either way.
        from.close(ignored);
        to.close(ignored);
      }
      co_return;
    }
    last_activity = Clock::now();
    auto [wec, written] =
        co_await asio::async_write(to, asio::buffer(buffer->data(), n), kUseTuple);
    if (wec) {
      boost::system::error_code ignored;
      from.close(ignored);
      to.close(ignored);
      co_return;
    }
    bytes += written;
  }
}

// One direction with splice(2): the same contract as pump(), without copying the bytes.
asio::awaitable<void> splice_pump(tcp::socket& from, tcp::socket& to, std::string_view first,
                                  std::uint64_t& bytes, Clock::time_point& last_activity,
                                  SplicePipe& pipe) {
  if (!first.empty()) {
    auto [ec, n] = co_await asio::async_write(to, asio::buffer(first), kUseTuple);
    if (ec) co_return;
    bytes += n;
  }
  const Spliced result =
      co_await splice_bytes(from, to, pipe, [&last_activity] { last_activity = Clock::now(); });
  bytes += result.bytes;
  boost::system::error_code ignored;
  if (result.end_of_stream) {
    to.shutdown(tcp::socket::shutdown_send, ignored);  // pass the half-close on
  } else {
    from.close(ignored);
    to.close(ignored);
  }
}

asio::awaitable<void> watchdog(std::chrono::milliseconds idle, Clock::time_point& last_activity) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    const auto deadline = last_activity + idle;
    if (Clock::now() >= deadline) co_return;
    timer.expires_at(deadline);
    auto [ec] = co_await timer.async_wait(kUseTuple);
    if (ec) co_return;
  }
}

}  // namespace

asio::awaitable<TunnelBytes> run_tunnel(tcp::socket& client, tcp::socket& origin,
                                        std::chrono::milliseconds idle,
                                        std::string_view to_origin_first,
                                        std::string_view to_client_first) {
  TunnelBytes bytes;
  Clock::time_point last_activity = Clock::now();
  std::optional<SplicePipe> up, down;
  try {
    up.emplace();
    down.emplace();
  } catch (const std::system_error&) {
    up.reset();  // out of descriptors: copy through user space instead
    down.reset();
  }
  if (up && down) {
    co_await (
        (splice_pump(client, origin, to_origin_first, bytes.to_origin, last_activity, *up) &&
         splice_pump(origin, client, to_client_first, bytes.to_client, last_activity, *down)) ||
        watchdog(idle, last_activity));
  } else {
    co_await ((pump(client, origin, to_origin_first, bytes.to_origin, last_activity) &&
               pump(origin, client, to_client_first, bytes.to_client, last_activity)) ||
              watchdog(idle, last_activity));
  }
  boost::system::error_code ignored;
  client.close(ignored);
  origin.close(ignored);
  co_return bytes;
}

}  // namespace shelter::proxy::relay
