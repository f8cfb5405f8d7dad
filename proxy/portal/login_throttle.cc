#include "proxy/portal/login_throttle.h"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <utility>

namespace shelter::proxy::portal {
namespace {

constexpr std::int64_t kForever = std::numeric_limits<std::int64_t>::max();

const ThrottleSettings& checked(const ThrottleSettings& settings) {
  if (settings.first_lock_ms <= 0 || settings.max_lock_ms < settings.first_lock_ms ||
      settings.max_accounts == 0) {
    throw std::invalid_argument(
        "a login throttle needs a positive first lock, a cap at least as long and room");
  }
  return settings;
}

}  // namespace

LoginThrottle::LoginThrottle(ThrottleSettings settings)
    : settings_(checked(settings)), addresses_(settings.per_address, settings.max_addresses) {}

// One byte past the longest name kept: no name that is kept equals it.
std::string LoginThrottle::key_of(std::string_view account) {
  if (account.size() > kMaxThrottledAccountBytes) {
    return std::string(kMaxThrottledAccountBytes + 1, '\0');
  }
  return std::string(account);
}

std::int64_t LoginThrottle::lock_for(std::uint32_t failures) const {
  if (failures <= settings_.free_failures) return 0;
  std::int64_t lock = settings_.first_lock_ms;
  // Doubling stops at the cap, so at most 63 rounds and no overflow.
  for (std::uint32_t extra = failures - settings_.free_failures - 1;
       extra > 0 && lock < settings_.max_lock_ms; --extra) {
    lock = lock > settings_.max_lock_ms / 2 ? settings_.max_lock_ms : lock * 2;
  }
  return std::min(lock, settings_.max_lock_ms);
}

http::Admission LoginThrottle::check(std::string_view account, const net::Address& client,
                                     std::int64_t now_ms) {
  {
    const std::lock_guard lock(mutex_);
    const auto found = accounts_.find(key_of(account));
    if (found != accounts_.end()) {
      recency_.splice(recency_.begin(), recency_, found->second.recency);
      const std::int64_t until = found->second.locked_until_ms;
      if (now_ms < until) {
        // Rounded up, so that a client that waits exactly that long finds the lock gone.
        std::int64_t wait_ms = 0;
        if (__builtin_sub_overflow(until, now_ms, &wait_ms)) wait_ms = kForever;
        return {false, wait_ms / 1000 + (wait_ms % 1000 != 0 ? 1 : 0)};
      }
    }
  }
  return addresses_.admit(client, now_ms);
}

void LoginThrottle::failed(std::string_view account, std::int64_t now_ms) {
  std::string key = key_of(account);
  const std::lock_guard lock(mutex_);
  auto found = accounts_.find(key);
  if (found == accounts_.end()) {
    if (accounts_.size() == settings_.max_accounts) {
      accounts_.erase(recency_.back());
      recency_.pop_back();
    }
    recency_.push_front(key);
    found = accounts_.emplace(std::move(key), Entry{0, 0, recency_.begin()}).first;
  } else {
    recency_.splice(recency_.begin(), recency_, found->second.recency);
  }
  Entry& entry = found->second;
  if (entry.failures < std::numeric_limits<std::uint32_t>::max()) ++entry.failures;
  const std::int64_t lock_ms = lock_for(entry.failures);
  if (lock_ms > 0) {
    std::int64_t until = 0;
    if (__builtin_add_overflow(now_ms, lock_ms, &until)) until = kForever;
    entry.locked_until_ms = until;
  }
}

void LoginThrottle::succeeded(std::string_view account) {
  const std::lock_guard lock(mutex_);
  const auto found = accounts_.find(key_of(account));
  if (found == accounts_.end()) return;
  recency_.erase(found->second.recency);
  accounts_.erase(found);
}

std::size_t LoginThrottle::tracked_accounts() const {
  const std::lock_guard lock(mutex_);
  return accounts_.size();
}

}  // namespace shelter::proxy::portal
