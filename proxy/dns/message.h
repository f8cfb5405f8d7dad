#pragma once
// Parsing of DNS messages from untrusted bytes: client queries and upstream responses.
// Pure and allocation-free for queries; never reads outside the given span.

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "proxy/dns/wire.h"

namespace shelter::proxy::dns {

/// The EDNS(0) facts of a message (RFC 6891), taken from its OPT record.
struct Edns {
  bool present = false;
  std::uint16_t udp_size = 512;  ///< requestor's payload size, at least 512
  std::uint8_t version = 0;
  bool dnssec_ok = false;  ///< the DO bit
  /// Where the OPT record's options (its RDATA) are in the packet; decode them with
  /// edns_options.h. Zero length when there are none.
  std::uint16_t options_offset = 0;
  std::uint16_t options_length = 0;
};

/// What a parse of untrusted bytes concluded.
enum class ParseStatus : std::uint8_t {
  ok,
  formerr,  ///< the header is readable, the rest is not: answer FORMERR
  notimp,   ///< a valid message of an opcode we do not serve: answer NOTIMP
  drop,     ///< not worth an answer: shorter than a header, or a response (QR=1)
};

/// A client's query, parsed. The question's wire bytes stay in the packet
/// (`packet[kHeaderSize, question_end)`), so answers can echo the client's exact case.
struct Query {
  std::uint16_t id = 0;
  std::uint16_t flags = 0;
  std::uint16_t qtype = 0;
  std::uint16_t qclass = 0;
  std::size_t question_end = 0;  ///< offset just past QCLASS
  Edns edns;
  /// The name in lower case, dotted, without the trailing dot ("" for the root).
  std::array<char, kMaxNameLength> name_text{};
  std::uint8_t name_text_length = 0;
  /// The name in lower-case wire form (labels with length octets, ending in 0).
  std::array<std::uint8_t, kMaxNameLength> name_wire{};
  std::uint8_t name_wire_length = 0;

  std::string_view name() const { return {name_text.data(), name_text_length}; }
  Bytes wire_name() const { return {name_wire.data(), name_wire_length}; }
  bool has_question() const { return question_end != 0; }
};

/// Parses a query. On `formerr`/`notimp` the id, flags and (when it could be read) the question
/// are still filled in so the error answer can carry them. Any opcode but QUERY is `notimp`
/// whatever follows the header (no question, several, unreadable records); its OPT is read
/// when the records are well formed, so the NOTIMP carries ours. A COOKIE option of a length
/// RFC 7873 5.2.2 rejects makes a query `formerr`.
ParseStatus parse_query(Bytes packet, Query& out);

/// Facts of an upstream response needed to validate, cache and relay it.
struct Response {
  std::uint16_t id = 0;
  std::uint16_t flags = 0;
  Rcode rcode = Rcode::noerror;
  std::uint16_t qtype = 0;
  std::uint16_t qclass = 0;
  std::array<std::uint8_t, kMaxNameLength> name_wire{};  ///< question name, lower case
  std::uint8_t name_wire_length = 0;
  std::uint16_t ancount = 0;
  /// Offsets of the 32-bit TTL field of every record except OPT, in message order.
  std::vector<std::uint16_t> ttl_offsets;
  /// For an SOA in the authority section: offset of its TTL and of its MINIMUM field (0 = none).
  std::uint16_t soa_ttl_offset = 0;
  std::uint16_t soa_minimum_offset = 0;
  /// The OPT record's [begin, end) offsets, when there is one.
  std::uint16_t opt_begin = 0;
  std::uint16_t opt_end = 0;

  bool truncated() const { return (flags & kFlagTc) != 0; }
  Bytes wire_name() const { return {name_wire.data(), name_wire_length}; }
};

/// Parses a response from an upstream. Anything but `ok` means: do not use it.
/// Requires QR=1, exactly one question, and well-formed records throughout.
ParseStatus parse_response(Bytes packet, Response& out);

/// Reads the (possibly compressed) name at `offset`; returns the offset just past it in the
/// record (not following pointers), or 0 when the name is malformed (bad pointer, loop, over 255
/// octets, reserved label type, past the end). When `lower_wire` is given, the uncompressed name
/// is written to it in lower case and `lower_length` set.
std::size_t read_name(Bytes packet, std::size_t offset, std::uint8_t* lower_wire,
                      std::uint8_t* lower_length);

/// Lower-case ASCII of one byte (DNS names compare case-insensitively, RFC 4343).
inline std::uint8_t ascii_lower(std::uint8_t c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<std::uint8_t>(c + 32) : c;
}

}  // namespace shelter::proxy::dns
