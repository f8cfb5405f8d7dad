#pragma once
// Helpers shared by every list parser: line splitting, trimming, quoting untrusted text for
// messages, and the bookkeeping of a ParseSummary. For blocklist/'s parsers and the text
// parsers of policy/ (time-zone rules, schedule days), which depend on blocklist anyway;
// nothing outside those two.

#include <cstddef>
#include <string>
#include <string_view>

#include "blocklist/rule.h"

namespace shelter::blocklist::parse {

/// Lines longer than this are rejected without being looked at.
constexpr std::size_t kMaxLineBytes = 4096;

inline bool is_space(char c) {
  return c == ' ' || c == '\t';
}
inline bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
inline bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/// ASCII lower case; other bytes unchanged.
inline char to_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// Equal but for ASCII case.
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  }
  return true;
}

/// `s` without leading and trailing blanks and tabs.
std::string_view trim(std::string_view s);

/// Splits off the first blank-separated token; `rest` keeps what follows, trimmed.
std::string_view next_token(std::string_view& rest);

/// Quotes untrusted text for a message: at most 80 bytes, control and non-ASCII bytes escaped
/// (`\x1b`) so that a hostile list cannot forge log lines.
std::string quote(std::string_view text);

/// True for a dotted-quad IPv4 address.
bool is_ipv4(std::string_view s);
/// A loose IPv6 check (hex digits, ':' and '.', at least two colons, optional %zone), enough
/// to tell an address column from a name.
bool is_ipv6(std::string_view s);

/// Calls `line(number, text)` for every line of `text` (1-based numbers), after dropping a
/// UTF-8 byte-order mark at the start; LF and CRLF line ends. Lines over kMaxLineBytes are
/// reported to `too_long(number)` instead.
template <typename OnLine, typename OnTooLong>
void for_each_line(std::string_view text, OnLine&& line, OnTooLong&& too_long) {
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (text.starts_with(kBom)) text.remove_prefix(kBom.size());
  std::size_t number = 0;
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    std::string_view current = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (!current.empty() && current.back() == '\r') current.remove_suffix(1);
    ++number;
    if (current.size() > kMaxLineBytes) {
      too_long(number);
    } else {
      line(number, current);
    }
  }
}

/// Runs a line parser over a whole text: `parser` has parse_line(number, line),
/// reject_too_long(number) and finish() -> ParseSummary.
template <typename LineParser>
ParseSummary parse_lines(std::string_view text, LineParser&& parser) {
  for_each_line(
      text, [&](std::size_t n, std::string_view line) { parser.parse_line(n, line); },
      [&](std::size_t n) { parser.reject_too_long(n); });
  return parser.finish();
}

/// Counts into a ParseSummary and forwards taken rules to the sink.
class SummaryBuilder {
 public:
  explicit SummaryBuilder(const RuleSink& sink) : sink_(sink) {}

  void take(const Rule& rule) {
    ++summary_.taken;
    sink_(rule);
  }
  void skip() { ++summary_.skipped; }
  void unsupported() { ++summary_.unsupported; }
  void reject(std::size_t line, std::string message);
  void reject_too_long(std::size_t line);

  ParseSummary finish() { return std::move(summary_); }

 private:
  const RuleSink& sink_;
  ParseSummary summary_;
};

}  // namespace shelter::blocklist::parse
