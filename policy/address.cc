#include "policy/address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace shelter::policy {
namespace {

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

// True when the first `bits` bits of a and b are equal.
bool same_prefix(const Address& a, const Address& b, unsigned bits) {
  const unsigned whole = bits / 8;
  if (!std::equal(a.bytes.begin(), a.bytes.begin() + whole, b.bytes.begin())) return false;
  if (bits % 8 == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - bits % 8));
  return (a.bytes[whole] & mask) == (b.bytes[whole] & mask);
}

}  // namespace

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

Address Address::masked(unsigned bits) const {
  Address out = *this;
  for (unsigned i = 0; i < out.bytes.size(); ++i) {
    if (bits >= 8 * (i + 1)) continue;
    const unsigned keep = bits > 8 * i ? bits - 8 * i : 0;
    out.bytes[i] &= static_cast<std::uint8_t>(0xff00 >> keep);
  }
  return out;
}

Address Address::unmapped() const {
  static constexpr std::uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (!v6 || !std::equal(std::begin(kPrefix), std::end(kPrefix), bytes.begin())) return *this;
  Address v4;
  std::copy(bytes.begin() + 12, bytes.end(), v4.bytes.begin());
  return v4;
}

std::optional<Address> Address::parse_v4(std::string_view text) {
  return parse_family(text, false);
}

std::optional<Address> Address::parse_v6(std::string_view text) {
  return parse_family(text, true);
}

std::optional<Address> Address::parse(std::string_view text) {
  if (auto a = parse_family(text, false)) return a;
  return parse_family(text, true);
}

std::string Address::to_string() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buffer, sizeof buffer);
  return buffer;
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
  return Cidr{a->masked(length), static_cast<std::uint8_t>(length)};
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
  if (network.v6) return false;
  Address v4 = a.unmapped();
  return !v4.v6 && same_prefix(v4, network, prefix_length);
}

std::string Cidr::to_string() const {
  return network.to_string() + "/" + std::to_string(prefix_length);
}

}  // namespace shelter::policy
