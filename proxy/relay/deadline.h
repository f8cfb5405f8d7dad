#pragma once
// The deadline of a relay connection, kept without a timer system call per operation.
// beast::tcp_stream re-arms its timer before every read and write; on a proxy that is several
// timer changes per request. Here an operation only stores its deadline; one timer per
// connection wakes at the earliest deadline it was given and, if the deadline has moved later
// meanwhile, sleeps again. Only a deadline earlier than the armed one re-arms the timer.
// Run watch() beside the connection's work (`co_await (work() || deadline.watch())`): when
// the deadline passes, watch() calls on_expiry (which closes the sockets) and returns.

#include <chrono>
#include <functional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace shelter::proxy::relay {

class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Deadline(const boost::asio::any_io_executor& executor) : timer_(executor) {}

  /// The connection must make progress within `d` from now.
  void set(Clock::duration d) {
    deadline_ = Clock::now() + d;
    if (deadline_ < armed_) {
      armed_ = deadline_;
      timer_.cancel();  // watch() wakes and re-arms for the earlier deadline
    }
  }
  /// No deadline (a tunnel keeps its own idle watchdog).
  void never() { deadline_ = Clock::time_point::max(); }
  bool expired() const { return expired_; }

  /// Waits until the deadline passes, then calls `on_expiry` and returns. Returns at once when
  /// cancelled (the work beside it ended).
  boost::asio::awaitable<void> watch(std::function<void()> on_expiry) {
    constexpr auto kUseTuple = boost::asio::as_tuple(boost::asio::use_awaitable);
    for (;;) {
      armed_ = deadline_;
      timer_.expires_at(armed_);
      // Woken early (an earlier deadline was set) or at the armed time: look again either way.
      co_await timer_.async_wait(kUseTuple);
      auto state = co_await boost::asio::this_coro::cancellation_state;
      if (state.cancelled() != boost::asio::cancellation_type::none) co_return;
      if (Clock::now() >= deadline_) {
        expired_ = true;
        on_expiry();
        co_return;
      }
    }
  }

 private:
  boost::asio::steady_timer timer_;
  Clock::time_point deadline_ = Clock::time_point::max();
  Clock::time_point armed_ = Clock::time_point::max();
  bool expired_ = false;
};

}  // namespace shelter::proxy::relay
