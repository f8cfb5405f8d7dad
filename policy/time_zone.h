#pragma once
// Time zones for parental-control schedules: UTC offsets at instants, and the instants at which
// they change. GCC 12's libstdc++ has no std::chrono time-zone database, so Shelter reads TZif
// files (the loader is proxy/config/time_zone_file.h) and POSIX TZ rules itself. Pure: instants
// are parameters (seconds since the Unix epoch, UTC, leap seconds not counted).

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace shelter::policy {

struct PosixTzRule;

/// An immutable time zone: a table of offset changes, then (optionally) a POSIX rule for every
/// instant from the end of the table on. Cheap to query (a few binary searches, no allocation),
/// safe to share between threads; a zone with a rule holds one 400-year cycle of its transitions
/// (about 13 KiB), so callers share one TimeZone per zone name rather than one per household.
///
/// Instants beyond kMinTime / kMaxTime (civil_time.h) are treated as the nearest bound by the
/// rule, so that hostile input cannot overflow any computation.
class TimeZone {
 public:
  /// UTC, offset 0, no transitions (also what a default-constructed TimeZone is).
  static TimeZone utc();

  /// A POSIX TZ rule as found in TZif footers: "UTC0", "CET-1CEST,M3.5.0,M10.5.0/3",
  /// "EST5EDT,M3.2.0,M11.1.0", "<+0530>-5:30", "AEST-10AEDT,M10.1.0,M4.1.0/3", Jn and n date
  /// forms, transition times with hours beyond 24 and negative (RFC 8536 section 3.3.1
  /// extensions), and all-year daylight time ("EST5EDT,0/0,J365/25"). The rule applies to every
  /// instant. Transitions follow tzcode: each year, DST starts at `start` (local standard time)
  /// and ends at `end` (local daylight time), southern-hemisphere rules (end before start)
  /// included. A daylight name without dates ("EST5EDT") is refused. On failure: std::nullopt
  /// and `error` such as "TZ rule: bad month in 'M13.1.0'".
  static std::optional<TimeZone> from_posix(std::string_view rule, std::string& error);

  /// A TZif file (RFC 8536, versions 1 to 4) held in memory: its transitions, then its footer
  /// rule for instants at and after the last transition (RFC 8536 requires the two to agree).
  /// Before the first transition, local time type 0 applies; without transitions, the footer
  /// (if any) applies everywhere. Untrusted bytes: every count and index is checked, at most
  /// kMaxTzifTransitions (tzif.h) transitions; leap-second ("right/") files are refused. On
  /// failure: std::nullopt and `error` such as "TZif: truncated data block".
  static std::optional<TimeZone> from_tzif(std::span<const std::uint8_t> bytes, std::string& error);

  /// Seconds east of UTC in force at the UTC instant `utc`.
  std::int32_t offset_at(std::int64_t utc) const;

  /// The first instant strictly after `utc` at which the offset changes (offset_at(t - 1) !=
  /// offset_at(t)), if any: changes of abbreviation or DST flag alone are not transitions.
  std::optional<std::int64_t> next_transition_after(std::int64_t utc) const;

 private:
  struct Change {
    std::int64_t at = 0;
    std::int32_t offset = 0;
  };

  void set_rule(const PosixTzRule& rule);
  std::int32_t table_offset(std::int64_t utc) const;
  std::int32_t rule_offset(std::int64_t utc) const;
  std::optional<std::int64_t> rule_next(std::int64_t utc) const;

  // Before the rule: the offset before the first change, then the changes (strictly ascending,
  // each a different offset from the one before, all before rule_from_).
  std::int32_t initial_offset_ = 0;
  std::vector<Change> changes_;
  // The rule, from rule_from_ on. A POSIX rule repeats every 400 Gregorian years (146097 days,
  // a whole number of weeks), so it is kept as the changes of one cycle that starts at the Unix
  // epoch, and the offset in force when the cycle starts.
  bool has_rule_ = false;
  std::int64_t rule_from_ = std::numeric_limits<std::int64_t>::max();
  std::int32_t cycle_start_offset_ = 0;
  std::vector<Change> cycle_;
};

}  // namespace shelter::policy
