#include "policy/schedule.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <limits>

#include "blocklist/parse_util.h"
#include "policy/civil_time.h"

namespace shelter::policy {
namespace {

using blocklist::parse::iequals;
using blocklist::parse::is_digit;

constexpr std::int64_t kNeverChanges = std::numeric_limits<std::int64_t>::max();
constexpr std::uint8_t kAllDays = 0x7f;
constexpr std::int64_t kMinutesPerDay = 1440;
// A window wholly inside a skipped hour does not open that week, so the next edge of a weekly
// window can be two weeks away; 400 days leaves room for any real zone's changes.
constexpr std::int64_t kHorizon = 400 * kSecondsPerDay;

// The window with its edges in seconds of the local day.
struct Window {
  std::uint8_t days = 0;
  std::int64_t start = 0;
  std::int64_t end = 0;
};

bool is_active(const Window& w, std::int64_t local) {
  const std::int64_t day = floor_div(local, kSecondsPerDay);
  const std::int64_t second = local - day * kSecondsPerDay;
  const unsigned weekday = weekday_from_days(day);
  const bool today = (w.days >> weekday) & 1u;
  if (w.start < w.end) return today && second >= w.start && second < w.end;
  // Overnight: after midnight, the window that started yesterday.
  const bool yesterday = (w.days >> ((weekday + 6) % 7)) & 1u;
  return (today && second >= w.start) || (yesterday && second < w.end);
}

// The first instant in [from, to) at which the window is not `active`, given that the offset
// is `offset` throughout: within one offset, the state can change only where the local clock
// reads one of the window's edges.
std::optional<std::int64_t> first_flip(const Window& w, bool active, std::int64_t from,
                                       std::int64_t to, std::int32_t offset) {
  const std::int64_t edges[2] = {std::min(w.start, w.end), std::max(w.start, w.end)};
  for (std::int64_t day = floor_div(from + offset, kSecondsPerDay);; ++day) {
    const std::int64_t midnight = day * kSecondsPerDay - offset;  // UTC of local midnight
    for (const std::int64_t edge : edges) {
      const std::int64_t at = midnight + edge;
      if (at < from) continue;
      if (at >= to) return std::nullopt;
      if (is_active(w, at + offset) != active) return at;
    }
  }
}

// Scans the constant-offset stretches of `zone` from `now` on: in each, the window's edges; at
// each offset change, the change itself (the wall clock jumps, and may jump over an edge).
std::int64_t find_until(const Window& w, const TimeZone& zone, std::int64_t now,
                        std::int32_t offset, bool active) {
  const std::int64_t limit = now + kHorizon;
  std::int64_t stretch_start = now;
  std::int64_t from = now + 1;
  for (;;) {
    const auto change = zone.next_transition_after(stretch_start);
    const std::int64_t stretch_end = change && *change < limit ? *change : limit;
    if (const auto flip = first_flip(w, active, from, stretch_end, offset)) return *flip;
    if (stretch_end == limit) return limit;
    stretch_start = stretch_end;
    offset = zone.offset_at(stretch_start);
    if (is_active(w, stretch_start + offset) != active) return stretch_start;
    from = stretch_start + 1;
  }
}

constexpr std::array<std::string_view, 7> kDayNames = {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};

// A day name, "mon" or "monday": 0 = Monday ... 6 = Sunday.
std::optional<unsigned> day_index(std::string_view word) {
  for (unsigned i = 0; i < kDayNames.size(); ++i) {
    if (iequals(word, kDayNames[i]) || iequals(word, kDayNames[i].substr(0, 3))) return i;
  }
  return std::nullopt;
}

// One item of a day list: a keyword, a day or a range of days; 0 when unknown.
std::uint8_t day_item(std::string_view item) {
  if (iequals(item, "weekdays")) return 0x1f;
  if (iequals(item, "weekends")) return 0x60;
  if (iequals(item, "daily")) return kAllDays;
  const std::size_t dash = item.find('-');
  if (dash == std::string_view::npos) {
    const auto day = day_index(item);
    return day ? static_cast<std::uint8_t>(1u << *day) : 0;
  }
  const auto first = day_index(blocklist::parse::trim(item.substr(0, dash)));
  const auto last = day_index(blocklist::parse::trim(item.substr(dash + 1)));
  if (!first || !last) return 0;
  std::uint8_t days = 0;
  for (unsigned d = *first;; d = (d + 1) % 7) {  // wraps past Sunday: "sun-thu"
    days |= static_cast<std::uint8_t>(1u << d);
    if (d == *last) return days;
  }
}

}  // namespace

WindowTiming window_timing(const ScheduleWindow& window, const TimeZone& zone,
                           std::int64_t now_utc) {
  const Window w{static_cast<std::uint8_t>(window.days & kAllDays),
                 window.start_minute % kMinutesPerDay * 60,
                 window.end_minute % kMinutesPerDay * 60};
  if (w.days == 0) return {false, kNeverChanges};
  if (w.days == kAllDays && w.start == w.end) return {true, kNeverChanges};
  const std::int64_t now = std::clamp(now_utc, kMinTime, kMaxTime);
  const std::int32_t offset = zone.offset_at(now);
  const bool active = is_active(w, now + offset);
  const std::int64_t until = find_until(w, zone, now, offset, active);
  // Only after kMaxTime, where every instant counts as kMaxTime, can `until` be in the past.
  return {active, until > now_utc ? until : kNeverChanges};
}

std::string format_clock_time(std::uint16_t minute) {
  char text[8];
  std::snprintf(text, sizeof text, "%02u:%02u", minute / 60u % 24u, minute % 60u);
  return text;
}

std::string format_days(std::uint8_t days) {
  std::string out;
  for (std::size_t i = 0; i < kDayNames.size(); ++i) {
    if ((days >> i & 1) == 0) continue;
    if (!out.empty()) out += ',';
    out += kDayNames[i].substr(0, 3);
  }
  return out;
}

std::optional<std::uint16_t> parse_clock_time(std::string_view text, std::string& error) {
  const std::size_t colon = text.find(':');
  const bool shape_ok = (colon == 1 || colon == 2) && text.size() == colon + 3 &&
                        std::all_of(text.begin(), text.begin() + colon, is_digit) &&
                        is_digit(text[colon + 1]) && is_digit(text[colon + 2]);
  if (!shape_ok) {
    error = "expected a time such as 21:00 or 7:05";
    return std::nullopt;
  }
  const int hours = colon == 1 ? text[0] - '0' : (text[0] - '0') * 10 + (text[1] - '0');
  const int minutes = (text[colon + 1] - '0') * 10 + (text[colon + 2] - '0');
  if (hours > 23) {
    error = "hours must be 0-23 (midnight is 00:00)";
    return std::nullopt;
  }
  if (minutes > 59) {
    error = "minutes must be 0-59";
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(hours * 60 + minutes);
}

std::optional<std::uint8_t> parse_days(std::string_view text, std::string& error) {
  if (blocklist::parse::trim(text).empty()) {
    error = "no days given";
    return std::nullopt;
  }
  std::uint8_t days = 0;
  for (std::size_t start = 0; start <= text.size();) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view item = blocklist::parse::trim(text.substr(start, comma - start));
    if (item.empty()) {
      error = "empty item in the list of days";
      return std::nullopt;
    }
    const std::uint8_t more = day_item(item);
    if (more == 0) {
      error = "unknown day " + blocklist::parse::quote(item) +
              " (use mon..sun, ranges such as mon-fri, weekdays, weekends or daily)";
      return std::nullopt;
    }
    days |= more;
    start = comma + 1;
  }
  return days;
}

}  // namespace shelter::policy
