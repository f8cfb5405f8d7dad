#pragma once
// Waits between reconnection attempts: exponential from `min` to `max`, with jitter so that a
// fleet of nodes that lost Redis together does not come back in lockstep. Pure: the caller owns
// the clock and the waiting.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace shelter::proxy::redis {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds min, std::chrono::milliseconds max, std::uint64_t seed)
      : min_(std::max(min, std::chrono::milliseconds(1))), max_(std::max(max, min_)), rng_(seed) {}

  /// The wait before the next attempt: base = min * 2^n after n waits (at most max), jittered
  /// uniformly to [base/2, 3*base/2], kept within [min, max].
  std::chrono::milliseconds next() {
    std::chrono::milliseconds base = max_;
    if (min_.count() <= max_.count() >> doublings_) base = min_ * (std::int64_t{1} << doublings_);
    if (doublings_ < 62) ++doublings_;
    std::uniform_int_distribution<std::int64_t> jitter(base.count() / 2, base.count() * 3 / 2);
    return std::clamp(std::chrono::milliseconds(jitter(rng_)), min_, max_);
  }

  /// After a connection that lived: the next wait starts from `min` again.
  void reset() { doublings_ = 0; }

 private:
  std::chrono::milliseconds min_, max_;
  int doublings_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace shelter::proxy::redis
