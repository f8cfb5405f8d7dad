#pragma once
// Where appeals, access requests and what their answers put in force are kept: beside the
// profile store, behind one interface. Two stores implement it, as for profiles: the embedded
// one (one box; a file in the state directory) and Redis (a fleet; docs/redis-schema.md).
//
// Every operation is a coroutine that completes on the caller's executor: the web front and the
// admin API await them without blocking their threads, whatever the store does underneath.
// Failures throw: StoreUnavailable (the store cannot be reached or written: 503, nothing was
// changed), StoreFull (a bound was reached: 503), CaseConflict (the case changed meanwhile: 409).

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "policy/overrides.h"
#include "proxy/cases/case.h"

namespace shelter::proxy::cases {

struct StoreUnavailable : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct StoreFull : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct CaseConflict : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct AppealQuery {
  enum class Which : std::uint8_t { open, closed, all } which = Which::open;
  /// "" = every appeal; else only those filed from that household's devices. The Redis store
  /// has no index by household: it reads the newest appeals and keeps the household's.
  std::string household{};
  std::size_t limit = 1000;  ///< newest first
};

struct RequestQuery {
  enum class Which : std::uint8_t { waiting, answered, all } which = Which::waiting;
  std::string household;     ///< "" = every household
  std::size_t limit = 1000;  ///< newest first
};

/// How long what people gave us is kept (cases.retention in the configuration).
struct Retention {
  std::int64_t contact_after_close = 30 * 86400;  ///< an appeal's contact, once it is closed
  std::int64_t closed_appeal = 365 * 86400;       ///< a closed appeal (for the transparency report)
  std::int64_t request = 7 * 86400;               ///< an access request, once answered or expired
  std::int64_t waiting_request = 86400;           ///< a request nobody answered becomes expired
};

class CaseStore {
 public:
  virtual ~CaseStore() = default;

  /// Stores a new appeal; its id must be new (CaseConflict otherwise: draw another). It may be
  /// closed already: a legal list's appeal is referred as it is filed.
  virtual boost::asio::awaitable<void> add_appeal(Appeal appeal) = 0;
  virtual boost::asio::awaitable<std::optional<Appeal>> appeal(std::string id) = 0;
  virtual boost::asio::awaitable<std::vector<Appeal>> appeals(AppealQuery query) = 0;
  /// Replaces the appeal with `updated` if it is still open (CaseConflict otherwise) and, for
  /// an overturn, puts `allow` in force on every node in the same step.
  virtual boost::asio::awaitable<void> close_appeal(Appeal updated,
                                                    std::optional<OperatorAllow> allow) = 0;
  /// Records the referral's delivery on a referred appeal.
  virtual boost::asio::awaitable<void> set_referral(std::string id, Referral referral) = 0;

  /// Stores a new request, or returns the one already waiting for the same household, device
  /// and site (a child pressing the button twice makes one request).
  virtual boost::asio::awaitable<AccessRequest> add_request(AccessRequest request) = 0;
  virtual boost::asio::awaitable<std::optional<AccessRequest>> request(std::string id) = 0;
  virtual boost::asio::awaitable<std::vector<AccessRequest>> requests(RequestQuery query) = 0;
  /// Replaces the request with `updated` if it is still waiting (CaseConflict otherwise) and
  /// puts `grant` in force on every node in the same step.
  virtual boost::asio::awaitable<void> answer_request(AccessRequest updated,
                                                      std::optional<Grant> grant) = 0;

  /// Housekeeping at `now`: erases contacts and cases past their retention, marks unanswered
  /// requests expired, drops grants that ended.
  virtual boost::asio::awaitable<void> expire(std::int64_t now, Retention retention) = 0;

  /// Starts what keeps the overrides current (the Redis store's subscription); `changed` is
  /// called, on any thread, with the overrides whenever they change (this node's writes and
  /// other nodes'), and once at start when they are known.
  virtual void start(std::function<void(std::shared_ptr<const policy::Overrides>)> changed) = 0;
  virtual void stop() = 0;
  /// "embedded (/var/lib/shelter/state/cases.json)", "redis": for the log.
  virtual std::string describe() const = 0;
};

/// Every appeal and every access request, newest first, up to `limit` of each: what the case
/// metrics and the transparency report count.
struct EveryCase {
  std::vector<Appeal> appeals;
  std::vector<AccessRequest> requests;
};

inline boost::asio::awaitable<EveryCase> every_case(CaseStore& store, std::size_t limit) {
  AppealQuery appeals;
  appeals.which = AppealQuery::Which::all;
  appeals.limit = limit;
  RequestQuery requests;
  requests.which = RequestQuery::Which::all;
  requests.limit = limit;
  EveryCase every;
  every.appeals = co_await store.appeals(appeals);
  every.requests = co_await store.requests(requests);
  co_return every;
}

/// The overrides that `grants` and `allows` put in force at `now` (ended grants left out).
std::shared_ptr<const policy::Overrides> build_overrides(const std::vector<Grant>& grants,
                                                         const std::vector<OperatorAllow>& allows,
                                                         std::int64_t now);

}  // namespace shelter::proxy::cases
