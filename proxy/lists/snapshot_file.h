#pragma once
// Compiled snapshot files: written atomically by `shelter-compile`, read into private memory by
// shelterd. The I/O edge of blocklist::Snapshot.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "blocklist/snapshot.h"

namespace shelter::proxy::lists {

struct SnapshotFile {
  std::shared_ptr<const blocklist::Snapshot> snapshot;  ///< null on error
  std::string error;
  std::int64_t modified_unix = 0;
  std::uint64_t inode = 0;  ///< with the mtime, tells a replaced file from the one mapped
};

/// Reads `path` into a private mapping made read-only, and opens it; the mapping lives as long
/// as the snapshot. The file itself is not mapped, so overwriting or truncating it cannot
/// touch a snapshot in use. A corrupt, truncated or hostile file gives an error and no
/// snapshot.
SnapshotFile read_snapshot_file(const std::string& path);

/// Writes `image` to `path` so that readers see the old file or the new one, never a partial
/// one: a temporary file in the same directory, fsync, rename, fsync of the directory.
/// Returns the error text, empty on success.
std::string write_snapshot_file(const std::string& path, const std::vector<std::uint8_t>& image);

/// The mtime and inode of `path`, to notice a replaced snapshot cheaply; false if it is gone.
bool file_identity(const std::string& path, std::int64_t& modified_unix, std::uint64_t& inode);

}  // namespace shelter::proxy::lists
