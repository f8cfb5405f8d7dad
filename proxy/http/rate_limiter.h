#pragma once
// Per-client request rates for the web front's forms (appeal, "ask my parent"): a token bucket
// per client, so that one subscriber cannot flood a parent or the operator with requests. A
// client is an IPv4 address, or an IPv6 /64 (one subscriber's prefix: a host picks new
// addresses inside it at will). Pure: the caller's clock is a parameter.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/config/config.h"
#include "proxy/net/endpoint.h"

namespace shelter::proxy::http {

/// `count` requests per `period` (configured as "10/hour": config::parse_rate).
using Rate = config::RateConfig;

struct Admission {
  bool allowed = true;
  std::int64_t retry_after_seconds = 0;  ///< refused: when the next request would be admitted
};

/// Thread-safe (one mutex). Memory is bounded by `max_clients` buckets.
class RateLimiter {
 public:
  /// Throws std::invalid_argument for a zero count, period or max_clients, or a period over a
  /// day.
  explicit RateLimiter(Rate rate, std::size_t max_clients = 65536);

  /// One request from `client` at `now_ms` (milliseconds on the caller's clock, which should not
  /// go back; when it does, no tokens are added). A bucket holds `count` tokens, starts full and
  /// refills at count/period; a request takes one. When the table is full, the least recently
  /// seen client is forgotten (and so starts again with a full bucket).
  Admission admit(const net::Address& client, std::int64_t now_ms);

  /// The number of clients with a bucket.
  std::size_t tracked() const;

 private:
  // The family, then the address (IPv6: its /64).
  using Key = std::array<std::uint8_t, 17>;
  // Tokens are counted in units of 1/period_ms_ so that refilling is exact integer arithmetic:
  // a token is period_ms_ units, and each millisecond adds count units.
  struct Bucket {
    std::int64_t units = 0;
    std::int64_t last_ms = 0;
    std::list<Key>::iterator recency{};
  };

  static Key key_of(const net::Address& client);
  void refill(Bucket& bucket, std::int64_t now_ms) const;

  Rate rate_{};
  std::int64_t period_ms_ = 0;
  std::size_t max_clients_ = 0;
  mutable std::mutex mutex_{};
  // An ordered map: its worst case does not depend on keys a client chooses (a hash table's
  // would, for anyone with many /64s to pick from).
  std::map<Key, Bucket> buckets_{};
  std::list<Key> recency_{};  ///< most recently seen first
};

}  // namespace shelter::proxy::http
