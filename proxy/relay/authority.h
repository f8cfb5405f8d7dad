#pragma once
// The host and port of a request: from a Host header, a CONNECT target or an absolute-form
// URL's authority. Pure (fuzzed through the relay's target parser).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shelter::proxy::relay {

struct Authority {
  std::string host;  ///< as written, lower-cased; an IPv6 literal keeps its brackets
  std::optional<std::uint16_t> port;
};

/// "example.com", "example.com:8080", "[2001:db8::1]:443". No user info, no path; a port of
/// 1..65535 in digits. nullopt for anything else.
std::optional<Authority> parse_authority(std::string_view text);

/// What a request line names.
struct RequestTarget {
  enum class Form : std::uint8_t { origin, absolute, authority, asterisk } form = Form::origin;
  Authority authority;  ///< absolute and authority forms
  std::string_view
      path;  ///< origin form: the target; absolute form: from the path on ("/" if none)
};

/// The target of a request line: "/path?q", "http://host[:port][/path?q]", "host:port" (with
/// CONNECT) or "*". https:// absolute-form is refused (clients send CONNECT for HTTPS).
std::optional<RequestTarget> parse_target(std::string_view method, std::string_view target);

}  // namespace shelter::proxy::relay
