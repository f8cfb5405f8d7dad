#pragma once
// The case store of a fleet: appeals, access requests, grants and operator allows in the Redis
// that every shelterd node shares (docs/redis-schema.md, "Cases"). Every change of more than one
// key and every compare-and-set is one Lua script, so concurrent nodes cannot interleave; a
// change that puts something in force publishes `overrides` on the changes channel, and every
// node then reads the grants and allows again.
//
// Threads: the store runs its own io_context on one thread of its own (started by start(),
// joined by stop()), with one command connection and one subscription. The public coroutines
// may be awaited from any executor: each hops to the store's thread and completes back on the
// caller's. Call start() and stop() from one controlling thread, never from the store's own
// thread (the `changed` callback runs there). Stop the callers before stop(): an operation
// awaited after stop() throws StoreUnavailable.

#include <memory>
#include <string>

#include "proxy/cases/case_store.h"

namespace shelter::proxy::config {
struct RedisConfig;
}

namespace shelter::proxy::cases {

class RedisCaseStore final : public CaseStore {
 public:
  /// Bounds on what the public can make us keep (StoreFull beyond them).
  static constexpr std::size_t kMaxOpenAppeals = 10'000;
  static constexpr std::size_t kMaxWaitingRequests = 10'000;

  /// Keys under `config.key_prefix`. Always writes to the primary (`prefer_replica` is ignored).
  explicit RedisCaseStore(const config::RedisConfig& config);
  ~RedisCaseStore() override;
  RedisCaseStore(const RedisCaseStore&) = delete;
  RedisCaseStore& operator=(const RedisCaseStore&) = delete;

  boost::asio::awaitable<void> add_appeal(Appeal appeal) override;
  boost::asio::awaitable<std::optional<Appeal>> appeal(std::string id) override;
  boost::asio::awaitable<std::vector<Appeal>> appeals(AppealQuery query) override;
  boost::asio::awaitable<void> close_appeal(Appeal updated,
                                            std::optional<OperatorAllow> allow) override;
  boost::asio::awaitable<void> set_referral(std::string id, Referral referral) override;
  boost::asio::awaitable<AccessRequest> add_request(AccessRequest request) override;
  boost::asio::awaitable<std::optional<AccessRequest>> request(std::string id) override;
  boost::asio::awaitable<std::vector<AccessRequest>> requests(RequestQuery query) override;
  boost::asio::awaitable<void> answer_request(AccessRequest updated,
                                              std::optional<Grant> grant) override;
  /// Bounded: at most a few thousand records per call; call it again (e.g. every minute).
  boost::asio::awaitable<void> expire(std::int64_t now, Retention retention) override;
  /// Starts the thread, the connection and the subscription. `changed` runs on the store's
  /// thread after every (re)subscription, every `overrides` message and this node's own writes
  /// that change the overrides; it must not block for long. Once only.
  void start(std::function<void(std::shared_ptr<const policy::Overrides>)> changed) override;
  /// Closes the connections (operations in flight throw StoreUnavailable) and joins the thread.
  void stop() override;
  std::string describe() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shelter::proxy::cases
