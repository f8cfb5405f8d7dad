#pragma once
// The daemon's wall clock: UTC seconds for decisions, pages and cases. A test can move it
// (`shelterd --test-clock`, then POST /v1/test/clock on the admin API) to see a 15-minute grant
// end without waiting 15 minutes; production never sets an offset.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace shelter::proxy::clock {

/// Seconds added to the system clock (0 unless a test moved it).
inline std::atomic<std::int64_t> test_offset{0};

/// UTC seconds now.
inline std::int64_t now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
             .count() +
         test_offset.load(std::memory_order_relaxed);
}

/// UTC milliseconds now (rate limits and throttles), moved by the same test offset.
inline std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
             .count() +
         test_offset.load(std::memory_order_relaxed) * 1000;
}

}  // namespace shelter::proxy::clock
