// FlatMap against std::unordered_map under random inserts, replacements and erases (tombstones
// and growth included), and PrefixMap's erase of the last prefix of a length.
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <unordered_map>

#include "policy/flat_map.h"
#include "policy/prefix_map.h"
#include "policy/string_hash.h"

namespace policy = shelter::policy;

TEST_CASE("FlatMap behaves as a map under random edits", "[policy]") {
  policy::FlatMap<std::string, int, policy::StringHash> flat;
  std::unordered_map<std::string, int> reference;
  std::mt19937 rng(42);
  for (int step = 0; step < 200'000; ++step) {
    std::string key = "k" + std::to_string(rng() % 5000);
    switch (rng() % 3) {
      case 0:
      case 1: {
        int value = static_cast<int>(rng());
        flat.insert(key, value);
        reference[key] = value;
        break;
      }
      default:
        CHECK(flat.erase(key) == (reference.erase(key) == 1));
    }
    if (step % 997 == 0) {
      REQUIRE(flat.size() == reference.size());
      for (int i = 0; i < 5000; ++i) {
        std::string probe = "k" + std::to_string(i);
        auto it = reference.find(probe);
        const int* found = flat.find(std::string_view(probe));
        REQUIRE((found != nullptr) == (it != reference.end()));
        if (found) REQUIRE(*found == it->second);
      }
    }
  }
}

TEST_CASE("PrefixMap: longest match, exact lookups and erase", "[policy]") {
  policy::PrefixMap<int> map;
  auto cidr = [](const char* text) { return *policy::Cidr::parse(text); };
  auto address = [](const char* text) { return *policy::Address::parse(text); };
  map.insert(cidr("10.0.0.0/8"), 8);
  map.insert(cidr("10.1.0.0/16"), 16);
  map.insert(cidr("10.1.2.3/32"), 32);
  map.insert(cidr("2001:db8::/56"), 56);
  CHECK(*map.find(address("10.1.2.3")) == 32);
  CHECK(*map.find(address("10.1.2.4")) == 16);
  CHECK(*map.find(address("10.9.9.9")) == 8);
  CHECK(*map.find(address("::ffff:10.1.2.3")) == 32);
  CHECK(*map.find(address("2001:db8:0:ff::1")) == 56);
  CHECK(map.find(address("11.0.0.1")) == nullptr);
  CHECK(*map.find_exact(cidr("10.1.0.0/16")) == 16);
  CHECK(map.find_exact(cidr("10.1.0.0/24")) == nullptr);
  CHECK(map.erase(cidr("10.1.2.3/32")));
  CHECK_FALSE(map.erase(cidr("10.1.2.3/32")));
  CHECK(*map.find(address("10.1.2.3")) == 16);
  map.insert(cidr("10.1.0.0/16"), 160);  // replaces
  CHECK(*map.find(address("10.1.2.3")) == 160);
  CHECK(map.size() == 3);
}
