#pragma once
// Where households are changed: the admin API and the portal edit them through this interface,
// the DNS path reads them through Directory. Two stores implement it, as for Directory: the
// embedded one (the households file, rewritten atomically) and Redis (documents and bindings
// shared by a fleet, docs/redis-schema.md).
//
// An edit is a function from the household as stored to what it should become, applied
// atomically by the store: two parents (or a parent and the operator) editing at once never
// lose each other's change, because the store applies the second edit to the first's result.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "proxy/config/subscribers.h"
#include "proxy/profiles/profile_book.h"

namespace shelter::proxy::profiles {

/// The edit was refused: the reasons, each a sentence a person can act on ("devices.tablet.
/// profile: 'nine' is not a profile"). Nothing changed.
class HouseholdRejected : public std::runtime_error {
 public:
  explicit HouseholdRejected(std::vector<std::string> reasons);
  const std::vector<std::string>& reasons() const { return reasons_; }

 private:
  std::vector<std::string> reasons_;
};

/// A binding (address, MAC, CPE-ID) of the edit is another household's. Nothing changed.
class BindingTaken : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The store cannot be reached or written (Redis down, disk full). Nothing changed.
class HouseholdStoreUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct HouseholdPage {
  std::vector<config::HouseholdConfig> households;  ///< in id order
  std::string next_after;  ///< pass as `after` for the next page; empty: this was the last
};

/// What an edit did. `version`: the store's change counter after it (nodes report the version
/// they applied, so "in force everywhere" can be measured).
struct EditOutcome {
  std::optional<config::HouseholdConfig> household;  ///< as stored now; nullopt: deleted
  bool changed = false;                              ///< false: the edit kept it as it was
  std::uint64_t version = 0;
};

/// An edit: given the household as stored (nullopt: there is none), what it becomes (nullopt:
/// delete it). May throw HouseholdRejected to refuse; may run more than once when another write
/// came first, so it must not have side effects.
using HouseholdEdit =
    std::function<std::optional<config::HouseholdConfig>(std::optional<config::HouseholdConfig>)>;

/// How far an edit has reached: the nodes that filter with it, of those alive.
struct InForce {
  std::size_t nodes = 1;    ///< nodes alive (reporting within the last 45 s)
  std::size_t applied = 1;  ///< of them, those that applied the edit's version
  bool everywhere() const { return applied >= nodes; }
};

class HouseholdStore {
 public:
  /// The most a page holds.
  static constexpr std::size_t kMaxPage = 500;

  virtual ~HouseholdStore() = default;
  virtual boost::asio::awaitable<std::optional<config::HouseholdConfig>> get(std::string id) = 0;
  /// Households with ids after `after` (empty: from the first), at most `limit` (<= kMaxPage).
  virtual boost::asio::awaitable<HouseholdPage> list(std::string after, std::size_t limit) = 0;
  /// Applies `edit` to household `id` atomically. The result is checked against `book` (every
  /// profile and time zone it names must exist) before anything is written.
  virtual boost::asio::awaitable<EditOutcome> edit(std::string id, HouseholdEdit edit,
                                                   std::shared_ptr<const ProfileBook> book) = 0;
  /// Waits (at most `timeout`) until every node filters with `version` or newer. The embedded
  /// store's one node does when edit() returns; a fleet's nodes report what they applied.
  virtual boost::asio::awaitable<InForce> wait_in_force(std::uint64_t version,
                                                        std::chrono::milliseconds timeout) {
    (void)version;
    (void)timeout;
    co_return InForce{};
  }
  /// "embedded store, /var/lib/shelter/households.yaml" / "redis store"
  virtual std::string describe() const = 0;
};

/// Every reason the household cannot be used with `book` (empty: it can).
std::vector<std::string> check_household(const config::HouseholdConfig& household,
                                         const std::shared_ptr<const ProfileBook>& book);

}  // namespace shelter::proxy::profiles
