#pragma once
// POSIX TZ rules ("CET-1CEST,M3.5.0,M10.5.0/3") as TZif footers carry them (RFC 8536 section
// 3.3, with the version 3 extensions). A building block of TimeZone (time_zone.h); pure.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shelter::policy {

/// A parsed rule. Offsets are seconds *east* of UTC (POSIX writes them west: "EST5" is -18000).
struct PosixTzRule {
  /// A transition date and the local time of day it happens at.
  struct Date {
    enum class Kind : std::uint8_t {
      julian,          ///< Jn: day 1..365 of the year, February 29 never counted
      zero_based,      ///< n: day 0..365 of the year, February 29 counted
      month_week_day,  ///< Mm.w.d: weekday d (0 = Sunday) of week w (5 = last) of month m
    };
    Kind kind = Kind::month_week_day;
    std::uint16_t day = 0;     ///< julian / zero_based: the day; month_week_day: the weekday
    std::uint8_t month = 0;    ///< 1..12
    std::uint8_t week = 0;     ///< 1..5
    std::int32_t time = 7200;  ///< seconds after local midnight, -167 h .. +167 h
  };

  std::int32_t std_offset = 0;
  bool has_dst = false;
  std::int32_t dst_offset = 0;
  Date start;  ///< standard -> daylight, at local standard time
  Date end;    ///< daylight -> standard, at local daylight time

  /// The UTC instant of `date` in `year` when local time is `offset` seconds east of UTC.
  /// `year` within +-2^36 so that the result cannot overflow.
  static std::int64_t transition_utc(const Date& date, std::int64_t year, std::int32_t offset);
};

/// Parses a whole rule; on failure returns std::nullopt and sets `error` to a short message
/// without prefix ("bad month in 'M13.1.0'"). A daylight name without dates ("EST5EDT") is an
/// error: the TZif footers that carry rules always spell the dates out.
std::optional<PosixTzRule> parse_posix_tz_rule(std::string_view text, std::string& error);

}  // namespace shelter::policy
