#include "proxy/relay/origin_guard.h"

#include <algorithm>
#include <array>

namespace shelter::proxy::relay {
namespace {

struct Range {
  std::uint8_t bytes[4];
  std::uint8_t prefix;
};

// IANA IPv4 Special-Purpose Address Registry, plus multicast and the reserved class E: none
// of these is a public web origin.
constexpr std::array<Range, 17> kSpecialV4{{
    {{0, 0, 0, 0}, 8},        // "this network"
    {{10, 0, 0, 0}, 8},       // private
    {{100, 64, 0, 0}, 10},    // shared address space (carrier-grade NAT)
    {{127, 0, 0, 0}, 8},      // loopback
    {{169, 254, 0, 0}, 16},   // link-local (cloud metadata lives here)
    {{172, 16, 0, 0}, 12},    // private
    {{192, 0, 0, 0}, 24},     // IETF protocol assignments
    {{192, 0, 2, 0}, 24},     // documentation
    {{192, 88, 99, 0}, 24},   // deprecated 6to4 relay anycast
    {{192, 168, 0, 0}, 16},   // private
    {{198, 18, 0, 0}, 15},    // benchmarking
    {{198, 51, 100, 0}, 24},  // documentation
    {{203, 0, 113, 0}, 24},   // documentation
    {{224, 0, 0, 0}, 4},      // multicast
    {{240, 0, 0, 0}, 4},      // reserved, and the limited broadcast address
    {{255, 255, 255, 255}, 32},
    {{192, 31, 196, 0}, 24},  // AS112
}};

bool in_v4_range(const std::uint8_t* a, const Range& r) {
  const std::uint32_t value =
      (std::uint32_t{a[0]} << 24) | (std::uint32_t{a[1]} << 16) | (std::uint32_t{a[2]} << 8) | a[3];
  const std::uint32_t net = (std::uint32_t{r.bytes[0]} << 24) | (std::uint32_t{r.bytes[1]} << 16) |
                            (std::uint32_t{r.bytes[2]} << 8) | r.bytes[3];
  const std::uint32_t mask = r.prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - r.prefix);
  return (value & mask) == (net & mask);
}

bool special_v4(const std::uint8_t* a) {
  return std::any_of(kSpecialV4.begin(), kSpecialV4.end(),
                     [a](const Range& r) { return in_v4_range(a, r); });
}

bool starts_with(const std::array<std::uint8_t, 16>& b, std::initializer_list<std::uint8_t> p) {
  return std::equal(p.begin(), p.end(), b.begin());
}

bool special_v6(const std::array<std::uint8_t, 16>& b) {
  const bool zero_prefix_96 = std::all_of(b.begin(), b.begin() + 10, [](auto x) { return !x; });
  // ::/128, ::1/128 and the deprecated IPv4-compatible ::a.b.c.d: all special.
  if (zero_prefix_96 && b[10] == 0 && b[11] == 0) return true;
  // IPv4-mapped ::ffff:a.b.c.d: the IPv4 address decides.
  if (zero_prefix_96 && b[10] == 0xff && b[11] == 0xff) return special_v4(&b[12]);
  // NAT64 well-known prefix 64:ff9b::/96: the embedded IPv4 address decides; the local-use
  // 64:ff9b:1::/48 is special.
  if (starts_with(b, {0x00, 0x64, 0xff, 0x9b}) &&
      std::all_of(b.begin() + 4, b.begin() + 12, [](auto x) { return !x; })) {
    return special_v4(&b[12]);
  }
  if (starts_with(b, {0x00, 0x64, 0xff, 0x9b, 0x00, 0x01})) return true;
  if (starts_with(b, {0x01, 0x00, 0, 0, 0, 0, 0, 0})) return true;  // discard-only 100::/64
  if (starts_with(b, {0x20, 0x01, 0x0d, 0xb8})) return true;        // documentation
  if (starts_with(b, {0x20, 0x01}) && b[2] < 0x02) return true;     // 2001::/23 IETF
  if (starts_with(b, {0x20, 0x02})) return special_v4(&b[2]);       // 6to4: embedded IPv4
  if (starts_with(b, {0x3f, 0xff}) && b[2] < 0x10) return true;     // documentation 3fff::/20
  if ((b[0] & 0xfe) == 0xfc) return true;                           // unique local fc00::/7
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return true;           // link-local fe80::/10
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return true;           // site-local fec0::/10
  if (b[0] == 0xff) return true;                                    // multicast
  return false;
}

}  // namespace

std::string_view refusal_name(OriginRefusal refusal) {
  switch (refusal) {
    case OriginRefusal::none:
      return "none";
    case OriginRefusal::port:
      return "port";
    case OriginRefusal::special:
      return "special";
    case OriginRefusal::own_address:
      return "own_address";
    case OriginRefusal::not_resolving:
      return "not_resolving";
  }
  return "unknown";
}

bool is_special(const policy::Address& address) {
  return address.v6 ? special_v6(address.bytes) : special_v4(address.bytes.data());
}

OriginRefusal check_origin(const policy::Address& address, std::uint16_t port,
                           const OriginPolicy& policy) {
  if (std::find(policy.ports.begin(), policy.ports.end(), port) == policy.ports.end()) {
    return OriginRefusal::port;
  }
  const policy::Address plain = address.unmapped();
  for (const OwnEndpoint& own : policy.own) {
    if (own.port == port && own.address.unmapped() == plain) return OriginRefusal::own_address;
  }
  if (!is_special(plain)) return OriginRefusal::none;
  const bool allowed = std::any_of(policy.private_origins.begin(), policy.private_origins.end(),
                                   [&](const policy::Cidr& c) { return c.contains(plain); });
  return allowed ? OriginRefusal::none : OriginRefusal::special;
}

}  // namespace shelter::proxy::relay
