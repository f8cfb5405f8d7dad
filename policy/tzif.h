#pragma once
// The TZif format (RFC 8536, versions 1 to 4; RFC 9636): a reader of untrusted bytes held in
// memory. A building block of TimeZone::from_tzif (time_zone.h); pure, no allocation beyond
// the bounded vectors it returns.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace shelter::policy {

/// Transitions beyond this many make the file an error (real files have a few hundred).
inline constexpr std::size_t kMaxTzifTransitions = 10000;

/// What Shelter needs of a TZif file. For version 2+ files, the 64-bit data block; the version 1
/// block is only skipped over, as RFC 8536 section 4 recommends.
struct TzifContents {
  struct Transition {
    std::int64_t at = 0;    ///< UTC seconds, strictly ascending
    std::uint8_t type = 0;  ///< index into type_offsets
  };
  std::vector<Transition> transitions;
  std::vector<std::int32_t> type_offsets;  ///< seconds east of UTC; at least one
  std::string footer;                      ///< the POSIX TZ string; empty: none (or version 1)
};

/// Reads and validates a whole file: header magic and version, every count (at most
/// kMaxTzifTransitions transitions, 1 to 256 types, isstd/isut counts 0 or the type count),
/// every index, ascending times, offsets within RFC 9636's recommended -89999..93599, and the
/// footer's newlines; nothing may follow the footer. Leap-second tables (the "right/" zones,
/// whose times count leap seconds) are refused, since Shelter's instants are POSIX seconds.
/// On failure returns std::nullopt and sets `error` ("TZif: truncated data block").
std::optional<TzifContents> parse_tzif(std::span<const std::uint8_t> bytes, std::string& error);

}  // namespace shelter::policy
