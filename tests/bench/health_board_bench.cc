// The per-attempt cost that process-wide upstream health adds to forwarding: HealthBoard::record
// from one and two threads at once (workers share the board), for healthy upstreams (a read of
// a shared line, no write) and for a failing one (an atomic increment on a shared line).
// Run: health_board_bench --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include "proxy/upstream/health_board.h"

namespace {

namespace upstream = shelter::proxy::upstream;
namespace net = shelter::proxy::net;

upstream::HealthBoard g_board;
const net::Endpoint kServers[] = {*net::Endpoint::parse("192.0.2.1:53", 53),
                                  *net::Endpoint::parse("192.0.2.2:53", 53),
                                  *net::Endpoint::parse("[2001:db8::3]:53", 53)};

void BM_RecordAnswered(benchmark::State& state) {
  std::size_t i = 0;
  for (auto _ : state)
    g_board.record(kServers[i++ % 3], true);
}

void BM_RecordFailed(benchmark::State& state) {
  for (auto _ : state)
    g_board.record(kServers[2], false);
}

}  // namespace

BENCHMARK(BM_RecordAnswered)->Threads(1)->Threads(2);
BENCHMARK(BM_RecordFailed)->Threads(1)->Threads(2);
BENCHMARK_MAIN();
