#include "policy/posix_tz_rule.h"

#include "blocklist/parse_util.h"
#include "policy/civil_time.h"

namespace shelter::policy {
namespace {

using blocklist::parse::is_digit;
using blocklist::parse::quote;

// POSIX allows offsets up to 24:59:59; RFC 8536 section 3.3.1 lets transition times run from
// -167 to +167 hours so that rules such as "the Saturday before the last Sunday" fit.
constexpr int kMaxOffsetHours = 24;
constexpr int kMaxTimeHours = 167;
constexpr std::size_t kMaxNameLength = 64;

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}

  bool done() const { return pos_ == text_.size(); }
  char peek() const { return done() ? '\0' : text_[pos_]; }
  bool eat(char c) {
    if (done() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  std::size_t pos() const { return pos_; }
  std::string_view from(std::size_t start) const { return text_.substr(start, pos_ - start); }
  std::string_view rest() const { return text_.substr(pos_); }
  // From `start` up to the next ',' (or the end): the component an error message names.
  std::string_view component(std::size_t start) const {
    return text_.substr(start, text_.find(',', start) - start);
  }

  // One to nine decimal digits.
  std::optional<int> number() {
    const std::size_t start = pos_;
    int value = 0;
    while (!done() && is_digit(text_[pos_]) && pos_ - start < 9) {
      value = value * 10 + (text_[pos_++] - '0');
    }
    if (pos_ == start || (!done() && is_digit(text_[pos_]))) return std::nullopt;
    return value;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

// A zone abbreviation: three or more letters, or <...> with letters, digits, '+' and '-'.
bool read_name(Cursor& c, std::string& error) {
  const std::size_t start = c.pos();
  if (c.eat('<')) {
    while (!c.done() && c.peek() != '>') {
      const char ch = c.peek();
      if (!is_alpha(ch) && !is_digit(ch) && ch != '+' && ch != '-') {
        error = "bad character in zone name at " + quote(c.rest());
        return false;
      }
      c.eat(ch);
    }
    if (!c.eat('>')) {
      error = "unterminated '<' in zone name " + quote(c.from(start));
      return false;
    }
  } else {
    while (is_alpha(c.peek()))
      c.eat(c.peek());
  }
  const std::size_t length = c.pos() - start - (c.from(start).starts_with('<') ? 2 : 0);
  if (length == 0) {
    error = "expected a zone name at " + quote(c.rest());
  } else if (length < 3) {
    error = "zone name " + quote(c.from(start)) + " is shorter than 3 characters";
  } else if (length > kMaxNameLength) {
    error = "zone name " + quote(c.from(start)) + " is too long";
  } else {
    return true;
  }
  return false;
}

// [+-]hh[:mm[:ss]] with hh up to `max_hours`: seconds, with the sign as written.
std::optional<std::int32_t> read_hms(Cursor& c, int max_hours) {
  const bool negative = c.eat('-');
  if (!negative) c.eat('+');
  const auto hours = c.number();
  if (!hours || *hours > max_hours) return std::nullopt;
  int minutes = 0;
  int seconds = 0;
  if (c.eat(':')) {
    const auto m = c.number();
    if (!m || *m > 59) return std::nullopt;
    minutes = *m;
    if (c.eat(':')) {
      const auto s = c.number();
      if (!s || *s > 59) return std::nullopt;
      seconds = *s;
    }
  }
  const std::int32_t total = *hours * 3600 + minutes * 60 + seconds;
  return negative ? -total : total;
}

// A POSIX offset, which counts hours *west* of UTC; returned as seconds east.
std::optional<std::int32_t> read_offset(Cursor& c, std::string& error) {
  const std::size_t start = c.pos();
  if (!is_digit(c.peek()) && c.peek() != '+' && c.peek() != '-') {
    error = c.done() ? "missing UTC offset" : "missing UTC offset at " + quote(c.rest());
    return std::nullopt;
  }
  const auto west = read_hms(c, kMaxOffsetHours);
  if (!west) {
    error = "bad UTC offset " + quote(c.component(start));
    return std::nullopt;
  }
  return -*west;
}

// Jn, n or Mm.w.d, then an optional /time.
std::optional<PosixTzRule::Date> read_date(Cursor& c, std::string& error) {
  using Kind = PosixTzRule::Date::Kind;
  const std::size_t start = c.pos();
  auto fail = [&](const char* what) {
    error = std::string(what) + " in " + quote(c.component(start));
    return std::nullopt;
  };
  PosixTzRule::Date date;
  if (c.eat('J')) {
    const auto n = c.number();
    if (!n || *n < 1 || *n > 365) return fail("bad day");
    date.kind = Kind::julian;
    date.day = static_cast<std::uint16_t>(*n);
  } else if (c.eat('M')) {
    const auto month = c.number();
    if (!month || *month < 1 || *month > 12) return fail("bad month");
    if (!c.eat('.')) return fail("bad date");
    const auto week = c.number();
    if (!week || *week < 1 || *week > 5) return fail("bad week");
    if (!c.eat('.')) return fail("bad date");
    const auto weekday = c.number();
    if (!weekday || *weekday > 6) return fail("bad weekday");
    date.kind = Kind::month_week_day;
    date.month = static_cast<std::uint8_t>(*month);
    date.week = static_cast<std::uint8_t>(*week);
    date.day = static_cast<std::uint16_t>(*weekday);
  } else if (is_digit(c.peek())) {
    const auto n = c.number();
    if (!n || *n > 365) return fail("bad day");
    date.kind = Kind::zero_based;
    date.day = static_cast<std::uint16_t>(*n);
  } else {
    return fail("bad date");
  }
  if (c.eat('/')) {
    const auto time = read_hms(c, kMaxTimeHours);
    if (!time) return fail("bad time");
    date.time = *time;
  }
  return date;
}

}  // namespace

std::int64_t PosixTzRule::transition_utc(const Date& date, std::int64_t year, std::int32_t offset) {
  std::int64_t day = 0;
  switch (date.kind) {
    case Date::Kind::julian:
      // J60 is March 1 in every year: February 29 is skipped.
      day = days_from_civil(year, 1, 1) + date.day - 1 + (is_leap_year(year) && date.day >= 60);
      break;
    case Date::Kind::zero_based:
      day = days_from_civil(year, 1, 1) + date.day;
      break;
    case Date::Kind::month_week_day: {
      const std::int64_t first = days_from_civil(year, date.month, 1);
      const unsigned first_weekday = (weekday_from_days(first) + 1) % 7;  // 0 = Sunday
      unsigned day_of_month = (date.day + 7 - first_weekday) % 7 + 7 * (date.week - 1u);
      while (day_of_month >= days_in_month(year, date.month))
        day_of_month -= 7;  // week 5: last
      day = first + day_of_month;
      break;
    }
  }
  return day * kSecondsPerDay + date.time - offset;
}

std::optional<PosixTzRule> parse_posix_tz_rule(std::string_view text, std::string& error) {
  if (text.empty()) {
    error = "empty";
    return std::nullopt;
  }
  Cursor c(text);
  PosixTzRule rule;
  if (!read_name(c, error)) return std::nullopt;
  const auto std_offset = read_offset(c, error);
  if (!std_offset) return std::nullopt;
  rule.std_offset = *std_offset;
  if (c.done()) return rule;

  if (!read_name(c, error)) return std::nullopt;
  rule.has_dst = true;
  rule.dst_offset = rule.std_offset + 3600;  // POSIX: one hour ahead unless written
  if (!c.done() && c.peek() != ',') {
    const auto dst_offset = read_offset(c, error);
    if (!dst_offset) return std::nullopt;
    rule.dst_offset = *dst_offset;
  }
  if (c.done()) {
    error = "daylight time without transition dates";
    return std::nullopt;
  }
  if (!c.eat(',')) {
    error = "unexpected " + quote(c.rest());
    return std::nullopt;
  }
  const auto start = read_date(c, error);
  if (!start) return std::nullopt;
  if (!c.eat(',')) {
    error = c.done() ? "missing end date" : "unexpected " + quote(c.rest());
    return std::nullopt;
  }
  const auto end = read_date(c, error);
  if (!end) return std::nullopt;
  if (!c.done()) {
    error = "unexpected " + quote(c.rest());
    return std::nullopt;
  }
  rule.start = *start;
  rule.end = *end;
  return rule;
}

}  // namespace shelter::policy
