#include "proxy/dns/message.h"

#include "proxy/dns/edns_options.h"

namespace shelter::proxy::dns {
namespace {

constexpr std::uint8_t kPointerMask = 0xC0;
constexpr std::size_t kFixedRrSize = 10;  // TYPE, CLASS, TTL, RDLENGTH

// The OPT record's fields, read from where an ordinary record has CLASS and TTL.
void read_opt(Bytes packet, std::size_t fixed, Edns& edns) {
  edns.present = true;
  std::uint16_t size = read_u16(&packet[fixed + 2]);
  edns.udp_size = size < 512 ? 512 : size;
  edns.version = packet[fixed + 5];
  edns.dnssec_ok = (packet[fixed + 6] & 0x80) != 0;
}

// Walks `count` records from `offset`; calls on_record(name_offset, fixed_offset, rdata_offset,
// rdlength) for each. Returns the end offset, or 0 when a record is malformed.
template <typename OnRecord>
std::size_t walk_records(Bytes packet, std::size_t offset, std::size_t count,
                         OnRecord&& on_record) {
  for (std::size_t i = 0; i < count; ++i) {
    std::size_t fixed = read_name(packet, offset, nullptr, nullptr);
    if (fixed == 0 || fixed + kFixedRrSize > packet.size()) return 0;
    std::size_t rdlength = read_u16(&packet[fixed + 8]);
    std::size_t rdata = fixed + kFixedRrSize;
    if (rdata + rdlength > packet.size()) return 0;
    if (!on_record(offset, fixed, rdata, rdlength)) return 0;
    offset = rdata + rdlength;
  }
  return offset;
}

// Reads the single question at kHeaderSize. Returns the offset past QCLASS, or 0.
std::size_t read_question(Bytes packet, std::uint8_t* lower_wire, std::uint8_t* lower_length,
                          std::uint16_t& qtype, std::uint16_t& qclass) {
  std::size_t end = read_name(packet, kHeaderSize, lower_wire, lower_length);
  if (end == 0 || end + 4 > packet.size()) return 0;
  qtype = read_u16(&packet[end]);
  qclass = read_u16(&packet[end + 2]);
  return end + 4;
}

// Renders a lower-case wire name as dotted text without the trailing dot.
std::uint8_t wire_to_text(const std::uint8_t* wire, char* text) {
  std::size_t out = 0;
  std::size_t i = 0;
  while (wire[i] != 0) {
    std::size_t len = wire[i];
    if (out != 0) text[out++] = '.';
    for (std::size_t k = 1; k <= len; ++k)
      text[out++] = static_cast<char>(wire[i + k]);
    i += len + 1;
  }
  return static_cast<std::uint8_t>(out);
}

// Reads a query's single question at kHeaderSize into `out`; returns the offset past QCLASS,
// or 0 when it cannot be read.
std::size_t read_query_question(Bytes packet, Query& out) {
  std::size_t end =
      read_question(packet, out.name_wire.data(), &out.name_wire_length, out.qtype, out.qclass);
  if (end == 0) return 0;
  out.name_text_length = wire_to_text(out.name_wire.data(), out.name_text.data());
  out.question_end = end;
  return end;
}

// The records after a query's question: only OPT matters to a resolver's front end, but every
// record must be well formed, and at most one OPT may appear (RFC 6891 section 6.1.1). False
// when they are not.
bool read_query_records(Bytes packet, std::size_t end, Edns& edns) {
  std::size_t records = std::size_t{read_u16(&packet[kOffAncount])} +
                        read_u16(&packet[kOffNscount]) + read_u16(&packet[kOffArcount]);
  bool bad_opt = false;
  std::size_t last = walk_records(
      packet, end, records,
      [&](std::size_t name, std::size_t fixed, std::size_t rdata, std::size_t rdlength) {
        if (read_u16(&packet[fixed]) != qtype::kOpt) return true;
        if (edns.present || packet[name] != 0) bad_opt = true;
        read_opt(packet, fixed, edns);
        edns.options_offset = static_cast<std::uint16_t>(rdata);
        edns.options_length = static_cast<std::uint16_t>(rdlength);
        return true;
      });
  return last != 0 && !bad_opt;
}

}  // namespace

std::size_t read_name(Bytes packet, std::size_t offset, std::uint8_t* lower_wire,
                      std::uint8_t* lower_length) {
  std::size_t end_in_record = 0;  // offset just past the name where it started
  std::size_t written = 0;        // uncompressed length so far
  std::size_t pos = offset;
  // A pointer must point strictly before the label that holds it, so a walk can never loop;
  // and never into the header, which holds no names (else ID and counts could spell one, longer
  // than the bytes of the question that "holds" it, and code that copies the question by its
  // name length would read past the packet).
  std::size_t limit = offset;
  for (;;) {
    if (pos >= packet.size()) return 0;
    std::uint8_t len = packet[pos];
    if ((len & kPointerMask) == kPointerMask) {
      if (pos + 1 >= packet.size()) return 0;
      std::size_t target = ((len & 0x3F) << 8) | packet[pos + 1];
      if (end_in_record == 0) end_in_record = pos + 2;
      if (target >= limit || target < kHeaderSize) return 0;
      limit = target;
      pos = target;
      continue;
    }
    if ((len & kPointerMask) != 0) return 0;  // 0x40 and 0x80 label types are not in use
    if (written + 1 + len > kMaxNameLength) return 0;
    if (pos + 1 + len > packet.size()) return 0;
    if (lower_wire != nullptr) {
      lower_wire[written] = len;
      for (std::size_t k = 1; k <= len; ++k)
        lower_wire[written + k] = ascii_lower(packet[pos + k]);
    }
    written += 1 + len;
    if (len == 0) {
      if (end_in_record == 0) end_in_record = pos + 1;
      if (lower_length != nullptr) *lower_length = static_cast<std::uint8_t>(written);
      return end_in_record;
    }
    pos += 1 + len;
  }
}

ParseStatus parse_query(Bytes packet, Query& out) {
  out = Query{};
  // Longer is impossible over UDP and TCP alike; offsets into the packet then fit 16 bits.
  if (packet.size() < kHeaderSize || packet.size() > kMaxMessageSize) return ParseStatus::drop;
  out.id = read_u16(&packet[kOffId]);
  out.flags = read_u16(&packet[kOffFlags]);
  if ((out.flags & kFlagQr) != 0) return ParseStatus::drop;
  const std::size_t qdcount = read_u16(&packet[kOffQdcount]);
  // Another opcode is NOTIMP whatever its message holds (a NOTIFY, an UPDATE, opcode 15 with no
  // question at all): the question and OPT, when readable, only shape that answer.
  if ((out.flags & kOpcodeMask) != 0) {
    if (qdcount > 1) return ParseStatus::notimp;
    std::size_t end = kHeaderSize;
    if (qdcount == 1 && (end = read_query_question(packet, out)) == 0) return ParseStatus::notimp;
    Edns edns;
    if (read_query_records(packet, end, edns)) out.edns = edns;
    return ParseStatus::notimp;
  }
  if (qdcount != 1) return ParseStatus::formerr;

  std::size_t end = read_query_question(packet, out);
  if (end == 0) return ParseStatus::formerr;
  if (!read_query_records(packet, end, out.edns)) return ParseStatus::formerr;
  // RFC 7873 5.2.2: a COOKIE of a length no cookie can have is FORMERR.
  if (malformed_cookie(packet.subspan(out.edns.options_offset, out.edns.options_length))) {
    return ParseStatus::formerr;
  }
  return ParseStatus::ok;
}

ParseStatus parse_response(Bytes packet, Response& out) {
  out.ttl_offsets.clear();
  out.soa_ttl_offset = out.soa_minimum_offset = out.opt_begin = out.opt_end = 0;
  if (packet.size() < kHeaderSize || packet.size() > kMaxMessageSize) return ParseStatus::drop;
  out.id = read_u16(&packet[kOffId]);
  out.flags = read_u16(&packet[kOffFlags]);
  out.rcode = static_cast<Rcode>(out.flags & kRcodeMask);
  if ((out.flags & kFlagQr) == 0) return ParseStatus::drop;
  if (read_u16(&packet[kOffQdcount]) != 1) return ParseStatus::formerr;
  std::size_t end =
      read_question(packet, out.name_wire.data(), &out.name_wire_length, out.qtype, out.qclass);
  if (end == 0) return ParseStatus::formerr;

  out.ancount = read_u16(&packet[kOffAncount]);
  std::size_t authority_begin_index = out.ancount;
  std::size_t authority_end_index = authority_begin_index + read_u16(&packet[kOffNscount]);
  std::size_t records = authority_end_index + read_u16(&packet[kOffArcount]);
  std::size_t index = 0;
  bool bad = false;
  std::size_t last = walk_records(
      packet, end, records,
      [&](std::size_t name, std::size_t fixed, std::size_t rdata, std::size_t rdlength) {
        std::uint16_t type = read_u16(&packet[fixed]);
        bool in_authority = index >= authority_begin_index && index < authority_end_index;
        ++index;
        if (type == qtype::kOpt) {
          if (out.opt_end != 0 || packet[name] != 0 || in_authority || index <= out.ancount) {
            bad = true;
            return false;
          }
          out.opt_begin = static_cast<std::uint16_t>(name);
          out.opt_end = static_cast<std::uint16_t>(rdata + rdlength);
          return true;
        }
        out.ttl_offsets.push_back(static_cast<std::uint16_t>(fixed + 4));
        if (type == qtype::kSoa && in_authority && out.soa_ttl_offset == 0) {
          // MNAME and RNAME, then SERIAL, REFRESH, RETRY, EXPIRE, MINIMUM.
          std::size_t p = read_name(packet, rdata, nullptr, nullptr);
          p = p == 0 ? 0 : read_name(packet, p, nullptr, nullptr);
          if (p == 0 || p + 20 != rdata + rdlength) {
            bad = true;
            return false;
          }
          out.soa_ttl_offset = static_cast<std::uint16_t>(fixed + 4);
          out.soa_minimum_offset = static_cast<std::uint16_t>(p + 16);
        }
        return true;
      });
  if (last == 0 || bad) return ParseStatus::formerr;
  return ParseStatus::ok;
}

}  // namespace shelter::proxy::dns
