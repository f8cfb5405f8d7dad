// Schedule windows: whether a weekly window of local wall-clock time is active, and the exact
// instant that changes, across daylight-saving changes in both hemispheres; parsing of times
// and day sets; and a brute-force check of `until` at random instants.

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "policy/civil_time.h"
#include "policy/schedule.h"
#include "policy/time_zone.h"

namespace policy = shelter::policy;
using policy::ScheduleWindow;
using policy::seconds_from_civil;
using policy::TimeZone;

namespace {

constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

TimeZone posix(const char* rule) {
  std::string error;
  auto zone = TimeZone::from_posix(rule, error);
  INFO(error);
  REQUIRE(zone);
  return *zone;
}

const TimeZone& london() {
  static const TimeZone zone = posix("GMT0BST,M3.5.0/1,M10.5.0");
  return zone;
}
const TimeZone& new_york() {
  static const TimeZone zone = posix("EST5EDT,M3.2.0,M11.1.0");
  return zone;
}
const TimeZone& sydney() {
  static const TimeZone zone = posix("AEST-10AEDT,M10.1.0,M4.1.0/3");
  return zone;
}
const TimeZone& lord_howe() {
  static const TimeZone zone = posix("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0");
  return zone;
}
const TimeZone& kolkata() {
  static const TimeZone zone = posix("IST-5:30");
  return zone;
}

ScheduleWindow window(const char* days, const char* from, const char* to) {
  std::string error;
  const auto d = policy::parse_days(days, error);
  const auto start = policy::parse_clock_time(from, error);
  const auto end = policy::parse_clock_time(to, error);
  INFO(error);
  REQUIRE((d && start && end));
  return {*d, *start, *end};
}

// The definition in schedule.h, written out minute by minute (edges are whole minutes).
bool brute_active(const ScheduleWindow& w, const TimeZone& zone, std::int64_t t) {
  const std::int64_t local = t + zone.offset_at(t);
  const std::int64_t day = policy::floor_div(local, 86400);
  const std::int64_t minute = (local - day * 86400) / 60;
  const unsigned weekday = policy::weekday_from_days(day);
  const bool today = (w.days >> weekday) & 1;
  const bool yesterday = (w.days >> ((weekday + 6) % 7)) & 1;
  if (w.start_minute < w.end_minute) {
    return today && minute >= w.start_minute && minute < w.end_minute;
  }
  return (today && minute >= w.start_minute) || (yesterday && minute < w.end_minute);
}

struct Row {
  const char* what;
  const TimeZone* zone;
  ScheduleWindow window;
  std::int64_t now;
  bool active;
  std::int64_t until;
};

void check(const Row& row) {
  INFO(row.what << ", now " << row.now);
  const auto timing = policy::window_timing(row.window, *row.zone, row.now);
  CHECK(timing.active == row.active);
  CHECK(timing.until == row.until);
  CHECK(brute_active(row.window, *row.zone, row.now) == row.active);
}

}  // namespace

TEST_CASE("the calendar this file relies on") {
  CHECK(policy::weekday_from_days(policy::days_from_civil(2026, 1, 5)) == 0);   // Monday
  CHECK(policy::weekday_from_days(policy::days_from_civil(2026, 1, 9)) == 4);   // Friday
  CHECK(policy::weekday_from_days(policy::days_from_civil(2026, 3, 29)) == 6);  // Sunday
  CHECK(policy::weekday_from_days(policy::days_from_civil(2026, 6, 1)) == 0);   // Monday
  CHECK(policy::weekday_from_days(policy::days_from_civil(2026, 10, 25)) == 6);
}

TEST_CASE("bedtime on school nights in London") {
  const auto bedtime = window("sun-thu", "21:00", "07:00");
  const TimeZone* zone = &london();
  const Row rows[] = {
      {"Monday, just before", zone, bedtime, seconds_from_civil(2026, 1, 5, 20, 59, 59), false,
       seconds_from_civil(2026, 1, 5, 21)},
      {"Monday, at the start", zone, bedtime, seconds_from_civil(2026, 1, 5, 21), true,
       seconds_from_civil(2026, 1, 6, 7)},
      {"Tuesday morning, last second", zone, bedtime, seconds_from_civil(2026, 1, 6, 6, 59, 59),
       true, seconds_from_civil(2026, 1, 6, 7)},
      {"Tuesday, at the end", zone, bedtime, seconds_from_civil(2026, 1, 6, 7), false,
       seconds_from_civil(2026, 1, 6, 21)},
      {"Friday morning: Thursday's window", zone, bedtime, seconds_from_civil(2026, 1, 9, 6), true,
       seconds_from_civil(2026, 1, 9, 7)},
      {"Friday after school", zone, bedtime, seconds_from_civil(2026, 1, 9, 7), false,
       seconds_from_civil(2026, 1, 11, 21)},
      {"Friday night", zone, bedtime, seconds_from_civil(2026, 1, 9, 21, 30), false,
       seconds_from_civil(2026, 1, 11, 21)},
      {"Saturday small hours", zone, bedtime, seconds_from_civil(2026, 1, 10, 2), false,
       seconds_from_civil(2026, 1, 11, 21)},
      {"Sunday night", zone, bedtime, seconds_from_civil(2026, 1, 11, 23), true,
       seconds_from_civil(2026, 1, 12, 7)},
      {"summer Monday, 20:59:59 BST", zone, bedtime, seconds_from_civil(2026, 6, 1, 19, 59, 59),
       false, seconds_from_civil(2026, 6, 1, 20)},
      {"summer Monday, 21:00 BST", zone, bedtime, seconds_from_civil(2026, 6, 1, 20), true,
       seconds_from_civil(2026, 6, 2, 6)},
      {"the weekend clocks go forward", zone, bedtime, seconds_from_civil(2026, 3, 28, 12), false,
       seconds_from_civil(2026, 3, 29, 20)},
      {"the weekend clocks go back", zone, bedtime, seconds_from_civil(2026, 10, 23, 8), false,
       seconds_from_civil(2026, 10, 25, 21)},
  };
  for (const Row& row : rows)
    check(row);
}

TEST_CASE("windows across daylight-saving changes") {
  const auto nightly = window("daily", "21:00", "07:00");
  const auto from_skipped = window("daily", "01:30", "03:00");
  const auto inside_skipped = window("daily", "01:10", "01:40");
  const auto repeated = window("daily", "01:00", "01:30");
  const auto late = window("daily", "23:00", "01:30");
  const TimeZone* zone = &london();
  const Row rows[] = {
      {"spring-forward night is an hour shorter", zone, nightly,
       seconds_from_civil(2026, 3, 28, 22), true, seconds_from_civil(2026, 3, 29, 6)},
      {"fall-back night is an hour longer", zone, nightly, seconds_from_civil(2026, 10, 24, 20),
       true, seconds_from_civil(2026, 10, 25, 7)},
      {"fall-back night, before it starts", zone, nightly,
       seconds_from_civil(2026, 10, 24, 19, 59, 59), false, seconds_from_civil(2026, 10, 24, 20)},
      // A start inside the skipped hour happens when the clock jumps past it.
      {"start in the skipped hour", zone, from_skipped, seconds_from_civil(2026, 3, 29, 0, 30),
       false, seconds_from_civil(2026, 3, 29, 1)},
      {"start in the skipped hour, opened", zone, from_skipped, seconds_from_civil(2026, 3, 29, 1),
       true, seconds_from_civil(2026, 3, 29, 2)},
      // A window wholly inside the skipped hour does not open that day.
      {"wholly skipped", zone, inside_skipped, seconds_from_civil(2026, 3, 29, 0, 30), false,
       seconds_from_civil(2026, 3, 30, 0, 10)},
      // An end inside the skipped hour, too.
      {"end in the skipped hour", zone, late, seconds_from_civil(2026, 3, 28, 23, 30), true,
       seconds_from_civil(2026, 3, 29, 1)},
      // The repeated hour: wall-clock semantics, the window opens twice.
      {"repeated hour, first time", zone, repeated, seconds_from_civil(2026, 10, 25, 0), true,
       seconds_from_civil(2026, 10, 25, 0, 30)},
      {"repeated hour, between", zone, repeated, seconds_from_civil(2026, 10, 25, 0, 30), false,
       seconds_from_civil(2026, 10, 25, 1)},
      {"repeated hour, second time", zone, repeated, seconds_from_civil(2026, 10, 25, 1), true,
       seconds_from_civil(2026, 10, 25, 1, 30)},
      {"repeated hour, after", zone, repeated, seconds_from_civil(2026, 10, 25, 1, 30), false,
       seconds_from_civil(2026, 10, 26, 1)},
      {"end in the repeated hour", zone, late, seconds_from_civil(2026, 10, 25, 0, 30), false,
       seconds_from_civil(2026, 10, 25, 1)},
      {"end in the repeated hour, again", zone, late, seconds_from_civil(2026, 10, 25, 1), true,
       seconds_from_civil(2026, 10, 25, 1, 30)},
      // New York skips 02:00-03:00 on a Sunday: a Sunday-only window there waits a week.
      {"skipped, next week", &new_york(), window("sun", "02:15", "02:45"),
       seconds_from_civil(2026, 3, 8, 6), false, seconds_from_civil(2026, 3, 15, 6, 15)},
  };
  for (const Row& row : rows)
    check(row);
}

TEST_CASE("windows in the southern hemisphere and at half-hour offsets") {
  const auto nightly = window("daily", "21:30", "06:30");
  const Row rows[] = {
      {"Sydney, clocks go back during the night", &sydney(), nightly,
       seconds_from_civil(2026, 4, 4, 12), true, seconds_from_civil(2026, 4, 4, 20, 30)},
      {"Sydney, January (daylight time)", &sydney(), nightly,
       seconds_from_civil(2026, 1, 10, 10, 29, 59), false, seconds_from_civil(2026, 1, 10, 10, 30)},
      {"Sydney, clocks go forward during the night", &sydney(), nightly,
       seconds_from_civil(2026, 10, 3, 12), true, seconds_from_civil(2026, 10, 3, 19, 30)},
      {"Sydney, Friday night is not a school night", &sydney(), window("sun-thu", "21:30", "06:30"),
       seconds_from_civil(2026, 1, 9, 12), false, seconds_from_civil(2026, 1, 11, 10, 30)},
      {"Lord Howe, half-hour change at night", &lord_howe(), window("daily", "21:00", "07:00"),
       seconds_from_civil(2026, 4, 4, 12), true, seconds_from_civil(2026, 4, 4, 20, 30)},
      {"Kolkata, weekend morning", &kolkata(), window("weekends", "10:00", "12:00"),
       seconds_from_civil(2026, 1, 10, 4, 30), true, seconds_from_civil(2026, 1, 10, 6, 30)},
      {"Kolkata, weekend morning over", &kolkata(), window("weekends", "10:00", "12:00"),
       seconds_from_civil(2026, 1, 10, 6, 30), false, seconds_from_civil(2026, 1, 11, 4, 30)},
      {"New York, every day at lunch", &new_york(), window("daily", "12:00", "13:00"),
       seconds_from_civil(2026, 7, 1, 16), true, seconds_from_civil(2026, 7, 1, 17)},
  };
  for (const Row& row : rows)
    check(row);
}

TEST_CASE("full-day, empty and always-on windows") {
  const TimeZone* zone = &london();
  const Row rows[] = {
      {"Monday all day", zone, window("mon", "00:00", "00:00"), seconds_from_civil(2026, 1, 5, 12),
       true, seconds_from_civil(2026, 1, 6)},
      {"Monday all day, on Sunday", zone, window("mon", "00:00", "00:00"),
       seconds_from_civil(2026, 1, 4, 12), false, seconds_from_civil(2026, 1, 5)},
      {"24 hours from Monday 07:00", zone, window("mon", "07:00", "07:00"),
       seconds_from_civil(2026, 1, 6, 6), true, seconds_from_civil(2026, 1, 6, 7)},
      {"no days: never", zone, ScheduleWindow{0, 0, 60}, seconds_from_civil(2026, 1, 5), false,
       kNever},
      {"every day, 24 hours: always", zone, window("daily", "00:00", "00:00"),
       seconds_from_civil(2026, 1, 5), true, kNever},
      {"every day from 07:00 for 24 hours: always", zone, window("daily", "07:00", "07:00"),
       seconds_from_civil(2026, 3, 29, 1), true, kNever},
      {"every day but one minute", zone, window("daily", "00:00", "23:59"),
       seconds_from_civil(2026, 1, 5, 12), true, seconds_from_civil(2026, 1, 5, 23, 59)},
      {"UTC", nullptr, window("weekdays", "08:00", "15:00"), seconds_from_civil(2026, 1, 9, 15),
       false, seconds_from_civil(2026, 1, 12, 8)},
  };
  const TimeZone utc = TimeZone::utc();
  for (Row row : rows) {
    if (row.zone == nullptr) row.zone = &utc;
    check(row);
  }
}

TEST_CASE("window_timing at the ends of time and with out-of-range fields") {
  const auto bedtime = window("sun-thu", "21:00", "07:00");
  for (const std::int64_t now :
       {INT64_MIN, INT64_MIN + 1, policy::kMinTime, policy::kMaxTime, INT64_MAX - 1, INT64_MAX}) {
    INFO(now);
    const auto timing = policy::window_timing(bedtime, london(), now);
    CHECK((timing.until > now || timing.until == kNever));
  }
  // Minutes are taken modulo 1440, bit 7 of the days ignored.
  const auto odd = policy::window_timing({0xff, 1440 + 60, 1440 + 120}, TimeZone::utc(),
                                         seconds_from_civil(2026, 1, 5, 1, 30));
  CHECK(odd.active);
  CHECK(odd.until == seconds_from_civil(2026, 1, 5, 2));
}

TEST_CASE("until is exact: brute force at random instants, 2020-2040") {
  const TimeZone utc = TimeZone::utc();
  const TimeZone jerusalem = posix("IST-2IDT,M3.4.4/26,M10.5.0");
  const TimeZone* zones[] = {&london(),  &new_york(), &sydney(), &lord_howe(),
                             &kolkata(), &utc,        &jerusalem};
  const ScheduleWindow windows[] = {
      window("sun-thu", "21:00", "07:00"),  window("daily", "01:30", "02:30"),
      window("weekdays", "08:00", "15:00"), window("sat", "00:00", "00:00"),
      window("mon,wed", "23:59", "00:01"),  window("sun", "02:15", "02:45"),
      window("fri-mon", "12:00", "12:00"),
  };
  std::mt19937_64 random(2040);
  std::uniform_int_distribution<std::int64_t> instant(seconds_from_civil(2020, 1, 1),
                                                      seconds_from_civil(2040, 1, 1));
  for (const TimeZone* zone : zones) {
    for (const ScheduleWindow& w : windows) {
      for (int i = 0; i < 40; ++i) {
        const std::int64_t now = instant(random);
        const auto timing = policy::window_timing(w, *zone, now);
        INFO("days " << int(w.days) << " " << w.start_minute << "-" << w.end_minute << ", now "
                     << now << ", until " << timing.until);
        REQUIRE(timing.active == brute_active(w, *zone, now));
        REQUIRE(timing.until > now);
        REQUIRE(timing.until - now < 15 * 86400);
        CHECK(brute_active(w, *zone, timing.until - 1) == timing.active);
        CHECK(brute_active(w, *zone, timing.until) != timing.active);
        for (std::int64_t t = now; t < timing.until; t += 60) {
          if (brute_active(w, *zone, t) != timing.active) {
            FAIL("flips at " << t);
          }
        }
      }
    }
  }
}

TEST_CASE("parse_clock_time") {
  struct Good {
    const char* text;
    std::uint16_t minute;
  };
  for (const Good& g : {Good{"21:00", 1260}, Good{"7:05", 425}, Good{"07:05", 425},
                        Good{"00:00", 0}, Good{"0:00", 0}, Good{"23:59", 1439}}) {
    std::string error;
    INFO(g.text);
    CHECK(policy::parse_clock_time(g.text, error) == g.minute);
  }
  struct Bad {
    const char* text;
    const char* error;
  };
  const char* kShape = "expected a time such as 21:00 or 7:05";
  for (const Bad& b :
       {Bad{"", kShape}, Bad{"21", kShape}, Bad{"7:5", kShape}, Bad{"123:00", kShape},
        Bad{"21:00:00", kShape}, Bad{" 21:00", kShape}, Bad{"21.00", kShape}, Bad{"-1:00", kShape},
        Bad{"2a:00", kShape}, Bad{"21:0x", kShape}, Bad{":00", kShape},
        Bad{"24:00", "hours must be 0-23 (midnight is 00:00)"},
        Bad{"99:00", "hours must be 0-23 (midnight is 00:00)"},
        Bad{"7:60", "minutes must be 0-59"}}) {
    std::string error;
    INFO(b.text);
    CHECK_FALSE(policy::parse_clock_time(b.text, error));
    CHECK(error == b.error);
  }
}

TEST_CASE("parse_days") {
  struct Good {
    const char* text;
    std::uint8_t days;
  };
  for (const Good& g :
       {Good{"mon-fri", 0x1f}, Good{"sun,mon,tue,wed,thu", 0x4f}, Good{"weekdays", 0x1f},
        Good{"weekends", 0x60}, Good{"daily", 0x7f}, Good{"MON-Fri", 0x1f}, Good{"sun-thu", 0x4f},
        Good{"fri-mon", 0x71}, Good{"Monday", 0x01}, Good{"sat, sun", 0x60}, Good{"mon-mon", 0x01},
        Good{"tue,tue", 0x02}, Good{"Saturday - Sunday", 0x60}, Good{"weekdays,sun", 0x5f},
        Good{"DAILY", 0x7f}}) {
    std::string error;
    INFO(g.text);
    CHECK(policy::parse_days(g.text, error) == g.days);
  }
  for (const char* bad :
       {"funday", "mo", "mon-", "mon-xyz", "weekdays-fri", "mon;tue", "mon tue", "montag"}) {
    std::string error;
    INFO(bad);
    CHECK_FALSE(policy::parse_days(bad, error));
    CHECK(error.starts_with("unknown day '"));
  }
  for (const char* bad : {"mon,", ",mon", "mon,,tue"}) {
    std::string error;
    CHECK_FALSE(policy::parse_days(bad, error));
    CHECK(error == "empty item in the list of days");
  }
  for (const char* bad : {"", "  "}) {
    std::string error;
    CHECK_FALSE(policy::parse_days(bad, error));
    CHECK(error == "no days given");
  }
}
