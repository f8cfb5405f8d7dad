// Micro-benchmarks of schedule windows, which the DNS path evaluates per query for households
// that have schedules:
// - window_timing for bedtime on school nights (sun-thu 21:00-07:00) at random instants of
//   2026, in London read from tzdata (its transition table) and from its POSIX rule (the
//   400-year cycle that also serves every instant after a TZif file's last transition), and in
//   Sydney; plus the slowest common case, a Friday morning (the next edge is on Sunday);
// - TimeZone::offset_at and next_transition_after alone;
// - TimeZone::from_posix and loading a TZif file (start-up cost, per zone).
// Run: schedule_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "policy/civil_time.h"
#include "policy/schedule.h"
#include "policy/time_zone.h"
#include "proxy/config/time_zone_file.h"

namespace policy = shelter::policy;
using policy::seconds_from_civil;

namespace {

constexpr std::size_t kInstants = 4096;  // a power of two

policy::TimeZone must(std::optional<policy::TimeZone> zone, const std::string& error) {
  if (!zone) {
    std::cerr << "schedule_bench: " << error << "\n";
    std::exit(1);
  }
  return *zone;
}

policy::TimeZone posix_zone(const char* rule) {
  std::string error;
  return must(policy::TimeZone::from_posix(rule, error), error);
}

policy::TimeZone file_zone(const char* name) {
  std::string error;
  return must(shelter::proxy::config::load_time_zone(name, error), error);
}

// Random instants of 2026, the same for every benchmark.
const std::vector<std::int64_t>& instants_2026() {
  static const std::vector<std::int64_t> instants = [] {
    std::mt19937_64 random(2026);
    std::uniform_int_distribution<std::int64_t> any(seconds_from_civil(2026, 1, 1),
                                                    seconds_from_civil(2027, 1, 1) - 1);
    std::vector<std::int64_t> out(kInstants);
    for (auto& t : out)
      t = any(random);
    return out;
  }();
  return instants;
}

// Fridays 06:00-12:00 UTC: in London, after Thursday's window, with Sunday 21:00 next.
const std::vector<std::int64_t>& friday_mornings() {
  static const std::vector<std::int64_t> instants = [] {
    std::mt19937_64 random(5);
    std::uniform_int_distribution<int> week(0, 51);
    std::uniform_int_distribution<int> second(7 * 3600, 12 * 3600);
    std::vector<std::int64_t> out(kInstants);
    for (auto& t : out)
      t = seconds_from_civil(2026, 1, 2) + week(random) * 7 * 86400 + second(random);
    return out;
  }();
  return instants;
}

const policy::ScheduleWindow kSchoolNights{0x4f, 21 * 60, 7 * 60};

void BM_WindowTiming(benchmark::State& state, const policy::TimeZone& zone,
                     const std::vector<std::int64_t>& instants) {
  std::size_t i = 0;
  std::size_t active = 0;
  for (auto _ : state) {
    const auto timing = policy::window_timing(kSchoolNights, zone, instants[i++ % kInstants]);
    active += timing.active;
    benchmark::DoNotOptimize(timing);
  }
  state.counters["active_share"] =
      static_cast<double>(active) / static_cast<double>(state.iterations());
}

void BM_OffsetAt(benchmark::State& state, const policy::TimeZone& zone) {
  const auto& instants = instants_2026();
  std::size_t i = 0;
  for (auto _ : state)
    benchmark::DoNotOptimize(zone.offset_at(instants[i++ % kInstants]));
}

void BM_NextTransition(benchmark::State& state, const policy::TimeZone& zone) {
  const auto& instants = instants_2026();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(zone.next_transition_after(instants[i++ % kInstants]));
  }
}

void BM_FromPosix(benchmark::State& state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(posix_zone("GMT0BST,M3.5.0/1,M10.5.0"));
}

void BM_LoadFile(benchmark::State& state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(file_zone("Europe/London"));
}

}  // namespace

int main(int argc, char** argv) {
  static const policy::TimeZone london_file = file_zone("Europe/London");
  static const policy::TimeZone london_rule = posix_zone("GMT0BST,M3.5.0/1,M10.5.0");
  static const policy::TimeZone sydney_file = file_zone("Australia/Sydney");
  static const policy::TimeZone utc = policy::TimeZone::utc();
  const auto& any = instants_2026();
  benchmark::RegisterBenchmark("window_timing/london_tzif", BM_WindowTiming, london_file, any);
  benchmark::RegisterBenchmark("window_timing/london_rule", BM_WindowTiming, london_rule, any);
  benchmark::RegisterBenchmark("window_timing/sydney_tzif", BM_WindowTiming, sydney_file, any);
  benchmark::RegisterBenchmark("window_timing/utc", BM_WindowTiming, utc, any);
  benchmark::RegisterBenchmark("window_timing/london_tzif_friday", BM_WindowTiming, london_file,
                               friday_mornings());
  benchmark::RegisterBenchmark("window_timing/london_rule_friday", BM_WindowTiming, london_rule,
                               friday_mornings());
  benchmark::RegisterBenchmark("offset_at/london_tzif", BM_OffsetAt, london_file);
  benchmark::RegisterBenchmark("offset_at/london_rule", BM_OffsetAt, london_rule);
  benchmark::RegisterBenchmark("next_transition_after/london_tzif", BM_NextTransition, london_file);
  benchmark::RegisterBenchmark("next_transition_after/london_rule", BM_NextTransition, london_rule);
  benchmark::RegisterBenchmark("from_posix/london", BM_FromPosix)->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("load_time_zone/Europe/London", BM_LoadFile)
      ->Unit(benchmark::kMicrosecond);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
