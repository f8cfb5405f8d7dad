#include "proxy/dns/builder.h"

#include <algorithm>
#include <array>
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
  // RA means "recursion available" for QUERY only; an answer to any other opcode (NOTIMP) says
  // nothing of recursion (RFC 1035 4.1.1, and what the ISC EDNS compliance tester checks).
  const bool query_opcode = (query.flags & kOpcodeMask) == 0;
  std::uint16_t flags = kFlagQr | (query_opcode ? kFlagRa : 0) |
                        (query.flags & (kOpcodeMask | kFlagRd | kFlagCd)) |
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
  // Z must be zero in every answer (RFC 1035 4.1.1).
  const std::uint16_t cleared = kFlagRd | kFlagCd | kFlagTc | kFlagAa | kFlagZ;
  flags = static_cast<std::uint16_t>((flags & ~cleared) | (query.flags & (kFlagRd | kFlagCd)) |
                                     kFlagRa);
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

bool retarget(const Query& query, std::string_view name, Query& out) {
  out = query;
  if (name.empty() || name.size() >= kMaxNameLength - 1) return false;
  std::size_t w = 0;
  std::size_t label_start = 0;
  for (std::size_t i = 0; i <= name.size(); ++i) {
    if (i < name.size() && name[i] != '.') continue;
    std::size_t length = i - label_start;
    if (length == 0 || length > 63) return false;
    out.name_wire[w++] = static_cast<std::uint8_t>(length);
    for (std::size_t j = label_start; j < i; ++j)
      out.name_wire[w++] = ascii_lower(static_cast<std::uint8_t>(name[j]));
    label_start = i + 1;
  }
  out.name_wire[w++] = 0;
  out.name_wire_length = static_cast<std::uint8_t>(w);
  std::memcpy(out.name_text.data(), name.data(), name.size());
  out.name_text_length = static_cast<std::uint8_t>(name.size());
  return true;
}

namespace {

// One record of a message, its names decompressed.
struct PlainRecord {
  std::array<std::uint8_t, kMaxNameLength> owner{};
  std::uint8_t owner_length = 0;
  std::uint16_t type = 0;
  std::uint16_t rclass = 0;
  std::uint32_t ttl = 0;
  Bytes rdata;
  std::array<std::uint8_t, kMaxNameLength> rdata_name{};  // CNAME: the target, in full
  std::uint8_t rdata_name_length = 0;
};

// Reads the record at `offset`; returns the offset past it, or 0 when it is malformed.
std::size_t read_record(Bytes message, std::size_t offset, PlainRecord& r) {
  offset = read_name(message, offset, r.owner.data(), &r.owner_length);
  if (offset == 0 || offset + 10 > message.size()) return 0;
  r.type = read_u16(&message[offset]);
  r.rclass = read_u16(&message[offset + 2]);
  r.ttl = read_u32(&message[offset + 4]);
  std::size_t length = read_u16(&message[offset + 8]);
  offset += 10;
  if (offset + length > message.size()) return 0;
  r.rdata = message.subspan(offset, length);
  if (r.type == qtype::kCname &&
      read_name(message, offset, r.rdata_name.data(), &r.rdata_name_length) != offset + length) {
    return 0;
  }
  return offset + length;
}

void append_record(std::vector<std::uint8_t>& out, Bytes owner, std::uint16_t type,
                   std::uint32_t ttl, Bytes rdata) {
  if (owner.empty()) {
    append_u16(out, kQuestionPointer);
  } else {
    out.insert(out.end(), owner.begin(), owner.end());
  }
  append_u16(out, type);
  append_u16(out, kClassIn);
  append_u32(out, ttl);
  append_u16(out, static_cast<std::uint16_t>(rdata.size()));
  out.insert(out.end(), rdata.begin(), rdata.end());
  increment_count(out, kOffAncount);
}

}  // namespace

bool append_cname_chain(std::vector<std::uint8_t>& out, const Query& target, Bytes target_answer,
                        std::uint32_t fallback_ttl) {
  if (target_answer.size() < kHeaderSize || read_u16(&target_answer[kOffQdcount]) != 1) {
    return false;
  }
  std::size_t answers_at = read_name(target_answer, kHeaderSize, nullptr, nullptr);
  if (answers_at == 0 || answers_at + 4 > target_answer.size()) return false;
  answers_at += 4;
  const std::size_t count = read_u16(&target_answer[kOffAncount]);
  auto wanted = [](const PlainRecord& r) {
    return r.rclass == kClassIn &&
           (r.type == qtype::kA || r.type == qtype::kAaaa || r.type == qtype::kCname);
  };
  // Two passes over the records, so that a hostile count costs time, never memory: the first
  // checks them and finds the CNAME's TTL, the second copies.
  PlainRecord r;
  std::uint32_t ttl = fallback_ttl;
  bool first = true;
  for (std::size_t i = 0, offset = answers_at; i < count; ++i) {
    offset = read_record(target_answer, offset, r);
    if (offset == 0) return false;
    if (!wanted(r)) continue;
    ttl = first ? r.ttl : std::min(ttl, r.ttl);
    first = false;
  }
  append_record(out, {}, qtype::kCname, ttl, target.wire_name());
  for (std::size_t i = 0, offset = answers_at; i < count; ++i) {
    offset = read_record(target_answer, offset, r);
    if (!wanted(r)) continue;
    Bytes owner(r.owner.data(), r.owner_length);
    Bytes rdata =
        r.type == qtype::kCname ? Bytes(r.rdata_name.data(), r.rdata_name_length) : r.rdata;
    append_record(out, owner, r.type, r.ttl, rdata);
  }
  return true;
}

void cap_ttls(std::vector<std::uint8_t>& message, std::uint32_t max_ttl) {
  Response response;
  if (parse_response(message, response) != ParseStatus::ok) return;
  auto cap = [&](std::uint16_t offset) {
    if (offset == 0) return;
    if (read_u32(&message[offset]) > max_ttl) write_u32(&message[offset], max_ttl);
  };
  for (std::uint16_t offset : response.ttl_offsets)
    cap(offset);
  cap(response.soa_minimum_offset);
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
  // AD goes only to a client that said it understands it, with AD or DO (RFC 6840 5.7 and
  // 5.8). Cleared here, not where an answer is adopted, so the cache keeps the upstream's bit
  // for the next client that does ask.
  if ((query.flags & kFlagAd) == 0 && !query.edns.dnssec_ok) {
    write_u16(&out[kOffFlags], read_u16(&out[kOffFlags]) & ~kFlagAd);
  }
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

void build_badvers(Bytes packet, const Query& query, std::uint16_t udp_payload_size,
                   std::vector<std::uint8_t>& out) {
  begin_answer(packet, query, Rcode::noerror, out);
  append_opt(out, query, udp_payload_size, {});
  // An OPT without options ends: extended RCODE, version, flags (2), RDLENGTH (2). BADVERS is
  // 16: its upper eight bits (16 >> 4) go in the extended-RCODE byte, its lower four (0) in
  // the header.
  out[out.size() - 6] = 16 >> 4;
}

void append_chaos_txt(std::vector<std::uint8_t>& out, std::string_view text) {
  const std::size_t length = std::min<std::size_t>(text.size(), 255);
  append_u16(out, kQuestionPointer);
  append_u16(out, qtype::kTxt);
  append_u16(out, kClassCh);
  append_u32(out, 0);
  append_u16(out, static_cast<std::uint16_t>(length + 1));
  out.push_back(static_cast<std::uint8_t>(length));
  out.insert(out.end(), text.begin(), text.begin() + static_cast<std::ptrdiff_t>(length));
  increment_count(out, kOffAncount);
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
