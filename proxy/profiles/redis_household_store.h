#pragma once
// The Redis store's HouseholdStore (docs/redis-schema.md, "Written by shelterd"): a household's
// document (bindings included), its fields of the bindings hash, the index of ids and the change
// counter are written by one Lua script, which also publishes what changed, so every node drops
// it at once. The script writes only when the document is still the one the edit was computed
// from (compare-and-set); otherwise the edit runs again on the newer document.
//
// Threads: the client's executor (the daemon's control thread, where the admin API and the
// portal run). The coroutines must be awaited on that executor.

#include <memory>
#include <string>

#include "proxy/profiles/household_store.h"

namespace shelter::proxy::config {
struct RedisConfig;
}
namespace shelter::proxy::redis {
class Client;
}

namespace shelter::proxy::profiles {

class RedisHouseholdStore final : public HouseholdStore {
 public:
  /// Writes through `client` (connected to the primary; shared with the portal's accounts).
  RedisHouseholdStore(std::shared_ptr<redis::Client> client, const config::RedisConfig& config);

  boost::asio::awaitable<std::optional<config::HouseholdConfig>> get(std::string id) override;
  boost::asio::awaitable<HouseholdPage> list(std::string after, std::size_t limit) override;
  boost::asio::awaitable<EditOutcome> edit(std::string id, HouseholdEdit edit,
                                           std::shared_ptr<const ProfileBook> book) override;
  /// Polls `<prefix>:v1:nodes` (each node's applied version and last report) every 5 ms.
  boost::asio::awaitable<InForce> wait_in_force(std::uint64_t version,
                                                std::chrono::milliseconds timeout) override;
  std::string describe() const override { return "redis store"; }

 private:
  boost::asio::awaitable<std::optional<std::string>> document(const std::string& id);

  std::shared_ptr<redis::Client> client_;
  std::string household_key_, bindings_key_, index_key_, version_key_, nodes_key_, channel_;
};

}  // namespace shelter::proxy::profiles
