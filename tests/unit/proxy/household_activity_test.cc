// Household activity: the ISO week arithmetic, a worker's accumulator (counts, sightings,
// limits) and the embedded store's book (weeks kept, devices kept and capped, dismissal, JSON).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <tuple>

#include "proxy/profiles/household_activity.h"

namespace profiles = shelter::proxy::profiles;
using shelter::policy::MacAddress;

namespace {

constexpr std::int64_t kDay = 86400;
// 2026-12-07 00:00:00 UTC, a Monday (ISO week 2026-W50).
constexpr std::int64_t kMonday = 1796601600;

std::vector<std::string> names() {
  return {"gambling", "adult", "paused"};
}

}  // namespace

TEST_CASE("iso_week: ISO 8601 weeks in UTC, across year ends", "[activity]") {
  struct Case {
    std::int64_t at;
    const char* week;
  };
  const Case cases[] = {
      {0, "1970-W01"},                       // Thursday 1970-01-01
      {kMonday, "2026-W50"},                 // Monday 00:00
      {kMonday - 1, "2026-W49"},             // the Sunday before, 23:59:59
      {kMonday + 7 * kDay - 1, "2026-W50"},  // Sunday 23:59:59
      {1767225600, "2026-W01"},              // Thursday 2026-01-01
      {1767052800, "2026-W01"},              // Tuesday 2025-12-30 is in 2026's first week
      {1735516800, "2025-W01"},              // Monday 2024-12-30
      {1609459200, "2020-W53"},              // Friday 2021-01-01: 2020 had 53 weeks
      {1704067200, "2024-W01"},              // Monday 2024-01-01
      {1703980800, "2023-W52"},              // Sunday 2023-12-31
      {-kDay, "1970-W01"},                   // Wednesday 1969-12-31
      {-4 * kDay, "1969-W52"},               // Sunday 1969-12-28
  };
  for (const Case& c : cases) {
    INFO(c.at);
    CHECK(profiles::iso_week(c.at) == c.week);
  }
}

TEST_CASE("private MACs are the locally administered ones", "[activity]") {
  CHECK(shelter::policy::is_private_mac(MacAddress{0x02, 0, 0x5e, 0x10, 0, 1}));
  CHECK(shelter::policy::is_private_mac(MacAddress{0xda, 0xa1, 0x19, 0, 0, 1}));
  CHECK_FALSE(shelter::policy::is_private_mac(MacAddress{0x00, 0x1b, 0x63, 0x84, 0x45, 0xe6}));
  CHECK_FALSE(shelter::policy::is_private_mac(MacAddress{0xf0, 0x18, 0x98, 0, 0, 1}));
}

TEST_CASE("accumulator: counts per household and category, sightings first and last",
          "[activity]") {
  profiles::ActivityAccumulator a;
  for (int i = 0; i < 3; ++i)
    a.blocked("smith", 0);
  a.blocked("smith", 1);
  a.blocked("jones", 0);
  const MacAddress mac{0x02, 0, 0x5e, 0x10, 0, 9};
  a.new_device("smith", mac, 100);
  a.new_device("smith", mac, 160);
  a.new_device("smith", mac, 130);

  profiles::ActivityBatch batch = a.take(names());
  std::sort(batch.blocks.begin(), batch.blocks.end(), [](const auto& x, const auto& y) {
    return std::tie(x.household, x.category) < std::tie(y.household, y.category);
  });
  REQUIRE(batch.blocks.size() == 3);
  CHECK(batch.blocks[0] == profiles::BlockCount{"jones", "gambling", 1});
  CHECK(batch.blocks[1] == profiles::BlockCount{"smith", "adult", 1});
  CHECK(batch.blocks[2] == profiles::BlockCount{"smith", "gambling", 3});
  REQUIRE(batch.devices.size() == 1);
  CHECK(batch.devices[0] ==
        profiles::DeviceSighting{"smith", "02:00:5e:10:00:09", 100, 160, false});
  // Taken means emptied.
  CHECK(a.take(names()).empty());
  // A slot beyond the names (a category added since) is "other", not a crash.
  a.blocked("smith", 300);
  CHECK(a.take(names()).blocks.front().category == "other");
}

TEST_CASE("accumulator: bounded, the overflow counted", "[activity]") {
  profiles::ActivityAccumulator a;
  for (std::size_t i = 0; i < profiles::ActivityAccumulator::kMaxBlockKeys + 5; ++i)
    a.blocked("h" + std::to_string(i), 0);
  a.blocked("h0", 0);  // a known key still counts when full
  CHECK(a.dropped() == 5);
  profiles::ActivityBatch batch = a.take(names());
  CHECK(batch.blocks.size() == profiles::ActivityAccumulator::kMaxBlockKeys);
  a.blocked("new", 0);  // room again after a take
  CHECK(a.take(names()).blocks.size() == 1);
  CHECK(a.dropped() == 5);
}

TEST_CASE("book: this week and last week, five weeks kept", "[activity]") {
  profiles::ActivityBook book;
  const std::int64_t now = kMonday + 3 * kDay;
  book.add({.blocks = {{"smith", "gambling", 4}, {"smith", "adult", 1}}}, now - 7 * kDay);
  book.add({.blocks = {{"smith", "gambling", 2}, {"jones", "adult", 9}}}, now);
  book.add({.blocks = {{"smith", "gambling", 1}}}, now + 60);
  profiles::ActivityView v = book.view("smith", now);
  CHECK(v.this_week == std::map<std::string, std::uint64_t>{{"gambling", 3}});
  CHECK(v.last_week == std::map<std::string, std::uint64_t>{{"gambling", 4}, {"adult", 1}});
  CHECK(book.view("nobody", now).this_week.empty());
  // Week boundaries: Monday 00:00 starts a new week.
  CHECK(book.view("smith", kMonday + 7 * kDay).last_week.at("gambling") == 3);
  // Five weeks on, the oldest week is gone from the file too.
  book.expire(now + 4 * 7 * kDay);
  CHECK(book.to_json().find(profiles::iso_week(now - 7 * kDay)) == std::string::npos);
  CHECK(book.to_json().find(profiles::iso_week(now)) != std::string::npos);
  book.expire(now + 5 * 7 * kDay);
  CHECK(book.to_json().find("smith") == std::string::npos);
}

TEST_CASE("book: new devices listed until dismissed, kept 30 days, at most 32", "[activity]") {
  profiles::ActivityBook book;
  const std::int64_t now = kMonday;
  book.add({.devices = {{"smith", "02:00:00:00:00:02", now - 50, now - 40, false}}}, now);
  book.add({.devices = {{"smith", "02:00:00:00:00:01", now - 90, now - 10, false}}}, now);
  book.add({.devices = {{"smith", "02:00:00:00:00:02", now - 60, now - 5, false}}}, now);
  profiles::ActivityView v = book.view("smith", now);
  REQUIRE(v.new_devices.size() == 2);
  CHECK(v.new_devices[0].mac == "02:00:00:00:00:01");  // first seen first
  CHECK(v.new_devices[1].first == now - 60);           // the earliest sighting kept
  CHECK(v.new_devices[1].last == now - 5);
  CHECK(book.view("jones", now).new_devices.empty());  // another household sees none

  book.settle("smith", "02:00:00:00:00:01", now);
  book.add({.devices = {{"smith", "02:00:00:00:00:01", now + 5, now + 5, false}}}, now + 5);
  REQUIRE(book.view("smith", now + 5).new_devices.size() == 1);  // dismissed stays dismissed

  // Listed until 30 days after it was last seen (now - 5).
  CHECK(book.view("smith", now - 5 + profiles::kDeviceKeptSeconds).new_devices.size() == 1);
  CHECK(book.view("smith", now - 4 + profiles::kDeviceKeptSeconds).new_devices.empty());

  profiles::ActivityBook capped;
  for (std::size_t i = 0; i < profiles::kMaxNewDevices + 3; ++i) {
    char mac[18];
    std::snprintf(mac, sizeof mac, "02:00:00:00:01:%02zx", i);
    const auto at = now + static_cast<std::int64_t>(i);
    capped.add({.devices = {{"smith", mac, at, at, false}}}, at);
  }
  profiles::ActivityView c = capped.view("smith", now + 100);
  REQUIRE(c.new_devices.size() == profiles::kMaxNewDevices);
  CHECK(c.new_devices.front().mac == "02:00:00:00:01:03");  // the three least recent went
}

TEST_CASE("book: JSON round trip; a file it did not write is refused", "[activity]") {
  profiles::ActivityBook book;
  book.add({.blocks = {{"smith", "gambling", 4}, {"smith", "paused", 2}},
            .devices = {{"smith", "02:00:00:00:00:01", kMonday - 5, kMonday, false}}},
           kMonday);
  book.settle("jones", "02:00:00:00:00:07", kMonday);
  profiles::ActivityBook read;
  REQUIRE(read.from_json(book.to_json()));
  CHECK(read.to_json() == book.to_json());
  CHECK(read.view("smith", kMonday).this_week.at("paused") == 2);
  CHECK(read.view("jones", kMonday).new_devices.empty());

  CHECK_FALSE(read.from_json("[]"));
  CHECK_FALSE(read.from_json("{\"version\":1,\"blocks\":{\"x\":{\"w\":{\"c\":\"many\"}}}}"));
  CHECK_FALSE(read.from_json("not json"));
  CHECK(read.to_json() == book.to_json());  // unchanged by the refusals
}
