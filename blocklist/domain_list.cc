#include "blocklist/domain_list.h"

#include <idn2.h>

#include <algorithm>
#include <array>
#include <cstdint>

namespace shelter::blocklist {
namespace {

constexpr std::size_t kMaxLineBytes = 4096;
constexpr std::size_t kMaxNameBytes = 253;
constexpr std::size_t kMaxLabelBytes = 63;
constexpr std::size_t kMaxQuotedBytes = 80;
constexpr std::string_view kBom = "\xEF\xBB\xBF";

// Names that hosts files map to loopback for the machine's own sake; they are not blocklist
// entries, and blocking "local" or "localhost" would break the clients behind the filter.
constexpr std::array<std::string_view, 15> kHostsSkipNames = {
    "localhost",
    "localhost.localdomain",
    "localhost4",
    "localhost6",
    "localhost4.localdomain4",
    "localhost6.localdomain6",
    "local",
    "broadcasthost",
    "ip6-localhost",
    "ip6-loopback",
    "ip6-localnet",
    "ip6-mcastprefix",
    "ip6-allnodes",
    "ip6-allrouters",
    "ip6-allhosts",
};

bool is_space(char c) {
  return c == ' ' || c == '\t';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  return s;
}

// Splits off the first whitespace-separated token; `rest` keeps what follows, trimmed.
std::string_view next_token(std::string_view& rest) {
  rest = trim(rest);
  std::size_t end = 0;
  while (end < rest.size() && !is_space(rest[end]))
    ++end;
  std::string_view token = rest.substr(0, end);
  rest = trim(rest.substr(end));
  return token;
}

// Quotes untrusted text for a message: at most kMaxQuotedBytes, control and non-ASCII bytes
// escaped so that a hostile list cannot forge log lines.
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

// A loose check, enough to tell an address column from a name: hex digits, ':' and '.' (for
// embedded IPv4), at least two colons, and an optional "%zone" as macOS hosts files carry.
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

bool is_address(std::string_view s) {
  return is_ipv4(s) || is_ipv6(s);
}

bool is_hosts_skip_name(std::string_view normalised) {
  for (std::string_view skip : kHostsSkipNames) {
    if (normalised == skip) return true;
  }
  return false;
}

// An internationalised name as IDNA 2008 A-labels (punycode), with UTS #46 mapping (so case
// and compatibility forms fold as browsers fold them). False when libidn2 rejects the name.
bool idna_to_ascii(std::string_view name, std::string& ascii) {
  if (name.find('\0') != std::string_view::npos) return false;
  std::string input(name);  // libidn2 wants a NUL-terminated string
  char* output = nullptr;
  if (idn2_to_ascii_8z(input.c_str(), &output, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) != IDN2_OK) {
    return false;
  }
  ascii.assign(output);
  idn2_free(output);
  return true;
}

bool has_non_ascii(std::string_view name) {
  return std::any_of(name.begin(), name.end(),
                     [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

// normalise_domain without the allocation: parse_list reuses one buffer for every line.
bool normalise_into(std::string_view name, std::string& out) {
  if (has_non_ascii(name)) {
    std::string ascii;
    // The A-label form is pure ASCII, so this recursion ends at once.
    return idna_to_ascii(name, ascii) && !has_non_ascii(ascii) && normalise_into(ascii, out);
  }
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > kMaxNameBytes) return false;
  out.resize(name.size());
  std::size_t label = 0;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
    } else {
      if (c >= 'A' && c <= 'Z') {
        c = static_cast<char>(c - 'A' + 'a');
      } else if (!((c >= 'a' && c <= 'z') || is_digit(c) || c == '-' || c == '_')) {
        return false;
      }
      if (++label > kMaxLabelBytes) return false;
    }
    out[i] = c;
  }
  return label != 0;
}

class LineParser {
 public:
  LineParser(ListFormat format, const std::function<void(std::string_view)>& add)
      : format_(format), add_(add) {}

  void parse_line(std::size_t number, std::string_view line) {
    if (line.size() > kMaxLineBytes) {
      reject(number, "line longer than " + std::to_string(kMaxLineBytes) + " bytes");
      return;
    }
    if (format_ == ListFormat::domains) {
      parse_domains_line(number, line);
    } else {
      parse_hosts_line(number, line);
    }
  }

  ParseSummary take_summary() { return std::move(summary_); }

 private:
  void parse_domains_line(std::size_t number, std::string_view line) {
    line = trim(line.substr(0, line.find('#')));
    if (line.empty() || line.front() == '!') {
      ++summary_.skipped;
      return;
    }
    std::string_view rest = line;
    std::string_view token = next_token(rest);
    if (!rest.empty() && rest.front() != '!') {
      reject(number, "unexpected text after domain name: " + quote(line));
      return;
    }
    // An entry already covers every subdomain, so "*.example.com" means "example.com".
    std::string_view name = token;
    if (name.starts_with("*.")) name.remove_prefix(2);
    if (!normalise_into(name, buffer_)) {
      reject(number, "invalid domain name " + quote(token));
      return;
    }
    take();
  }

  void parse_hosts_line(std::size_t number, std::string_view line) {
    std::string_view rest = trim(line.substr(0, line.find('#')));
    if (rest.empty()) {
      ++summary_.skipped;
      return;
    }
    std::string_view address = next_token(rest);
    if (!is_address(address)) {
      reject(number, "hosts line has no address: " + quote(address));
      return;
    }
    if (rest.empty()) {
      reject(number, "hosts line has no name after address " + quote(address));
      return;
    }
    std::optional<std::string> first_bad;
    while (!rest.empty()) {
      std::string_view name = next_token(rest);
      bool valid = !is_address(name) && normalise_into(name, buffer_);
      if (valid && !is_hosts_skip_name(buffer_)) {
        take();
      } else if (valid || is_address(name)) {
        ++summary_.skipped;
      } else if (!first_bad) {
        first_bad = "invalid domain name " + quote(name);
      }
    }
    // Good names on the line are kept; the line still counts once as malformed.
    if (first_bad) reject(number, std::move(*first_bad));
  }

  void take() {
    ++summary_.taken;
    add_(buffer_);
  }

  void reject(std::size_t number, std::string message) {
    if (summary_.issues.size() < ParseSummary::kMaxIssues) {
      summary_.issues.push_back({number, std::move(message)});
    }
    ++summary_.rejected;
  }

  ListFormat format_;
  const std::function<void(std::string_view)>& add_;
  ParseSummary summary_;
  std::string buffer_;
};

}  // namespace

std::optional<std::string> normalise_domain(std::string_view name) {
  std::string out;
  if (!normalise_into(name, out)) return std::nullopt;
  return out;
}

std::optional<ListFormat> parse_list_format(std::string_view text) {
  if (text == "domains") return ListFormat::domains;
  if (text == "hosts") return ListFormat::hosts;
  return std::nullopt;
}

ParseSummary parse_list(std::string_view text, ListFormat format,
                        const std::function<void(std::string_view domain)>& add) {
  if (text.starts_with(kBom)) text.remove_prefix(kBom.size());
  LineParser parser(format, add);
  std::size_t number = 0;
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    parser.parse_line(++number, line);
  }
  return parser.take_summary();
}

}  // namespace shelter::blocklist
