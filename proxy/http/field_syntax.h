#pragma once
// The field syntax the request and response head guards share, and the chunked decoder's trailer
// fields (RFC 9110 5 and 5.6, RFC 9112 2 and 5): character classes, list values, the head's
// end, field lines, and the framing fields' values. Internal to proxy/http: not an API.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace shelter::proxy::http::syntax {

/// RFC 9110 5.6.2: token characters.
inline bool is_tchar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

inline bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return is_tchar(static_cast<unsigned char>(c)); });
}

/// A byte of a field value or reason phrase: visible characters, spaces, tabs and obs-text; no
/// other controls.
inline bool is_value_char(unsigned char c) {
  return c >= 0x20 ? c != 0x7f : c == '\t';
}

inline bool is_field_value(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return is_value_char(static_cast<unsigned char>(c)); });
}

inline char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c;
}

inline bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

/// Without leading and trailing spaces and tabs (OWS).
inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

/// Calls `element` for each element of a comma-separated list value, trimmed, empty ones
/// included: the framing fields take no empty element (a lenient parser elsewhere might).
template <typename Element>
void for_each_element(std::string_view value, Element element) {
  while (true) {
    const std::size_t comma = value.find(',');
    element(trim(value.substr(0, comma)));
    if (comma == std::string_view::npos) return;
    value.remove_prefix(comma + 1);
  }
}

/// An HTTP-version (RFC 9112 2.3): "HTTP/" DIGIT "." DIGIT, case-sensitive.
enum class Version : std::uint8_t { http10, http11, other, malformed };
Version parse_version(std::string_view version);

/// Whether every element of a list value is a token or empty (Connection, as Beast reads it).
bool is_token_list(std::string_view value);

/// Where the head at the start of `bytes` ends: at the first CRLF CRLF, within the limit.
struct HeadEnd {
  enum class Kind : std::uint8_t {
    need_more,  ///< no blank line yet, and under the limit
    complete,   ///< `size` bytes, the blank line included
    too_large,  ///< no blank line within the limit
    malformed,  ///< incomplete, but framed by bare LFs or holding a NUL: it would never complete
  };
  Kind kind = Kind::need_more;
  std::size_t size = 0;
};
HeadEnd find_head_end(std::string_view bytes, std::size_t max_head_bytes);

/// Removes the first line from `rest` (whose every line ends with CRLF) and returns it without
/// its CRLF; nullopt when the line holds a bare CR or LF or a NUL.
std::optional<std::string_view> take_line(std::string_view& rest);

/// A field line split at its colon, the value trimmed, or what is wrong with it: obs-fold, no
/// colon, white space before the colon, a name that is not a token, controls in the value.
struct FieldLine {
  std::string_view name;
  std::string_view value;
  const char* fault = nullptr;  ///< a reason for the log, quoting nothing; nullptr: well formed
};
FieldLine split_field_line(std::string_view line);

/// Adds a Content-Length value (a list of equal digit strings, RFC 9110 8.6) to `length`, which
/// holds the values of earlier fields. Returns a fault, or nullptr.
const char* add_content_length(std::string_view value, std::optional<std::uint64_t>& length);

/// What the Transfer-Encoding fields of a head said, gathered over all of them.
struct Codings {
  bool present = false;
  bool chunked_last = false;  ///< the last coding of the last field is chunked
  int chunked = 0;            ///< times chunked was named
  bool malformed = false;     ///< an element that is not a plain token (an empty one included)
};
void add_transfer_encoding(std::string_view value, Codings& codings);

}  // namespace shelter::proxy::http::syntax
