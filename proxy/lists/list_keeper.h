#pragma once
// The daemon's side of fail-safe list updates: the last good store, what each load did to
// each list (logged, counted, kept), staleness over time, and noticing changed list files.
// Lives on the daemon's control thread; not thread-safe.

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "proxy/config/config.h"
#include "proxy/lists/last_good.h"
#include "proxy/lists/list_loader.h"
#include "proxy/lists/list_source.h"
#include "proxy/metrics/metrics.h"

namespace shelter::proxy::lists {

class ListKeeper {
 public:
  /// What a load of `config` compares against: the store of its state directory (made anew
  /// when the directory changes) and the lists in force.
  LoadContext context(const config::Config& config, const LoadedLists* running,
                      std::int64_t now_unix);

  /// After a load is in force: logs each refusal and acceptance, keeps newly taken versions
  /// as last good, marks used acceptances, counts each list's result.
  void commit(const LoadedLists& loaded, std::int64_t now_unix);
  /// A new snapshot file was refused: every list in force kept its version.
  void count_snapshot_refusal(const LoadedLists& running);

  /// Logs and counts lists turning stale (and fresh again). Call every second or so.
  void check_staleness(const LoadedLists& lists, std::int64_t now_unix);

  /// The metrics' view of the lists in force.
  std::vector<metrics::ListGauge> gauges(const LoadedLists& lists, std::int64_t now_unix) const;

  /// True once the list files of `config` changed and then stayed the same for one more call
  /// (so a file still being written is not read half-way, most of the time).
  bool files_settled_after_change(const config::Config& config);
  /// The files as they are before a load reads them.
  void remember_files(const config::Config& config);

  const LastGoodStore* store() const { return store_.get(); }

 private:
  struct Counters {
    std::array<std::uint64_t, static_cast<std::size_t>(ListResult::kCount)> loads{};
    std::uint64_t stale_events = 0;
    bool stale = false;
  };
  std::unique_ptr<LastGoodStore> store_;
  std::map<std::string, Counters> counters_;
  std::vector<FileIdentity> seen_files_;
  std::vector<FileIdentity> pending_files_;
  std::pair<std::int64_t, std::uint64_t> kept_snapshot_{};  // mtime and inode last kept
};

/// One line for the log: "2 lists with 19 entries (15 domain and 4 URL rules once merged)".
std::string describe_lists(const LoadedLists& lists);

}  // namespace shelter::proxy::lists
