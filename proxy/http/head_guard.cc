#include "proxy/http/head_guard.h"

#include <algorithm>
#include <optional>

namespace shelter::proxy::http {
namespace {

// RFC 9110 5.6.2: token characters.
bool is_tchar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return is_tchar(static_cast<unsigned char>(c)); });
}

// A field value may hold visible characters, spaces, tabs and obs-text; no other controls.
bool is_field_value(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return (c < 0x20 && c != '\t') || c == 0x7f;
  });
}

char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// Calls `element` for each element of a comma-separated list value, trimmed, empty ones
// included: the framing fields take no empty element (a lenient parser elsewhere might).
template <typename Element>
void for_each_element(std::string_view value, Element element) {
  while (true) {
    const std::size_t comma = value.find(',');
    element(trim(value.substr(0, comma)));
    if (comma == std::string_view::npos) return;
    value.remove_prefix(comma + 1);
  }
}

HeadCheck refuse(unsigned code, std::string reason) {
  HeadCheck check;
  check.status = HeadStatus::bad;
  check.status_code = code;
  check.reason = std::move(reason);
  return check;
}

// The request line: method SP target SP HTTP/1.x. Returns the minor version, or a refusal.
std::optional<HeadCheck> check_request_line(std::string_view line, int& minor, RequestHead* out) {
  const std::size_t first = line.find(' ');
  const std::size_t second = first == std::string_view::npos ? first : line.find(' ', first + 1);
  if (second == std::string_view::npos) return refuse(400, "malformed request line");
  const std::string_view method = line.substr(0, first);
  const std::string_view target = line.substr(first + 1, second - first - 1);
  const std::string_view version = line.substr(second + 1);
  if (!is_token(method)) return refuse(400, "malformed method");
  if (target.empty() || !std::all_of(target.begin(), target.end(), [](char c) {
        return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
      })) {
    return refuse(400, "malformed request target");
  }
  if (version.size() != 8 || !version.starts_with("HTTP/") || version[6] != '.' ||
      version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9') {
    return refuse(400, "malformed HTTP version");
  }
  if (version[5] != '1' || (version[7] != '0' && version[7] != '1')) {
    return refuse(505, "HTTP version not supported");
  }
  minor = version[7] - '0';
  if (out != nullptr) {
    out->method = method;
    out->target = target;
    out->version_minor = minor;
  }
  return std::nullopt;
}

// What the framing fields said, gathered over the whole head.
struct Framing {
  std::optional<std::uint64_t> content_length;
  bool transfer_encoding = false;
  bool chunked_last = false;
  int chunked = 0;          // times "chunked" was named, over every Transfer-Encoding field
  bool bad_coding = false;  // an element that is not a plain token
  int hosts = 0;
};

std::optional<HeadCheck> add_content_length(std::string_view value, Framing& framing) {
  std::optional<HeadCheck> bad;
  for_each_element(value, [&](std::string_view item) {
    if (bad) return;
    if (item.empty() || item.size() > 18 ||
        !std::all_of(item.begin(), item.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      bad = refuse(400, "malformed Content-Length");
      return;
    }
    std::uint64_t n = 0;
    for (char c : item)
      n = n * 10 + static_cast<std::uint64_t>(c - '0');
    if (framing.content_length && *framing.content_length != n) {
      bad = refuse(400, "differing Content-Length values");
      return;
    }
    framing.content_length = n;
  });
  return bad;
}

// Beast (1.81) reads a chunked body only when "chunked" is named once, last, and the list is
// plain tokens; anything else it reads as no body. Where the two could disagree on where a
// request ends, the guard refuses.
void add_transfer_encoding(std::string_view value, Framing& framing) {
  framing.transfer_encoding = true;
  for_each_element(value, [&](std::string_view coding) {
    if (!is_token(coding)) framing.bad_coding = true;
    framing.chunked_last = iequals(coding, "chunked");
    if (framing.chunked_last) ++framing.chunked;
  });
}

std::optional<HeadCheck> check_field(std::string_view line, Framing& framing, RequestHead* out) {
  if (line.front() == ' ' || line.front() == '\t') {
    return refuse(400, "obs-fold (a header line continued on the next)");
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return refuse(400, "header line without a colon");
  const std::string_view name = line.substr(0, colon);
  if (!is_token(name)) {
    return refuse(400, name.empty() || name.back() == ' ' || name.back() == '\t'
                           ? "white space before a header's colon"
                           : "malformed header name");
  }
  const std::string_view value = trim(line.substr(colon + 1));
  if (!is_field_value(value)) return refuse(400, "control character in a header value");
  if (out != nullptr) out->fields.emplace_back(name, value);
  if (iequals(name, "content-length")) return add_content_length(value, framing);
  if (iequals(name, "transfer-encoding")) add_transfer_encoding(value, framing);
  if (iequals(name, "connection") || iequals(name, "proxy-connection")) {
    // Whether the connection stays open is framing too: a list of tokens, as Beast reads it.
    bool tokens = true;
    for_each_element(
        value, [&](std::string_view item) { tokens = tokens && (item.empty() || is_token(item)); });
    if (!tokens) return refuse(400, "a Connection header that is not a list of tokens");
  }
  if (iequals(name, "host")) ++framing.hosts;
  return std::nullopt;
}

}  // namespace

HeadCheck check_request_head(std::string_view bytes, const HeadLimits& limits, RequestHead* out) {
  if (out != nullptr) out->fields.clear();
  const std::size_t end = bytes.find("\r\n\r\n");
  if (end == std::string_view::npos || end + 4 > limits.max_head_bytes) {
    if (bytes.size() >= limits.max_head_bytes || end != std::string_view::npos) {
      return refuse(431, "request head over " + std::to_string(limits.max_head_bytes) + " bytes");
    }
    // A head framed by bare LFs would never complete; say so now rather than at the deadline.
    if (bytes.find("\n\n") != std::string_view::npos ||
        bytes.find('\0') != std::string_view::npos) {
      return refuse(400, "bare LF line ending or NUL in the request head");
    }
    return {};
  }
  std::string_view head = bytes.substr(0, end + 2);  // every line ends with CRLF
  Framing framing;
  int minor = 1;
  std::size_t fields = 0;
  for (bool first = true; !head.empty(); first = false) {
    const std::size_t eol = head.find("\r\n");
    const std::string_view line = head.substr(0, eol);
    head.remove_prefix(eol + 2);
    if (line.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
      return refuse(400, "bare CR or LF, or NUL, in the request head");
    }
    if (first) {
      if (auto bad = check_request_line(line, minor, out)) return *bad;
      continue;
    }
    if (line.empty()) return refuse(400, "empty header line");
    if (++fields > limits.max_fields) return refuse(431, "too many header fields");
    if (auto bad = check_field(line, framing, out)) return *bad;
  }
  if (framing.transfer_encoding && framing.content_length) {
    return refuse(400, "both Content-Length and Transfer-Encoding");
  }
  if (framing.transfer_encoding && minor == 0) {
    return refuse(400, "Transfer-Encoding in HTTP/1.0");
  }
  if (framing.transfer_encoding && (framing.bad_coding || framing.chunked != 1)) {
    return refuse(400, "a Transfer-Encoding that is not a plain list naming chunked once");
  }
  if (framing.transfer_encoding && !framing.chunked_last) {
    return refuse(400, "Transfer-Encoding that does not end in chunked");
  }
  if (framing.hosts > 1) return refuse(400, "more than one Host header");
  if (minor == 1 && framing.hosts == 0) return refuse(400, "no Host header");
  HeadCheck check;
  check.status = HeadStatus::complete;
  check.head_bytes = end + 4;
  check.has_body =
      framing.transfer_encoding || (framing.content_length && *framing.content_length > 0);
  check.chunked = framing.transfer_encoding;
  check.content_length = framing.content_length.value_or(0);
  return check;
}

}  // namespace shelter::proxy::http
