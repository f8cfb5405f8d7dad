#include "proxy/http/rate_limiter.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <stdexcept>

namespace shelter::proxy::http {
namespace {

constexpr std::chrono::seconds kMaxPeriod = std::chrono::hours(24);

}  // namespace

RateLimiter::RateLimiter(Rate rate, std::size_t max_clients)
    : rate_(rate),
      period_ms_(std::chrono::duration_cast<std::chrono::milliseconds>(rate.period).count()),
      max_clients_(max_clients) {
  // A day at most keeps count * period_ms_ (a full bucket) within 64 bits.
  if (rate.count == 0 || rate.period.count() <= 0 || rate.period > kMaxPeriod || max_clients == 0) {
    throw std::invalid_argument("a rate limit needs a count, a period of up to a day and room");
  }
}

RateLimiter::Key RateLimiter::key_of(const net::Address& client) {
  const net::Address address = client.unmapped();
  const net::Address prefix = address.v6 ? address.masked(64) : address;
  Key key{};
  key[0] = prefix.v6 ? 6 : 4;
  std::copy(prefix.bytes.begin(), prefix.bytes.end(), key.begin() + 1);
  return key;
}

void RateLimiter::refill(Bucket& bucket, std::int64_t now_ms) const {
  if (now_ms <= bucket.last_ms) return;
  std::int64_t elapsed = 0;
  // Past one period the bucket is full whatever the gap, so the product below stays in range.
  if (__builtin_sub_overflow(now_ms, bucket.last_ms, &elapsed) || elapsed > period_ms_) {
    elapsed = period_ms_;
  }
  const std::int64_t capacity = static_cast<std::int64_t>(rate_.count) * period_ms_;
  bucket.units = std::min(capacity, bucket.units + elapsed * rate_.count);
  bucket.last_ms = now_ms;
}

Admission RateLimiter::admit(const net::Address& client, std::int64_t now_ms) {
  const Key key = key_of(client);
  const std::lock_guard lock(mutex_);
  auto found = buckets_.find(key);
  if (found == buckets_.end()) {
    if (buckets_.size() == max_clients_) {
      buckets_.erase(recency_.back());
      recency_.pop_back();
    }
    recency_.push_front(key);
    const std::int64_t full = static_cast<std::int64_t>(rate_.count) * period_ms_;
    found = buckets_.emplace(key, Bucket{full, now_ms, recency_.begin()}).first;
  } else {
    refill(found->second, now_ms);
    recency_.splice(recency_.begin(), recency_, found->second.recency);
  }
  Bucket& bucket = found->second;
  if (bucket.units >= period_ms_) {
    bucket.units -= period_ms_;
    return {};
  }
  // The missing units arrive at `count` a millisecond; Retry-After is in whole seconds, rounded
  // up so that a client that waits exactly that long is admitted.
  const std::int64_t missing = period_ms_ - bucket.units;
  const std::int64_t wait_ms = (missing + rate_.count - 1) / rate_.count;
  return {false, (wait_ms + 999) / 1000};
}

std::size_t RateLimiter::tracked() const {
  const std::lock_guard lock(mutex_);
  return buckets_.size();
}

}  // namespace shelter::proxy::http
