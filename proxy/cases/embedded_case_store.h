#pragma once
// The case store of a single box (the embedded profile store's companion): everything in memory
// under one lock, written to `<state-directory>/cases.json` atomically after every change
// (mode 0600: it holds people's contact details). Without a state directory, memory only (the
// cases of a restart are lost: the log says so at start).

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "proxy/cases/case_store.h"

namespace shelter::proxy::cases {

class EmbeddedCaseStore final : public CaseStore {
 public:
  /// Reads `<state_directory>/cases.json` when it exists. A file that does not read is moved
  /// aside (cases.json.unreadable-<time>, nothing lost) and the store starts empty; `warning`
  /// says so.
  EmbeddedCaseStore(std::string state_directory, std::string& warning);

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
  boost::asio::awaitable<void> expire(std::int64_t now, Retention retention) override;
  void start(std::function<void(std::shared_ptr<const policy::Overrides>)> changed) override;
  void stop() override;
  std::string describe() const override;

  static constexpr std::size_t kMaxOpenAppeals = 10'000;
  static constexpr std::size_t kMaxWaitingRequests = 10'000;

 private:
  struct State {
    std::vector<Appeal> appeals;  // oldest first
    std::vector<AccessRequest> requests;
    std::vector<Grant> grants;
    std::vector<OperatorAllow> allows;
  };

  // Under mutex_: writes `next` to the file, then makes it the state (a failed write changes
  // nothing and throws StoreUnavailable); tells the owner when the overrides changed.
  void commit(State next, bool overrides_changed);
  std::string serialise(const State& state) const;

  std::string path_;  // "" = memory only
  mutable std::mutex mutex_;
  State state_;
  std::function<void(std::shared_ptr<const policy::Overrides>)> changed_;
};

}  // namespace shelter::proxy::cases
