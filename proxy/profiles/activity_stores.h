#pragma once
// The two ActivityStores (proxy/profiles/household_activity.h): the embedded one keeps an
// ActivityBook in memory and writes it to `household-activity.json` in the state directory
// after each change (atomically); the Redis one keeps per-week counter hashes and a hash of
// new devices per household (docs/redis-schema.md, "Household activity"), written by one Lua
// script per batch so that a minute's flush is one round trip and two nodes' counts add up.
//
// Threads: the control thread (the daemon's flush timer and the portal both run there).

#include <memory>
#include <string>

#include "proxy/profiles/household_activity.h"

namespace shelter::proxy::redis {
class Client;
}

namespace shelter::proxy::profiles {

class EmbeddedActivityStore final : public ActivityStore {
 public:
  /// `directory` "": kept in memory only. A file that does not read is moved aside (its name
  /// gets ".unreadable-<time>") and `warning` says so.
  EmbeddedActivityStore(const std::string& directory, std::string& warning);

  boost::asio::awaitable<void> add(ActivityBatch batch, std::int64_t now) override;
  boost::asio::awaitable<ActivityView> read(std::string household, std::int64_t now) override;
  boost::asio::awaitable<void> settle(std::string household, std::string mac,
                                      std::int64_t now) override;

 private:
  void save();
  std::string path_;
  ActivityBook book_;
};

class RedisActivityStore final : public ActivityStore {
 public:
  /// Writes through `client` (connected to the primary); keys start with `key_prefix`.
  RedisActivityStore(std::shared_ptr<redis::Client> client, const std::string& key_prefix);

  /// Throws std::runtime_error when Redis does not take the batch.
  boost::asio::awaitable<void> add(ActivityBatch batch, std::int64_t now) override;
  boost::asio::awaitable<ActivityView> read(std::string household, std::int64_t now) override;
  boost::asio::awaitable<void> settle(std::string household, std::string mac,
                                      std::int64_t now) override;

 private:
  std::shared_ptr<redis::Client> client_;
  std::string blocks_key_;   // <prefix>:v1:hblocks:  + <household>:<yyyy-Www>
  std::string devices_key_;  // <prefix>:v1:newdev:   + <household>
};

}  // namespace shelter::proxy::profiles
