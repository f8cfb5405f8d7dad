// Per-client token buckets (RateLimiter) and rate texts (parse_rate).
#include "proxy/config/rate.h"
#include "proxy/http/rate_limiter.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace http = shelter::proxy::http;
using http::Admission;
using http::Rate;
using http::RateLimiter;
using shelter::proxy::net::Address;
using std::chrono::seconds;

namespace {

Address address(std::string_view text) {
  const std::optional<Address> a = Address::parse(text);
  REQUIRE(a.has_value());
  return *a;
}

// Admits `n` requests from `client` at `now_ms`; how many were allowed.
int admitted(RateLimiter& limiter, const Address& client, std::int64_t now_ms, int n) {
  int allowed = 0;
  for (int i = 0; i < n; ++i)
    allowed += limiter.admit(client, now_ms).allowed ? 1 : 0;
  return allowed;
}

}  // namespace

TEST_CASE("parse_rate reads count/unit") {
  struct Case {
    std::string_view text;
    Rate rate;
  };
  const Case cases[] = {
      {"10/minute", {10, seconds(60)}},   {"10/min", {10, seconds(60)}},
      {"5/hour", {5, seconds(3600)}},     {"5/h", {5, seconds(3600)}},
      {"100/day", {100, seconds(86400)}}, {"100/d", {100, seconds(86400)}},
      {"2/second", {2, seconds(1)}},      {"2/s", {2, seconds(1)}},
      {"1/s", {1, seconds(1)}},           {"4294967295/day", {4294967295u, seconds(86400)}},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.text) {
      std::string error;
      const std::optional<shelter::proxy::config::RateConfig> rate =
          shelter::proxy::config::parse_rate(c.text, error);
      INFO(error);
      REQUIRE(rate.has_value());
      CHECK(*rate == c.rate);
    }
  }
}

TEST_CASE("parse_rate refuses anything else") {
  for (const std::string_view text :
       {"", "10", "/minute", "0/minute", "-1/minute", "+1/minute", "1.5/minute", "10/", "10/m",
        "10/minutes", "10/Minute", "10 /minute", "10/ minute", "10/minute ", "10/week",
        "4294967296/day", "10/minute/2", "ten/minute"}) {
    DYNAMIC_SECTION("'" << text << "'") {
      std::string error;
      CHECK_FALSE(shelter::proxy::config::parse_rate(text, error).has_value());
      CHECK_FALSE(error.empty());
    }
  }
}

TEST_CASE("RateLimiter refuses an empty rate") {
  CHECK_THROWS_AS(RateLimiter(Rate{0, seconds(60)}), std::invalid_argument);
  CHECK_THROWS_AS(RateLimiter(Rate{1, seconds(0)}), std::invalid_argument);
  CHECK_THROWS_AS(RateLimiter(Rate{1, seconds(86401)}), std::invalid_argument);
  CHECK_THROWS_AS(RateLimiter(Rate{1, seconds(60)}, 0), std::invalid_argument);
}

TEST_CASE("a burst, then refusal with a Retry-After that holds") {
  RateLimiter limiter(Rate{3, seconds(60)});  // a token every 20 s
  const Address client = address("192.0.2.1");
  const std::int64_t t0 = 1'000'000;
  CHECK(admitted(limiter, client, t0, 3) == 3);
  Admission refused = limiter.admit(client, t0);
  CHECK_FALSE(refused.allowed);
  CHECK(refused.retry_after_seconds == 20);
  // Refusals take nothing: the wait does not grow.
  refused = limiter.admit(client, t0 + 1000);
  CHECK_FALSE(refused.allowed);
  CHECK(refused.retry_after_seconds == 19);
  refused = limiter.admit(client, t0 + 19'999);
  CHECK_FALSE(refused.allowed);
  CHECK(refused.retry_after_seconds == 1);  // 1 ms, rounded up to a whole second
  const Admission next = limiter.admit(client, t0 + 20'000);
  CHECK(next.allowed);
  CHECK(next.retry_after_seconds == 0);
  CHECK_FALSE(limiter.admit(client, t0 + 20'000).allowed);
}

TEST_CASE("Retry-After rounds up to whole seconds") {
  RateLimiter limiter(Rate{7, seconds(60)});  // a token every 8.571 s
  const Address client = address("192.0.2.1");
  CHECK(admitted(limiter, client, 0, 8) == 7);
  const Admission refused = limiter.admit(client, 0);
  CHECK(refused.retry_after_seconds == 9);
  CHECK_FALSE(limiter.admit(client, 8000).allowed);
  CHECK(limiter.admit(client, 9000).allowed);
}

TEST_CASE("buckets refill over time, up to their size") {
  RateLimiter limiter(Rate{10, seconds(3600)});  // "10/hour": a token every 6 minutes
  const Address client = address("198.51.100.9");
  CHECK(admitted(limiter, client, 0, 10) == 10);
  CHECK(admitted(limiter, client, 0, 1) == 0);
  CHECK(admitted(limiter, client, 360'000 - 1, 1) == 0);
  CHECK(admitted(limiter, client, 360'000, 2) == 1);
  CHECK(admitted(limiter, client, 3 * 360'000, 5) == 2);
  // A day later the bucket is full again, but no fuller.
  CHECK(admitted(limiter, client, 86'400'000, 20) == 10);
}

TEST_CASE("a clock that goes back adds nothing") {
  RateLimiter limiter(Rate{2, seconds(10)});
  const Address client = address("192.0.2.1");
  CHECK(admitted(limiter, client, 50'000, 2) == 2);
  CHECK(admitted(limiter, client, 10'000, 1) == 0);
  CHECK(admitted(limiter, client, 50'000 + 4'999, 1) == 0);
  CHECK(admitted(limiter, client, 55'000, 1) == 1);
}

TEST_CASE("IPv6 clients share a bucket per /64, IPv4 clients per address") {
  RateLimiter limiter(Rate{2, seconds(60)});
  CHECK(admitted(limiter, address("2001:db8:1:2::1"), 0, 1) == 1);
  CHECK(admitted(limiter, address("2001:db8:1:2:ffff:ffff:ffff:ffff"), 0, 2) == 1);
  CHECK(limiter.tracked() == 1);
  // The next /64, and the one before: buckets of their own.
  CHECK(admitted(limiter, address("2001:db8:1:3::1"), 0, 2) == 2);
  CHECK(admitted(limiter, address("2001:db8:1:1::1"), 0, 2) == 2);
  CHECK(limiter.tracked() == 3);
  CHECK(admitted(limiter, address("192.0.2.1"), 0, 2) == 2);
  CHECK(admitted(limiter, address("192.0.2.2"), 0, 2) == 2);
  // An IPv4-mapped address is its IPv4 client, not a /64 of IPv6 space.
  CHECK(admitted(limiter, address("::ffff:192.0.2.1"), 0, 1) == 0);
  CHECK(admitted(limiter, address("::ffff:192.0.2.3"), 0, 2) == 2);
  CHECK(limiter.tracked() == 6);
}

TEST_CASE("the table is bounded; the least recently seen client goes first") {
  RateLimiter limiter(Rate{1, seconds(3600)}, 3);
  const Address a = address("192.0.2.1");
  const Address b = address("192.0.2.2");
  const Address c = address("192.0.2.3");
  const Address d = address("192.0.2.4");
  CHECK(admitted(limiter, a, 0, 1) == 1);
  CHECK(admitted(limiter, b, 1, 1) == 1);
  CHECK(admitted(limiter, c, 2, 1) == 1);
  CHECK(admitted(limiter, a, 3, 1) == 0);  // a is seen again: b is now the oldest
  CHECK(admitted(limiter, d, 4, 1) == 1);  // b is forgotten
  CHECK(limiter.tracked() == 3);
  CHECK(admitted(limiter, a, 5, 1) == 0);  // a and c were kept, with their empty buckets
  CHECK(admitted(limiter, c, 6, 1) == 0);
  CHECK(admitted(limiter, b, 7, 1) == 1);  // b starts again with a full bucket
  CHECK(limiter.tracked() == 3);
  for (int i = 0; i < 1000; ++i) {
    Address many = address("2001:db8::");
    many.bytes[6] = static_cast<std::uint8_t>(i >> 8);
    many.bytes[7] = static_cast<std::uint8_t>(i);
    limiter.admit(many, 8 + i);
  }
  CHECK(limiter.tracked() == 3);
}

TEST_CASE("RateLimiter is safe to share between threads") {
  RateLimiter limiter(Rate{1000, seconds(3600)}, 64);
  const Address shared = address("192.0.2.1");
  // Catch2's assertions are not thread-safe: the threads only count.
  std::vector<Address> own(200, address("198.51.100.0"));
  for (std::size_t i = 0; i < own.size(); ++i)
    own[i].bytes[3] = static_cast<std::uint8_t>(i);
  std::vector<int> allowed(4, 0);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < allowed.size(); ++t) {
    threads.emplace_back([&, t] {
      for (std::size_t i = 0; i < 500; ++i) {
        if (limiter.admit(shared, 0).allowed) ++allowed[t];
        limiter.admit(own[t * 50 + i % 50], 0);
      }
    });
  }
  for (std::thread& thread : threads)
    thread.join();
  CHECK(allowed[0] + allowed[1] + allowed[2] + allowed[3] == 1000);
  CHECK(limiter.tracked() <= 64);
}
