// What household activity adds to a DNS worker's query: ActivityAccumulator::blocked (an
// uncontended lock and one hash lookup with a reused key) for one active household and for
// 10,000, and new_device; and the control thread's take() of a minute's worth.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "proxy/profiles/household_activity.h"

namespace {

namespace profiles = shelter::proxy::profiles;

std::vector<std::string> households(std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i)
    out.push_back("household-" + std::to_string(i));
  return out;
}

void blocked(benchmark::State& state) {
  const std::vector<std::string> ids = households(static_cast<std::size_t>(state.range(0)));
  profiles::ActivityAccumulator a;
  std::size_t i = 0;
  for (auto _ : state) {
    a.blocked(ids[i], i % 7);
    i = i + 1 == ids.size() ? 0 : i + 1;
  }
  benchmark::DoNotOptimize(a.dropped());
}
BENCHMARK(blocked)->Arg(1)->Arg(10000);

void new_device(benchmark::State& state) {
  profiles::ActivityAccumulator a;
  shelter::policy::MacAddress mac{0x02, 0, 0, 0, 0, 1};
  std::int64_t now = 1'796'601'600;
  for (auto _ : state)
    a.new_device("household-1", mac, ++now);
}
BENCHMARK(new_device);

void take(benchmark::State& state) {
  const std::vector<std::string> ids = households(10000);
  const std::vector<std::string> names = {"adult",  "gambling", "social-media", "games",
                                          "paused", "schedule", "profile-deny"};
  profiles::ActivityAccumulator a;
  for (auto _ : state) {
    state.PauseTiming();
    for (std::size_t i = 0; i < ids.size(); ++i)
      a.blocked(ids[i], i % 7);
    state.ResumeTiming();
    benchmark::DoNotOptimize(a.take(names));
  }
}
BENCHMARK(take)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
