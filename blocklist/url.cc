#include "blocklist/url.h"

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <cstring>

#include "blocklist/domain_list.h"
#include "blocklist/parse_util.h"

// The rule numbers in the comments refer to docs/url-canonical-form.md.
namespace shelter::blocklist {
namespace {

constexpr std::size_t kMaxUrlBytes = 8192;
constexpr std::size_t kMaxQuotedScheme = 16;
constexpr char kUpperHex[] = "0123456789ABCDEF";

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_separator(char c) {
  return c == '/' || c == '\\';
}
bool ends_authority(char c) {
  return is_separator(c) || c == '?' || c == '#';
}
// Where the authority that starts `s` ends. A loop, not find_first_of, which calls memchr once
// per byte on this per-request path.
std::size_t authority_end(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && !ends_authority(s[i]))
    ++i;
  return i;
}
using parse::to_lower;
char to_upper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}
int hex_value(char c) {
  if (parse::is_digit(c)) return c - '0';
  c = to_lower(c);
  return c - 'a' + 10;
}
// The byte a "%XX" at in[i] stands for, or -1 when in[i] starts no escape.
int escaped_byte(std::string_view in, std::size_t i) {
  if (i + 2 >= in.size() || !parse::is_hex(in[i + 1]) || !parse::is_hex(in[i + 2])) return -1;
  return hex_value(in[i + 1]) * 16 + hex_value(in[i + 2]);
}
bool is_control_or_space(char c) {
  auto u = static_cast<unsigned char>(c);
  return u < 0x21 || u == 0x7f;
}
bool is_non_ascii(char c) {
  return static_cast<unsigned char>(c) >= 0x80;
}
using parse::iequals;
bool any_of(std::string_view s, bool (*predicate)(char)) {
  for (char c : s) {
    if (predicate(c)) return true;
  }
  return false;
}

// Character classes of RFC 3986, looked up in one table on the per-request path.
enum CharClass : std::uint8_t {
  kUnreserved = 1,  // ALPHA DIGIT "-" "." "_" "~"
  kPathRaw = 2,     // pchar without pct-encoded: unreserved, sub-delims, ":" and "@"
  kQueryRaw = 4,    // pchar, "/" and "?"
};

constexpr std::array<std::uint8_t, 128> kCharClasses = [] {
  std::array<std::uint8_t, 128> table{};
  for (char c :
       std::string_view("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~"))
    table[static_cast<unsigned char>(c)] = kUnreserved | kPathRaw | kQueryRaw;
  for (char c : std::string_view("!$&'()*+,;=:@"))
    table[static_cast<unsigned char>(c)] = kPathRaw | kQueryRaw;
  table['/'] = table['?'] = kQueryRaw;
  return table;
}();

bool has_class(char c, std::uint8_t mask) {
  return !is_non_ascii(c) && (kCharClasses[static_cast<unsigned char>(c)] & mask) != 0;
}

bool is_unreserved(char c) {
  return has_class(c, kUnreserved);
}

// Bytes RFC 3986 does not let stand unescaped (" < > [ \ ] ^ ` { | }) are escaped, so the raw
// and the escaped spelling of such a byte are one canonical form (rule 9).
bool is_raw_allowed(char c, bool query) {
  return has_class(c, query ? kQueryRaw : kPathRaw);
}

void append_escape(unsigned char byte, std::string& out) {
  out.push_back('%');
  out.push_back(kUpperHex[byte >> 4]);
  out.push_back(kUpperHex[byte & 0xf]);
}

// Appends the '%' at in[i] and the escape it starts in canonical form (rule 9); returns the
// number of bytes read.
std::size_t append_percent(std::string_view in, std::size_t i, std::string& out) {
  int byte = escaped_byte(in, i);
  if (byte < 0) {
    out += "%25";  // a '%' that starts no escape stands for itself
    return 1;
  }
  if (is_unreserved(static_cast<char>(byte))) {
    out.push_back(static_cast<char>(byte));
  } else {
    out.push_back('%');
    out.push_back(to_upper(in[i + 1]));
    out.push_back(to_upper(in[i + 2]));
  }
  return 3;
}

// Appends a path segment or a query with its escapes normalised (rule 9). False on a non-ASCII
// byte, which the caller reports (rule 15).
bool append_normalised(std::string_view in, bool query, std::string& out) {
  std::size_t i = 0;
  while (i < in.size()) {
    // Runs of bytes that stay as they are are copied at once.
    std::size_t run = i;
    while (run < in.size() && is_raw_allowed(in[run], query))
      ++run;
    out.append(in.substr(i, run - i));
    if (run == in.size()) break;
    i = run;
    char c = in[i];
    if (is_non_ascii(c)) return false;
    if (c == '%') {
      i += append_percent(in, i, out);
    } else {
      append_escape(static_cast<unsigned char>(c), out);
      ++i;
    }
  }
  return true;
}

// Appends one non-empty path segment to `out` (which ends in '/'), applying RFC 3986 §5.2.4:
// "." disappears, ".." also takes the segment before it, and never climbs above the root.
// The test runs on the normalised segment so that "%2e%2E" counts as "..".
bool append_segment(std::string_view segment, bool slash_follows, std::string& out) {
  std::size_t mark = out.size();
  if (!append_normalised(segment, false, out)) return false;
  std::string_view added(out.data() + mark, out.size() - mark);
  if (added == ".") {
    out.resize(mark);
  } else if (added == "..") {
    out.resize(mark);
    if (mark > 1) out.resize(out.rfind('/', mark - 2) + 1);
  } else if (slash_follows) {
    out.push_back('/');
  }
  return true;
}

// Rules 8-12: `path` is empty or starts with '/' or '\'.
bool append_path(std::string_view path, std::string& out) {
  out.push_back('/');
  std::size_t i = 0;
  while (i < path.size()) {
    std::size_t end = i;
    while (end < path.size() && !is_separator(path[end]))
      ++end;
    // Empty segments are skipped: that is what collapses runs of '/' (rule 10).
    if (end > i && !append_segment(path.substr(i, end - i), end < path.size(), out)) return false;
    i = end + 1;
  }
  return true;
}

// A dotted quad with no leading zeros (rule 6).
bool is_strict_ipv4(std::string_view s) {
  if (!parse::is_ipv4(s)) return false;
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    bool starts_part = i == 0 || s[i - 1] == '.';
    if (starts_part && s[i] == '0' && parse::is_digit(s[i + 1])) return false;
  }
  return true;
}

// Rule 7: "[" address "]", written back as inet_ntop writes it (RFC 5952 in glibc).
bool canonical_ipv6(std::string_view bracketed, std::string& out) {
  if (bracketed.size() < 3 || bracketed.back() != ']') return false;
  std::string_view address = bracketed.substr(1, bracketed.size() - 2);
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (address.size() >= text.size()) return false;
  std::memcpy(text.data(), address.data(), address.size());  // inet_pton wants a C string
  in6_addr binary{};
  if (inet_pton(AF_INET6, text.data(), &binary) != 1) return false;
  if (inet_ntop(AF_INET6, &binary, text.data(), text.size()) == nullptr) return false;
  out = "[";
  out += text.data();
  out += ']';
  return true;
}

// Rule 5: percent-escapes in a host name are decoded before anything else looks at it. False
// for a '%' that starts no escape.
bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    int byte = escaped_byte(in, i);
    if (byte < 0) return false;
    out.push_back(static_cast<char>(byte));
    i += 2;
  }
  return true;
}

// Rules 5-7.
bool canonical_host(std::string_view raw, std::string& out, std::string& error) {
  if (raw.empty()) {
    error = "no host";
    return false;
  }
  if (raw.front() == '[') {
    if (canonical_ipv6(raw, out)) return true;
    error = "invalid ipv6 address";
    return false;
  }
  std::string decoded;
  std::optional<std::string> name;
  if (raw.find('%') == std::string_view::npos) {
    name = normalise_domain(raw);
  } else if (percent_decode(raw, decoded)) {
    name = normalise_domain(decoded);
  }
  if (!name) {
    error = "invalid host";
    return false;
  }
  // No top-level domain starts with a digit, so such a host is an address, and browsers read
  // "1.2.3.010", "127.1" or "2130706433" as addresses in octal or shorthand: reject them rather
  // than guess which address the entry meant.
  std::size_t last_label = name->rfind('.') + 1;  // npos + 1 == 0
  if (parse::is_digit((*name)[last_label]) && !is_strict_ipv4(*name)) {
    error = "invalid ipv4 address";
    return false;
  }
  out = std::move(*name);
  return true;
}

// Rule 4: 1 to 65535, digits only.
bool is_valid_port(std::string_view port) {
  if (port.empty() || port.size() > 5) return false;
  unsigned value = 0;
  for (char c : port) {
    if (!parse::is_digit(c)) return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value >= 1 && value <= 65535;
}

// Rules 3-7 on the authority (what lies between the scheme and the path).
bool canonical_authority(std::string_view authority, std::string& host, std::string& error) {
  if (std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    if (any_of(authority.substr(0, at), is_non_ascii)) {
      error = "non-ascii byte outside the host";
      return false;
    }
    authority.remove_prefix(at + 1);  // user info (rule 3)
  }
  // In "[v6]:port" the port's colon comes after the ']'; npos when there is no ']'.
  std::size_t colon =
      authority.starts_with('[') ? authority.find(':', authority.find(']')) : authority.rfind(':');
  if (colon != std::string_view::npos) {
    if (!is_valid_port(authority.substr(colon + 1))) {
      error = "invalid port";
      return false;
    }
    authority = authority.substr(0, colon);
  }
  return canonical_host(authority, host, error);
}

// Rules 8-15 on what follows the authority: the path, then '?' and the query when it is not
// empty; the fragment is dropped.
bool append_path_and_query(std::string_view tail, std::string& out, std::string& error) {
  std::size_t fragment = tail.find('#');
  std::string_view before_fragment = tail.substr(0, fragment);
  std::size_t question = before_fragment.find('?');
  std::string_view path = before_fragment.substr(0, question);
  std::string_view query = question == std::string_view::npos
                               ? std::string_view()
                               : before_fragment.substr(question + 1);
  bool ascii = fragment == std::string_view::npos || !any_of(tail.substr(fragment), is_non_ascii);
  out.reserve(tail.size() + 1);
  ascii = ascii && append_path(path, out);
  if (ascii && !query.empty()) {
    out.push_back('?');
    ascii = append_normalised(query, true, out);
  }
  if (!ascii) error = "non-ascii byte outside the host";
  return ascii;
}

std::string_view skip_separators(std::string_view s) {
  while (!s.empty() && is_separator(s.front()))
    s.remove_prefix(1);
  return s;
}

// True when `rest`, the text after "name:", is a port, so that "name" was a host without a
// scheme: "localhost:8080/a", "example.com:8080" (a scheme has no dot in practice).
bool is_port_after_host(std::string_view name, std::string_view rest) {
  std::string_view port = rest.substr(0, authority_end(rest));
  bool digits = !port.empty() && !any_of(port, [](char c) { return !parse::is_digit(c); });
  return digits || (name.find('.') != std::string_view::npos && !rest.starts_with("//"));
}

// Rule 2: returns the text from the authority on, or nullopt for another scheme.
std::optional<std::string_view> strip_scheme(std::string_view text, std::string& error) {
  if (text.size() >= 2 && is_separator(text[0]) && is_separator(text[1])) {
    return skip_separators(text);  // scheme-relative "//host/path"
  }
  std::size_t n = 0;
  if (!text.empty() && is_alpha(text[0])) {
    n = 1;
    while (n < text.size() && (is_alpha(text[n]) || parse::is_digit(text[n]) || text[n] == '+' ||
                               text[n] == '-' || text[n] == '.'))
      ++n;
  }
  if (n == 0 || n == text.size() || text[n] != ':') return text;  // no scheme
  std::string_view scheme = text.substr(0, n);
  std::string_view rest = text.substr(n + 1);
  // Browsers skip any number of '/' and '\' after a special scheme: "http:/x" is "http://x".
  if (iequals(scheme, "http") || iequals(scheme, "https")) return skip_separators(rest);
  if (is_port_after_host(scheme, rest)) return text;
  error = "unsupported scheme";
  if (scheme.size() <= kMaxQuotedScheme) {
    // Only letters, digits, '+', '-' and '.': safe to show, unlike the rest of the input.
    error += " '";
    for (char c : scheme)
      error.push_back(to_lower(c));
    error += "'";
  }
  return std::nullopt;
}

// Rule 1: the checks that look at every byte, before any parsing.
bool check_bytes(std::string_view text, std::string& error) {
  if (text.size() > kMaxUrlBytes) {
    error = "url longer than 8192 bytes";
    return false;
  }
  if (any_of(text, is_control_or_space)) {
    error = "space or control character";
    return false;
  }
  return true;
}

}  // namespace

std::optional<CanonicalUrl> canonicalise_url(std::string_view text, std::string& error) {
  if (!check_bytes(text, error)) return std::nullopt;
  auto rest = strip_scheme(text, error);
  if (!rest) return std::nullopt;
  std::size_t end = authority_end(*rest);
  CanonicalUrl url;
  if (!canonical_authority(rest->substr(0, end), url.host, error) ||
      !append_path_and_query(rest->substr(end), url.path, error)) {
    return std::nullopt;
  }
  // Escaping can make the result longer than the input; holding it to the same limit means
  // every canonical URL can be canonicalised again.
  if (url.host.size() + url.path.size() > kMaxUrlBytes) {
    error = "url longer than 8192 bytes";
    return std::nullopt;
  }
  return url;
}

}  // namespace shelter::blocklist
