// What the fail-safe checks add to reading a list, against what reading it already cost, in
// one run: a domains list of 1M names (about 17 MB).
// - Parse: parse_rules into a sink that only counts (the parsing alone);
// - Load: compile_lists, everything a reload does per list: read the file, sniff, parse, feed
//   the builder, check, fingerprint (the peer for the next two);
// - Sniff, Check, Fingerprint: the checks' own parts;
// - LoadRefused: a list refused (junk) and its last good version (kept in memory) fed instead.
// Run: list_updates_bench --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <string>

#include "blocklist/list_check.h"
#include "blocklist/list_format.h"
#include "proxy/config/loader.h"
#include "proxy/lists/list_loader.h"
#include "proxy/lists/list_source.h"

namespace bl = shelter::blocklist;
namespace lists = shelter::proxy::lists;
namespace config = shelter::proxy::config;

namespace {

constexpr std::size_t kNames = 1'000'000;

const std::string& list_text() {
  static const std::string text = [] {
    std::mt19937_64 rng(11);
    std::string out;
    const char* tlds[] = {"com", "net", "org", "info", "test"};
    for (std::size_t i = 0; i < kNames; ++i) {
      std::string label;
      for (int j = 0, n = 6 + static_cast<int>(rng() % 10); j < n; ++j)
        label += static_cast<char>('a' + rng() % 26);
      out += label + std::to_string(i) + "." + tlds[rng() % 5] + "\n";
    }
    return out;
  }();
  return text;
}

// A configuration with one list file holding list_text(), written once.
const config::Config& one_list_config() {
  static const config::Config cfg = [] {
    const std::string dir = "/tmp/shelter-list-updates-bench";
    std::system(("mkdir -p " + dir).c_str());
    std::ofstream(dir + "/big.txt") << list_text();
    std::ofstream(dir + "/junk.txt") << std::string(4096, '\x01');
    auto parsed = config::parse_config(
        "upstream: {servers: [127.0.0.1:9]}\nlists:\n"
        "  - {id: big, path: " +
            dir + "/big.txt, category: adult}\n",
        "bench");
    return *parsed.config;
  }();
  return cfg;
}

void set_bytes(benchmark::State& state) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * list_text().size()));
}

void BM_Parse(benchmark::State& state) {
  const std::string& text = list_text();
  for (auto _ : state) {
    std::size_t n = 0;
    auto summary = bl::parse_rules(text, bl::ListFormat::domains, [&](const bl::Rule&) { ++n; });
    benchmark::DoNotOptimize(summary.taken + n);
  }
  set_bytes(state);
}

void BM_Load(benchmark::State& state) {
  const config::Config& cfg = one_list_config();
  lists::LastGoodStore store("");
  for (auto _ : state) {
    bl::SnapshotBuilder builder;
    auto result = lists::compile_lists(cfg, builder, {.store = &store, .now_unix = 1});
    benchmark::DoNotOptimize(result.lists->lists.front().result);
  }
  set_bytes(state);
}

void BM_Sniff(benchmark::State& state) {
  const std::string& text = list_text();
  for (auto _ : state)
    benchmark::DoNotOptimize(bl::sniff_text(text));
  set_bytes(state);
}

void BM_Check(benchmark::State& state) {
  bl::ListFacts facts{
      .kind = bl::TextKind::text, .kind_detail = "text", .entries = kNames, .malformed = 3};
  for (auto _ : state)
    benchmark::DoNotOptimize(bl::check_list(facts, kNames, {}, "domains").verdict);
}

void BM_Fingerprint(benchmark::State& state) {
  std::vector<lists::SourcePart> parts(1);
  parts[0].name = "big.txt";
  parts[0].text = list_text();
  for (auto _ : state)
    benchmark::DoNotOptimize(lists::fingerprint_of(parts));
  set_bytes(state);
}

void BM_LoadRefused(benchmark::State& state) {
  config::Config cfg = one_list_config();
  lists::LastGoodStore store("");
  {
    bl::SnapshotBuilder builder;
    auto first = lists::compile_lists(cfg, builder, {.store = &store, .now_unix = 1});
    const lists::ListStatus& s = first.lists->lists.front();
    store.save("big", s.to_keep,
               {.entries = s.entries,
                .accepted_unix = 1,
                .modified_unix = 1,
                .fingerprint = s.to_keep->fingerprint});
  }
  cfg.lists.front().path = "/tmp/shelter-list-updates-bench/junk.txt";
  for (auto _ : state) {
    bl::SnapshotBuilder builder;
    auto result = lists::compile_lists(cfg, builder, {.store = &store, .now_unix = 2});
    if (!result.lists->lists.front().serving_last_good) state.SkipWithError("not refused");
  }
  set_bytes(state);
}

}  // namespace

BENCHMARK(BM_Parse)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Load)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Sniff)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Check)->Unit(benchmark::kNanosecond);
BENCHMARK(BM_Fingerprint)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LoadRefused)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
