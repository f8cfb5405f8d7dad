#include "proxy/redis/sentinel_watch.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <string>

#include "proxy/redis/sentinel.h"
#include "proxy/redis/subscriber.h"

namespace shelter::proxy::redis {
namespace {

namespace asio = boost::asio;

// The process's watches: weak, so a watch's owner alone decides how long it lives.
std::mutex registry_mutex;
std::vector<std::weak_ptr<SentinelWatch>>& registry() {
  static std::vector<std::weak_ptr<SentinelWatch>> watches;
  return watches;
}

bool same_tls(const Settings::Tls& a, const Settings::Tls& b) {
  return a.enabled == b.enabled && a.ca_file == b.ca_file && a.cert_file == b.cert_file &&
         a.key_file == b.key_file && a.server_name == b.server_name;
}

}  // namespace

struct SentinelWatch::Listener {
  asio::any_io_executor executor;
  OnSwitch on_switch;
};

bool same_sentinels(const Settings& a, const Settings& b) {
  return a.sentinel.sentinels == b.sentinel.sentinels &&
         a.sentinel.master_name == b.sentinel.master_name && a.sentinel.user == b.sentinel.user &&
         a.sentinel.password == b.sentinel.password && same_tls(a.tls, b.tls);
}

std::shared_ptr<SentinelWatch> SentinelWatch::start(asio::any_io_executor executor,
                                                    const Settings& settings) {
  auto watch = std::make_shared<SentinelWatch>(std::move(executor), settings);
  {
    std::lock_guard lock(registry_mutex);
    auto& all = registry();
    std::erase_if(all, [](const std::weak_ptr<SentinelWatch>& w) { return w.expired(); });
    all.push_back(watch);
  }
  watch->subscriber_->start();
  return watch;
}

std::shared_ptr<SentinelWatch> SentinelWatch::find(const Settings& settings) {
  std::lock_guard lock(registry_mutex);
  for (const std::weak_ptr<SentinelWatch>& w : registry()) {
    std::shared_ptr<SentinelWatch> watch = w.lock();
    if (watch && same_sentinels(watch->settings_, settings)) return watch;
  }
  return nullptr;
}

SentinelWatch::SentinelWatch(asio::any_io_executor executor, const Settings& settings)
    : settings_(settings) {
  // `this` outlives the subscriber, which calls no handler once stopped (the destructor).
  subscriber_ = std::make_unique<Subscriber>(
      std::move(executor), sentinel_watch_settings(settings),
      std::vector<std::string>{"+switch-master"},
      [this](std::string_view, std::string_view message) { announce(message); },
      "redis sentinel watch");
}

SentinelWatch::~SentinelWatch() {
  stop();
}

void SentinelWatch::stop() {
  subscriber_->stop();
  std::lock_guard lock(mutex_);
  listeners_.clear();
}

std::shared_ptr<void> SentinelWatch::listen(asio::any_io_executor executor, OnSwitch on_switch) {
  auto listener = std::make_shared<Listener>(Listener{std::move(executor), std::move(on_switch)});
  std::lock_guard lock(mutex_);
  std::erase_if(listeners_, [](const std::weak_ptr<Listener>& l) { return l.expired(); });
  listeners_.push_back(listener);
  return listener;
}

// On the watch's executor: each listener hears it on its own executor, as it heard its own
// subscription's; a listener whose handle is dropped meanwhile hears nothing.
void SentinelWatch::announce(std::string_view message) {
  std::vector<std::shared_ptr<Listener>> live;
  {
    std::lock_guard lock(mutex_);
    for (const std::weak_ptr<Listener>& weak : listeners_) {
      if (auto l = weak.lock()) live.push_back(std::move(l));
    }
  }
  for (const std::shared_ptr<Listener>& l : live) {
    asio::post(l->executor, [weak = std::weak_ptr<Listener>(l), text = std::string(message)] {
      if (auto listener = weak.lock()) listener->on_switch(text);
    });
  }
}

std::size_t SentinelWatch::listeners() const {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(
      std::count_if(listeners_.begin(), listeners_.end(),
                    [](const std::weak_ptr<Listener>& l) { return !l.expired(); }));
}

bool SentinelWatch::subscribed() const {
  return subscriber_->subscribed();
}

const Counters& SentinelWatch::counters() const {
  return subscriber_->counters();
}

}  // namespace shelter::proxy::redis
