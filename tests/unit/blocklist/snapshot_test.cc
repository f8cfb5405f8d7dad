#include "blocklist/snapshot.h"

#include <catch2/catch.hpp>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace bl = shelter::blocklist;

namespace {

bl::ListInfo list(std::string id, bool legal = false) {
  return bl::ListInfo{std::move(id), "test", legal, "", ""};
}

struct Entry {
  std::uint32_t list;
  std::string domain;
};

std::shared_ptr<const bl::Snapshot> make(const std::vector<bl::ListInfo>& lists,
                                         const std::vector<Entry>& entries) {
  bl::SnapshotBuilder builder;
  for (const auto& info : lists)
    builder.add_list(info);
  for (const auto& entry : entries)
    builder.add_domain(entry.list, entry.domain);
  return builder.build();
}

// The reference matcher: every suffix of the name at a label boundary, every listed pair, and
// the documented precedence spelled out as a comparison.
class NaiveMatcher {
 public:
  NaiveMatcher(std::vector<bool> legal, std::set<std::pair<std::string, std::uint32_t>> pairs)
      : legal_(std::move(legal)), pairs_(std::move(pairs)) {}

  std::optional<std::pair<std::uint32_t, std::string>> lookup(const std::string& name) const {
    std::optional<std::pair<std::uint32_t, std::string>> best;
    for (std::size_t start = 0; start != std::string::npos;) {
      std::string suffix = name.substr(start);
      for (auto it = pairs_.lower_bound({suffix, 0}); it != pairs_.end() && it->first == suffix;
           ++it) {
        if (!best || better(it->second, suffix, best->first, best->second)) {
          best = {it->second, suffix};
        }
      }
      start = name.find('.', start);
      if (start != std::string::npos) ++start;
    }
    return best;
  }

 private:
  bool better(std::uint32_t list, const std::string& domain, std::uint32_t best_list,
              const std::string& best_domain) const {
    if (legal_[list] != legal_[best_list]) return legal_[list];
    if (domain.size() != best_domain.size()) return domain.size() > best_domain.size();
    return list < best_list;
  }

  std::vector<bool> legal_;
  std::set<std::pair<std::string, std::uint32_t>> pairs_;
};

void check_match(const bl::Snapshot& snapshot, std::string_view name,
                 std::optional<std::pair<std::uint32_t, std::string>> expected) {
  CAPTURE(name);
  auto got = snapshot.lookup(name);
  REQUIRE(got.has_value() == expected.has_value());
  if (got) {
    CHECK(got->list_index == expected->first);
    CHECK(got->rule == expected->second);
  }
}

}  // namespace

TEST_CASE("an empty snapshot matches nothing", "[snapshot]") {
  bl::Snapshot unbuilt;
  CHECK_FALSE(unbuilt.lookup("example.com"));
  CHECK(unbuilt.size() == 0);
  CHECK(unbuilt.lists_of("example.com").empty());

  auto built = make({list("a")}, {});
  CHECK_FALSE(built->lookup("example.com"));
  CHECK_FALSE(built->lookup(""));
  CHECK(built->size() == 0);
  CHECK(built->lists().size() == 1);
  CHECK(built->memory_bytes() > 0);
}

TEST_CASE("suffix matching at label boundaries", "[snapshot]") {
  auto snapshot = make({list("a")}, {{0, "example.com"}, {0, "tld"}, {0, "deep.sub.test.org"}});
  using Expected = std::optional<std::pair<std::uint32_t, std::string>>;
  const std::vector<std::pair<std::string, Expected>> cases = {
      {"example.com", {{0, "example.com"}}},
      {"www.example.com", {{0, "example.com"}}},
      {"a.b.c.example.com", {{0, "example.com"}}},
      {"notexample.com", std::nullopt},
      {"example.com.evil.net", std::nullopt},
      {"xample.com", std::nullopt},
      {"com", std::nullopt},
      {"tld", {{0, "tld"}}},
      {"anything.tld", {{0, "tld"}}},
      {"nottld", std::nullopt},
      {"sub.test.org", std::nullopt},
      {"deep.sub.test.org", {{0, "deep.sub.test.org"}}},
      {"x.deep.sub.test.org", {{0, "deep.sub.test.org"}}},
      {"", std::nullopt},
  };
  for (const auto& [name, expected] : cases)
    check_match(*snapshot, name, expected);
}

TEST_CASE("names that are not normalised are looked up safely", "[snapshot]") {
  auto snapshot = make({list("a")}, {{0, "example.com"}, {0, std::string(63, 'x') + ".org"}});
  using Expected = std::optional<std::pair<std::uint32_t, std::string>>;
  const Expected example = {{0, "example.com"}};
  const std::vector<std::pair<std::string, Expected>> cases = {
      // Longer than DNS allows: only the tail can match, and still does.
      {std::string(1000, 'a') + ".example.com", example},
      {std::string(500, '.') + "example.com", example},
      {std::string(2000, '.'), std::nullopt},
      {"..example.com", example},
      {"example.com.", std::nullopt},
      {"EXAMPLE.COM", std::nullopt},
      {".", std::nullopt},
      {std::string("a\0b.example.com", 15), example},
      {"y." + std::string(63, 'x') + ".org", {{0, std::string(63, 'x') + ".org"}}},
  };
  for (const auto& [name, expected] : cases)
    check_match(*snapshot, name, expected);
}

TEST_CASE("every label length matches exactly", "[snapshot]") {
  // Labels are hashed a word at a time: short, word-sized and long labels take different paths.
  std::vector<Entry> entries;
  for (std::size_t n = 1; n <= 63; ++n)
    entries.push_back({0, std::string(n, 'k') + ".test"});
  auto snapshot = make({list("a")}, entries);
  CHECK(snapshot->size() == 63);
  for (std::size_t n = 1; n <= 63; ++n) {
    std::string label(n, 'k');
    check_match(*snapshot, "www." + label + ".test", {{0, label + ".test"}});
    std::string changed = label;
    changed.back() = 'j';
    check_match(*snapshot, changed + ".test", std::nullopt);
    changed = label;
    changed.front() = 'j';
    check_match(*snapshot, changed + ".test", std::nullopt);
  }
}

TEST_CASE("precedence: legal, then most specific, then earliest list", "[snapshot]") {
  SECTION("a legal parent beats a non-legal exact entry") {
    auto s = make({list("ads"), list("csam", true)}, {{0, "a.b.example"}, {1, "example"}});
    check_match(*s, "x.a.b.example", {{1, "example"}});
    check_match(*s, "a.b.example", {{1, "example"}});
  }
  SECTION("the more specific entry wins among non-legal lists") {
    auto s = make({list("early"), list("late")}, {{0, "example.com"}, {1, "ads.example.com"}});
    check_match(*s, "x.ads.example.com", {{1, "ads.example.com"}});
    check_match(*s, "other.example.com", {{0, "example.com"}});
  }
  SECTION("the more specific entry wins among legal lists") {
    auto s = make({list("l1", true), list("l2", true)}, {{0, "example.com"}, {1, "a.example.com"}});
    check_match(*s, "a.example.com", {{1, "a.example.com"}});
  }
  SECTION("the earliest list wins for the same domain") {
    auto s = make({list("first"), list("second"), list("third")},
                  {{2, "example.com"}, {1, "example.com"}});
    check_match(*s, "www.example.com", {{1, "example.com"}});
  }
  SECTION("a legal list wins for the same domain even when added later") {
    auto s = make({list("ads"), list("other"), list("csam", true)},
                  {{0, "example.com"}, {2, "example.com"}, {1, "example.com"}});
    check_match(*s, "example.com", {{2, "example.com"}});
    CHECK(s->lists_of("example.com") == std::vector<std::uint32_t>{0, 1, 2});
  }
}

TEST_CASE("duplicates are counted once", "[snapshot]") {
  auto s = make({list("a"), list("b")}, {{0, "example.com"},
                                         {0, "example.com"},
                                         {1, "example.com"},
                                         {1, "example.com"},
                                         {0, "example.com"},
                                         {1, "other.com"}});
  CHECK(s->size() == 3);
  CHECK(s->lists_of("example.com") == std::vector<std::uint32_t>{0, 1});
  CHECK(s->lists_of("other.com") == std::vector<std::uint32_t>{1});
  CHECK(s->lists_of("www.other.com").empty());
  CHECK(s->lists_of(std::string(1000, 'a')).empty());
}

TEST_CASE("the builder rejects misuse and is empty after build", "[snapshot]") {
  bl::SnapshotBuilder builder;
  CHECK_THROWS_AS(builder.add_domain(0, "example.com"), std::out_of_range);
  auto index = builder.add_list(list("a"));
  CHECK(index == 0);
  CHECK_THROWS_AS(builder.add_domain(0, ""), std::invalid_argument);
  CHECK_THROWS_AS(builder.add_domain(0, std::string(300, 'a')), std::invalid_argument);
  builder.add_domain(0, "example.com");
  auto first = builder.build();
  CHECK(first->size() == 1);
  auto second = builder.build();
  CHECK(second->size() == 0);
  CHECK(second->lists().empty());
  CHECK(first->lookup("example.com"));
}

TEST_CASE("large snapshots grow and still find everything", "[snapshot]") {
  bl::SnapshotBuilder builder;
  builder.add_list(list("a"));
  constexpr int kCount = 50000;
  for (int i = 0; i < kCount; ++i)
    builder.add_domain(0, "d" + std::to_string(i) + ".example");
  auto s = builder.build();
  CHECK(s->size() == kCount);
  for (int i = 0; i < kCount; i += 97) {
    std::string name = "www.d" + std::to_string(i) + ".example";
    auto match = s->lookup(name);
    REQUIRE(match);
    CHECK(match->rule == name.substr(4));
  }
  CHECK_FALSE(s->lookup("d" + std::to_string(kCount) + ".example"));
  // Slots, text and per-list data, but no per-entry allocations: well under 100 bytes each.
  CHECK(s->memory_bytes() < std::size_t{kCount} * 100);
}

TEST_CASE("lookup agrees with a naive matcher on random data", "[snapshot][property]") {
  std::mt19937 rng(20240601);
  // A small alphabet and short labels make collisions between listed and queried names common.
  const std::vector<std::string> labels = {"a", "b", "c",  "d",   "ab",  "ba",  "cd",  "dc",
                                           "x", "y", "xy", "abc", "com", "net", "org", "io"};
  auto random_name = [&](int min_labels, int max_labels) {
    int count = std::uniform_int_distribution<int>(min_labels, max_labels)(rng);
    std::string name;
    for (int i = 0; i < count; ++i) {
      if (i) name += '.';
      name += labels[std::uniform_int_distribution<std::size_t>(0, labels.size() - 1)(rng)];
    }
    return name;
  };

  constexpr std::uint32_t kLists = 70;  // more than 64, to cross any bitmask boundary
  std::vector<bool> legal;
  bl::SnapshotBuilder builder;
  for (std::uint32_t i = 0; i < kLists; ++i) {
    legal.push_back(i % 7 == 3);
    builder.add_list(list("list" + std::to_string(i), legal.back()));
  }
  std::set<std::pair<std::string, std::uint32_t>> pairs;
  for (int i = 0; i < 3000; ++i) {
    // Mostly 3 or 4 labels; some 2, and a couple of single labels so that TLD-wide entries
    // take part too.
    std::string domain = i % 1500 == 0 ? random_name(1, 1)
                         : i % 10 == 0 ? random_name(2, 2)
                                       : random_name(3, 4);
    auto l = std::uniform_int_distribution<std::uint32_t>(0, kLists - 1)(rng);
    pairs.emplace(domain, l);
    builder.add_domain(l, domain);
  }
  auto snapshot = builder.build();
  CHECK(snapshot->size() == pairs.size());
  NaiveMatcher naive(legal, pairs);

  int hits = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string name = random_name(1, 5);
    auto expected = naive.lookup(name);
    hits += expected.has_value();
    check_match(*snapshot, name, expected);
  }
  INFO("hits: " << hits);
  CHECK(hits > 4000);
  CHECK(hits < 16000);
}
