// Micro-benchmarks of the blocklist snapshot: lookups that hit (via a parent domain) and miss,
// against a naive std::unordered_set of every listed domain checked suffix by suffix, plus the
// time and memory to build a snapshot. Run: blocklist_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "blocklist/snapshot.h"

namespace bl = shelter::blocklist;

namespace {

// Counts the bytes the naive set allocates (nodes, buckets and long strings), so that its
// memory can be reported next to the snapshot's.
std::size_t g_naive_bytes = 0;

template <typename T>
struct CountingAllocator {
  using value_type = T;
  CountingAllocator() = default;
  template <typename U>
  CountingAllocator(const CountingAllocator<U>&) {}
  T* allocate(std::size_t n) {
    g_naive_bytes += n * sizeof(T);
    return std::allocator<T>().allocate(n);
  }
  void deallocate(T* p, std::size_t n) {
    g_naive_bytes -= n * sizeof(T);
    std::allocator<T>().deallocate(p, n);
  }
  template <typename U>
  bool operator==(const CountingAllocator<U>&) const {
    return true;
  }
};

using NaiveString = std::basic_string<char, std::char_traits<char>, CountingAllocator<char>>;

struct TransparentHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

using NaiveSet = std::unordered_set<NaiveString, TransparentHash, std::equal_to<>,
                                    CountingAllocator<NaiveString>>;

// Every suffix at a label boundary, as the snapshot does; counts the listed ones.
int naive_lookup(const NaiveSet& set, std::string_view name) {
  int found = 0;
  for (std::size_t start = 0;;) {
    found += set.find(name.substr(start)) != set.end();
    std::size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) return found;
    start = dot + 1;
  }
}

constexpr std::size_t kQueries = 1 << 16;
constexpr std::string_view kTlds[] = {"com", "net", "org", "de", "uk", "io", "info", "ru"};

std::string random_label(std::mt19937_64& rng, int min_len, int max_len) {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789-";
  int len = std::uniform_int_distribution<int>(min_len, max_len)(rng);
  std::string label;
  for (int i = 0; i < len; ++i) {
    // No '-' at the ends, as in real names.
    std::size_t n = (i == 0 || i == len - 1) ? 36 : 37;
    label += kChars[std::uniform_int_distribution<std::size_t>(0, n - 1)(rng)];
  }
  return label;
}

// Second-level names such as "k3x9qz.com", a fifth of them with one more label.
std::vector<std::string> random_domains(std::size_t count, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> domains;
  domains.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    std::string d = random_label(rng, 5, 14) + "." + std::string(kTlds[rng() % std::size(kTlds)]);
    if (rng() % 5 == 0) d = random_label(rng, 2, 8) + "." + d;
    domains.push_back(std::move(d));
  }
  return domains;
}

struct Fixture {
  std::vector<std::string> domains;
  std::shared_ptr<const bl::Snapshot> snapshot;
  NaiveSet naive;
  std::size_t naive_bytes = 0;
  // Query names back to back in one buffer, as they would sit in received packets, so that
  // fetching the name does not dominate what is measured.
  std::string text;
  std::vector<std::string_view> hits;    // four labels, listed through a parent
  std::vector<std::string_view> misses;  // four labels, nothing listed
};

std::shared_ptr<const bl::Snapshot> build_snapshot(const std::vector<std::string>& domains) {
  bl::SnapshotBuilder builder;
  auto list = builder.add_list({"bench", "adult", false, "", ""});
  for (const auto& d : domains)
    builder.add_domain(list, d);
  return builder.build();
}

const Fixture& fixture(std::size_t n) {
  static std::map<std::size_t, std::unique_ptr<Fixture>> cache;
  auto& slot = cache[n];
  if (slot) return *slot;
  slot = std::make_unique<Fixture>();
  Fixture& f = *slot;
  f.domains = random_domains(n, 42);
  f.snapshot = build_snapshot(f.domains);
  std::size_t before = g_naive_bytes;
  for (const auto& d : f.domains)
    f.naive.emplace(d);
  f.naive_bytes = g_naive_bytes - before;
  std::mt19937_64 rng(7);
  std::vector<std::pair<std::size_t, std::size_t>> hit_spans, miss_spans;
  auto append = [&f](const std::string& name) {
    f.text += name;
    return std::pair(f.text.size() - name.size(), name.size());
  };
  for (std::size_t i = 0; i < kQueries; ++i) {
    const std::string& d = f.domains[rng() % n];
    // Four labels in total whichever shape the listed parent has.
    std::string prefix = std::count(d.begin(), d.end(), '.') == 1 ? "www.cdn." : "cdn.";
    hit_spans.push_back(append(prefix + d));
    // Unlisted: listed first labels have 5-14 characters, these have 15-20.
    miss_spans.push_back(append("www.cdn." + random_label(rng, 15, 20) + ".com"));
  }
  for (auto [pos, len] : hit_spans)
    f.hits.emplace_back(f.text.data() + pos, len);
  for (auto [pos, len] : miss_spans)
    f.misses.emplace_back(f.text.data() + pos, len);
  return f;
}

// Runs `lookup` (true when something matched) over the hit or miss names of a fixture.
template <typename Lookup>
void run_lookups(benchmark::State& state, bool hit, std::size_t bytes, Lookup lookup) {
  const Fixture& f = fixture(static_cast<std::size_t>(state.range(0)));
  const auto& names = hit ? f.hits : f.misses;
  std::size_t i = 0, found = 0;
  for (auto _ : state)
    found += lookup(f, names[i++ & (kQueries - 1)]);
  if (found != (hit ? static_cast<std::size_t>(state.iterations()) : 0)) {
    state.SkipWithError("unexpected lookup result");
  }
  state.counters["bytes_per_entry"] =
      static_cast<double>(bytes) / static_cast<double>(f.domains.size());
}

void BM_SnapshotLookup(benchmark::State& state, bool hit) {
  const Fixture& f = fixture(static_cast<std::size_t>(state.range(0)));
  run_lookups(state, hit, f.snapshot->memory_bytes(), [](const Fixture& fx, std::string_view name) {
    auto match = fx.snapshot->lookup(name);
    benchmark::DoNotOptimize(match);
    return match.has_value();
  });
}

void BM_NaiveLookup(benchmark::State& state, bool hit) {
  const Fixture& f = fixture(static_cast<std::size_t>(state.range(0)));
  run_lookups(state, hit, f.naive_bytes, [](const Fixture& fx, std::string_view name) {
    int found = naive_lookup(fx.naive, name);
    benchmark::DoNotOptimize(found);
    return found > 0;
  });
}

void BM_SnapshotBuild(benchmark::State& state) {
  const auto domains = random_domains(static_cast<std::size_t>(state.range(0)), 42);
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto snapshot = build_snapshot(domains);
    bytes = snapshot->memory_bytes();
    benchmark::DoNotOptimize(snapshot);
  }
  state.counters["bytes_per_entry"] =
      static_cast<double>(bytes) / static_cast<double>(domains.size());
  state.counters["domains_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * domains.size()), benchmark::Counter::kIsRate);
}

void sizes(benchmark::internal::Benchmark* b) {
  for (int n : {10'000, 100'000, 1'000'000})
    b->Arg(n);
}

}  // namespace

BENCHMARK_CAPTURE(BM_SnapshotLookup, hit, true)->Apply(sizes);
BENCHMARK_CAPTURE(BM_NaiveLookup, hit, true)->Apply(sizes);
BENCHMARK_CAPTURE(BM_SnapshotLookup, miss, false)->Apply(sizes);
BENCHMARK_CAPTURE(BM_NaiveLookup, miss, false)->Apply(sizes);
BENCHMARK(BM_SnapshotBuild)->Apply(sizes)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
