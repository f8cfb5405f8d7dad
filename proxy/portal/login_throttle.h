#pragma once
// Brute-force throttling for the portal's sign-in, asked BEFORE the password is checked: a
// refused attempt costs no scrypt run (0.1-0.2 s of a core each), so a flood of guesses cannot
// tie up the portal, and a locked account gives no answer about the password at all, not even
// for the right one.
// Two limits. Per account: a few free failures, then each further failure locks the account for
// a time that doubles up to a cap, so guessing one household's password stays hopeless however
// many addresses the guesser has (a lock per account and address would give a botnet a few
// free guesses per address). The price: someone who keeps failing can keep an account locked,
// but never longer than the cap past their last failure, and the household's access code path
// stays open. Per client address (an IPv4 address or an IPv6 /64, http::RateLimiter): a token
// bucket that bounds how many accounts one client can try.
// Memory is bounded on both sides: past the limit, the least recently seen entry is forgotten.
// Pure: the caller's clock is a parameter.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "proxy/http/rate_limiter.h"
#include "proxy/net/endpoint.h"

namespace shelter::proxy::portal {

struct ThrottleSettings {
  std::uint32_t free_failures = 5;      ///< consecutive failures before the first lock
  std::int64_t first_lock_ms = 30'000;  ///< the first lock; each further failure doubles it
  std::int64_t max_lock_ms = 900'000;   ///< the longest lock
  http::Rate per_address{30, std::chrono::hours(1)};  ///< sign-in attempts per client
  std::size_t max_accounts = 65536;                   ///< accounts with failures remembered
  std::size_t max_addresses = 65536;  ///< clients with a bucket (http::RateLimiter's max_clients)
};

/// No account name the portal gives out is this long (household ids are at most 128 bytes):
/// they share one entry, so that long names cost no memory.
inline constexpr std::size_t kMaxThrottledAccountBytes = 256;

/// Thread-safe (one mutex, plus the rate limiter's own). Accounts are compared byte for byte:
/// the caller normalises names first, and reports failures for accounts that do not exist too,
/// so that a lock says nothing about whether an account exists.
class LoginThrottle {
 public:
  /// Throws std::invalid_argument for a first lock that is not positive, a cap below it, no room
  /// for accounts or addresses, or a rate http::RateLimiter refuses.
  explicit LoginThrottle(ThrottleSettings settings = {});

  /// May this sign-in attempt go on to the password check? Refused while `account` is locked
  /// (without spending a token: a refused attempt costs nothing), or when `client` has used its
  /// attempts; `retry_after_seconds` (>= 1) then says when to try again. An admitted attempt
  /// spends one token of the client's bucket. `now_ms`: milliseconds on the caller's clock.
  http::Admission check(std::string_view account, const net::Address& client, std::int64_t now_ms);

  /// A wrong password for `account` at `now_ms`: past `free_failures` consecutive failures, locks
  /// it for first_lock_ms, doubled for each further failure, at most max_lock_ms.
  void failed(std::string_view account, std::int64_t now_ms);

  /// A right password: the account's failures are forgotten.
  void succeeded(std::string_view account);

  /// The number of accounts with failures remembered.
  std::size_t tracked_accounts() const;

 private:
  struct Entry {
    std::uint32_t failures = 0;
    std::int64_t locked_until_ms = 0;
    std::list<std::string>::iterator recency{};
  };

  static std::string key_of(std::string_view account);
  std::int64_t lock_for(std::uint32_t failures) const;

  ThrottleSettings settings_{};
  http::RateLimiter addresses_;
  mutable std::mutex mutex_{};
  // Ordered like http::RateLimiter's table: its worst case does not depend on names an attacker
  // chooses.
  std::map<std::string, Entry, std::less<>> accounts_{};
  std::list<std::string> recency_{};  ///< most recently seen first
};

}  // namespace shelter::proxy::portal
