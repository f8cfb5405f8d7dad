// Loading time zones by IANA name: the real tzdata files (transitions, then the footer rule far
// in the future), the names that are refused before the file system is touched, and files that
// are missing, not TZif or too large.

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "policy/civil_time.h"
#include "proxy/config/time_zone_file.h"

namespace cfg = shelter::proxy::config;
using shelter::policy::seconds_from_civil;
using shelter::policy::TimeZone;

namespace {

TimeZone load(const char* name) {
  std::string error;
  auto zone = cfg::load_time_zone(name, error);
  INFO(name << ": " << error << " (tzdata installed? scripts/install-deps.sh)");
  REQUIRE(zone);
  return *zone;
}

// A private directory under the system's temporary one, removed afterwards.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("shelter-tz-test-" + std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

}  // namespace

TEST_CASE("real zones: offsets either side of known transitions") {
  struct Row {
    const char* zone;
    std::int64_t at;  // the first second of the new offset
    std::int32_t before;
    std::int32_t after;
  };
  const Row rows[] = {
      {"Europe/London", seconds_from_civil(2026, 3, 29, 1), 0, 3600},
      {"Europe/London", seconds_from_civil(2026, 10, 25, 1), 3600, 0},
      {"Europe/London", seconds_from_civil(1996, 3, 31, 1), 0, 3600},  // from the table
      {"Europe/London", seconds_from_civil(2080, 3, 31, 1), 0, 3600},  // from the footer
      {"Europe/London", seconds_from_civil(2080, 10, 27, 1), 3600, 0},
      {"America/New_York", seconds_from_civil(2026, 3, 8, 7), -18000, -14400},
      {"America/New_York", seconds_from_civil(2026, 11, 1, 6), -14400, -18000},
      {"America/New_York", seconds_from_civil(2080, 3, 10, 7), -18000, -14400},
      {"Australia/Sydney", seconds_from_civil(2026, 4, 4, 16), 39600, 36000},
      {"Australia/Sydney", seconds_from_civil(2026, 10, 3, 16), 36000, 39600},
      {"Australia/Sydney", seconds_from_civil(2080, 10, 5, 16), 36000, 39600},
      {"Australia/Lord_Howe", seconds_from_civil(2026, 4, 4, 15), 39600, 37800},
  };
  for (const Row& row : rows) {
    INFO(row.zone << " at " << row.at);
    const TimeZone zone = load(row.zone);
    CHECK(zone.offset_at(row.at - 1) == row.before);
    CHECK(zone.offset_at(row.at) == row.after);
    CHECK(zone.next_transition_after(row.at - 3600) == row.at);
  }
}

TEST_CASE("real zones: Kolkata has not changed since 1945") {
  const TimeZone kolkata = load("Asia/Kolkata");
  CHECK(kolkata.offset_at(seconds_from_civil(2026, 6, 1)) == 19800);
  CHECK(kolkata.offset_at(seconds_from_civil(2080, 1, 1)) == 19800);
  CHECK(kolkata.offset_at(seconds_from_civil(1943, 1, 1)) == 23400);  // +0630, war time
  CHECK_FALSE(kolkata.next_transition_after(seconds_from_civil(2026, 1, 1)));
}

TEST_CASE("real zones: the transitions of a year, in order") {
  const TimeZone london = load("Europe/London");
  std::int64_t t = seconds_from_civil(2079, 12, 31);
  for (const std::int64_t expected :
       {seconds_from_civil(2080, 3, 31, 1), seconds_from_civil(2080, 10, 27, 1),
        seconds_from_civil(2081, 3, 30, 1)}) {
    const auto next = london.next_transition_after(t);
    REQUIRE(next);
    CHECK(*next == expected);
    t = *next;
  }
}

TEST_CASE("UTC needs no tzdata") {
  for (const char* name : {"UTC", "Etc/UTC"}) {
    std::string error;
    const auto zone = cfg::load_time_zone(name, error, "/nonexistent/zoneinfo");
    INFO(name << ": " << error);
    REQUIRE(zone);
    CHECK(zone->offset_at(seconds_from_civil(2026, 7, 1)) == 0);
  }
}

TEST_CASE("names that are refused before the file system is touched") {
  struct Row {
    std::string name;
    const char* error;
  };
  const Row rows[] = {
      {"../etc/passwd", "time zone '../etc/passwd': '..' is not allowed"},
      {"Europe/../../x", "time zone 'Europe/../../x': '..' is not allowed"},
      {"/etc/localtime", "time zone '/etc/localtime': name must not start or end with '/'"},
      {"Europe/London.bak",
       "time zone 'Europe/London.bak': bad character in name (letters, digits, '/', '_', '-', "
       "'+')"},
      {"/UTC", "time zone '/UTC': name must not start or end with '/'"},
      {"Europe/", "time zone 'Europe/': name must not start or end with '/'"},
      {"Europe//London", "time zone 'Europe//London': empty component in name"},
      {"", "time zone '': empty name"},
      {"Europe/London\n",
       "time zone 'Europe/London\\x0a': bad character in name (letters, digits, '/', '_', '-', "
       "'+')"},
      {"Europe/Lon don",
       "time zone 'Europe/Lon don': bad character in name (letters, digits, '/', '_', '-', '+')"},
      {std::string(129, 'A'), nullptr},
  };
  for (const Row& row : rows) {
    std::string error;
    INFO(row.name);
    CHECK_FALSE(cfg::load_time_zone(row.name, error));
    if (row.error != nullptr) {
      CHECK(error == row.error);
    } else {
      CHECK(error.ends_with(": name too long"));
    }
  }
  std::string error;
  CHECK(cfg::load_time_zone("Etc/GMT+5", error));  // '+' and digits are fine
  CHECK(cfg::load_time_zone("America/Port-au-Prince", error));
}

TEST_CASE("zones that are missing, not TZif, or too large") {
  TempDir dir;
  std::filesystem::create_directories(dir.path / "Europe");
  std::ofstream(dir.path / "Bad") << "not a time zone";
  std::ofstream(dir.path / "Huge").close();
  std::filesystem::resize_file(dir.path / "Huge", cfg::kMaxTimeZoneFileBytes + 1);
  const std::string where = dir.path.string();
  struct Row {
    const char* name;
    std::string error;
  };
  const Row rows[] = {
      {"Mars/Olympus", "time zone 'Mars/Olympus': not found in " + where},
      {"Europe", "time zone 'Europe': not a time zone file"},
      {"Bad", "time zone 'Bad': TZif: truncated header"},
      {"Huge", "time zone 'Huge': larger than 1048576 bytes"},
  };
  for (const Row& row : rows) {
    std::string error;
    INFO(row.name);
    CHECK_FALSE(cfg::load_time_zone(row.name, error, where));
    CHECK(error == row.error);
  }
}
