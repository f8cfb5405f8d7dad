#pragma once
// What feeds the transparency report's day ledger: the workers' block counters (one relaxed add
// per blocked query, metrics::WorkerMetrics::blocks) and the proxy's page blocks summed, the delta
// since the last look put into today's (UTC) bucket, and sent to the ledger (a file, or Redis for a
// fleet) as a batch. A batch that fails is kept and sent again with the same id, so no count is
// lost and none is added twice. The report adds what this node has not flushed yet, so it is exact
// at once.
//
// Thread-safety: every member may be called from any thread (one mutex, never on the query
// path); flush() is meant for the control thread's timer and shutdown.

#include <array>
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "proxy/cases/block_ledger.h"
#include "proxy/cases/transparency.h"
#include "proxy/metrics/metrics.h"
#include "proxy/server/runtime.h"

namespace shelter::proxy::cases {
class CaseStore;
}

namespace shelter::proxy::server {

/// Block counters with many writers: the filtering proxy's page decisions (URL-level entries),
/// made on any of its threads. Indexed by the same slots as WorkerMetrics::blocks.
struct SharedBlockCounters {
  std::array<std::atomic<std::uint64_t>, metrics::kMaxBlockSources> blocks{};
  void add(std::size_t slot) { blocks[slot].fetch_add(1, std::memory_order_relaxed); }
};

class BlockTally {
 public:
  /// `workers`, `pages` and `slots` must outlive the tally.
  BlockTally(std::vector<const metrics::WorkerMetrics*> workers, const SharedBlockCounters& pages,
             const metrics::BlockSlots& slots, std::shared_ptr<cases::BlockLedger> ledger);

  /// Takes the counts since the last look into the day of `now` and sends everything unflushed.
  /// Throws cases::StoreUnavailable (the batch is kept for the next call). A flush already in
  /// flight makes this one a no-op.
  boost::asio::awaitable<void> flush(std::int64_t now, std::int64_t retention_days);

  /// The ledger's days from `from` to `to`, with this node's unflushed counts added.
  boost::asio::awaitable<cases::BlockDays> days(cases::Period period, std::int64_t now);

 private:
  void collect(std::int64_t now);  // under mutex_

  std::vector<const metrics::WorkerMetrics*> workers_;
  const SharedBlockCounters& pages_;
  const metrics::BlockSlots& slots_;
  std::shared_ptr<cases::BlockLedger> ledger_;
  std::string node_;  // random: batch ids are unique across nodes and restarts

  std::mutex mutex_;
  std::vector<std::uint64_t> seen_;         // per slot: the sum already taken
  cases::BlockDays pending_;                // taken, not yet in a batch
  std::optional<cases::BlockBatch> batch_;  // sent or failed, not yet confirmed
  std::uint64_t sequence_ = 0;
  bool flushing_ = false;
};

/// The transparency report for `period` at `now`: the tally's days, `store`'s appeals and
/// requests (none when null), the lists and retention of `runtime`. Throws what the stores
/// throw (cases::StoreUnavailable).
boost::asio::awaitable<cases::Report> transparency_report(BlockTally& tally,
                                                          cases::CaseStore* store,
                                                          const Runtime& runtime,
                                                          cases::Period period, std::int64_t now);

}  // namespace shelter::proxy::server
