// What identification and profiles cost per query when many households are active, which
// dnsperf (one source address, fixed options) cannot show: 100,000 households of the embedded
// store, each bound by its own address and on a preset; every iteration a different household
// (random order) asks one of 1,000 names against a list snapshot of 100,000 entries.
// - decide/all-lists: the decision alone with the no-profile subject (the baseline);
// - identify+find+decide: the whole per-query profile path, cache-cold tables included;
// - identify+find: the two directory lookups alone.
// Run: profiles_bench --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <cstdint>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "blocklist/snapshot.h"
#include "policy/decide.h"
#include "proxy/config/loader.h"
#include "proxy/profiles/directory.h"

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

}  // namespace

BENCHMARK_MAIN();
