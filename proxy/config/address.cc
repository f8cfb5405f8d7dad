#include "proxy/config/address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace shelter::proxy::config {
namespace {

// Decimal digits only (no sign, no spaces), at most `max`; nullopt otherwise.
std::optional<unsigned> parse_decimal(std::string_view text, unsigned max) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  unsigned value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  if (value > max) return std::nullopt;
  return value;
}

std::optional<Address> parse_family(std::string_view text, bool v6) {
  // inet_pton needs a NUL-terminated string, and an embedded NUL would end it early.
  if (text.size() >= INET6_ADDRSTRLEN || text.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  const std::string copy(text);
  Address a;
  a.v6 = v6;
  if (inet_pton(v6 ? AF_INET6 : AF_INET, copy.c_str(), a.bytes.data()) != 1) return std::nullopt;
  return a;
}

std::size_t bit_length(const Address& a) {
  return a.v6 ? 128 : 32;
}

bool is_v4_mapped(const Address& a) {
  static constexpr std::uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return a.v6 && std::equal(std::begin(kPrefix), std::end(kPrefix), a.bytes.begin());
}

// True when the first `bits` bits of a and b are equal.
bool same_prefix(const Address& a, const Address& b, unsigned bits) {
  const unsigned whole = bits / 8;
  if (!std::equal(a.bytes.begin(), a.bytes.begin() + whole, b.bytes.begin())) return false;
  if (bits % 8 == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - bits % 8));
  return (a.bytes[whole] & mask) == (b.bytes[whole] & mask);
}

Address masked(Address a, unsigned bits) {
  for (unsigned i = 0; i < a.bytes.size(); ++i) {
    if (bits >= 8 * (i + 1)) continue;
    const unsigned keep = bits > 8 * i ? bits - 8 * i : 0;
    a.bytes[i] &= static_cast<std::uint8_t>(0xff00 >> keep);
  }
  return a;
}

}  // namespace

std::optional<Address> Address::parse(std::string_view text) {
  if (auto a = parse_family(text, false)) return a;
  return parse_family(text, true);
}

std::string Address::to_string() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buffer, sizeof buffer);
  return buffer;
}

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
    auto a = parse_family(host, true);
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
    auto a = parse_family(text.substr(0, colon), false);
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

std::optional<Cidr> Cidr::parse_masked(std::string_view text) {
  const auto slash = text.find('/');
  auto a = Address::parse(text.substr(0, slash));
  if (!a) return std::nullopt;
  const auto bits = static_cast<unsigned>(bit_length(*a));
  unsigned length = bits;
  if (slash != std::string_view::npos) {
    const auto parsed = parse_decimal(text.substr(slash + 1), bits);
    if (!parsed) return std::nullopt;
    length = *parsed;
  }
  return Cidr{masked(*a, length), static_cast<std::uint8_t>(length)};
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
  auto cidr = parse_masked(text);
  if (!cidr) return std::nullopt;
  // Reject host bits: "10.0.0.1/8" is more often a typo than a deliberate /8.
  const auto slash = text.find('/');
  if (Address::parse(text.substr(0, slash)) != cidr->network) return std::nullopt;
  return cidr;
}

bool Cidr::contains(const Address& a) const {
  if (a.v6 == network.v6) return same_prefix(a, network, prefix_length);
  if (network.v6 || !is_v4_mapped(a)) return false;
  Address v4;
  std::copy(a.bytes.begin() + 12, a.bytes.end(), v4.bytes.begin());
  return same_prefix(v4, network, prefix_length);
}

std::string Cidr::to_string() const {
  return network.to_string() + "/" + std::to_string(prefix_length);
}

}  // namespace shelter::proxy::config
