// The compiled-household cache: CLOCK eviction (a household asked for lately survives, a cold
// one goes), the memory and count bounds, invalidation, and the estimate of a household's bytes.
#include <catch2/catch.hpp>
#include <cstdio>
#include <string>

#include "policy/category.h"
#include "proxy/config/loader.h"
#include "proxy/profiles/household_cache.h"

namespace cfg = shelter::proxy::config;
namespace profiles = shelter::proxy::profiles;

namespace {

using Cache = profiles::HouseholdCache;

std::shared_ptr<const profiles::Household> household(const std::string& id,
                                                     std::size_t devices = 0) {
  auto h = std::make_shared<profiles::Household>();
  h->id = id;
  for (std::size_t i = 0; i < devices; ++i)
    h->devices.emplace("a-device-with-a-long-name-" + std::to_string(i), profiles::DeviceState{});
  return h;
}

// Limits in entries only: the memory bound out of the way.
Cache by_count(std::size_t entries) {
  return Cache(Cache::Limits{.max_bytes = std::size_t{1} << 40, .max_entries = entries});
}

bool cached(const Cache& cache, const std::string& id) {
  // Looks without touching the referenced bit would be nicer, but find() is what a query does;
  // the tests below only call it where a query would.
  return cache.find(id) != nullptr;
}

}  // namespace

TEST_CASE("household cache: a household asked for since the hand passed survives", "[cache]") {
  Cache cache = by_count(3);
  cache.insert("a", household("a"));
  cache.insert("b", household("b"));
  cache.insert("c", household("c"));
  REQUIRE(cache.find("a") != nullptr);  // a query for a: its second chance
  cache.insert("d", household("d"));    // full: the hand passes a, evicts b (cold)
  CHECK(cache.size() == 3);
  CHECK(cache.evictions() == 1);
  CHECK(cached(cache, "a"));
  CHECK(cached(cache, "c"));
  CHECK(cached(cache, "d"));
  CHECK_FALSE(cached(cache, "b"));
}

TEST_CASE("household cache: the cold ones go first, in the hand's order", "[cache]") {
  Cache cache = by_count(4);
  for (const char* id : {"a", "b", "c", "d"})
    cache.insert(id, household(id));
  // b and d in use, a and c cold: the next two insertions take a and c.
  REQUIRE(cache.find("b") != nullptr);
  REQUIRE(cache.find("d") != nullptr);
  cache.insert("e", household("e"));
  cache.insert("f", household("f"));
  CHECK(cache.evictions() == 2);
  CHECK(cache.find("a") == nullptr);
  CHECK(cache.find("c") == nullptr);
  for (const char* id : {"b", "d", "e", "f"})
    CHECK(cache.find(id) != nullptr);
}

TEST_CASE("household cache: every entry referenced still makes room", "[cache]") {
  Cache cache = by_count(3);
  for (const char* id : {"a", "b", "c"}) {
    cache.insert(id, household(id));
    REQUIRE(cache.find(id) != nullptr);
  }
  cache.insert("d", household("d"));  // one whole turn clears the bits, then a goes
  CHECK(cache.size() == 3);
  CHECK(cache.find("a") == nullptr);
  CHECK(cache.find("d") != nullptr);
}

TEST_CASE("household cache: the memory bound holds under churn", "[cache]") {
  const std::size_t one = Cache::entry_bytes("h00000", household("h00000", 8).get());
  const std::size_t budget = 10 * one + one / 2;  // room for ten
  Cache cache(Cache::Limits{.max_bytes = budget, .max_entries = 1'000'000});
  for (int i = 0; i < 1000; ++i) {
    char id[16];  // "h" and five digits; room for any int, which GCC's format check asks for
    std::snprintf(id, sizeof id, "h%05d", i);
    cache.insert(id, household(id, 8));
    if (i % 3 == 0) cache.find(id);
    REQUIRE(cache.bytes() <= budget);
  }
  CHECK(cache.size() == 10);
  CHECK(cache.bytes() == 10 * one);
  CHECK(cache.evictions() == 990);
}

TEST_CASE("household cache: bytes follow replacements, erasures and absent entries", "[cache]") {
  Cache cache = by_count(100);
  cache.insert("a", household("a"));
  const std::size_t small = cache.bytes();
  cache.insert("a", household("a", 20));  // the same household, read again, bigger
  CHECK(cache.size() == 1);
  CHECK(cache.bytes() > small + 20 * 32);
  cache.insert("gone", nullptr);  // absent from the store: cached, cheap
  const std::shared_ptr<const profiles::Household>* absent = cache.find("gone");
  REQUIRE(absent != nullptr);
  CHECK(*absent == nullptr);
  CHECK(cache.bytes() ==
        Cache::entry_bytes("a", household("a", 20).get()) + Cache::entry_bytes("gone", nullptr));
  CHECK(cache.erase("a"));  // a change message for a
  CHECK_FALSE(cache.erase("a"));
  CHECK(cache.find("a") == nullptr);
  CHECK(cache.bytes() == Cache::entry_bytes("gone", nullptr));
  cache.clear();
  CHECK(cache.size() == 0);
  CHECK(cache.bytes() == 0);
  cache.insert("b", household("b"));  // usable after a clear (the hand reset)
  CHECK(cache.find("b") != nullptr);
}

TEST_CASE("household cache: erasure keeps the clock's face whole", "[cache]") {
  Cache cache = by_count(5);
  for (const char* id : {"a", "b", "c", "d", "e"})
    cache.insert(id, household(id));
  REQUIRE(cache.erase("b"));  // e moves into b's place
  REQUIRE(cache.find("e") != nullptr);
  cache.insert("f", household("f"));  // room: no eviction
  CHECK(cache.evictions() == 0);
  cache.insert("g", household("g"));  // full: a (cold) goes
  CHECK(cache.find("a") == nullptr);
  for (const char* id : {"c", "d", "e", "f", "g"})
    CHECK(cache.find(id) != nullptr);
}

TEST_CASE("household: memory_bytes counts its strings, devices and own profiles", "[cache]") {
  cfg::LoadResult loaded = cfg::parse_config("{}", "test");
  REQUIRE(loaded.config);
  shelter::policy::CategoryRegistry registry;
  std::vector<std::string> errors;
  auto book = profiles::ProfileBook::build(*loaded.config, registry, errors);
  REQUIRE(book);

  cfg::HouseholdConfig spec;
  spec.id = "smith";
  spec.key_path = "households.smith";
  spec.profile = "9-12";
  auto bare = profiles::compile_household(spec, book, errors);
  REQUIRE(bare);

  spec.id = std::string(200, 'x');
  for (int i = 0; i < 10; ++i) {
    spec.devices.emplace_back();
    spec.devices.back().id = "device-with-a-long-name-" + std::to_string(i);
  }
  cfg::ProfileConfig own;
  own.name = "tom";
  own.base = "9-12";
  own.key_path = "households.smith.profiles.tom";
  for (int i = 0; i < 50; ++i)
    own.allow.domains.push_back("site" + std::to_string(i) + ".example");
  spec.profiles.push_back(own);
  auto big = profiles::compile_household(spec, book, errors);
  REQUIRE(errors.empty());
  REQUIRE(big);

  CHECK(bare->memory_bytes() >= sizeof(profiles::Household));
  // The long id, ten device nodes with their names, one profile with fifty entries.
  CHECK(big->memory_bytes() >=
        bare->memory_bytes() + 200 + 10 * 64 + sizeof(shelter::policy::Profile) + 50 * 48);
  CHECK(big->memory_bytes() < 64 * 1024);  // an estimate, not a wild one
}
