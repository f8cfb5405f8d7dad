// What identification and profiles cost per query when many households are active, which
// dnsperf (one source address, fixed options) cannot show: 100,000 households of the embedded
// store, each bound by its own address and on a preset; every iteration a different household
// (random order) asks one of 1,000 names against a list snapshot of 100,000 entries.
// - decide/all-lists: the decision alone with the no-profile subject (the baseline);
// - identify+find+decide: the whole per-query profile path, cache-cold tables included;
// - identify+find: the two directory lookups alone.
// The Redis store's cache of compiled households (household_cache.h), 100,000 households, under
// the shared lock as RedisDirectory::find takes it:
// - household cache/hit: a lookup of a random cached household (CLOCK: sets its referenced bit);
// - household cache/churn: a household not cached inserted into the full cache, evicting one;
// - the same two on a plain hash map that drops 1/64 of itself in hash order when full (the
//   cache before CLOCK), for comparison.
// Run: profiles_bench --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "blocklist/snapshot.h"
#include "policy/decide.h"
#include "proxy/config/loader.h"
#include "proxy/profiles/directory.h"
#include "proxy/profiles/household_cache.h"

namespace bl = shelter::blocklist;
namespace cfg = shelter::proxy::config;
namespace policy = shelter::policy;
namespace profiles = shelter::proxy::profiles;

namespace {

constexpr std::size_t kHouseholds = 100'000;
constexpr std::size_t kListed = 100'000;
constexpr std::size_t kNames = 1024;  // a power of two

struct World {
  World() {
    bl::SnapshotBuilder builder;
    const char* categories[] = {"adult", "gambling", "social-media", "games", "malware"};
    std::vector<std::uint32_t> lists;
    for (const char* c : categories)
      lists.push_back(builder.add_list(bl::ListInfo{c, c, false, "", "", 0}));
    for (std::size_t i = 0; i < kListed; ++i)
      builder.add_domain(lists[i % lists.size()], "site" + std::to_string(i) + ".example");
    snapshot = builder.build();
    bits = policy::CategoryBits(registry, snapshot->categories());

    cfg::LoadResult loaded = cfg::parse_config("{}", "bench");
    std::vector<std::string> errors;
    book = profiles::ProfileBook::build(*loaded.config, registry, errors);
    const char* presets[] = {"under-9", "9-12", "13-14", "15-17", "adult", "public-wifi"};
    std::vector<cfg::HouseholdConfig> households(kHouseholds);
    for (std::size_t i = 0; i < kHouseholds; ++i) {
      cfg::HouseholdConfig& h = households[i];
      h.id = "h" + std::to_string(i);
      h.profile = presets[i % 6];
      addresses.push_back(address(i));
      h.addresses = {policy::Cidr{addresses.back(), 32}};
    }
    directory = profiles::EmbeddedDirectory::build(households, book, errors);
    if (!directory) {
      std::cerr << "profiles_bench: " << errors.front() << "\n";
      std::exit(1);
    }
    std::mt19937_64 rng(7);
    std::shuffle(addresses.begin(), addresses.end(), rng);
    for (std::size_t i = 0; i < kNames; ++i) {
      // Half listed (blocked or not, by profile), half not listed at all.
      names.push_back(i % 2 ? "site" + std::to_string(rng() % kListed) + ".example"
                            : "www.other" + std::to_string(i) + ".example");
    }
  }

  static policy::Address address(std::size_t i) {
    policy::Address a;
    a.bytes[0] = 10;
    a.bytes[1] = static_cast<std::uint8_t>(i >> 16);
    a.bytes[2] = static_cast<std::uint8_t>(i >> 8);
    a.bytes[3] = static_cast<std::uint8_t>(i);
    return a;
  }

  policy::Environment environment() const {
    return {.lists = *snapshot,
            .category_bits = bits,
            .capabilities = {},
            .never_blocked = &book->never_blocked()};
  }

  policy::CategoryRegistry registry;
  std::shared_ptr<const bl::Snapshot> snapshot;
  policy::CategoryBits bits;
  std::shared_ptr<const profiles::ProfileBook> book;
  std::shared_ptr<const profiles::EmbeddedDirectory> directory;
  std::vector<policy::Address> addresses;
  std::vector<std::string> names;
  policy::TrustRules trust;
};

World& world() {
  static World w;
  return w;
}

constexpr std::int64_t kNow = 1'796'083'200;

void BM_DecideAllLists(benchmark::State& state) {
  World& w = world();
  const policy::Profile* all = w.book->find("all-lists");
  policy::Environment env = w.environment();
  std::size_t i = 0;
  for (auto _ : state) {
    policy::Subject subject{.profile = all};
    benchmark::DoNotOptimize(
        policy::decide({.qname = w.names[i++ % kNames], .now = kNow}, subject, env));
  }
}
BENCHMARK(BM_DecideAllLists)->Name("decide/all-lists");

void BM_IdentifyFindDecide(benchmark::State& state) {
  World& w = world();
  policy::Environment env = w.environment();
  std::size_t i = 0;
  for (auto _ : state) {
    policy::ClientFacts facts;
    facts.source = w.addresses[i % kHouseholds];
    policy::Identity id = w.directory->identify(facts, w.trust);
    profiles::Found found = w.directory->find(id.subscriber->household);
    policy::Subject subject = found.household->subject(id.subscriber->device);
    benchmark::DoNotOptimize(
        policy::decide({.qname = w.names[i++ % kNames], .now = kNow}, subject, env));
  }
}
BENCHMARK(BM_IdentifyFindDecide)->Name("identify+find+decide/100k households");

void BM_IdentifyFind(benchmark::State& state) {
  World& w = world();
  std::size_t i = 0;
  for (auto _ : state) {
    policy::ClientFacts facts;
    facts.source = w.addresses[i++ % kHouseholds];
    policy::Identity id = w.directory->identify(facts, w.trust);
    benchmark::DoNotOptimize(w.directory->find(id.subscriber->household));
  }
}
BENCHMARK(BM_IdentifyFind)->Name("identify+find/100k households");

// Households as the Redis store compiles them: a preset and two devices.
std::vector<std::pair<std::string, std::shared_ptr<const profiles::Household>>> redis_households(
    std::size_t n) {
  const World& w = world();
  std::vector<std::pair<std::string, std::shared_ptr<const profiles::Household>>> out;
  for (std::size_t i = 0; i < n; ++i) {
    auto h = std::make_shared<profiles::Household>();
    h->id = "household-" + std::to_string(i);
    h->book = w.book;
    h->profile = w.book->find("9-12");
    h->devices.emplace("tablet", profiles::DeviceState{});
    h->devices.emplace("laptop", profiles::DeviceState{});
    out.emplace_back(h->id, std::move(h));
  }
  return out;
}

struct ClockCache {
  explicit ClockCache(std::size_t entries)
      : cache(profiles::HouseholdCache::Limits{.max_bytes = std::size_t{1} << 40,
                                               .max_entries = entries}) {}
  const profiles::Household* find(std::string_view id) const {
    std::shared_lock lock(mutex);
    const auto* state = cache.find(id);
    return state != nullptr ? state->get() : nullptr;
  }
  void insert(const std::string& id, std::shared_ptr<const profiles::Household> h) {
    std::unique_lock lock(mutex);
    cache.insert(id, std::move(h));
  }
  mutable std::shared_mutex mutex;
  profiles::HouseholdCache cache;
};

// The cache before CLOCK, as RedisDirectory had it.
struct HashOrderCache {
  explicit HashOrderCache(std::size_t entries) : limit(entries) {}
  const profiles::Household* find(std::string_view id) const {
    std::shared_lock lock(mutex);
    auto it = map.find(id);
    return it != map.end() ? it->second.get() : nullptr;
  }
  void insert(const std::string& id, std::shared_ptr<const profiles::Household> h) {
    std::unique_lock lock(mutex);
    if (map.size() >= limit) {
      std::size_t drop = std::max<std::size_t>(1, map.size() / 64);
      for (auto it = map.begin(); it != map.end() && drop > 0; --drop)
        it = map.erase(it);
    }
    map.insert_or_assign(id, std::move(h));
  }
  std::size_t limit;
  mutable std::shared_mutex mutex;
  std::unordered_map<std::string, std::shared_ptr<const profiles::Household>, policy::StringHash,
                     std::equal_to<>>
      map;
};

template <typename Cache>
void BM_CacheHit(benchmark::State& state) {
  static const auto households = redis_households(kHouseholds);
  Cache cache(kHouseholds);
  for (const auto& [id, h] : households)
    cache.insert(id, h);
  std::vector<std::size_t> order(kHouseholds);
  for (std::size_t i = 0; i < kHouseholds; ++i)
    order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937_64(11));
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(cache.find(households[order[i++ % kHouseholds]].first));
  }
}
BENCHMARK(BM_CacheHit<ClockCache>)->Name("household cache/hit/100k");
BENCHMARK(BM_CacheHit<HashOrderCache>)->Name("household cache/hit/100k, hash order (before)");

// Twice as many households as the cache holds, asked for in turn: every insertion evicts.
template <typename Cache>
void BM_CacheChurn(benchmark::State& state) {
  static const auto households = redis_households(2 * kHouseholds);
  Cache cache(kHouseholds);
  for (std::size_t i = 0; i < kHouseholds; ++i)
    cache.insert(households[i].first, households[i].second);
  std::size_t i = kHouseholds;
  for (auto _ : state) {
    const auto& [id, h] = households[i++ % households.size()];
    cache.insert(id, h);
  }
}
BENCHMARK(BM_CacheChurn<ClockCache>)->Name("household cache/churn/100k");
BENCHMARK(BM_CacheChurn<HashOrderCache>)->Name("household cache/churn/100k, hash order (before)");

}  // namespace

BENCHMARK_MAIN();
