#pragma once
// Proleptic Gregorian calendar arithmetic on day numbers (days since 1970-01-01), after Howard
// Hinnant's "chrono-Compatible Low-Level Date Algorithms". Pure and constexpr; every function is
// exact for the whole range that time zones and schedules use (see kMinTime / kMaxTime).

#include <cstdint>

namespace shelter::policy {

inline constexpr std::int64_t kSecondsPerDay = 86400;

/// Instants that time-zone rules and schedules compute with: about +-146 billion years. Beyond
/// them, TimeZone rules and window_timing treat an instant as the nearest bound, so that no
/// arithmetic can overflow on hostile input.
inline constexpr std::int64_t kMaxTime = std::int64_t{1} << 62;
inline constexpr std::int64_t kMinTime = -kMaxTime;

/// Floor division and its non-negative remainder (b > 0).
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - (a % b < 0 ? 1 : 0);
}
constexpr std::int64_t floor_mod(std::int64_t a, std::int64_t b) {
  const std::int64_t r = a % b;
  return r < 0 ? r + b : r;
}

struct CivilDate {
  std::int64_t year = 1970;
  unsigned month = 1;  ///< 1..12
  unsigned day = 1;    ///< 1..31
  bool operator==(const CivilDate&) const = default;
};

constexpr bool is_leap_year(std::int64_t year) {
  return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

/// 28..31; `month` in 1..12.
constexpr unsigned days_in_month(std::int64_t year, unsigned month) {
  constexpr unsigned kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap_year(year) ? 29 : kDays[month - 1];
}

/// Days since 1970-01-01 of a valid date (month 1..12, day 1..days_in_month).
constexpr std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) {
  const std::int64_t y = month <= 2 ? year - 1 : year;
  const std::int64_t era = floor_div(y, 400);
  const std::int64_t yoe = y - era * 400;  // [0, 399]
  const std::int64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;  // [0, 146096]
  return era * 146097 + doe - 719468;
}

/// The date of a day number; inverse of days_from_civil.
constexpr CivilDate civil_from_days(std::int64_t days) {
  const std::int64_t z = days + 719468;
  const std::int64_t era = floor_div(z, 146097);
  const std::int64_t doe = z - era * 146097;                                       // [0, 146096]
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const std::int64_t mp = (5 * doy + 2) / 153;                                     // [0, 11]
  const auto day = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
  const auto month = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

/// 0 = Monday ... 6 = Sunday (ISO 8601 order, as ScheduleWindow::days uses).
constexpr unsigned weekday_from_days(std::int64_t days) {
  return static_cast<unsigned>(floor_mod(days + 3, 7));  // 1970-01-01 was a Thursday
}

/// UTC seconds of a civil date and time of day (a convenience for tests and tools).
constexpr std::int64_t seconds_from_civil(std::int64_t year, unsigned month, unsigned day,
                                          unsigned hour = 0, unsigned minute = 0,
                                          unsigned second = 0) {
  return days_from_civil(year, month, day) * kSecondsPerDay + hour * 3600 + minute * 60 + second;
}

static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(2000, 3, 1) == 11017);
static_assert(civil_from_days(-1) == CivilDate{1969, 12, 31});
static_assert(civil_from_days(19782) == CivilDate{2024, 2, 29});
static_assert(weekday_from_days(days_from_civil(2026, 3, 29)) == 6);  // a Sunday

}  // namespace shelter::policy
