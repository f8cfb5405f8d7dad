#pragma once
// One +switch-master subscription per process, shared by every Client and Subscriber of the same
// Sentinel set-up, instead of one per connection: a shelterd with N workers held N + 5
// subscriptions on each sentinel it used (one per worker, the directory's command connection and
// its changes subscription, the writer, the case store's two), all saying the same thing.
//
// The daemon starts one watch for its `redis:` section on the control thread and keeps it; it is
// registered for the process while it lives, and each Client and Subscriber that starts later
// with the same sentinels and master name listens to it (watch_switch_master in subscriber.h)
// instead of subscribing itself. An announcement is posted to each listener's own executor, so a
// Client still handles it on its thread, exactly as it handled its own subscription's. Without a
// watch (the tests of the client alone, tools) each one subscribes itself, as before.

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "proxy/redis/result.h"
#include "proxy/redis/settings.h"

namespace shelter::proxy::redis {

class Subscriber;

/// Threads: start(), stop() and subscribed() on the executor given to start() (or before it
/// runs); find() and listen() from any thread; the handle listen() returns may be dropped on any
/// thread (no announcement reaches its listener after that, on the listener's executor).
class SentinelWatch {
 public:
  using OnSwitch = std::function<void(std::string_view message)>;

  /// Subscribes to the sentinels of `settings` (which must name some) on `executor`, and
  /// registers the watch for the process until it is destroyed.
  static std::shared_ptr<SentinelWatch> start(boost::asio::any_io_executor executor,
                                              const Settings& settings);
  /// The live watch of the process for `settings`' sentinels, master name, sentinel AUTH and TLS;
  /// null when there is none.
  static std::shared_ptr<SentinelWatch> find(const Settings& settings);

  SentinelWatch(boost::asio::any_io_executor executor, const Settings& settings);
  ~SentinelWatch();
  SentinelWatch(const SentinelWatch&) = delete;
  SentinelWatch& operator=(const SentinelWatch&) = delete;

  /// Final: no announcement is passed on after it.
  void stop();

  /// `on_switch` runs on `executor` with the text of each +switch-master announcement (every
  /// master name: the listener picks its own) while the returned handle lives. Must not throw.
  [[nodiscard]] std::shared_ptr<void> listen(boost::asio::any_io_executor executor,
                                             OnSwitch on_switch);

  /// Listeners whose handle lives.
  std::size_t listeners() const;
  bool subscribed() const;
  const Counters& counters() const;

 private:
  struct Listener;
  void announce(std::string_view message);

  Settings settings_;  // the sentinels', as given (for find())
  std::unique_ptr<Subscriber> subscriber_;
  mutable std::mutex mutex_;
  std::vector<std::weak_ptr<Listener>> listeners_;  // under mutex_
};

/// The same sentinels, master name, sentinel AUTH and TLS: one watch serves both.
bool same_sentinels(const Settings& a, const Settings& b);

}  // namespace shelter::proxy::redis
