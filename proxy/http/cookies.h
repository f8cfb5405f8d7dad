#pragma once
// Cookies for the portal's sessions: reading a request's Cookie header and writing a
// Set-Cookie value. Pure and I/O-free (fuzzed by http_cookie_fuzz).
//
// Reading follows RFC 6265 section 5.4 (what browsers send): pairs split on ';', optional
// white space trimmed, a pair without '=' skipped. Writing is strict (section 4.1.1): a name
// must be a token and a value cookie-octets, or the call throws, so nothing a caller passes can
// add an attribute.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shelter::proxy::http {

/// More pairs than this and the header is read no further (a browser sends a few).
inline constexpr std::size_t kMaxCookies = 64;

/// The name/value pairs of a Cookie header value, in order, as views into it; at most
/// kMaxCookies. Names are never empty and hold no ';' or '='; names and values hold no
/// leading or trailing space or tab, and no ';'.
std::vector<std::pair<std::string_view, std::string_view>> parse_cookies(std::string_view header);

/// The value of the first cookie called `name` (exact, case-sensitive), or nullopt.
std::optional<std::string_view> find_cookie(std::string_view header, std::string_view name);

enum class SameSite : std::uint8_t { strict, lax };

struct SetCookie {
  std::string name;   ///< a token; "__Host-" names need secure and get Path=/ and no Domain
  std::string value;  ///< cookie-octets (no space, '"', ',', ';', '\\' or controls)
  /// Seconds until it expires; 0 deletes it; nullopt: a session cookie (gone with the browser).
  std::optional<std::int64_t> max_age = std::nullopt;
  bool secure = true;     ///< off only on plain-HTTP loopback development listeners
  bool http_only = true;  ///< no script reads it
  SameSite same_site = SameSite::strict;
};

/// "name=value; Path=/; Max-Age=N; Secure; HttpOnly; SameSite=Strict". Throws
/// std::invalid_argument for a name or value outside the RFC's syntax, a negative Max-Age, or
/// a "__Host-" name without `secure`.
std::string set_cookie_value(const SetCookie& cookie);

/// Whether `name` is a cookie-name (an RFC 9110 token) and `value` cookie-octets.
bool is_cookie_name(std::string_view name);
bool is_cookie_value(std::string_view value);

}  // namespace shelter::proxy::http
