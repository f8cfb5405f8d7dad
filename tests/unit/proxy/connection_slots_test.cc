#include "proxy/server/connection_slots.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdint>
#include <thread>
#include <vector>

using shelter::proxy::server::ConnectionSlots;

TEST_CASE("ConnectionSlots gives at most `limit` slots and takes them back") {
  ConnectionSlots slots;
  std::vector<ConnectionSlots::Slot> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(slots.try_take(3));
    CHECK(static_cast<bool>(held.back()));
  }
  CHECK(slots.open() == 3);
  CHECK_FALSE(slots.try_take(3));
  CHECK(slots.open() == 3);
  held.pop_back();  // a connection closes
  CHECK(slots.open() == 2);
  ConnectionSlots::Slot again = slots.try_take(3);
  CHECK(static_cast<bool>(again));
  CHECK(slots.open() == 3);

  SECTION("a lowered limit refuses new connections and keeps open ones") {
    CHECK_FALSE(slots.try_take(1));
    CHECK(slots.open() == 3);
    held.clear();
    again = ConnectionSlots::Slot();
    CHECK(slots.open() == 0);
    CHECK(static_cast<bool>(slots.try_take(1)));
  }
  SECTION("a moved slot is given back once") {
    ConnectionSlots::Slot moved = std::move(again);
    CHECK_FALSE(again);
    CHECK(slots.open() == 3);
    moved = ConnectionSlots::Slot();
    CHECK(slots.open() == 2);
  }
}

TEST_CASE("ConnectionSlots: threads taking at once never pass the limit together") {
  constexpr std::uint32_t kLimit = 50;
  constexpr int kThreads = 4;
  constexpr int kRounds = 2000;
  ConnectionSlots slots;
  std::atomic<std::uint64_t> most_open{0};
  std::atomic<std::uint64_t> most_held{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < kRounds; ++round) {
        // Each thread alone could take the whole limit; together they must share it.
        std::vector<ConnectionSlots::Slot> held;
        for (ConnectionSlots::Slot s = slots.try_take(kLimit); s; s = slots.try_take(kLimit)) {
          held.push_back(std::move(s));
          std::uint64_t open = slots.open();
          std::uint64_t seen = most_open.load();
          while (open > seen && !most_open.compare_exchange_weak(seen, open)) {
          }
        }
        std::uint64_t n = held.size(), seen = most_held.load();
        while (n > seen && !most_held.compare_exchange_weak(seen, n)) {
        }
      }
    });
  }
  for (auto& th : threads)
    th.join();
  CHECK(most_open.load() == kLimit);  // reached, never passed
  CHECK(most_held.load() <= kLimit);
  CHECK(slots.open() == 0);
}
