#include "proxy/dns/builder.h"

#include <algorithm>
#include <cstring>

namespace shelter::proxy::dns {
namespace {

constexpr std::uint16_t kOptionEde = 15;
constexpr std::uint16_t kQuestionPointer = 0xC000 | kHeaderSize;

void increment_count(std::vector<std::uint8_t>& out, std::size_t offset) {
  write_u16(&out[offset], static_cast<std::uint16_t>(read_u16(&out[offset]) + 1));
}

void append_opt(std::vector<std::uint8_t>& out, const Query& query, std::uint16_t udp_payload_size,
                std::span<const ExtendedError> errors) {
  out.push_back(0);  // root name
  append_u16(out, qtype::kOpt);
  append_u16(out, udp_payload_size);
  out.push_back(0);  // extended RCODE
  out.push_back(0);  // version 0
  append_u16(out, query.edns.dnssec_ok ? 0x8000 : 0);
  std::size_t rdlength_at = out.size();
  append_u16(out, 0);
  for (const ExtendedError& e : errors) {
    // EXTRA-TEXT is bounded so the option always fits (a 16-bit length, and a UDP answer).
    std::size_t text_length = std::min<std::size_t>(e.text.size(), 400);
    append_u16(out, kOptionEde);
    append_u16(out, static_cast<std::uint16_t>(2 + text_length));
    append_u16(out, e.code);
    out.insert(out.end(), e.text.begin(),
               e.text.begin() + static_cast<std::ptrdiff_t>(text_length));
  }
  write_u16(&out[rdlength_at], static_cast<std::uint16_t>(out.size() - rdlength_at - 2));
  increment_count(out, kOffArcount);
}

}  // namespace

void begin_answer(Bytes packet, const Query& query, Rcode rcode, std::vector<std::uint8_t>& out) {
  out.clear();
  out.resize(kHeaderSize, 0);
  write_u16(&out[kOffId], query.id);
  std::uint16_t flags = kFlagQr | kFlagRa | (query.flags & (kOpcodeMask | kFlagRd | kFlagCd)) |
                        static_cast<std::uint16_t>(rcode);
  write_u16(&out[kOffFlags], flags);
  if (query.has_question()) {
    write_u16(&out[kOffQdcount], 1);
    out.insert(out.end(), packet.begin() + kHeaderSize,
               packet.begin() + static_cast<std::ptrdiff_t>(query.question_end));
  }
}

void stamp_for_client(Bytes packet, const Query& query, std::vector<std::uint8_t>& message) {
  write_u16(&message[kOffId], query.id);
  std::uint16_t flags = read_u16(&message[kOffFlags]);
  flags = static_cast<std::uint16_t>((flags & ~(kFlagRd | kFlagCd | kFlagTc)) |
                                     (query.flags & (kFlagRd | kFlagCd)) | kFlagRa);
  write_u16(&message[kOffFlags], flags);
  std::memcpy(&message[kHeaderSize], &packet[kHeaderSize], query.name_wire_length);
}

bool adopt_upstream_answer(Bytes packet, const Query& query, Bytes upstream,
                           const Response& response, std::vector<std::uint8_t>& out) {
  // The client's question bytes are laid over the upstream's, so both must be the same name
  // written out in full at the same place.
  std::size_t name_length = query.name_wire_length;
  if (upstream.size() < kHeaderSize + name_length) return false;
  for (std::size_t i = 0; i < name_length; ++i) {
    if (ascii_lower(upstream[kHeaderSize + i]) != query.name_wire[i]) return false;
  }
  std::size_t keep = upstream.size();
  if (response.opt_end != 0) {
    if (response.opt_end != upstream.size()) return false;
    keep = response.opt_begin;
  }
  out.assign(upstream.begin(), upstream.begin() + static_cast<std::ptrdiff_t>(keep));
  if (response.opt_end != 0) {
    write_u16(&out[kOffArcount], static_cast<std::uint16_t>(read_u16(&out[kOffArcount]) - 1));
  }
  stamp_for_client(packet, query, out);
  return true;
}

void append_address(std::vector<std::uint8_t>& out, std::uint16_t type, std::uint32_t ttl,
                    std::span<const std::uint8_t> address) {
  append_u16(out, kQuestionPointer);
  append_u16(out, type);
  append_u16(out, kClassIn);
  append_u32(out, ttl);
  append_u16(out, static_cast<std::uint16_t>(address.size()));
  out.insert(out.end(), address.begin(), address.end());
  increment_count(out, kOffAncount);
}

void finish_answer(std::vector<std::uint8_t>& out, const Query& query,
                   std::uint16_t udp_payload_size, std::span<const ExtendedError> errors,
                   std::size_t max_size) {
  if (query.edns.present) append_opt(out, query, udp_payload_size, errors);
  if (out.size() <= max_size) return;
  // Too large: keep the header and question only, say so with TC, and add the OPT back.
  std::size_t header_and_question = query.has_question() ? query.question_end : kHeaderSize;
  out.resize(header_and_question);
  write_u16(&out[kOffFlags], read_u16(&out[kOffFlags]) | kFlagTc);
  write_u16(&out[kOffAncount], 0);
  write_u16(&out[kOffNscount], 0);
  write_u16(&out[kOffArcount], 0);
  if (!query.edns.present) return;
  // The records are gone, so no answer is forged any more: "Forged Answer" goes too.
  std::vector<ExtendedError> kept;
  for (const ExtendedError& e : errors) {
    if (e.code != kEdeForgedAnswer) kept.push_back(e);
  }
  append_opt(out, query, udp_payload_size, kept);
  if (out.size() > max_size) {
    // Even header, question and EDE do not fit (a long name and a long EXTRA-TEXT against a
    // 512-byte client): the EDE goes, the bare OPT stays.
    out.resize(header_and_question);
    write_u16(&out[kOffArcount], 0);
    append_opt(out, query, udp_payload_size, {});
  }
}

std::size_t max_answer_size(const Query& query, bool over_tcp, std::uint16_t udp_payload_size) {
  if (over_tcp) return kMaxMessageSize;
  if (!query.edns.present) return 512;
  return std::min(query.edns.udp_size, udp_payload_size);
}

void build_error(Bytes packet, const Query& query, Rcode rcode, std::uint16_t udp_payload_size,
                 std::vector<std::uint8_t>& out) {
  begin_answer(packet, query, rcode, out);
  finish_answer(out, query, udp_payload_size, {}, max_answer_size(query, false, udp_payload_size));
}

void build_upstream_query(const Query& query, std::uint16_t id, std::uint16_t udp_payload_size,
                          std::vector<std::uint8_t>& out) {
  out.clear();
  out.resize(kHeaderSize, 0);
  write_u16(&out[kOffId], id);
  write_u16(&out[kOffFlags], query.flags & (kFlagRd | kFlagCd));
  write_u16(&out[kOffQdcount], 1);
  out.insert(out.end(), query.name_wire.begin(), query.name_wire.begin() + query.name_wire_length);
  append_u16(out, query.qtype);
  append_u16(out, query.qclass);
  Query for_opt;
  for_opt.edns.present = true;
  for_opt.edns.dnssec_ok = query.edns.dnssec_ok;
  append_opt(out, for_opt, udp_payload_size, {});
}

}  // namespace shelter::proxy::dns
