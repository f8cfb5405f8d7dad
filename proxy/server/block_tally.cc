#include "proxy/server/block_tally.h"

#include <random>

#include "proxy/cases/case_store.h"

namespace shelter::proxy::server {
namespace {

std::string random_node_id() {
  std::random_device random;
  char b[24];
  std::snprintf(b, sizeof b, "%08x%08x", random(), random());
  return b;
}

}  // namespace

BlockTally::BlockTally(std::vector<const metrics::WorkerMetrics*> workers,
                       const SharedBlockCounters& pages, const metrics::BlockSlots& slots,
                       std::shared_ptr<cases::BlockLedger> ledger)
    : workers_(std::move(workers)),
      pages_(pages),
      slots_(slots),
      ledger_(std::move(ledger)),
      node_(random_node_id()),
      seen_(metrics::kMaxBlockSources, 0) {}

void BlockTally::collect(std::int64_t now) {
  const std::vector<metrics::BlockSource> sources = slots_.sources();
  cases::BlockCounts* today = nullptr;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    std::uint64_t sum = pages_.blocks[i].load(std::memory_order_relaxed);
    for (const metrics::WorkerMetrics* w : workers_)
      sum += w->blocks[i].get();
    if (sum == seen_[i]) continue;
    if (today == nullptr) today = &pending_[cases::day_name(cases::day_of(now))];
    (*today)[{sources[i].list, sources[i].category}] += sum - seen_[i];
    seen_[i] = sum;
  }
}

boost::asio::awaitable<void> BlockTally::flush(std::int64_t now, std::int64_t retention_days) {
  cases::BlockBatch batch;
  {
    std::lock_guard lock(mutex_);
    if (flushing_) co_return;
    collect(now);
    if (!batch_) {
      if (pending_.empty()) co_return;
      batch_ = cases::BlockBatch{.id = node_ + "-" + std::to_string(++sequence_),
                                 .days = std::move(pending_)};
      pending_.clear();
    }
    batch = *batch_;
    flushing_ = true;
  }
  try {
    co_await ledger_->add(batch, retention_days);
  } catch (...) {
    std::lock_guard lock(mutex_);
    flushing_ = false;
    throw;
  }
  std::lock_guard lock(mutex_);
  batch_.reset();
  flushing_ = false;
}

boost::asio::awaitable<cases::BlockDays> BlockTally::days(cases::Period period, std::int64_t now) {
  const std::string from = cases::day_name(period.from);
  const std::string to = cases::day_name(period.to);
  cases::BlockDays days = co_await ledger_->read(from, to);
  cases::BlockDays unflushed;
  {
    std::lock_guard lock(mutex_);
    collect(now);
    unflushed = pending_;
    if (batch_) cases::merge_counts(unflushed, batch_->days);
  }
  for (auto it = unflushed.lower_bound(from); it != unflushed.end() && it->first <= to; ++it) {
    cases::BlockCounts& into = days[it->first];
    for (const auto& [key, n] : it->second)
      into[key] += n;
  }
  co_return days;
}

boost::asio::awaitable<cases::Report> transparency_report(BlockTally& tally,
                                                          cases::CaseStore* store,
                                                          const Runtime& runtime,
                                                          cases::Period period, std::int64_t now) {
  const cases::BlockDays days = co_await tally.days(period, now);
  cases::EveryCase every;
  if (store != nullptr) every = co_await cases::every_case(*store, 100'000);
  std::map<std::string, bool> lists;
  for (const blocklist::ListInfo& list : runtime.lists->snapshot->lists())
    lists[list.id] = list.legal;
  const config::CasesConfig& c = runtime.config->cases;
  cases::ReportInput input{.period = period,
                           .now = now,
                           .days = &days,
                           .appeals = &every.appeals,
                           .requests = &every.requests,
                           .lists = &lists,
                           .retention = {.contact_after_close = c.contact_after_close.count(),
                                         .closed_appeal = c.closed_appeal.count(),
                                         .request = c.request.count(),
                                         .waiting_request = c.waiting_request.count()}};
  co_return cases::build_report(input);
}

}  // namespace shelter::proxy::server
