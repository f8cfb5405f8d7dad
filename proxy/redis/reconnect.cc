#include "proxy/redis/reconnect.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <random>

#include "proxy/log.h"

namespace shelter::proxy::redis {
namespace {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

}  // namespace

Reconnector::Reconnector(asio::any_io_executor executor, Settings settings, std::string name)
    : connector_(executor, std::move(settings)),
      name_(std::move(name)),
      backoff_(connector_.settings().backoff_min, connector_.settings().backoff_max,
               std::random_device{}()),
      stop_signal_(executor, Clock::time_point::max()),
      backoff_timer_(executor) {}

asio::awaitable<void> Reconnector::run(Serve serve) {
  co_await (keep_connected(serve) || wait_for_stop());
}

void Reconnector::stop() {
  stopped_ = true;
  stop_signal_.cancel();
  backoff_timer_.cancel();
}

asio::awaitable<void> Reconnector::wait_for_stop() {
  while (!stopped_)
    co_await stop_signal_.async_wait(kUseTuple);
}

asio::awaitable<void> Reconnector::back_off() {
  backoff_timer_.expires_after(backoff_.next());
  co_await backoff_timer_.async_wait(kUseTuple);
}

// A failed attempt is logged as a warning when it follows a success, then at debug level only:
// a Redis that stays down must not flood the log from every worker.
asio::awaitable<void> Reconnector::keep_connected(Serve& serve) {
  const Settings& settings = connector_.settings();
  bool failing = false;
  while (!stopped_) {
    Attempt attempt = co_await connector_.connect();
    if (stopped_) {
      if (attempt.session) attempt.session->stream->close();
      break;
    }
    if (!attempt.session) {
      ++counters_.errors;
      log(failing ? LogLevel::debug : LogLevel::warn,
          name_ + ": cannot connect: " + attempt.error + " (retrying)");
      failing = true;
      co_await back_off();
      continue;
    }
    failing = false;
    ++counters_.connects;
    log_info(name_ + ": connected to " + attempt.session->server.to_string());
    auto since = Clock::now();
    co_await serve(std::move(*attempt.session));
    if (stopped_) break;
    ++counters_.disconnects;
    // A connection that lived starts the back-off over; one that died at once (a server that
    // accepts and drops) keeps doubling it.
    if (Clock::now() - since >= settings.backoff_max) backoff_.reset();
    co_await back_off();
  }
}

}  // namespace shelter::proxy::redis
