#include "proxy/cases/block_ledger.h"

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "proxy/cases/case_store.h"
#include "proxy/cases/transparency.h"
#include "proxy/clock.h"
#include "proxy/fs/atomic_file.h"

namespace shelter::proxy::cases {
namespace {

namespace json = boost::json;

std::string serialise(const BlockDays& days) {
  json::object root;
  root["version"] = 1;
  json::object out;
  for (const auto& [day, counts] : days) {
    json::array rows;
    for (const auto& [key, n] : counts)
      rows.push_back(json::array{json::value(key.first), json::value(key.second), n});
    out[day] = std::move(rows);
  }
  root["days"] = std::move(out);
  return json::serialize(root) + "\n";
}

bool parse(std::string_view text, BlockDays& days) {
  json::error_code ec;
  json::value root = json::parse(text, ec);
  if (ec || !root.is_object()) return false;
  const json::value* d = root.as_object().if_contains("days");
  if (d == nullptr || !d->is_object()) return false;
  for (const auto& [day, rows] : d->as_object()) {
    if (!parse_day(day) || !rows.is_array()) return false;
    BlockCounts& counts = days[std::string(day)];
    for (const json::value& row : rows.as_array()) {
      const json::array* r = row.if_array();
      if (r == nullptr || r->size() != 3 || !(*r)[0].is_string() || !(*r)[1].is_string() ||
          !((*r)[2].is_uint64() || (*r)[2].is_int64())) {
        return false;
      }
      counts[{std::string((*r)[0].as_string()), std::string((*r)[1].as_string())}] +=
          (*r)[2].to_number<std::uint64_t>();
    }
  }
  return true;
}

// One box: the days in memory under a lock, the file rewritten after each batch (a minute's
// counts: a few hundred bytes per source and day).
class FileBlockLedger final : public BlockLedger {
 public:
  FileBlockLedger(std::string path, std::string& warning) : path_(std::move(path)) {
    warning.clear();
    if (path_.empty()) return;
    std::ifstream in(path_, std::ios::binary);
    if (!in) return;
    std::stringstream text;
    text << in.rdbuf();
    if (parse(text.str(), days_)) return;
    days_.clear();
    const std::string aside = path_ + ".unreadable-" + std::to_string(clock::now());
    std::error_code rename_error;
    std::filesystem::rename(path_, aside, rename_error);
    warning =
        path_ + " does not read: " +
        (rename_error ? "left in place (" + rename_error.message() + ")" : "moved to " + aside) +
        "; the report starts with no block counts";
  }

  boost::asio::awaitable<void> add(BlockBatch batch, std::int64_t retention_days) override {
    std::lock_guard lock(mutex_);
    BlockDays next = days_;
    merge_counts(next, batch.days);
    const std::string oldest = day_name(day_of(clock::now()) - retention_days);
    next.erase(next.begin(), next.lower_bound(oldest));
    if (!path_.empty()) {
      const std::string bytes = serialise(next);
      const std::string error = fs::write_file_atomically(path_, bytes, 0644);
      if (!error.empty()) throw StoreUnavailable("cannot write " + path_ + ": " + error);
    }
    days_ = std::move(next);
    co_return;
  }

  boost::asio::awaitable<BlockDays> read(std::string from, std::string to) override {
    std::lock_guard lock(mutex_);
    co_return BlockDays(days_.lower_bound(from), days_.upper_bound(to));
  }

 private:
  std::string path_;
  std::mutex mutex_;
  BlockDays days_;
};

}  // namespace

void merge_counts(BlockDays& into, const BlockDays& from) {
  for (const auto& [day, counts] : from) {
    BlockCounts& to = into[day];
    for (const auto& [key, n] : counts)
      to[key] += n;
  }
}

std::shared_ptr<BlockLedger> make_file_block_ledger(std::string path, std::string& warning) {
  return std::make_shared<FileBlockLedger>(std::move(path), warning);
}

}  // namespace shelter::proxy::cases
