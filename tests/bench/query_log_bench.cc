// The query log's cost per record: what a worker pays (Buffer::push) and what the control
// thread pays per line (pseudonym, format), and a whole flush of 10,000 records written to a
// file (docs/BENCHMARKS.md, section 14).

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "proxy/querylog/buffer.h"
#include "proxy/querylog/query_log.h"

namespace {

using namespace shelter::proxy::querylog;

const std::string kSubject("4\x64\x40\x00\x07", 5);
constexpr std::int64_t kNow = 1'796'601'600;

void BM_Push(benchmark::State& state) {
  Buffer buffer(64 << 20);
  std::size_t n = 0;
  for (auto _ : state) {
    buffer.push({.time = kNow, .qtype = 1}, kSubject, "www.example-news.test");
    if (++n == 1'000'000) {  // taken now and then, as the writer would
      state.PauseTiming();
      buffer.take();
      n = 0;
      state.ResumeTiming();
    }
  }
}
BENCHMARK(BM_Push);

void BM_Pseudonym(benchmark::State& state) {
  Key key{};
  key.fill(7);
  for (auto _ : state)
    benchmark::DoNotOptimize(pseudonym(key, kSubject));
}
BENCHMARK(BM_Pseudonym);

void BM_FormatLine(benchmark::State& state) {
  Record r;
  r.head = {.time = kNow, .qtype = 1};
  r.subject = kSubject;
  r.name = "www.example-news.test";
  for (auto _ : state)
    benchmark::DoNotOptimize(format_line(r, "0123456789abcdef", nullptr));
}
BENCHMARK(BM_FormatLine);

// 10,000 records of 100 subscribers: take, hash (cached per period), format, append to a file.
void BM_Flush10k(benchmark::State& state) {
  std::string dir = (std::filesystem::temp_directory_path() / "shelter-qlog-bench-XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) return state.SkipWithError("mkdtemp");
  Writer writer({.directory = dir, .rotation_seconds = 86'400, .retention_seconds = 86'400});
  Buffer buffer(4 << 20);
  for (auto _ : state) {
    state.PauseTiming();
    for (int i = 0; i < 10'000; ++i) {
      std::string subject = kSubject;
      subject[4] = static_cast<char>(i % 100);
      buffer.push({.time = kNow + i / 5'000, .qtype = 1}, subject, "www.example-news.test");
    }
    state.ResumeTiming();
    writer.write(buffer.take(), {}, kNow + 1);
  }
  state.SetItemsProcessed(state.iterations() * 10'000);
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_Flush10k)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
