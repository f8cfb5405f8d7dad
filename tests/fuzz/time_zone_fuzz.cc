// Feeds arbitrary bytes to TimeZone::from_tzif and, as text, to TimeZone::from_posix; when a
// zone comes out, queries it at instants derived from the input and checks the invariants that
// schedules rely on, aborting when one fails:
// - a failure always says why, in one line;
// - next_transition_after(t) is after t, and the offset really changes there and nowhere
//   between t and it (probed);
// - offsets stay within +-26 hours;
// - window_timing's `until` is after `now` and the state really flips there.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <string_view>

#include "policy/civil_time.h"
#include "policy/schedule.h"
#include "policy/time_zone.h"

namespace policy = shelter::policy;

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

// Little-endian words of the input, cycling, for instants and windows.
struct Words {
  std::span<const std::uint8_t> bytes;
  std::size_t pos = 0;
  std::uint64_t next() {
    std::uint64_t v = 0;
    if (bytes.empty()) return v;
    for (int i = 0; i < 8; ++i)
      v |= std::uint64_t{bytes[pos++ % bytes.size()]} << (8 * i);
    return v;
  }
};

// Whether the window is active at t, as schedule.h defines it.
bool is_active(const policy::ScheduleWindow& w, const policy::TimeZone& zone, std::int64_t t) {
  const std::int64_t local = t + zone.offset_at(t);
  const std::int64_t day = policy::floor_div(local, policy::kSecondsPerDay);
  const std::int64_t second = local - day * policy::kSecondsPerDay;
  const unsigned weekday = policy::weekday_from_days(day);
  const bool today = (w.days >> weekday) & 1;
  const bool yesterday = (w.days >> ((weekday + 6) % 7)) & 1;
  const std::int64_t start = w.start_minute * 60;
  const std::int64_t end = w.end_minute * 60;
  if (start < end) return today && second >= start && second < end;
  return (today && second >= start) || (yesterday && second < end);
}

void check_transitions(const policy::TimeZone& zone, std::int64_t t) {
  const std::int32_t offset = zone.offset_at(t);
  require(offset >= -26 * 3600 && offset <= 26 * 3600);
  const auto next = zone.next_transition_after(t);
  if (!next) return;
  require(*next > t);
  require(zone.offset_at(*next) != zone.offset_at(*next - 1));
  require(zone.offset_at(*next - 1) == offset);
  // In unsigned arithmetic: from INT64_MIN, the gap does not fit an int64_t.
  const std::uint64_t gap = static_cast<std::uint64_t>(*next) - static_cast<std::uint64_t>(t);
  for (std::uint64_t i = 1; i < 8; ++i) {
    const auto probe = static_cast<std::int64_t>(static_cast<std::uint64_t>(t) + gap / 8 * i);
    require(zone.offset_at(probe) == offset);
  }
}

void check_window(const policy::TimeZone& zone, policy::ScheduleWindow w, std::int64_t now) {
  w.days &= 0x7f;
  w.start_minute %= 1440;
  w.end_minute %= 1440;
  const auto timing = policy::window_timing(w, zone, now);
  if (now < policy::kMinTime || now > policy::kMaxTime) return;  // clamped: not the definition
  require(timing.active == is_active(w, zone, now));
  if (timing.until == std::numeric_limits<std::int64_t>::max()) return;
  require(timing.until > now);
  if (timing.until - now >= 400 * policy::kSecondsPerDay) return;  // the search's horizon
  require(is_active(w, zone, timing.until) != timing.active);
  require(is_active(w, zone, timing.until - 1) == timing.active);
  for (int i = 1; i < 8; ++i) {
    require(is_active(w, zone, now + (timing.until - now) / 8 * i) == timing.active);
  }
}

void exercise(const policy::TimeZone& zone, std::span<const std::uint8_t> bytes) {
  Words words{bytes};
  // Instants near today, near the ends of the 400-year cycle, and anywhere at all.
  const std::int64_t instants[] = {
      policy::seconds_from_civil(2026, 1, 1) +
          static_cast<std::int64_t>(words.next() % (400ull * 366 * 86400)) - 200ll * 366 * 86400,
      static_cast<std::int64_t>(words.next()),
      static_cast<std::int64_t>(words.next() >> 20) - (std::int64_t{1} << 43),
      policy::kMaxTime - static_cast<std::int64_t>(words.next() % 100'000'000),
      std::numeric_limits<std::int64_t>::min(),
      std::numeric_limits<std::int64_t>::max(),
  };
  for (const std::int64_t t : instants) {
    check_transitions(zone, t);
    const std::uint64_t w = words.next();
    check_window(zone,
                 {static_cast<std::uint8_t>(w), static_cast<std::uint16_t>(w >> 8),
                  static_cast<std::uint16_t>(w >> 24)},
                 t);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  std::string error;
  if (const auto zone = policy::TimeZone::from_tzif(bytes, error)) {
    exercise(*zone, bytes);
  } else {
    require(error.starts_with("TZif") && error.find('\n') == std::string::npos);
  }

  if (size <= 256) {
    error.clear();
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (const auto zone = policy::TimeZone::from_posix(text, error)) {
      exercise(*zone, bytes);
    } else {
      require(error.starts_with("TZ rule: ") && error.find('\n') == std::string::npos);
    }
  }
  return 0;
}
