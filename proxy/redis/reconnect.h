#pragma once
// Internal to proxy/redis (carries Asio): the life of a Client's or Subscriber's connection.
// Connect, hand the session to the owner until it is gone, back off, again; until stop().

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <string>

#include "proxy/redis/backoff.h"
#include "proxy/redis/connector.h"
#include "proxy/redis/result.h"
#include "proxy/redis/settings.h"

namespace shelter::proxy::redis {

class Reconnector {
 public:
  /// Serves one ready session; returns when the connection is gone (the owner closed it).
  using Serve = std::function<boost::asio::awaitable<void>(Session)>;

  /// `name` starts every log line ("redis", "redis subscriber").
  Reconnector(boost::asio::any_io_executor executor, Settings settings, std::string name);

  /// Runs until stop(). The owner co_spawns it from a coroutine that holds the owner's state
  /// alive (this object included).
  boost::asio::awaitable<void> run(Serve serve);
  /// Ends run(): a wait or connection attempt in progress is cancelled. Final. The owner closes
  /// the session it serves.
  void stop();
  /// Cuts the current back-off wait short (e.g. Sentinel announced a new primary).
  void wake() { backoff_timer_.cancel(); }

  bool stopped() const { return stopped_; }
  Counters& counters() { return counters_; }
  const Counters& counters() const { return counters_; }
  const Settings& settings() const { return connector_.settings(); }
  const std::string& name() const { return name_; }

 private:
  boost::asio::awaitable<void> keep_connected(Serve& serve);
  boost::asio::awaitable<void> wait_for_stop();
  boost::asio::awaitable<void> back_off();

  Connector connector_;
  std::string name_;
  Counters counters_;
  Backoff backoff_;
  boost::asio::steady_timer stop_signal_, backoff_timer_;
  bool stopped_ = false;
};

}  // namespace shelter::proxy::redis
