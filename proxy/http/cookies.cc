#include "proxy/http/cookies.h"

#include <stdexcept>

#include "proxy/http/field_syntax.h"

namespace shelter::proxy::http {
using syntax::trim;

std::vector<std::pair<std::string_view, std::string_view>> parse_cookies(std::string_view header) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  while (!header.empty() && out.size() < kMaxCookies) {
    const std::size_t end = header.find(';');
    const std::string_view pair = header.substr(0, end);
    header = end == std::string_view::npos ? std::string_view() : header.substr(end + 1);
    const std::size_t equals = pair.find('=');
    if (equals == std::string_view::npos) continue;  // RFC 6265 5.2 step 2: ignored
    const std::string_view name = trim(pair.substr(0, equals));
    if (name.empty()) continue;
    out.emplace_back(name, trim(pair.substr(equals + 1)));
  }
  return out;
}

std::optional<std::string_view> find_cookie(std::string_view header, std::string_view name) {
  for (const auto& [n, v] : parse_cookies(header)) {
    if (n == name) return v;
  }
  return std::nullopt;
}

bool is_cookie_name(std::string_view name) {
  return syntax::is_token(name);
}

bool is_cookie_value(std::string_view value) {
  // cookie-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x21 || c > 0x7e || c == '"' || c == ',' || c == ';' || c == '\\') return false;
  }
  return true;
}

std::string set_cookie_value(const SetCookie& cookie) {
  if (!is_cookie_name(cookie.name)) throw std::invalid_argument("cookie name is not a token");
  if (!is_cookie_value(cookie.value))
    throw std::invalid_argument("cookie value holds a character a cookie cannot");
  if (cookie.max_age && *cookie.max_age < 0) throw std::invalid_argument("negative Max-Age");
  if (cookie.name.starts_with("__Host-") && !cookie.secure)
    throw std::invalid_argument("a __Host- cookie must be Secure");
  std::string out = cookie.name + "=" + cookie.value + "; Path=/";
  if (cookie.max_age) out += "; Max-Age=" + std::to_string(*cookie.max_age);
  if (cookie.secure) out += "; Secure";
  if (cookie.http_only) out += "; HttpOnly";
  out += cookie.same_site == SameSite::strict ? "; SameSite=Strict" : "; SameSite=Lax";
  return out;
}

}  // namespace shelter::proxy::http
