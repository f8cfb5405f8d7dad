#pragma once
// Weekly windows of local wall-clock time ("bedtime: 21:00 to 07:00 on school nights") and
// when they open and close. Pure: the instant is a parameter.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "policy/time_zone.h"

namespace shelter::policy {

/// A weekly window of local wall-clock time.
///
/// The window is active at the UTC instant t when the local wall-clock time at t
/// (t + zone.offset_at(t)) lies inside [start, end) of a window that began on an enabled day;
/// for an overnight window (end <= start), the part after midnight belongs to the previous
/// day's window. Consequences, around daylight-saving changes:
/// - spring forward: an edge inside the skipped hour happens at the transition instant, the
///   first instant the wall clock reads past it; a window that lies wholly inside the skipped
///   hour does not open that day;
/// - fall back: wall-clock semantics apply in the repeated hour, so an edge inside it happens
///   twice (a window 01:00-01:30 on that night opens, closes, and opens again an hour later).
struct ScheduleWindow {
  std::uint8_t days = 0;  ///< bit 0 = Monday ... bit 6 = Sunday: days the window *starts* on
  std::uint16_t start_minute = 0;  ///< 0..1439, local wall-clock
  std::uint16_t end_minute = 0;    ///< 0..1439; end <= start: runs past midnight into the next day
                                   ///< (end == start: a full 24 hours)
};

struct WindowTiming {
  bool active = false;
  /// The first UTC instant after `now` at which `active` changes; INT64_MAX when it never does.
  std::int64_t until = 0;
};

/// Whether `window` is active at `now_utc` in `zone`, and until when: `until` is the smallest
/// t > now_utc with active(t) != active(now_utc), exact to the second. Never changing: no days
/// (never active), or every day with end == start (always active). Minutes beyond 1439 are taken
/// modulo 1440 and bit 7 of `days` is ignored. For zones whose offset changes more than once a
/// week at the window's edges (no real zone does), `until` may instead be the end of a 400-day
/// search, an instant at which the caller simply asks again. Instants beyond kMinTime /
/// kMaxTime (civil_time.h) are treated as the nearest bound. Typically well under a
/// microsecond, without allocating.
WindowTiming window_timing(const ScheduleWindow& window, const TimeZone& zone,
                           std::int64_t now_utc);

/// Parses "21:00" / "7:05" style times (H:MM or HH:MM, 00:00 to 23:59) into minutes after
/// midnight; std::nullopt and a short reason (without the text itself) on bad input.
std::optional<std::uint16_t> parse_clock_time(std::string_view text, std::string& error);

/// Parses day sets into ScheduleWindow::days: day names ("mon" or "monday"), ranges ("mon-fri";
/// they may wrap: "sun-thu" is Sunday to Thursday), comma-separated lists ("sun,mon,tue"), and
/// "weekdays" (Monday to Friday), "weekends" (Saturday and Sunday), "daily"; case-insensitive,
/// spaces around list items allowed. Never returns 0; std::nullopt and a short reason on bad
/// input.
std::optional<std::uint8_t> parse_days(std::string_view text, std::string& error);

/// The inverses, as the households file is written back: "21:00"; "mon,tue,sun" (the days in
/// order, three-letter names, which parse_days reads back to the same set).
std::string format_clock_time(std::uint16_t minute);
std::string format_days(std::uint8_t days);

}  // namespace shelter::policy
