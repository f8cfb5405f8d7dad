#pragma once
// IP addresses and CIDR prefixes as plain values: what identifies a subscriber, and what the
// configuration's address keys hold. No I/O (inet_pton/inet_ntop are pure conversions).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shelter::policy {

/// Decimal digits only (no sign, no spaces, at most 5 of them), at most `max`; nullopt
/// otherwise. For prefix lengths and ports.
std::optional<unsigned> parse_decimal(std::string_view text, unsigned max);

/// An IPv4 or IPv6 address in network byte order. IPv4 uses the first 4 bytes.
struct Address {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};

  static std::optional<Address> parse(std::string_view text);     ///< "192.0.2.1" or "2001:db8::1"
  static std::optional<Address> parse_v4(std::string_view text);  ///< dotted quad only
  static std::optional<Address> parse_v6(std::string_view text);  ///< IPv6 text only
  std::string to_string() const;
  /// The address with every bit past the first `bits` cleared.
  Address masked(unsigned bits) const;
  /// An IPv4-mapped IPv6 address (::ffff:192.0.2.1, as a dual-stack socket reports IPv4
  /// clients) as the IPv4 address; any other address unchanged.
  Address unmapped() const;
  bool operator==(const Address&) const = default;
};

struct Cidr {
  Address network;
  std::uint8_t prefix_length = 0;

  /// "10.0.0.0/8", "::1/128"; a bare address is a host prefix. Host bits must be zero.
  static std::optional<Cidr> parse(std::string_view text);
  /// Like parse, but clears host bits instead of rejecting them ("10.1.2.3/8" -> 10.0.0.0/8).
  /// For error messages that suggest the prefix the operator probably meant.
  static std::optional<Cidr> parse_masked(std::string_view text);
  /// True when `a` lies in this prefix. Families must match, except that an IPv4-mapped IPv6
  /// address (::ffff:192.0.2.1, as seen on a dual-stack socket) is tested as its IPv4 address.
  bool contains(const Address& a) const;
  std::string to_string() const;  ///< "10.0.0.0/8" / "2001:db8::/32"
  bool operator==(const Cidr&) const = default;
};

}  // namespace shelter::policy
