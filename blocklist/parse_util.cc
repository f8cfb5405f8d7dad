#include "blocklist/parse_util.h"

namespace shelter::blocklist::parse {
namespace {
constexpr std::size_t kMaxQuotedBytes = 80;
}  // namespace

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  return s;
}

std::string_view next_token(std::string_view& rest) {
  rest = trim(rest);
  std::size_t end = 0;
  while (end < rest.size() && !is_space(rest[end]))
    ++end;
  std::string_view token = rest.substr(0, end);
  rest = trim(rest.substr(end));
  return token;
}

std::string quote(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "'";
  for (std::size_t i = 0; i < text.size() && i < kMaxQuotedBytes; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c >= 0x7f || c == '\\') {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += text.size() > kMaxQuotedBytes ? "'..." : "'";
  return out;
}

bool is_ipv4(std::string_view s) {
  int parts = 0;
  while (true) {
    std::size_t digits = 0;
    int value = 0;
    // Stops after a fourth digit, which already disqualifies the part (and cannot overflow).
    while (digits < s.size() && digits <= 3 && is_digit(s[digits])) {
      value = value * 10 + (s[digits++] - '0');
    }
    if (digits == 0 || digits > 3 || value > 255) return false;
    s.remove_prefix(digits);
    if (++parts == 4) return s.empty();
    if (s.empty() || s.front() != '.') return false;
    s.remove_prefix(1);
  }
}

bool is_ipv6(std::string_view s) {
  if (auto zone = s.find('%'); zone != std::string_view::npos) {
    if (zone + 1 == s.size()) return false;
    s = s.substr(0, zone);
  }
  if (s.size() < 2 || s.size() > 45) return false;
  int colons = 0;
  for (char c : s) {
    if (c == ':') {
      ++colons;
    } else if (!is_hex(c) && c != '.') {
      return false;
    }
  }
  return colons >= 2;
}

void SummaryBuilder::reject(std::size_t line, std::string message) {
  if (summary_.issues.size() < ParseSummary::kMaxIssues) {
    summary_.issues.push_back({line, std::move(message)});
  }
  ++summary_.rejected;
}

void SummaryBuilder::reject_too_long(std::size_t line) {
  reject(line, "line longer than " + std::to_string(kMaxLineBytes) + " bytes");
}

}  // namespace shelter::blocklist::parse
