#pragma once
// A JSON string literal for text Shelter writes itself (/readyz, structured DNS errors): quotes,
// backslashes and control characters escaped, UTF-8 kept as it is. Header-only, so that the
// libraries that write JSON share it without linking each other.

#include <cstdio>
#include <string>
#include <string_view>

namespace shelter::proxy {

inline void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", u);
      out += escaped;
    } else {
      out += c;
    }
  }
  out += '"';
}

inline std::string json_string(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

}  // namespace shelter::proxy
