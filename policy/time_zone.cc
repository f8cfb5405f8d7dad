#include "policy/time_zone.h"

#include <algorithm>

#include "policy/civil_time.h"
#include "policy/posix_tz_rule.h"
#include "policy/tzif.h"

namespace shelter::policy {
namespace {

// 400 Gregorian years: 146097 days, a whole number of weeks, so a POSIX rule's transitions
// repeat with exactly this period.
constexpr std::int64_t kCycleSeconds = 146097 * kSecondsPerDay;
constexpr std::int64_t kCycleFirstYear = 1970;

template <typename Changes>
auto first_after(const Changes& changes, std::int64_t t) {
  return std::upper_bound(changes.begin(), changes.end(), t,
                          [](std::int64_t value, const auto& c) { return value < c.at; });
}

}  // namespace

TimeZone TimeZone::utc() {
  return TimeZone();
}

std::optional<TimeZone> TimeZone::from_posix(std::string_view rule, std::string& error) {
  std::string why;
  const auto parsed = parse_posix_tz_rule(rule, why);
  if (!parsed) {
    error = "TZ rule: " + why;
    return std::nullopt;
  }
  TimeZone zone;
  zone.set_rule(*parsed);
  zone.rule_from_ = std::numeric_limits<std::int64_t>::min();
  return zone;
}

std::optional<TimeZone> TimeZone::from_tzif(std::span<const std::uint8_t> bytes,
                                            std::string& error) {
  const auto contents = parse_tzif(bytes, error);
  if (!contents) return std::nullopt;
  TimeZone zone;
  const auto& transitions = contents->transitions;
  if (!contents->footer.empty()) {
    std::string why;
    const auto rule = parse_posix_tz_rule(contents->footer, why);
    if (!rule) {
      error = "TZif footer: " + why;
      return std::nullopt;
    }
    zone.set_rule(*rule);
    zone.rule_from_ =
        transitions.empty() ? std::numeric_limits<std::int64_t>::min() : transitions.back().at;
  }
  zone.initial_offset_ = contents->type_offsets[0];
  std::int32_t current = zone.initial_offset_;
  for (const auto& t : transitions) {
    if (zone.has_rule_ && t.at >= zone.rule_from_) break;
    const std::int32_t offset = contents->type_offsets[t.type];
    // Changes of abbreviation or DST flag alone do not move the wall clock: not kept.
    if (offset == current) continue;
    zone.changes_.push_back({t.at, offset});
    current = offset;
  }
  return zone;
}

// Works out one 400-year cycle of the rule's offset changes the way tzcode's tzparse does:
// each year, start and end in their order, none in a year that is daylight time throughout;
// no transitions in any year means daylight time forever.
void TimeZone::set_rule(const PosixTzRule& rule) {
  has_rule_ = true;
  cycle_.clear();
  cycle_start_offset_ = rule.std_offset;
  if (!rule.has_dst) return;

  struct Event {
    std::int64_t at;
    bool dst;
  };
  std::vector<Event> events;
  // Transitions can stray about 9 days from their year (times up to 167 h, day 365 of a
  // common year); the 400 years before the cycle tell which offset is in force when it starts.
  for (std::int64_t year = kCycleFirstYear - 401; year <= kCycleFirstYear + 401; ++year) {
    const std::int64_t start = PosixTzRule::transition_utc(rule.start, year, rule.std_offset);
    const std::int64_t end = PosixTzRule::transition_utc(rule.end, year, rule.dst_offset);
    const std::int64_t year_seconds = (is_leap_year(year) ? 366 : 365) * kSecondsPerDay;
    if (end < start) {
      events.push_back({end, false});
      events.push_back({start, true});
    } else if (start < end && end - start < year_seconds) {
      events.push_back({start, true});
      events.push_back({end, false});
    }
  }
  if (events.empty()) {
    cycle_start_offset_ = rule.dst_offset;
    return;
  }
  // Stable: of several transitions at one instant, the last generated wins, as in tzcode.
  std::stable_sort(events.begin(), events.end(),
                   [](const Event& a, const Event& b) { return a.at < b.at; });
  std::int32_t current = rule.std_offset;
  bool started = false;
  for (std::size_t i = 0; i < events.size();) {
    const std::int64_t at = events[i].at;
    while (i < events.size() && events[i].at == at)
      ++i;
    const std::int32_t offset = events[i - 1].dst ? rule.dst_offset : rule.std_offset;
    if (at >= kCycleSeconds) break;
    if (at >= 0 && !started) {
      cycle_start_offset_ = current;
      started = true;
    }
    if (at >= 0 && offset != current) cycle_.push_back({at, offset});
    current = offset;
  }
  if (!started) cycle_start_offset_ = current;
}

std::int32_t TimeZone::table_offset(std::int64_t utc) const {
  const auto it = first_after(changes_, utc);
  return it == changes_.begin() ? initial_offset_ : std::prev(it)->offset;
}

std::int32_t TimeZone::rule_offset(std::int64_t utc) const {
  const std::int64_t r = floor_mod(std::clamp(utc, kMinTime, kMaxTime), kCycleSeconds);
  const auto it = first_after(cycle_, r);
  return it == cycle_.begin() ? cycle_start_offset_ : std::prev(it)->offset;
}

std::optional<std::int64_t> TimeZone::rule_next(std::int64_t utc) const {
  if (cycle_.empty() || utc >= kMaxTime) return std::nullopt;
  const std::int64_t t = std::max(utc, kMinTime);
  const std::int64_t r = floor_mod(t, kCycleSeconds);
  const auto it = first_after(cycle_, r);
  const std::int64_t next =
      t - r + (it != cycle_.end() ? it->at : kCycleSeconds + cycle_.front().at);
  if (next > kMaxTime) return std::nullopt;
  return next;
}

std::int32_t TimeZone::offset_at(std::int64_t utc) const {
  if (has_rule_ && utc >= rule_from_) return rule_offset(utc);
  return table_offset(utc);
}

std::optional<std::int64_t> TimeZone::next_transition_after(std::int64_t utc) const {
  if (!has_rule_ || utc < rule_from_) {
    const auto it = first_after(changes_, utc);
    if (it != changes_.end()) return it->at;
    if (!has_rule_) return std::nullopt;
    // The hand-over from the table to the rule may itself change the offset.
    const std::int32_t before = changes_.empty() ? initial_offset_ : changes_.back().offset;
    if (rule_offset(rule_from_) != before) return rule_from_;
    utc = rule_from_;
  }
  return rule_next(utc);
}

}  // namespace shelter::policy
