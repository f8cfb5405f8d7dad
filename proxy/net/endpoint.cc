#include "proxy/net/endpoint.h"

#include <algorithm>

namespace shelter::proxy::net {
using policy::parse_decimal;

std::optional<Endpoint> Endpoint::parse(std::string_view text, std::uint16_t default_port) {
  std::string_view host = text;
  std::optional<std::string_view> port_text;
  if (text.starts_with('[')) {
    // Brackets are for IPv6 only, as in URLs (RFC 3986).
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    const auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (!rest.starts_with(':')) return std::nullopt;
      port_text = rest.substr(1);
    }
    auto a = Address::parse_v6(host);
    if (!a) return std::nullopt;
    Endpoint e{*a, default_port};
    if (port_text) {
      const auto port = parse_decimal(*port_text, 65535);
      if (!port) return std::nullopt;
      e.port = static_cast<std::uint16_t>(*port);
    }
    return e;
  }
  // Without brackets, exactly one colon separates an IPv4 address from its port; more than one
  // means a bare IPv6 address (so "::1:53" is the address ::1:53, not ::1 port 53).
  if (std::count(text.begin(), text.end(), ':') == 1) {
    const auto colon = text.find(':');
    auto a = Address::parse_v4(text.substr(0, colon));
    const auto port = parse_decimal(text.substr(colon + 1), 65535);
    if (!a || !port) return std::nullopt;
    return Endpoint{*a, static_cast<std::uint16_t>(*port)};
  }
  auto a = Address::parse(text);
  if (!a) return std::nullopt;
  return Endpoint{*a, default_port};
}

std::string Endpoint::to_string() const {
  const auto port_text = std::to_string(port);
  if (address.v6) return "[" + address.to_string() + "]:" + port_text;
  return address.to_string() + ":" + port_text;
}

}  // namespace shelter::proxy::net
