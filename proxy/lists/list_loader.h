#pragma once
// Reads the configured list sources (files, SquidGuard trees or inline entries) into one
// blocklist snapshot, or maps a compiled snapshot file. This is the I/O edge of the blocklist
// module: parsing and matching stay in blocklist/.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "blocklist/snapshot.h"
#include "proxy/config/config.h"
#include "proxy/metrics/metrics.h"

namespace shelter::proxy::lists {

struct LoadedLists {
  std::shared_ptr<const blocklist::Snapshot> snapshot;
  std::vector<metrics::ListGauge> gauges;  ///< one per list, in configuration order
  std::vector<std::string> warnings;       ///< malformed lines, per list and line
  /// Set when the snapshot was mapped from a compiled file: its identity, to notice a new one.
  std::string snapshot_path;
  std::int64_t snapshot_mtime = 0;
  std::uint64_t snapshot_inode = 0;
};

struct ListLoadResult {
  std::shared_ptr<LoadedLists> lists;  ///< null when `errors` is not empty
  std::vector<std::string> errors;     ///< a list could not be read: nothing may be swapped in
};

/// Parses every list into a snapshot builder (the builder's lists are declared in config
/// order, so list indexes follow the configuration). A list whose file cannot be read fails
/// the whole load, so a reload never drops a list (least of all a legal one) by accident;
/// malformed lines are only warnings.
ListLoadResult compile_lists(const std::vector<config::ListConfig>& lists,
                             blocklist::SnapshotBuilder& builder);

/// A fresh random key for a snapshot's hash (getrandom), so that nobody can aim names at
/// one slot of a table whose key they do not know.
std::uint64_t random_hash_seed();

/// compile_lists, then builds the snapshot in memory (a random hash seed).
ListLoadResult load_lists(const std::vector<config::ListConfig>& lists, std::int64_t now_unix);

/// The snapshot the configuration asks for: the compiled file of `snapshot.path` when set,
/// otherwise the lists compiled now.
ListLoadResult load_configured_lists(const config::Config& config, std::int64_t now_unix);

}  // namespace shelter::proxy::lists
