// Sign-in throttling: free failures, then locks that double up to a cap; a success forgets;
// per-address buckets; memory bounded. The clock is a number.

#include "proxy/portal/login_throttle.h"

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
using namespace shelter::proxy::portal;
using shelter::proxy::net::Address;

namespace {

constexpr std::int64_t kStart = 1'700'000'000'000;  // ms

Address address(std::string_view text) {
  const std::optional<Address> a = Address::parse(text);
  REQUIRE(a.has_value());
  return *a;
}

const Address& client() {
  static const Address a = address("192.0.2.10");
  return a;
}

// Settings whose address bucket never gets in the way of the account tests.
ThrottleSettings roomy() {
  ThrottleSettings settings;
  settings.per_address = {1'000'000, std::chrono::hours(1)};
  return settings;
}

void fail(LoginThrottle& throttle, std::string_view account, std::int64_t now_ms, int times) {
  for (int i = 0; i < times; ++i)
    throttle.failed(account, now_ms);
}

// How long `account` stays locked from `now_ms`, in ms, found by asking the throttle (0: not
// locked); checks the Retry-After it gives on the way.
std::int64_t locked_for(LoginThrottle& throttle, std::string_view account, std::int64_t now_ms) {
  const http::Admission first = throttle.check(account, client(), now_ms);
  if (first.allowed) return 0;
  CHECK(first.retry_after_seconds >= 1);
  std::int64_t low = 0;
  std::int64_t high = first.retry_after_seconds * 1000;
  while (low + 1 < high) {  // the first ms at which the check passes lies in (low, high]
    const std::int64_t mid = low + (high - low) / 2;
    (throttle.check(account, client(), now_ms + mid).allowed ? high : low) = mid;
  }
  CHECK(throttle.check(account, client(), now_ms + high).allowed);
  CHECK((high + 999) / 1000 == first.retry_after_seconds);
  return high;
}

}  // namespace

TEST_CASE("the default settings", "[portal][throttle]") {
  const ThrottleSettings settings;
  CHECK(settings.free_failures == 5);
  CHECK(settings.first_lock_ms == 30'000);
  CHECK(settings.max_lock_ms == 900'000);
  CHECK(settings.per_address == http::Rate{30, std::chrono::hours(1)});
  CHECK(settings.max_accounts == 65536);
}

TEST_CASE("free failures, then a lock that doubles up to the cap", "[portal][throttle]") {
  LoginThrottle throttle(roomy());
  std::int64_t now = kStart;
  for (int i = 0; i < 5; ++i) {
    CHECK(throttle.check("parent", client(), now).allowed);
    throttle.failed("parent", now);
  }
  CHECK(locked_for(throttle, "parent", now) == 0);
  const std::int64_t expected[] = {30'000,  60'000,  120'000, 240'000,
                                   480'000, 900'000, 900'000, 900'000};
  for (std::int64_t lock : expected) {
    INFO(lock);
    throttle.failed("parent", now);
    CHECK(locked_for(throttle, "parent", now) == lock);
    now += lock;  // the lock has passed: the next attempt is let through, and fails again
    CHECK(throttle.check("parent", client(), now).allowed);
  }
  // Retry-After is in whole seconds, rounded up.
  throttle.failed("parent", now);
  CHECK(throttle.check("parent", client(), now).retry_after_seconds == 900);
  CHECK(throttle.check("parent", client(), now + 899'001).retry_after_seconds == 1);
  CHECK(throttle.check("parent", client(), now + 899'999).retry_after_seconds == 1);
  CHECK(throttle.check("parent", client(), now + 900'000).allowed);
}

TEST_CASE("a locked account is refused whoever asks, and others are not", "[portal][throttle]") {
  LoginThrottle throttle(roomy());
  fail(throttle, "parent", kStart, 6);
  CHECK_FALSE(throttle.check("parent", client(), kStart + 1).allowed);
  CHECK_FALSE(throttle.check("parent", address("2001:db8::1"), kStart + 1).allowed);
  CHECK(throttle.check("other", client(), kStart + 1).allowed);
  CHECK(throttle.check("Parent", client(), kStart + 1).allowed);  // names are the caller's
}

TEST_CASE("a success forgets the failures", "[portal][throttle]") {
  LoginThrottle throttle(roomy());
  fail(throttle, "parent", kStart, 5);
  CHECK(throttle.tracked_accounts() == 1);
  throttle.succeeded("parent");
  CHECK(throttle.tracked_accounts() == 0);
  fail(throttle, "parent", kStart, 5);  // five free failures again
  CHECK(locked_for(throttle, "parent", kStart) == 0);
  throttle.failed("parent", kStart);
  CHECK(locked_for(throttle, "parent", kStart) == 30'000);
  // After a lock too, and the lock goes with it.
  throttle.succeeded("parent");
  CHECK(locked_for(throttle, "parent", kStart) == 0);
  throttle.succeeded("never-failed");  // harmless
  CHECK(throttle.tracked_accounts() == 0);
}

TEST_CASE("settings change the free failures and the lock times", "[portal][throttle]") {
  ThrottleSettings settings = roomy();
  settings.free_failures = 0;
  settings.first_lock_ms = 1'500;
  settings.max_lock_ms = 4'000;
  LoginThrottle throttle(settings);
  throttle.failed("a", kStart);
  CHECK(locked_for(throttle, "a", kStart) == 1'500);
  CHECK(throttle.check("a", client(), kStart).retry_after_seconds == 2);
  throttle.failed("a", kStart);
  CHECK(locked_for(throttle, "a", kStart) == 3'000);
  throttle.failed("a", kStart);
  CHECK(locked_for(throttle, "a", kStart) == 4'000);
  // Thousands of failures later, still the cap (no overflow in the doubling).
  fail(throttle, "a", kStart, 5000);
  CHECK(locked_for(throttle, "a", kStart) == 4'000);
}

TEST_CASE("each client address has a bucket of attempts", "[portal][throttle]") {
  ThrottleSettings settings;
  settings.per_address = {3, std::chrono::hours(1)};
  LoginThrottle throttle(settings);
  const Address v6 = address("2001:db8:1:2::5");
  for (int i = 0; i < 3; ++i) {
    CHECK(throttle.check("account-" + std::to_string(i), client(), kStart).allowed);
    CHECK(throttle.check("account-" + std::to_string(i), v6, kStart).allowed);
  }
  const http::Admission refused = throttle.check("account-9", client(), kStart);
  CHECK_FALSE(refused.allowed);
  CHECK(refused.retry_after_seconds == 1200);  // one attempt in 20 minutes
  CHECK_FALSE(throttle.check("account-9", address("2001:db8:1:2::ffff"), kStart).allowed);  // /64
  CHECK(throttle.check("account-9", address("2001:db8:1:3::5"), kStart).allowed);
  CHECK(throttle.check("account-9", address("192.0.2.11"), kStart).allowed);
  CHECK(throttle.check("account-9", client(), kStart + 1'200'000).allowed);
  // The failures of another client's attempts are not this client's business, and vice versa.
  CHECK(throttle.tracked_accounts() == 0);
}

TEST_CASE("a locked account's refusals spend none of the client's attempts", "[portal][throttle]") {
  ThrottleSettings settings;
  settings.free_failures = 0;
  settings.per_address = {2, std::chrono::hours(1)};
  LoginThrottle throttle(settings);
  throttle.failed("locked", kStart);
  for (int i = 0; i < 10; ++i)
    CHECK_FALSE(throttle.check("locked", client(), kStart).allowed);
  CHECK(throttle.check("open", client(), kStart).allowed);
  CHECK(throttle.check("open", client(), kStart).allowed);
  CHECK_FALSE(throttle.check("open", client(), kStart).allowed);
}

TEST_CASE("memory is bounded: the least recently seen account is forgotten", "[portal][throttle]") {
  ThrottleSettings settings = roomy();
  settings.free_failures = 0;
  settings.max_accounts = 3;
  LoginThrottle throttle(settings);
  throttle.failed("a", kStart);
  throttle.failed("b", kStart);
  throttle.failed("c", kStart);
  CHECK(throttle.tracked_accounts() == 3);
  CHECK_FALSE(throttle.check("a", client(), kStart).allowed);  // "a" seen again: "b" is oldest
  throttle.failed("d", kStart);
  CHECK(throttle.tracked_accounts() == 3);
  CHECK(throttle.check("b", client(), kStart).allowed);  // forgotten
  CHECK_FALSE(throttle.check("a", client(), kStart).allowed);
  CHECK_FALSE(throttle.check("c", client(), kStart).allowed);
  CHECK_FALSE(throttle.check("d", client(), kStart).allowed);
  for (int i = 0; i < 100; ++i)
    throttle.failed("x" + std::to_string(i), kStart);
  CHECK(throttle.tracked_accounts() == 3);
  // A check on an account without failures keeps nothing.
  throttle.succeeded("x99");
  CHECK(throttle.check("new", client(), kStart).allowed);
  CHECK(throttle.tracked_accounts() == 2);
}

TEST_CASE("names too long to be an account share one entry", "[portal][throttle]") {
  ThrottleSettings settings = roomy();
  settings.free_failures = 0;
  LoginThrottle throttle(settings);
  const std::string longest(kMaxThrottledAccountBytes, 'n');
  throttle.failed(std::string(kMaxThrottledAccountBytes + 1, 'a'), kStart);
  throttle.failed(std::string(1 << 20, 'b'), kStart);
  CHECK(throttle.tracked_accounts() == 1);
  CHECK_FALSE(throttle.check(std::string(5000, 'c'), client(), kStart).allowed);
  CHECK(throttle.check(longest, client(), kStart).allowed);
  throttle.failed(longest, kStart);
  CHECK(throttle.tracked_accounts() == 2);
}

TEST_CASE("the throttle refuses settings it cannot honour", "[portal][throttle]") {
  const auto with = [](auto change) {
    ThrottleSettings settings;
    change(settings);
    return settings;
  };
  CHECK_THROWS_AS(LoginThrottle(with([](ThrottleSettings& s) { s.first_lock_ms = 0; })),
                  std::invalid_argument);
  CHECK_THROWS_AS(LoginThrottle(with([](ThrottleSettings& s) { s.max_lock_ms = 29'999; })),
                  std::invalid_argument);
  CHECK_THROWS_AS(LoginThrottle(with([](ThrottleSettings& s) { s.max_accounts = 0; })),
                  std::invalid_argument);
  CHECK_THROWS_AS(LoginThrottle(with([](ThrottleSettings& s) { s.max_addresses = 0; })),
                  std::invalid_argument);
  CHECK_THROWS_AS(LoginThrottle(with([](ThrottleSettings& s) { s.per_address.count = 0; })),
                  std::invalid_argument);
  CHECK_NOTHROW(LoginThrottle(with([](ThrottleSettings& s) { s.max_lock_ms = s.first_lock_ms; })));
}

TEST_CASE("failures reported from several threads are all counted", "[portal][throttle]") {
  ThrottleSettings settings = roomy();
  settings.free_failures = 4 * 500;
  LoginThrottle throttle(settings);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&throttle] {
      for (int i = 0; i < 500; ++i) {
        throttle.failed("parent", kStart);
        (void)throttle.check("parent", client(), kStart);
      }
    });
  }
  for (std::thread& thread : threads)
    thread.join();
  CHECK(locked_for(throttle, "parent", kStart) == 0);
  throttle.failed("parent", kStart);
  CHECK(locked_for(throttle, "parent", kStart) == 30'000);
}
