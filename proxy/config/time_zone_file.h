#pragma once
// Loads a household's time zone by IANA name ("Europe/London") from the system's zoneinfo
// directory (Debian's tzdata package).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "policy/time_zone.h"

namespace shelter::proxy::config {

/// Zone files larger than this are refused without being parsed (real ones are under 4 KiB).
inline constexpr std::size_t kMaxTimeZoneFileBytes = 1024 * 1024;
/// Longer names are refused (the longest IANA name has 32 characters).
inline constexpr std::size_t kMaxTimeZoneNameBytes = 128;

/// Reads `zoneinfo_dir`/`name` and parses it as TZif (policy::TimeZone::from_tzif). The name is
/// checked before the file system is touched: 1 to kMaxTimeZoneNameBytes of letters, digits,
/// '/', '_', '-' and '+', no leading or trailing '/', no empty or ".." component, so that it
/// cannot leave `zoneinfo_dir`. "UTC" and "Etc/UTC" need no file (tzdata may be missing). On
/// failure: std::nullopt and `error`, one line that names the zone ("time zone 'Mars/Olympus':
/// not found in /usr/share/zoneinfo"). Blocking file I/O: call at load time, not per query.
std::optional<policy::TimeZone> load_time_zone(
    std::string_view name, std::string& error,
    std::string_view zoneinfo_dir = "/usr/share/zoneinfo");

}  // namespace shelter::proxy::config
