#pragma once
// Reads the configured list sources (files, SquidGuard trees or inline entries) into one
// blocklist snapshot, or reads a compiled snapshot file. This is the I/O edge of the blocklist
// module: parsing, matching and the fitness checks (blocklist/list_check.h) stay there.
//
// Fail-safe: every list read from a file is checked before it may replace its last good
// version. A list that is refused (unreadable, empty, not its format, shrunk too much) is
// fed from its last good version instead; the other lists load as they are.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "blocklist/list_check.h"
#include "blocklist/snapshot.h"
#include "proxy/config/config.h"
#include "proxy/lists/last_good.h"

namespace shelter::proxy::lists {

/// How one list fared in one load: the values of `shelter_list_reloads_total{result}`.
enum class ListResult : std::uint8_t {
  ok,
  accepted_override,  ///< refused as a shrink or emptied, but an operator accepted it
  refused_empty,
  refused_format,
  refused_shrink,
  refused_unreadable,  ///< the file is missing or unreadable
  refused_snapshot,    ///< the compiled snapshot holding it was refused
  kCount,
};
std::string_view result_name(ListResult result);
bool is_refusal(ListResult result);

/// How many names each list steers to the proxy, one line a list, and the distinct total:
/// what `shelter-compile` and `shelterd --check-config` print (docs/lists.md, "Steering").
std::string describe_steering(const blocklist::Snapshot& snapshot);

/// One list after a load, in configuration (or snapshot) order.
struct ListStatus {
  std::string id{};
  std::string category{};
  bool legal = false;
  ListResult result = ListResult::ok;
  /// Why it was refused; for accepted_override, what the acceptance overrode; else empty.
  std::string reason{};
  bool in_force = false;                 ///< some version of it is in the snapshot
  bool serving_last_good = false;        ///< refused, and its last good version is in force
  std::uint64_t entries = 0;             ///< rules of the version in force
  std::int64_t modified_unix = 0;        ///< the version in force: its files' mtime (0: inline)
  std::int64_t accepted_unix = 0;        ///< when the version in force was accepted
  std::chrono::milliseconds max_age{0};  ///< past this it is stale (0: never)
  /// A newly taken version, to be kept as the last good one once the load is in force.
  std::shared_ptr<const ListSource> to_keep{};
  /// The operator's acceptance this load used (to be marked used once in force).
  std::optional<Acceptance> acceptance{};
};

struct LoadedLists {
  std::shared_ptr<const blocklist::Snapshot> snapshot;
  std::vector<ListStatus> lists;
  std::vector<std::string> warnings;  ///< malformed lines, per list and line
  /// Set when the snapshot was read from a compiled file: its identity, to notice a new one.
  std::string snapshot_path;
  std::int64_t snapshot_mtime = 0;
  std::uint64_t snapshot_inode = 0;

  std::size_t refused() const;
  /// Rules in force, summed over the lists (what the metrics show per list).
  std::uint64_t entries() const;
};

struct ListLoadResult {
  std::shared_ptr<LoadedLists> lists;  ///< null when `errors` is not empty
  std::vector<std::string> errors;     ///< nothing may be swapped in
};

/// What a load compares against and may fall back on.
struct LoadContext {
  const LastGoodStore* store = nullptr;  ///< null: no last good versions, no acceptances
  std::int64_t now_unix = 0;
  /// The lists in force now (snapshot mode: a new snapshot may not drop a legal list).
  const LoadedLists* running = nullptr;
};

/// The limits that apply to `list` (its own keys, else list-updates' defaults by class).
blocklist::ListLimits limits_for(const config::ListConfig& list,
                                 const config::ListUpdatesConfig& updates);
/// Inline entries are the configuration itself and never age (0), whatever max-age says.
std::chrono::milliseconds max_age_for(const config::ListConfig& list,
                                      const config::ListUpdatesConfig& updates);

/// Reads, checks and feeds every list into `builder` (lists are declared in config order, so
/// list indexes follow the configuration).
ListLoadResult compile_lists(const config::Config& config, blocklist::SnapshotBuilder& builder,
                             const LoadContext& context);

/// A fresh random key for a snapshot's hash (getrandom), so that nobody can aim names at
/// one slot of a table whose key they do not know.
std::uint64_t random_hash_seed();

/// The snapshot the configuration asks for: the compiled file of `snapshot.path` when set
/// (falling back on the state directory's last good copy when there is no running one),
/// otherwise the lists compiled now.
ListLoadResult load_configured_lists(const config::Config& config, const LoadContext& context);

/// Which version of list `id` the checks would take now, and why: for `--accept-list`.
struct ListVerdictNow {
  ListResult result = ListResult::ok;
  std::string reason;
  std::uint64_t entries = 0;
  std::optional<std::uint64_t> last_good_entries;
  std::string fingerprint;
  bool acceptable = false;  ///< an operator may accept it (a shrink or an emptied list)
};
std::optional<ListVerdictNow> check_list_now(const config::Config& config, const std::string& id,
                                             const LastGoodStore& store);

}  // namespace shelter::proxy::lists
