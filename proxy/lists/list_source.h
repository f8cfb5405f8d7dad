#pragma once
// The bytes of one configured list, read from disk as they are now: one part per file (a
// SquidGuard tree has a domains and a urls file per folder), or the inline entries of the
// configuration. What the list loader checks, and what the last good store keeps.

#include <cstdint>
#include <string>
#include <vector>

#include "blocklist/list_format.h"
#include "proxy/config/config.h"

namespace shelter::proxy::lists {

struct SourcePart {
  std::string name{};  ///< the file's path ("entries of list 'x'" for inline entries)
  blocklist::ListFormat format = blocklist::ListFormat::domains;
  std::string category{};  ///< overrides the list's category (SquidGuard folders); empty = list's
  /// SquidGuard reads a `urls` entry as a prefix ending at a path boundary.
  bool url_prefixes = false;
  std::string text{};
  std::int64_t modified_unix = 0;  ///< the file's mtime (0 for inline entries)
};

struct ListSource {
  std::vector<SourcePart> parts;
  std::int64_t modified_unix = 0;  ///< the newest part's mtime
  /// SHA-256 (hex) of every part's name and bytes: which version of the list this is. An
  /// operator's acceptance of a shrink names it, so it applies to this version only.
  std::string fingerprint;
  bool inline_entries = false;  ///< from the configuration, not a file: nothing to check
  std::string error;            ///< set when a file could not be read (then nothing else is)
};

/// Reads the list's files (or inline entries) now.
ListSource read_list_source(const config::ListConfig& list);

/// SHA-256 (hex) of the parts' names and texts.
std::string fingerprint_of(const std::vector<SourcePart>& parts);

/// What tells a file's new version from the one read: checked every interval, cheaply.
struct FileIdentity {
  std::string path;
  bool exists = false;
  std::int64_t modified_ns = 0;
  std::uint64_t inode = 0;
  std::int64_t size = 0;
  bool operator==(const FileIdentity&) const = default;
};

/// The identity of every file of every list that reads files, in configuration order.
std::vector<FileIdentity> list_file_identities(const std::vector<config::ListConfig>& lists);

/// Reads a whole file; false with `error` set when it cannot be opened or read.
bool read_whole_file(const std::string& path, std::string& text, std::int64_t& modified_unix,
                     std::string& error);

}  // namespace shelter::proxy::lists
