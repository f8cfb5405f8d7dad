// Micro-benchmarks of the blocklist snapshot, for N = 10k, 100k and 1M listed domains (10M
// with SHELTER_BENCH_10M=1: several GB and minutes) plus N/10 URL rules:
// - DNS lookups of 4-label names that hit through a parent, or miss, against a naive
//   std::unordered_set of every listed domain checked suffix by suffix, in the same run;
// - URL lookups (lookup_url) that hit, miss on an unlisted host, or miss on a listed one;
// - bytes per entry of the image and of the naive set (counters);
// - build_image for 1M domains + 100k URL rules, and Snapshot::open of that image (checksum
//   and validation), with the checksum alone for comparison;
// - the physical floor of a lookup at each N: one dependent load from a random cache line of a
//   buffer as large as that snapshot's image (memory_latency).
// Run: blocklist_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "blocklist/snapshot.h"
#include "blocklist/snapshot_format.h"

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
// Weighted towards .com as real lists are; two two-label public suffixes.
constexpr std::string_view kTlds[] = {"com", "com", "com",  "com",   "net",    "org", "de",
                                      "ru",  "io",  "info", "co.uk", "com.br", "fr",  "nl"};

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

// Names such as "k3x9qz.com" (2-4 labels, about 16 bytes on average): a registrable name,
// a third of them with one more label, a few with two.
std::string random_domain(std::mt19937_64& rng) {
  std::string d = random_label(rng, 5, 12) + "." + std::string(kTlds[rng() % std::size(kTlds)]);
  if (rng() % 3 == 0) d = random_label(rng, 2, 8) + "." + d;
  if (rng() % 20 == 0) d = random_label(rng, 2, 6) + "." + d;
  return d;
}

std::size_t labels(std::string_view name) {
  return static_cast<std::size_t>(std::count(name.begin(), name.end(), '.')) + 1;
}

struct UrlRule {
  std::string host;
  std::string path;
  bool prefix = false;
};

// The rules of a benchmark snapshot: N domains, and N/10 URL rules (an IWF-like list) on N/40
// hosts of their own, a third of them folder prefixes.
struct Rules {
  std::vector<std::string> domains;
  std::vector<UrlRule> urls;
};

Rules random_rules(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Rules rules;
  rules.domains.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    rules.domains.push_back(random_domain(rng));
  // First labels of 13-14 characters, which no listed domain has, so that a URL host is
  // never blocked at domain level (not even through a parent) and misses stay misses.
  std::vector<std::string> hosts(std::max<std::size_t>(1, n / 40));
  for (auto& host : hosts) {
    host = random_label(rng, 13, 14) + "." + std::string(kTlds[rng() % std::size(kTlds)]);
    if (rng() % 3 == 0) host = "img." + host;
  }
  rules.urls.resize(n / 10);
  for (auto& url : rules.urls) {
    url.host = hosts[rng() % hosts.size()];
    url.prefix = rng() % 3 == 0;
    // Appended piecewise: `"/" + std::string&&` trips GCC 12's -Wrestrict (GCC bug 105329).
    url.path.push_back('/');
    url.path += random_label(rng, 4, 10);
    url.path.push_back('/');
    url.path += random_label(rng, 6, 16);
    url.path += url.prefix ? "/" : ".jpg";
  }
  return rules;
}

void add_rules(bl::SnapshotBuilder& builder, const Rules& rules) {
  auto adult = builder.add_list({"adult", "adult", false, "", ""});
  auto iwf = builder.add_list({"iwf", "csam", true, "IWF", "https://appeal.example"});
  for (const auto& d : rules.domains)
    builder.add_domain(adult, d);
  for (const auto& url : rules.urls) {
    bl::Rule rule;
    rule.host = url.host;
    rule.path = url.path;
    rule.path_prefix = url.prefix;
    builder.add(iwf, rule);
  }
}

// Query names back to back in one buffer, as they would sit in received packets, so that
// fetching the name does not dominate what is measured.
class QueryText {
 public:
  using Span = std::pair<std::size_t, std::size_t>;
  Span add(std::string_view s) {
    text_ += s;
    return {text_.size() - s.size(), s.size()};
  }
  std::string_view view(Span span) const {
    return std::string_view(text_).substr(span.first, span.second);
  }

 private:
  std::string text_;
};

struct Url {
  std::string_view host;
  std::string_view path;
};

struct Fixture {
  std::size_t n = 0;
  std::size_t entries = 0;  // domains + URL rules
  std::shared_ptr<const bl::Snapshot> snapshot;
  NaiveSet naive;
  std::size_t naive_bytes = 0;
  QueryText text;
  std::vector<std::string_view> hits;    // four labels, listed through a parent
  std::vector<std::string_view> misses;  // four labels, nothing listed
  std::vector<Url> url_hits;             // a listed URL (or a page under a listed folder)
  std::vector<Url> url_misses;           // a host without rules
  std::vector<Url> url_misses_listed;    // a host with URL rules, another page
};

std::unique_ptr<Fixture> make_fixture(std::size_t n) {
  auto f = std::make_unique<Fixture>();
  f->n = n;
  const Rules rules = random_rules(n, 42);
  f->entries = rules.domains.size() + rules.urls.size();
  {
    bl::SnapshotBuilder builder;
    add_rules(builder, rules);
    f->snapshot = builder.build(0, 0x5eed);
  }
  std::size_t before = g_naive_bytes;
  f->naive.reserve(n);
  for (const auto& d : rules.domains)
    f->naive.emplace(d);
  f->naive_bytes = g_naive_bytes - before;

  std::mt19937_64 rng(7);
  using Span = QueryText::Span;
  std::vector<Span> hits, misses;
  std::vector<std::pair<Span, Span>> url_hits, url_misses, url_misses_listed;
  while (hits.size() < kQueries) {
    const std::string& d = rules.domains[rng() % rules.domains.size()];
    if (labels(d) > 3) continue;
    // Four labels in total whichever shape the listed parent has.
    hits.push_back(f->text.add((labels(d) == 2 ? "www.cdn." : "cdn.") + d));
    // Unlisted: listed labels have at most 12 characters, these have 15-20.
    misses.push_back(f->text.add("www.cdn." + random_label(rng, 15, 20) + ".com"));
    const UrlRule& url = rules.urls[rng() % rules.urls.size()];
    url_hits.emplace_back(f->text.add(url.host),
                          f->text.add(url.prefix ? url.path + "photo.jpg?size=large" : url.path));
    url_misses.emplace_back(f->text.add("img." + random_label(rng, 15, 20) + ".net"),
                            f->text.add("/gallery/" + random_label(rng, 6, 16) + ".jpg"));
    url_misses_listed.emplace_back(f->text.add(url.host),
                                   f->text.add("/index/" + random_label(rng, 6, 16) + ".html"));
  }
  for (Span s : hits)
    f->hits.push_back(f->text.view(s));
  for (Span s : misses)
    f->misses.push_back(f->text.view(s));
  auto urls = [&](const std::vector<std::pair<Span, Span>>& spans, std::vector<Url>& out) {
    for (auto [host, path] : spans)
      out.push_back({f->text.view(host), f->text.view(path)});
  };
  urls(url_hits, f->url_hits);
  urls(url_misses, f->url_misses);
  urls(url_misses_listed, f->url_misses_listed);
  return f;
}

// One size at a time: benchmarks run in registration order, grouped by size, so the fixture of
// the previous size can go before the next is made (10M needs several GB).
const Fixture& fixture(std::size_t n) {
  static std::unique_ptr<Fixture> current;
  if (!current || current->n != n) {
    current.reset();
    current = make_fixture(n);
  }
  return *current;
}

// Runs `lookup` (true when something matched) over a cycled query set. A result other than
// the expected one is counted, not hidden: `wrong` should be 0.
template <typename Query, typename Lookup>
void run_lookups(benchmark::State& state, const std::vector<Query>& queries, bool hit,
                 double bytes_per_entry, Lookup lookup) {
  std::size_t i = 0;
  std::size_t found = 0;
  for (auto _ : state)
    found += lookup(queries[i++ & (kQueries - 1)]);
  const auto iterations = static_cast<std::size_t>(state.iterations());
  state.counters["wrong"] = static_cast<double>(hit ? iterations - found : found);
  state.counters["bytes_per_entry"] = bytes_per_entry;
}

double snapshot_bytes_per_entry(const Fixture& f) {
  return static_cast<double>(f.snapshot->image_bytes()) / static_cast<double>(f.entries);
}

void BM_Snapshot(benchmark::State& state, bool hit) {
  const Fixture& f = fixture(static_cast<std::size_t>(state.range(0)));
  run_lookups(state, hit ? f.hits : f.misses, hit, snapshot_bytes_per_entry(f),
              [&](std::string_view name) {
                auto result = f.snapshot->lookup(name);
                benchmark::DoNotOptimize(result);
                return result.blocked();
              });
}

void BM_Naive(benchmark::State& state, bool hit) {
  const Fixture& f = fixture(static_cast<std::size_t>(state.range(0)));
  run_lookups(state, hit ? f.hits : f.misses, hit,
              static_cast<double>(f.naive_bytes) / static_cast<double>(f.n),
              [&](std::string_view name) {
                int found = naive_lookup(f.naive, name);
                benchmark::DoNotOptimize(found);
                return found > 0;
              });
}

// The floor under a lookup at N entries: one dependent load from a random cache line of a
// buffer as large as the snapshot's image, chained in a random cycle so that neither the
// prefetchers nor out-of-order execution can overlap two of them. A miss needs at least one
// such load (the home groups of all its suffixes are fetched together, so theirs overlap);
// a hit needs two in a row (the slot group, then the record whose text it compares).
void BM_MemoryLatency(benchmark::State& state) {
  const Fixture& f = fixture(static_cast<std::size_t>(state.range(0)));
  constexpr std::size_t kWordsPerLine = 64 / sizeof(std::uint64_t);
  const std::size_t lines = std::max<std::size_t>(f.snapshot->image_bytes() / 64, 2);
  std::vector<std::uint64_t> order(lines);
  for (std::size_t i = 0; i < lines; ++i)
    order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937_64(7));
  std::vector<std::uint64_t> chain(lines * kWordsPerLine);
  for (std::size_t i = 0; i < lines; ++i)
    chain[order[i] * kWordsPerLine] = order[(i + 1) % lines] * kWordsPerLine;
  std::uint64_t at = order[0] * kWordsPerLine;
  for (auto _ : state) {
    at = chain[at];
    benchmark::DoNotOptimize(at);
  }
  state.counters["buffer_mb"] = static_cast<double>(chain.size() * sizeof(std::uint64_t)) / 1e6;
}

enum class UrlCase { hit, miss, miss_listed_host };

void BM_Url(benchmark::State& state, UrlCase which) {
  const Fixture& f = fixture(static_cast<std::size_t>(state.range(0)));
  const auto& queries = which == UrlCase::hit    ? f.url_hits
                        : which == UrlCase::miss ? f.url_misses
                                                 : f.url_misses_listed;
  run_lookups(state, queries, which == UrlCase::hit, snapshot_bytes_per_entry(f),
              [&](const Url& url) {
                auto result = f.snapshot->lookup_url(url.host, url.path);
                benchmark::DoNotOptimize(result);
                return result.blocked();
              });
}

constexpr std::size_t kBuildDomains = 1'000'000;

const Rules& build_rules() {
  static const Rules rules = random_rules(kBuildDomains, 43);
  return rules;
}

// build_image alone: adding the rules is not timed (manual time), but reported.
void BM_BuildImage(benchmark::State& state) {
  const Rules& rules = build_rules();
  using Clock = std::chrono::steady_clock;
  double add_seconds = 0;
  std::size_t bytes = 0;
  for (auto _ : state) {
    bl::SnapshotBuilder builder;
    auto t0 = Clock::now();
    add_rules(builder, rules);
    auto t1 = Clock::now();
    auto image = builder.build_image(0, 0x5eed);
    auto t2 = Clock::now();
    benchmark::DoNotOptimize(image.data());
    bytes = image.size();
    add_seconds += std::chrono::duration<double>(t1 - t0).count();
    state.SetIterationTime(std::chrono::duration<double>(t2 - t1).count());
  }
  state.counters["add_ms"] = 1000 * add_seconds / static_cast<double>(state.iterations());
  state.counters["image_MB"] = static_cast<double>(bytes) / 1e6;
  state.counters["rules"] = static_cast<double>(rules.domains.size() + rules.urls.size());
}

// The image of build_rules() in a 64-byte-aligned buffer, as a mapped file would be.
struct Image {
  std::shared_ptr<const void> owner;
  const std::uint8_t* data = nullptr;
  std::size_t size = 0;
};

const Image& build_image() {
  static const Image image = [] {
    bl::SnapshotBuilder builder;
    add_rules(builder, build_rules());
    std::vector<std::uint8_t> bytes = builder.build_image(0, 0x5eed);
    std::size_t rounded = (bytes.size() + 63) / 64 * 64;
    auto* raw = static_cast<std::uint8_t*>(std::aligned_alloc(64, rounded));
    std::memcpy(raw, bytes.data(), bytes.size());
    return Image{
        std::shared_ptr<const void>(raw, [](const void* p) { std::free(const_cast<void*>(p)); }),
        raw, bytes.size()};
  }();
  return image;
}

void BM_Open(benchmark::State& state) {
  const Image& image = build_image();
  std::string error;
  for (auto _ : state) {
    auto snapshot = bl::Snapshot::open(image.owner, image.data, image.size, error);
    if (!snapshot) state.SkipWithError(error.c_str());
    benchmark::DoNotOptimize(snapshot);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(image.size));
  state.counters["image_MB"] = static_cast<double>(image.size) / 1e6;
}

void BM_Checksum(benchmark::State& state) {
  const Image& image = build_image();
  for (auto _ : state) {
    auto sum = bl::format::checksum(image.data + bl::format::kHeaderBytes,
                                    image.size - bl::format::kHeaderBytes);
    benchmark::DoNotOptimize(sum);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(image.size));
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::int64_t> sizes = {10'000, 100'000, 1'000'000};
  if (const char* env = std::getenv("SHELTER_BENCH_10M"); env != nullptr && env[0] == '1')
    sizes.push_back(10'000'000);
  for (std::int64_t n : sizes) {
    benchmark::RegisterBenchmark("lookup_hit/snapshot", BM_Snapshot, true)->Arg(n);
    benchmark::RegisterBenchmark("lookup_hit/naive", BM_Naive, true)->Arg(n);
    benchmark::RegisterBenchmark("lookup_miss/snapshot", BM_Snapshot, false)->Arg(n);
    benchmark::RegisterBenchmark("lookup_miss/naive", BM_Naive, false)->Arg(n);
    benchmark::RegisterBenchmark("url_hit", BM_Url, UrlCase::hit)->Arg(n);
    benchmark::RegisterBenchmark("url_miss", BM_Url, UrlCase::miss)->Arg(n);
    benchmark::RegisterBenchmark("url_miss_listed_host", BM_Url, UrlCase::miss_listed_host)->Arg(n);
    benchmark::RegisterBenchmark("memory_latency/image_size", BM_MemoryLatency)->Arg(n);
  }
  benchmark::RegisterBenchmark("build_image/1M+100k", BM_BuildImage)
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("open/1M+100k", BM_Open)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("checksum/1M+100k", BM_Checksum)->Unit(benchmark::kMillisecond);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
