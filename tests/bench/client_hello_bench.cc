// The per-connection cost of reading a ClientHello on the SNI proxy: Chromium's 2 KB
// post-quantum hello (tests/unit/tls/data) in one read, in two reads cut where a 1448-byte TCP
// segment ends, in two TLS records (as some clients send it), and with a reader reused through
// reset() (which keeps its buffer). Counts heap allocations per hello.
// Run: client_hello_bench --benchmark_repetitions=3 --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <new>
#include <string>
#include <string_view>

#include "proxy/tls/client_hello.h"

namespace tls = shelter::proxy::tls;

namespace {

std::atomic<std::size_t> g_allocations{0};

std::string read_hello() {
  std::ifstream in(SHELTER_SOURCE_DIR "/tests/unit/tls/data/chromium_hello.bin", std::ios::binary);
  std::string wire{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (wire.size() < 1500) std::abort();
  return wire;
}

const std::string& hello() {
  static const std::string wire = read_hello();
  return wire;
}

// The same handshake message in two records, cut at 1024 bytes.
const std::string& two_records() {
  static const std::string wire = [] {
    const std::string_view message = std::string_view(hello()).substr(5);
    const auto header = [](std::size_t n) {
      return std::string{22, 3, 1, static_cast<char>(n >> 8), static_cast<char>(n & 0xff)};
    };
    return header(1024) + std::string(message.substr(0, 1024)) + header(message.size() - 1024) +
           std::string(message.substr(1024));
  }();
  return wire;
}

void report(benchmark::State& state, std::size_t allocations) {
  state.counters["allocs/hello"] =
      benchmark::Counter(static_cast<double>(allocations), benchmark::Counter::kAvgIterations);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * hello().size()));
}

void BM_OneRead(benchmark::State& state) {
  const std::string& wire = hello();
  const std::size_t before = g_allocations.load();
  for (auto _ : state) {
    tls::ClientHelloReader reader;
    if (reader.feed(wire) != tls::HelloStatus::complete) std::abort();
    benchmark::DoNotOptimize(reader.hello().server_name.data());
  }
  report(state, g_allocations.load() - before);
}

void BM_TwoReads(benchmark::State& state) {
  const std::string_view wire = hello();
  const std::size_t before = g_allocations.load();
  for (auto _ : state) {
    tls::ClientHelloReader reader;
    reader.feed(wire.substr(0, 1448));
    if (reader.feed(wire.substr(1448)) != tls::HelloStatus::complete) std::abort();
    benchmark::DoNotOptimize(reader.hello().server_name.data());
  }
  report(state, g_allocations.load() - before);
}

void BM_TwoRecords(benchmark::State& state) {
  const std::string& wire = two_records();
  const std::size_t before = g_allocations.load();
  for (auto _ : state) {
    tls::ClientHelloReader reader;
    if (reader.feed(wire) != tls::HelloStatus::complete) std::abort();
    benchmark::DoNotOptimize(reader.hello().server_name.data());
  }
  report(state, g_allocations.load() - before);
}

void BM_OneReadReused(benchmark::State& state) {
  const std::string& wire = hello();
  tls::ClientHelloReader reader;
  const std::size_t before = g_allocations.load();
  for (auto _ : state) {
    reader.reset();
    if (reader.feed(wire) != tls::HelloStatus::complete) std::abort();
    benchmark::DoNotOptimize(reader.hello().server_name.data());
  }
  report(state, g_allocations.load() - before);
}

}  // namespace

// Counts every allocation of the process; the benchmark loop is the only one running. GCC 12
// takes a replaced operator delete calling free for a mismatch (the pair is malloc/free).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

BENCHMARK(BM_OneRead);
BENCHMARK(BM_TwoReads);
BENCHMARK(BM_TwoRecords);
BENCHMARK(BM_OneReadReused);
BENCHMARK_MAIN();
