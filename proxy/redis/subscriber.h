#pragma once
// A Redis connection in SUBSCRIBE mode, for invalidation messages ("profile 42 changed").
// Same Settings, Sentinel handling (+switch-master included) and reconnection as Client (the
// code is shared).
//
// Pub/sub is fire-and-forget: what is published while we are disconnected is lost. So after
// every (re)subscription the owner is told (on_subscribed) and must treat everything it cached
// from Redis as stale.

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/redis/result.h"
#include "proxy/redis/sentinel.h"
#include "proxy/redis/sentinel_watch.h"
#include "proxy/redis/settings.h"

namespace shelter::proxy::redis {

/// One auto-reconnecting subscription to fixed channels, owned by one executor: call every
/// member on that executor's thread (or before it runs). A silently dead connection is found by
/// a PING every keepalive_interval (no reply within command_timeout: reconnect). Destroying the
/// Subscriber stops it; no handler is called after stop().
class Subscriber {
 public:
  using MessageHandler = std::function<void(std::string_view channel, std::string_view message)>;

  /// `name` starts its log lines. Handlers run on the executor and must not throw (an exception
  /// is logged and ignored).
  Subscriber(boost::asio::any_io_executor executor, Settings settings,
             std::vector<std::string> channels, MessageHandler on_message,
             std::string name = "redis subscriber");
  ~Subscriber();
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  void start();  ///< once only
  void stop();   ///< final

  /// Called each time every channel is (re)subscribed: the owner drops its cache then.
  void on_subscribed(std::function<void()> hook);
  bool subscribed() const;
  const Counters& counters() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

/// What tells a Client or Subscriber of +switch-master announcements: its place among the
/// listeners of the process's SentinelWatch for its settings, or, when there is none, a
/// subscription of its own. Empty without Sentinel.
struct SwitchWatch {
  std::shared_ptr<void> listening;  ///< the shared watch's handle
  std::unique_ptr<Subscriber> own;  ///< started; no watch for these settings
  /// No announcement after it (the listener hears nothing once the handle is gone).
  void stop() {
    listening.reset();
    if (own) own->stop();
  }
};

/// Starts watching +switch-master for `settings`: `on_switch` gets each announcement's text on
/// `executor` while `owner` lives.
template <typename Owner>
SwitchWatch watch_switch_master(boost::asio::any_io_executor executor, const Settings& settings,
                                const std::shared_ptr<Owner>& owner,
                                void (Owner::*on_switch)(std::string_view), std::string name) {
  SwitchWatch watch;
  if (settings.sentinel.sentinels.empty()) return watch;
  std::weak_ptr<Owner> weak = owner;
  auto forward = [weak, on_switch](std::string_view message) {
    if (auto o = weak.lock()) ((*o).*on_switch)(message);
  };
  if (std::shared_ptr<SentinelWatch> shared = SentinelWatch::find(settings)) {
    watch.listening = shared->listen(std::move(executor), std::move(forward));
    return watch;
  }
  watch.own = std::make_unique<Subscriber>(
      std::move(executor), sentinel_watch_settings(settings),
      std::vector<std::string>{"+switch-master"},
      [forward](std::string_view, std::string_view message) { forward(message); }, std::move(name));
  watch.own->start();
  return watch;
}

}  // namespace shelter::proxy::redis
