#pragma once
// The EDNS(0) options by which home routers and forwarders say who is asking: EDNS Client
// Subnet (RFC 7871), the MAC address as dnsmasq's `add-mac` sends it, and dnsmasq's CPE-ID.
// Pure decoding of untrusted bytes; which of them to trust, and from which networks, is the
// identification step's decision (issue 4), not this file's.

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "proxy/dns/wire.h"

namespace shelter::proxy::dns {

/// Option codes.
inline constexpr std::uint16_t kOptionClientSubnet = 8;   ///< RFC 7871
inline constexpr std::uint16_t kOptionCookie = 10;        ///< RFC 7873
inline constexpr std::uint16_t kOptionMacBinary = 65001;  ///< dnsmasq --add-mac
inline constexpr std::uint16_t kOptionMacText = 65073;    ///< --add-mac=text / =base64
inline constexpr std::uint16_t kOptionCpeId = 65074;      ///< dnsmasq --add-cpe-id

/// An EDNS Client Subnet option: the client's network as its forwarder states it.
struct ClientSubnet {
  std::uint16_t family = 0;  ///< 1 IPv4, 2 IPv6
  std::uint8_t source_prefix = 0;
  std::array<std::uint8_t, 16> address{};  ///< bits past source_prefix are zero
};

/// What the client-identifying options of one query say. A field is empty when the option is
/// absent; a malformed option leaves its field empty and sets `malformed` (count it; do not
/// trust the rest of that query's identity).
struct ClientOptions {
  std::optional<ClientSubnet> subnet;
  std::optional<std::array<std::uint8_t, 6>> mac;
  std::optional<std::string> cpe_id;  ///< 1-64 printable ASCII bytes
  bool malformed = false;
};

/// Decodes the OPT record's option bytes (Edns::options_offset/length of a parsed query).
/// - ECS: family 1 or 2, source prefix at most 32 or 128, exactly ceil(prefix/8) address
///   bytes, no bit set past the prefix (RFC 7871 section 6), scope prefix 0 in a query.
/// - MAC, binary: exactly 6 bytes. Text: "xx:xx:xx:xx:xx:xx" (hex digits, either case, ':' or
///   '-'), or the 8-character base64 of the 6 bytes, as dnsmasq writes them.
/// - CPE-ID: 1-64 printable ASCII bytes (no spaces or controls).
/// - An option given twice, or options that overrun the data, are malformed.
ClientOptions read_client_options(Bytes options);

/// Whether the OPT record's option bytes hold a DNS COOKIE of a length RFC 7873 section 5.2.2
/// answers with FORMERR: shorter than the 8-byte client cookie, between 8 and 16, or longer
/// than 40 (a client cookie with a server cookie of 8 to 32 bytes). Only COOKIE is judged; a
/// walk that runs past the data stops there without a verdict on the rest.
bool malformed_cookie(Bytes options);

}  // namespace shelter::proxy::dns
