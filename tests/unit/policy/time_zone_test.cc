// Time zones: POSIX TZ rules (RFC 8536 footers, with the version 3 extensions), TZif images
// built here byte by byte (versions 1 to 4, good and hostile), civil-date arithmetic, and the
// agreement of offset_at with next_transition_after.

#include <catch2/catch.hpp>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "policy/civil_time.h"
#include "policy/time_zone.h"

namespace policy = shelter::policy;
using policy::seconds_from_civil;
using policy::TimeZone;

namespace {

constexpr std::int32_t kHour = 3600;

TimeZone posix(const std::string& rule) {
  std::string error;
  auto zone = TimeZone::from_posix(rule, error);
  INFO(rule << ": " << error);
  REQUIRE(zone);
  return *zone;
}

// --- TZif images ---------------------------------------------------------------------------

struct TzifType {
  std::int32_t offset = 0;
  bool dst = false;
};

struct TzifSpec {
  char version = '2';  // 0 for version 1
  std::vector<std::int64_t> times;
  std::vector<std::uint8_t> type_of;  // one per time
  std::vector<TzifType> types = {{0, false}};
  std::string footer;
  std::uint32_t leapcnt = 0;
};

void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<std::uint8_t>(v >> shift));
}

void put64(std::vector<std::uint8_t>& out, std::int64_t v) {
  const auto u = static_cast<std::uint64_t>(v);
  put32(out, static_cast<std::uint32_t>(u >> 32));
  put32(out, static_cast<std::uint32_t>(u));
}

// Header and data block; `wide` for the 64-bit (version 2+) block.
void put_block(std::vector<std::uint8_t>& out, const TzifSpec& s, bool wide) {
  const auto n = static_cast<std::uint32_t>(s.times.size());
  const auto types = static_cast<std::uint32_t>(s.types.size());
  const char magic[] = "TZif";
  out.insert(out.end(), magic, magic + 4);
  out.push_back(static_cast<std::uint8_t>(s.version));
  out.insert(out.end(), 15, 0);
  for (const std::uint32_t count : {types, types, s.leapcnt, n, types, 4 * types}) {
    put32(out, count);
  }
  for (const std::int64_t t : s.times) {
    if (wide) {
      put64(out, t);
    } else {
      put32(out, static_cast<std::uint32_t>(static_cast<std::int32_t>(t)));
    }
  }
  out.insert(out.end(), s.type_of.begin(), s.type_of.end());
  for (std::uint32_t i = 0; i < types; ++i) {
    put32(out, static_cast<std::uint32_t>(s.types[i].offset));
    out.push_back(s.types[i].dst ? 1 : 0);
    out.push_back(static_cast<std::uint8_t>(4 * i));
  }
  for (std::uint32_t i = 0; i < types; ++i)
    out.insert(out.end(), {'A', 'B', 'C', 0});
  for (std::uint32_t i = 0; i < s.leapcnt; ++i) {
    wide ? put64(out, 78796800) : put32(out, 78796800);
    put32(out, i + 1);
  }
  out.insert(out.end(), 2 * types, 0);  // isstd, isut
}

std::vector<std::uint8_t> tzif(const TzifSpec& s) {
  std::vector<std::uint8_t> out;
  put_block(out, s, false);
  if (s.version == 0) return out;
  put_block(out, s, true);
  out.push_back('\n');
  out.insert(out.end(), s.footer.begin(), s.footer.end());
  out.push_back('\n');
  return out;
}

std::optional<TimeZone> read_tzif(const std::vector<std::uint8_t>& bytes, std::string& error) {
  return TimeZone::from_tzif(bytes, error);
}

TimeZone must_read(const std::vector<std::uint8_t>& bytes) {
  std::string error;
  auto zone = read_tzif(bytes, error);
  INFO(error);
  REQUIRE(zone);
  return *zone;
}

// London's changes in 1996-1997, in two types: GMT and BST.
TzifSpec london_like(char version) {
  TzifSpec s;
  s.version = version;
  s.times = {seconds_from_civil(1996, 3, 31, 1), seconds_from_civil(1996, 10, 27, 1),
             seconds_from_civil(1997, 3, 30, 1), seconds_from_civil(1997, 10, 26, 1)};
  s.type_of = {1, 0, 1, 0};
  s.types = {{0, false}, {kHour, true}};
  s.footer = version == 0 ? "" : "GMT0BST,M3.5.0/1,M10.5.0";
  return s;
}

// offset_at and next_transition_after agree: the offset is constant from `t` up to the next
// transition, which changes it.
void check_agreement(const TimeZone& zone, std::int64_t t) {
  const auto next = zone.next_transition_after(t);
  INFO("t=" << t);
  if (!next) {
    CHECK(zone.offset_at(t + 400LL * 86400 * 366) == zone.offset_at(t));
    return;
  }
  REQUIRE(*next > t);
  CHECK(zone.offset_at(*next - 1) == zone.offset_at(t));
  CHECK(zone.offset_at(*next) != zone.offset_at(*next - 1));
  for (std::int64_t probe = t; probe < *next; probe += (*next - t) / 16 + 1) {
    CHECK(zone.offset_at(probe) == zone.offset_at(t));
  }
}

}  // namespace

TEST_CASE("civil dates round-trip and weekdays are ISO") {
  for (std::int64_t days = -800000; days <= 800000; days += 997) {
    const auto date = policy::civil_from_days(days);
    REQUIRE(policy::days_from_civil(date.year, date.month, date.day) == days);
  }
  CHECK(policy::weekday_from_days(0) == 3);  // Thursday 1970-01-01
  CHECK(policy::weekday_from_days(policy::days_from_civil(2026, 1, 5)) == 0);  // a Monday
  CHECK(policy::civil_from_days(policy::days_from_civil(-4713, 11, 24)) ==
        policy::CivilDate{-4713, 11, 24});
  CHECK(seconds_from_civil(2026, 3, 29, 1) == 1774746000);
}

TEST_CASE("UTC") {
  const TimeZone utc = TimeZone::utc();
  for (const std::int64_t t : {std::int64_t{0}, std::int64_t{-1} << 62, INT64_MAX, INT64_MIN}) {
    CHECK(utc.offset_at(t) == 0);
    CHECK_FALSE(utc.next_transition_after(t));
  }
  CHECK(posix("UTC0").offset_at(1774746000) == 0);
  CHECK_FALSE(posix("UTC0").next_transition_after(0));
}

TEST_CASE("POSIX rules: offsets either side of known transitions") {
  struct Row {
    const char* rule;
    std::int64_t at;  // the first second of the new offset
    std::int32_t before;
    std::int32_t after;
  };
  const Row rows[] = {
      // Europe/London
      {"GMT0BST,M3.5.0/1,M10.5.0", seconds_from_civil(2026, 3, 29, 1), 0, kHour},
      {"GMT0BST,M3.5.0/1,M10.5.0", seconds_from_civil(2026, 10, 25, 1), kHour, 0},
      {"GMT0BST,M3.5.0/1,M10.5.0", seconds_from_civil(2024, 3, 31, 1), 0, kHour},
      {"CET-1CEST,M3.5.0,M10.5.0/3", seconds_from_civil(2026, 3, 29, 1), kHour, 2 * kHour},
      // America/New_York
      {"EST5EDT,M3.2.0,M11.1.0", seconds_from_civil(2026, 3, 8, 7), -5 * kHour, -4 * kHour},
      {"EST5EDT,M3.2.0,M11.1.0", seconds_from_civil(2026, 11, 1, 6), -4 * kHour, -5 * kHour},
      // Australia/Sydney: southern hemisphere, daylight time across new year
      {"AEST-10AEDT,M10.1.0,M4.1.0/3", seconds_from_civil(2026, 4, 4, 16), 11 * kHour, 10 * kHour},
      {"AEST-10AEDT,M10.1.0,M4.1.0/3", seconds_from_civil(2026, 10, 3, 16), 10 * kHour, 11 * kHour},
      // Australia/Lord_Howe: a half-hour change between half-hour offsets
      {"<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", seconds_from_civil(2026, 4, 4, 15), 11 * kHour,
       37800},
      {"<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", seconds_from_civil(2026, 10, 3, 15, 30), 37800,
       11 * kHour},
      // America/Nuuk: negative transition times (RFC 8536 version 3)
      {"<-02>2<-01>,M3.5.0/-1,M10.5.0/0", seconds_from_civil(2026, 3, 29, 1), -2 * kHour, -kHour},
      {"<-02>2<-01>,M3.5.0/-1,M10.5.0/0", seconds_from_civil(2026, 10, 25, 1), -kHour, -2 * kHour},
      // Asia/Jerusalem: 26:00 on the Thursday is 02:00 on the Friday
      {"IST-2IDT,M3.4.4/26,M10.5.0", seconds_from_civil(2026, 3, 27, 0), 2 * kHour, 3 * kHour},
      {"IST-2IDT,M3.4.4/26,M10.5.0", seconds_from_civil(2026, 10, 24, 23), 3 * kHour, 2 * kHour},
      // Jn never counts February 29: J60 is March 1, also in a leap year
      {"XXX3YYY,J60/2,J300/2", seconds_from_civil(2024, 3, 1, 5), -3 * kHour, -2 * kHour},
      {"XXX3YYY,J60/2,J300/2", seconds_from_civil(2023, 3, 1, 5), -3 * kHour, -2 * kHour},
      // n counts it: day 59 is February 29 in 2024, March 1 in 2023
      {"XXX3YYY,59/2,299/2", seconds_from_civil(2024, 2, 29, 5), -3 * kHour, -2 * kHour},
      {"XXX3YYY,59/2,299/2", seconds_from_civil(2023, 3, 1, 5), -3 * kHour, -2 * kHour},
      // An explicit daylight offset and full h:mm:ss times
      {"AAA-1:30BBB-3,M4.1.0/1:02:03,M9.5.0", seconds_from_civil(2026, 4, 5, 1, 2, 3) - 5400, 5400,
       3 * kHour},
      // Hours up to 167: the start is a week after the first Sunday of March, minus one hour
      {"AAA3BBB,M3.1.0/167,M10.1.0/-167", seconds_from_civil(2026, 3, 8, 2), -3 * kHour,
       -2 * kHour},
      {"AAA3BBB,M3.1.0/167,M10.1.0/-167", seconds_from_civil(2026, 9, 27, 3), -2 * kHour,
       -3 * kHour},
  };
  for (const Row& row : rows) {
    const TimeZone zone = posix(row.rule);
    INFO(row.rule << " at " << row.at);
    CHECK(zone.offset_at(row.at - 1) == row.before);
    CHECK(zone.offset_at(row.at) == row.after);
    CHECK(zone.next_transition_after(row.at - 1) == row.at);
    CHECK(zone.next_transition_after(row.at - 86400) == row.at);
    CHECK(zone.next_transition_after(row.at) != row.at);
  }
}

TEST_CASE("POSIX rules without transitions") {
  CHECK(posix("IST-5:30").offset_at(seconds_from_civil(2026, 6, 1)) == 19800);
  CHECK(posix("<+0530>-5:30").offset_at(seconds_from_civil(2080, 6, 1)) == 19800);
  CHECK_FALSE(posix("<+0530>-5:30").next_transition_after(0));
  CHECK(posix("<-03>3").offset_at(0) == -3 * kHour);
  CHECK(posix("<+14>-14").offset_at(0) == 14 * kHour);
  // RFC 8536 section 3.3.1: daylight time all year.
  const TimeZone always_dst = posix("EST5EDT,0/0,J365/25");
  for (int year = 1990; year <= 2100; year += 7) {
    CHECK(always_dst.offset_at(seconds_from_civil(year, 1, 1)) == -4 * kHour);
    CHECK(always_dst.offset_at(seconds_from_civil(year, 12, 31, 23)) == -4 * kHour);
  }
  CHECK_FALSE(always_dst.next_transition_after(seconds_from_civil(2026, 1, 1)));
}

TEST_CASE("POSIX rules: the year's transitions, then next year's") {
  const TimeZone london = posix("GMT0BST,M3.5.0/1,M10.5.0");
  std::int64_t t = seconds_from_civil(2025, 12, 31);
  const std::int64_t expected[] = {
      seconds_from_civil(2026, 3, 29, 1), seconds_from_civil(2026, 10, 25, 1),
      seconds_from_civil(2027, 3, 28, 1), seconds_from_civil(2027, 10, 31, 1),
      seconds_from_civil(2028, 3, 26, 1)};
  for (const std::int64_t next : expected) {
    const auto got = london.next_transition_after(t);
    REQUIRE(got);
    CHECK(*got == next);
    t = *got;
  }
  // Far from the 400-year cycle the rule is kept as: before 1970 and after 2370.
  CHECK(london.offset_at(seconds_from_civil(1850, 7, 1)) == kHour);
  CHECK(london.next_transition_after(seconds_from_civil(1850, 1, 1)) ==
        seconds_from_civil(1850, 3, 31, 1));
  CHECK(london.next_transition_after(seconds_from_civil(2401, 1, 1)) ==
        seconds_from_civil(2401, 3, 25, 1));
  CHECK(london.offset_at(seconds_from_civil(2401, 3, 25, 1) - 1) == 0);
}

TEST_CASE("POSIX rules that are refused, with a specific message") {
  struct Row {
    const char* rule;
    const char* error;
  };
  const Row rows[] = {
      {"", "TZ rule: empty"},
      {"UTC", "TZ rule: missing UTC offset"},
      {"UT0", "TZ rule: zone name 'UT' is shorter than 3 characters"},
      {"5", "TZ rule: expected a zone name at '5'"},
      {"<AB>3", "TZ rule: zone name '<AB>' is shorter than 3 characters"},
      {"<AB*>3", "TZ rule: bad character in zone name at '*>3'"},
      {"<ABC", "TZ rule: unterminated '<' in zone name '<ABC'"},
      {"EST25", "TZ rule: bad UTC offset '25'"},
      {"EST5:60", "TZ rule: bad UTC offset '5:60'"},
      {"EST5EDT", "TZ rule: daylight time without transition dates"},
      {"EST5EDT,M13.1.0,M11.1.0", "TZ rule: bad month in 'M13.1.0'"},
      {"EST5EDT,M3.6.0,M11.1.0", "TZ rule: bad week in 'M3.6.0'"},
      {"EST5EDT,M3.2.7,M11.1.0", "TZ rule: bad weekday in 'M3.2.7'"},
      {"EST5EDT,M3.2,M11.1.0", "TZ rule: bad date in 'M3.2'"},
      {"EST5EDT,J0,J100", "TZ rule: bad day in 'J0'"},
      {"EST5EDT,J366,J100", "TZ rule: bad day in 'J366'"},
      {"EST5EDT,366,100", "TZ rule: bad day in '366'"},
      {"EST5EDT,M3.2.0/168,M11.1.0", "TZ rule: bad time in 'M3.2.0/168'"},
      {"EST5EDT,M3.2.0/-168,M11.1.0", "TZ rule: bad time in 'M3.2.0/-168'"},
      {"EST5EDT,M3.2.0", "TZ rule: missing end date"},
      {"EST5EDT,M3.2.0,M11.1.0x", "TZ rule: unexpected 'x'"},
      {"EST5EDT,M3.2.0,M11.1.0,M12.1.0", "TZ rule: unexpected ',M12.1.0'"},
      {"EST5EDT;M3.2.0", "TZ rule: missing UTC offset at ';M3.2.0'"},
      {"EST5EDT,X,M11.1.0", "TZ rule: bad date in 'X'"},
      {"EST5EDT,M1234567890.1.0,M11.1.0", "TZ rule: bad month in 'M1234567890.1.0'"},
      {"EST5\n", "TZ rule: expected a zone name at '\\x0a'"},
  };
  for (const Row& row : rows) {
    std::string error;
    INFO(row.rule);
    CHECK_FALSE(TimeZone::from_posix(row.rule, error));
    CHECK(error == row.error);
  }
}

TEST_CASE("offset_at and next_transition_after agree at random instants") {
  const char* rules[] = {
      "GMT0BST,M3.5.0/1,M10.5.0",
      "AEST-10AEDT,M10.1.0,M4.1.0/3",
      "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
      "IST-2IDT,M3.4.4/26,M10.5.0",
      "AAA3BBB,M3.1.0/167,M3.1.0/-167",
      "AAA3BBB2,J100/2,J100/3",  // start and end at the same instant
      "AAA3BBB,J365/23,J1/0",    // a day and a bit of standard time a year
      "EST5EDT,0/0,J365/25",
  };
  std::mt19937_64 random(20260329);
  std::uniform_int_distribution<std::int64_t> any(-(std::int64_t{1} << 40), std::int64_t{1} << 40);
  std::uniform_int_distribution<std::int64_t> near(seconds_from_civil(1960, 1, 1),
                                                   seconds_from_civil(2420, 1, 1));
  for (const char* rule : rules) {
    const TimeZone zone = posix(rule);
    INFO(rule);
    for (int i = 0; i < 300; ++i) {
      check_agreement(zone, near(random));
      check_agreement(zone, any(random));
    }
  }
}

TEST_CASE("POSIX rules at the ends of time") {
  const TimeZone london = posix("GMT0BST,M3.5.0/1,M10.5.0");
  for (const std::int64_t t : {INT64_MIN, INT64_MIN + 1, -(std::int64_t{1} << 62) - 1,
                               std::int64_t{1} << 62, INT64_MAX - 1, INT64_MAX}) {
    INFO(t);
    const auto next = london.next_transition_after(t);
    if (next) {
      CHECK(*next > t);
      CHECK(london.offset_at(*next) != london.offset_at(*next - 1));
    }
    (void)london.offset_at(t);
  }
  CHECK_FALSE(london.next_transition_after(std::int64_t{1} << 62));
  CHECK(london.offset_at(INT64_MAX) == london.offset_at(std::int64_t{1} << 62));
}

TEST_CASE("TZif version 1: transitions, no footer") {
  const TimeZone zone = must_read(tzif(london_like(0)));
  CHECK(zone.offset_at(seconds_from_civil(1996, 3, 31, 1) - 1) == 0);
  CHECK(zone.offset_at(seconds_from_civil(1996, 3, 31, 1)) == kHour);
  CHECK(zone.offset_at(seconds_from_civil(1997, 7, 1)) == kHour);
  CHECK(zone.offset_at(seconds_from_civil(2080, 7, 1)) == 0);  // the last type stays
  CHECK(zone.next_transition_after(seconds_from_civil(1996, 1, 1)) ==
        seconds_from_civil(1996, 3, 31, 1));
  CHECK_FALSE(zone.next_transition_after(seconds_from_civil(1997, 10, 26, 1)));
  CHECK(zone.offset_at(INT64_MIN) == 0);  // type 0 before the first transition
}

TEST_CASE("TZif versions 2 to 4: transitions, then the footer") {
  for (const char version : {'2', '3', '4'}) {
    INFO(version);
    const TimeZone zone = must_read(tzif(london_like(version)));
    CHECK(zone.offset_at(seconds_from_civil(1997, 7, 1)) == kHour);
    // From the last transition on, the footer: 2080's last Sunday in March is the 31st.
    CHECK(zone.offset_at(seconds_from_civil(2080, 3, 31, 1) - 1) == 0);
    CHECK(zone.offset_at(seconds_from_civil(2080, 3, 31, 1)) == kHour);
    CHECK(zone.next_transition_after(seconds_from_civil(1997, 10, 26, 1)) ==
          seconds_from_civil(1998, 3, 29, 1));
    CHECK(zone.next_transition_after(seconds_from_civil(1997, 6, 1)) ==
          seconds_from_civil(1997, 10, 26, 1));
    CHECK(zone.next_transition_after(seconds_from_civil(2080, 1, 1)) ==
          seconds_from_civil(2080, 3, 31, 1));
  }
}

TEST_CASE("TZif: no transitions: the footer everywhere, or type 0 without one") {
  TzifSpec footer_only;
  footer_only.types = {{-5 * kHour, false}};
  footer_only.footer = "EST5EDT,M3.2.0,M11.1.0";
  const TimeZone zone = must_read(tzif(footer_only));
  CHECK(zone.offset_at(seconds_from_civil(2026, 7, 1)) == -4 * kHour);
  CHECK(zone.next_transition_after(seconds_from_civil(2026, 1, 1)) ==
        seconds_from_civil(2026, 3, 8, 7));

  TzifSpec fixed;
  fixed.types = {{19800, false}};
  const TimeZone kolkata = must_read(tzif(fixed));
  CHECK(kolkata.offset_at(seconds_from_civil(2080, 1, 1)) == 19800);
  CHECK_FALSE(kolkata.next_transition_after(0));
}

TEST_CASE("TZif: changes of DST flag or abbreviation alone are not transitions") {
  // 1968-1971 British Standard Time: +1 all year, first as summer time, then as standard time.
  TzifSpec s;
  s.times = {seconds_from_civil(1968, 2, 18, 2), seconds_from_civil(1968, 10, 27),
             seconds_from_civil(1971, 10, 31, 2)};
  s.type_of = {1, 2, 0};
  s.types = {{0, false}, {kHour, true}, {kHour, false}};
  s.footer = "GMT0BST,M3.5.0/1,M10.5.0";
  const TimeZone zone = must_read(tzif(s));
  CHECK(zone.next_transition_after(seconds_from_civil(1968, 3, 1)) ==
        seconds_from_civil(1971, 10, 31, 2));
  CHECK(zone.offset_at(seconds_from_civil(1969, 1, 1)) == kHour);
}

TEST_CASE("TZif: the hand-over to the footer is a transition when the offsets differ") {
  TzifSpec s;
  s.times = {seconds_from_civil(2000, 1, 1)};
  s.type_of = {1};
  s.types = {{0, false}, {kHour, false}};
  s.footer = "<+02>-2";  // disagrees with type 1, which RFC 8536 forbids; still consistent here
  const TimeZone zone = must_read(tzif(s));
  CHECK(zone.next_transition_after(0) == seconds_from_civil(2000, 1, 1));
  CHECK(zone.offset_at(seconds_from_civil(2000, 1, 1)) == 2 * kHour);
  CHECK(zone.offset_at(seconds_from_civil(2000, 1, 1) - 1) == 0);
  CHECK_FALSE(zone.next_transition_after(seconds_from_civil(2000, 1, 1)));
}

TEST_CASE("TZif images that are refused, with a specific message") {
  using Bytes = std::vector<std::uint8_t>;
  const Bytes good = tzif(london_like('2'));
  auto with = [&](auto change) {
    TzifSpec s = london_like('2');
    change(s);
    return tzif(s);
  };
  auto patched = [](Bytes b, std::size_t at, std::uint8_t value) {
    b.at(at) = value;
    return b;
  };
  const std::size_t v1_size = tzif(london_like(0)).size();
  struct Row {
    Bytes bytes;
    const char* error;
  };
  const Row rows[] = {
      {Bytes(good.begin(), good.begin() + 43), "TZif: truncated header"},
      {patched(good, 0, 'X'), "TZif: not a TZif file"},
      {patched(good, 4, '5'), "TZif: unsupported version"},
      {patched(good, 4, '1'), "TZif: unsupported version"},
      {Bytes(good.begin(), good.begin() + 60), "TZif: truncated version 1 data block"},
      {Bytes(good.begin(), good.end() - 30), "TZif: truncated data block"},
      {patched(good, v1_size + 4, 0), "TZif: version 1 header where version 2+ is expected"},
      {with([](TzifSpec& s) { s.types.clear(); }), "TZif: no local time types"},
      {with([](TzifSpec& s) { s.leapcnt = 1; }),
       "TZif: leap-second tables (right/ zones) are not supported"},
      {with([](TzifSpec& s) { s.type_of[1] = 2; }), "TZif: transition type index out of range"},
      {with([](TzifSpec& s) { s.times[2] = s.times[1]; }), "TZif: transition times not ascending"},
      {with([](TzifSpec& s) { s.types[1].offset = 93600; }), "TZif: UT offset out of range"},
      {with([](TzifSpec& s) { s.types[1].offset = -90000; }), "TZif: UT offset out of range"},
      {with([](TzifSpec& s) { s.footer = "GMT0BST,M13.5.0/1,M10.5.0"; }),
       "TZif footer: bad month in 'M13.5.0/1'"},
      {with([](TzifSpec& s) { s.footer = "GMT0\nBST"; }), "TZif: trailing bytes after footer"},
      {Bytes(good.begin(), good.end() - 1), "TZif: unterminated footer"},
      {Bytes(good.begin(), good.end() - 26), "TZif: missing footer"},
      {[&] {
         Bytes b = good;
         b.push_back(0);
         return b;
       }(),
       "TZif: trailing bytes after footer"},
      {[&] {
         Bytes b = tzif(london_like(0));
         b.push_back(0);
         return b;
       }(),
       "TZif: trailing bytes after data block"},
  };
  for (const Row& row : rows) {
    std::string error;
    INFO(row.error);
    CHECK_FALSE(TimeZone::from_tzif(row.bytes, error));
    CHECK(error == row.error);
  }
}

TEST_CASE("TZif counts are checked before anything is read") {
  // A header claiming 2^32-1 transitions, types and characters: refused, nothing allocated.
  std::vector<std::uint8_t> b = tzif(london_like(0));
  auto set_count = [&](int index, std::uint32_t value) {
    for (int i = 0; i < 4; ++i)
      b[20 + 4 * index + i] = static_cast<std::uint8_t>(value >> (24 - 8 * i));
  };
  struct Row {
    int index;  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
    std::uint32_t value;
    const char* error;
  };
  const Row rows[] = {
      {3, 10001, "TZif: more than 10000 transitions"},
      {3, 0xffffffff, "TZif: more than 10000 transitions"},
      {4, 257, "TZif: more than 256 local time types"},
      {5, 0, "TZif: no time zone abbreviations"},
      {5, 0xffffffff, "TZif: truncated data block"},
      {0, 1, "TZif: bad isutcnt"},
      {1, 3, "TZif: bad isstdcnt"},
  };
  const std::vector<std::uint8_t> original = b;
  for (const Row& row : rows) {
    b = original;
    set_count(row.index, row.value);
    std::string error;
    INFO(row.error);
    CHECK_FALSE(TimeZone::from_tzif(b, error));
    CHECK(error == row.error);
  }
}

TEST_CASE("TZif: a version 2 file with a minimal version 1 block and 64-bit times") {
  // What zic -b slim writes: an empty 32-bit block, everything in the 64-bit one, including a
  // transition before 1901 that 32 bits cannot hold.
  TzifSpec s = london_like('2');
  s.times.insert(s.times.begin(), -(std::int64_t{1} << 59));
  s.type_of.insert(s.type_of.begin(), 0);
  TzifSpec empty_v1;
  empty_v1.version = '2';
  std::vector<std::uint8_t> bytes;
  put_block(bytes, empty_v1, false);
  put_block(bytes, s, true);
  bytes.push_back('\n');
  bytes.insert(bytes.end(), s.footer.begin(), s.footer.end());
  bytes.push_back('\n');
  const TimeZone zone = must_read(bytes);
  CHECK(zone.offset_at(seconds_from_civil(1997, 7, 1)) == kHour);
  CHECK(zone.offset_at(seconds_from_civil(2030, 7, 1)) == kHour);
  CHECK(zone.offset_at(INT64_MIN) == 0);
}
