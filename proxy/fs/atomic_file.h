#pragma once
// Replacing a file so that a crash at any moment leaves either the old file or the new one,
// never a half-written one: write a temporary file beside it, fsync it, rename it into place,
// fsync the directory. Used for compiled list snapshots and the embedded store's households.

#include <sys/types.h>
#include <span>
#include <string>

namespace shelter::proxy::fs {

/// Writes `bytes` to `path` atomically with permissions `mode`. Returns "" on success, else
/// the reason (the old file, if any, is untouched and no temporary file is left behind).
std::string write_file_atomically(const std::string& path, std::span<const char> bytes,
                                  mode_t mode = 0644);

}  // namespace shelter::proxy::fs
