#pragma once
// The subscriber directory the DNS path asks: who is this query from (bindings), and what is
// that household's state. Two stores implement it: the embedded one (a households file, for a
// single box) and Redis (shared by a fleet).

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "policy/flat_map.h"
#include "policy/identify.h"
#include "policy/string_hash.h"
#include "proxy/profiles/household.h"

namespace shelter::proxy::redis {
class Client;
}  // namespace shelter::proxy::redis

namespace shelter::proxy::profiles {

/// What a directory knows of a household right now.
struct Found {
  enum class Status : std::uint8_t {
    hit,      ///< `household` is its state
    absent,   ///< the store has no such household: the default profile applies
    pending,  ///< not in memory: the caller may fetch it (Redis), else use the default
  };
  Status status = Status::absent;
  /// Valid while the directory lives, or while `keep_alive` does when it is set (a store whose
  /// entries can go at any moment shares them; the embedded store's live as long as it does,
  /// and sharing would cost a cache miss and an atomic add a query).
  const Household* household = nullptr;
  std::shared_ptr<const Household> keep_alive;
};

class Directory {
 public:
  virtual ~Directory() = default;
  /// Which household (and device) the facts point to. Thread-safe, never waits.
  virtual policy::Identity identify(const policy::ClientFacts& facts,
                                    const policy::TrustRules& trust) const = 0;
  /// The household's compiled state as far as memory has it. Thread-safe, never waits.
  virtual Found find(std::string_view household) const = 0;
  /// Brings a household that find() called pending into memory, reading it with
  /// `connection` (the calling worker's own connection to the store). Completes when the
  /// read is done, whatever its result: a failure is counted by the store and leaves find()
  /// as it was. Never throws. The caller bounds the wait (the read goes on after it).
  virtual boost::asio::awaitable<void> fetch(redis::Client& connection,
                                             std::string household) const = 0;
};

/// The embedded store's directory: every household of the file, compiled once. Immutable; a
/// reload builds a new one.
class EmbeddedDirectory final : public Directory {
 public:
  /// Reads nothing itself: `households` come from config::parse_households. Null, with every
  /// reason in `errors`, when one household cannot be compiled or two bind the same thing.
  static std::shared_ptr<const EmbeddedDirectory> build(
      const std::vector<config::HouseholdConfig>& households,
      std::shared_ptr<const ProfileBook> book, std::vector<std::string>& errors);

  policy::Identity identify(const policy::ClientFacts& facts,
                            const policy::TrustRules& trust) const override {
    return policy::identify(facts, bindings_, trust);
  }
  Found find(std::string_view household) const override;
  /// Every household is in memory (find() is never pending): returns at once.
  boost::asio::awaitable<void> fetch(redis::Client& connection,
                                     std::string household) const override;
  std::size_t size() const { return households_.size(); }

 private:
  policy::SubscriberBindings bindings_;
  // Flat, not ordered or chained: with 100,000 households a tree walk is some twenty cache
  // misses a query and a chained hash four or five (tests/bench/profiles_bench.cc).
  policy::FlatMap<std::string, std::shared_ptr<const Household>, policy::StringHash> households_;
};

/// What a (re)load produces for subscribers: the profiles and the directory.
struct Subscribers {
  std::shared_ptr<const ProfileBook> profiles;
  std::shared_ptr<const Directory> directory;
  /// The embedded store's households as read from its file (null: the Redis store, or a
  /// publish that did not read them again), which run-time edits start from.
  std::shared_ptr<const std::vector<config::HouseholdConfig>> households{};
};

/// Builds both from the configuration; for the embedded store, reads `subscribers.file`.
/// Empty pointers, with every reason in `errors`, when anything is wrong: a configuration
/// whose households cannot be read is not used (never half a file).
Subscribers load_subscribers(const config::Config& config, policy::CategoryRegistry& registry,
                             std::vector<std::string>& errors);

}  // namespace shelter::proxy::profiles
