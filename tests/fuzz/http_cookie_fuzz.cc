// Feeds arbitrary bytes to the Cookie header reader and aborts when an invariant fails: every
// pair is a view into the header with a non-empty name, neither holding ';' nor edge white
// space, names holding no '='; at most kMaxCookies pairs; find_cookie returns the first pair
// of its name; and every pair that could be written as a cookie comes back from its own
// Set-Cookie's name=value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proxy/http/cookies.h"

namespace http = shelter::proxy::http;

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

bool clean_edges(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t'; };
  return s.empty() || (!space(s.front()) && !space(s.back()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  const auto pairs = http::parse_cookies(header);
  require(pairs.size() <= http::kMaxCookies);
  for (const auto& [name, value] : pairs) {
    require(!name.empty() && inside(name, header) && inside(value, header));
    require(name.find(';') == std::string_view::npos && name.find('=') == std::string_view::npos);
    require(value.find(';') == std::string_view::npos);
    require(clean_edges(name) && clean_edges(value));
    const auto first = http::find_cookie(header, name);
    require(first.has_value());
    for (const auto& [n, v] : pairs) {
      if (n == name) {
        require(*first == v);
        break;
      }
    }
    if (http::is_cookie_name(name) && http::is_cookie_value(value)) {
      const std::string written =
          http::set_cookie_value({.name = std::string(name), .value = std::string(value)});
      const std::string pair = written.substr(0, written.find(';'));
      require(http::find_cookie(pair, name) == value);
    }
  }
  return 0;
}
