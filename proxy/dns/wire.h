#pragma once
// DNS wire-format constants and the small byte-level helpers every codec file shares.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace shelter::proxy::dns {

using Bytes = std::span<const std::uint8_t>;

inline constexpr std::size_t kHeaderSize = 12;
inline constexpr std::size_t kMaxNameLength = 255;  // wire octets, including the root label
inline constexpr std::size_t kMaxMessageSize = 65535;
inline constexpr std::uint16_t kClassIn = 1;
inline constexpr std::uint16_t kClassCh = 3;  // CHAOS (RFC 1035 3.2.4)

namespace qtype {
inline constexpr std::uint16_t kA = 1;
inline constexpr std::uint16_t kNs = 2;
inline constexpr std::uint16_t kCname = 5;
inline constexpr std::uint16_t kSoa = 6;
inline constexpr std::uint16_t kTxt = 16;
inline constexpr std::uint16_t kAaaa = 28;
inline constexpr std::uint16_t kOpt = 41;
inline constexpr std::uint16_t kAxfr = 252;
inline constexpr std::uint16_t kAny = 255;
inline constexpr std::uint16_t kIxfr = 251;
}  // namespace qtype

enum class Rcode : std::uint8_t {
  noerror = 0,
  formerr = 1,
  servfail = 2,
  nxdomain = 3,
  notimp = 4,
  refused = 5,
};

// Header flag bits (second 16-bit word).
inline constexpr std::uint16_t kFlagQr = 0x8000;
inline constexpr std::uint16_t kFlagAa = 0x0400;
inline constexpr std::uint16_t kFlagTc = 0x0200;
inline constexpr std::uint16_t kFlagRd = 0x0100;
inline constexpr std::uint16_t kFlagRa = 0x0080;
inline constexpr std::uint16_t kFlagZ = 0x0040;  // reserved, zero (RFC 1035 4.1.1)
inline constexpr std::uint16_t kFlagAd = 0x0020;
inline constexpr std::uint16_t kFlagCd = 0x0010;
inline constexpr std::uint16_t kOpcodeMask = 0x7800;
inline constexpr std::uint16_t kRcodeMask = 0x000f;

inline std::uint16_t read_u16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t read_u32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}
inline void write_u16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
inline void write_u32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}
inline void append_u16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
inline void append_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  append_u16(out, static_cast<std::uint16_t>(v >> 16));
  append_u16(out, static_cast<std::uint16_t>(v));
}

// Header fields by offset.
inline constexpr std::size_t kOffId = 0;
inline constexpr std::size_t kOffFlags = 2;
inline constexpr std::size_t kOffQdcount = 4;
inline constexpr std::size_t kOffAncount = 6;
inline constexpr std::size_t kOffNscount = 8;
inline constexpr std::size_t kOffArcount = 10;

}  // namespace shelter::proxy::dns
