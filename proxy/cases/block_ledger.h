#pragma once
// The transparency report's day ledger: blocks per (source, category) per UTC day, summed over
// the nodes. Counts only: never a name, a URL, a household or a device. Two stores, as for the
// cases: a file in the state directory (one box) and Redis hashes shared by a fleet
// (docs/redis-schema.md, "Transparency").

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

namespace shelter::proxy::redis {
class Client;
}

namespace shelter::proxy::cases {

/// (source, category) -> blocks. The source is a list's id or "parental-controls".
using BlockCounts = std::map<std::pair<std::string, std::string>, std::uint64_t>;
/// "YYYY-MM-DD" (UTC) -> that day's counts.
using BlockDays = std::map<std::string, BlockCounts>;

/// Adds `from` into `into`.
void merge_counts(BlockDays& into, const BlockDays& from);

/// A batch of counts on its way to a ledger. `id` is unique per node and batch: a store that can
/// see a batch twice (Redis, when a reply is lost) applies it once.
struct BlockBatch {
  std::string id{};
  BlockDays days{};
};

class BlockLedger {
 public:
  virtual ~BlockLedger() = default;
  /// Adds the batch to its days, all or nothing; throws StoreUnavailable (nothing added).
  /// `retention_days`: days older than that are dropped (the file) or expire (Redis).
  virtual boost::asio::awaitable<void> add(BlockBatch batch, std::int64_t retention_days) = 0;
  /// The days from `from` to `to` (inclusive, "YYYY-MM-DD") that have counts. Throws
  /// StoreUnavailable.
  virtual boost::asio::awaitable<BlockDays> read(std::string from, std::string to) = 0;
};

/// `path` ("" = memory only): a JSON file written atomically after every batch. A file that does
/// not read is moved aside and the ledger starts empty; `warning` says so.
std::shared_ptr<BlockLedger> make_file_block_ledger(std::string path, std::string& warning);

/// Hashes `<prefix>:v1:blocks:<YYYY-MM-DD>`, field "<source>\t<category>", one Lua script per
/// batch (HINCRBY each count, EXPIRE at the retention, the batch id remembered so that a retry
/// adds nothing twice). `client` runs on `executor` and is used there only: the coroutines hop
/// to it and complete on the caller's executor.
std::shared_ptr<BlockLedger> make_redis_block_ledger(std::shared_ptr<redis::Client> client,
                                                     boost::asio::any_io_executor executor,
                                                     std::string key_prefix);

}  // namespace shelter::proxy::cases
