#include "proxy/dns/steering.h"

#include <algorithm>
#include <limits>

#include "proxy/dns/message.h"

namespace shelter::proxy::dns {
namespace {

constexpr std::uint16_t kQuestionPointer = 0xC000 | kHeaderSize;
constexpr std::uint16_t kSvcParamMandatory = 0;

bool stripped_key(std::uint16_t key) {
  return key == kSvcParamIpv4Hint || key == kSvcParamEch || key == kSvcParamIpv6Hint;
}

// The end of an uncompressed name at `at` (RFC 9460 forbids compressing TargetName), or 0.
std::size_t skip_plain_name(Bytes bytes, std::size_t at) {
  std::size_t total = 0;
  for (;;) {
    if (at >= bytes.size()) return 0;
    const std::uint8_t length = bytes[at];
    if (length > 63) return 0;  // a pointer or a reserved label type
    total += 1 + length;
    if (total > kMaxNameLength || bytes.size() - at < 1u + length) return 0;
    at += 1 + length;
    if (length == 0) return at;
  }
}

// The `mandatory` param's value without the stripped keys; false when it is malformed.
bool filter_mandatory(Bytes value, std::vector<std::uint8_t>& kept) {
  if (value.empty() || value.size() % 2 != 0) return false;
  for (std::size_t i = 0; i < value.size(); i += 2) {
    if (!stripped_key(read_u16(&value[i]))) kept.insert(kept.end(), &value[i], &value[i] + 2);
  }
  return true;
}

// One record of a response: where its parts are.
struct RecordAt {
  std::array<std::uint8_t, kMaxNameLength> owner;  // decompressed, lower case
  std::uint8_t owner_length;
  std::uint16_t type;
  std::uint16_t rclass;
  std::uint32_t ttl;
  std::size_t rdata_at;
  Bytes rdata;
};

// Reads the record at `at`; returns the offset past it, or 0 when it is malformed.
std::size_t read_record(Bytes message, std::size_t at, RecordAt& r) {
  at = read_name(message, at, r.owner.data(), &r.owner_length);
  if (at == 0 || message.size() - at < 10) return 0;
  r.type = read_u16(&message[at]);
  r.rclass = read_u16(&message[at + 2]);
  r.ttl = read_u32(&message[at + 4]);
  const std::size_t length = read_u16(&message[at + 8]);
  at += 10;
  if (message.size() - at < length) return 0;
  r.rdata_at = at;
  r.rdata = message.subspan(at, length);
  return at + length;
}

class AnswerWriter {
 public:
  AnswerWriter(std::vector<std::uint8_t>& out, Bytes question_name)
      : out_(out), question_name_(question_name) {}

  // Owner, type, class and TTL; returns where RDLENGTH goes (written by end_record).
  std::size_t begin_record(const RecordAt& r, std::uint32_t ttl) {
    Bytes owner(r.owner.data(), r.owner_length);
    if (std::equal(owner.begin(), owner.end(), question_name_.begin(), question_name_.end())) {
      append_u16(out_, kQuestionPointer);
    } else {
      out_.insert(out_.end(), owner.begin(), owner.end());
    }
    append_u16(out_, r.type);
    append_u16(out_, r.rclass);
    append_u32(out_, ttl);
    append_u16(out_, 0);
    return out_.size();
  }
  void end_record(std::size_t rdata_at) {
    write_u16(&out_[rdata_at - 2], static_cast<std::uint16_t>(out_.size() - rdata_at));
    write_u16(&out_[kOffAncount], static_cast<std::uint16_t>(read_u16(&out_[kOffAncount]) + 1));
  }
  void drop_record(std::size_t record_at) { out_.resize(record_at); }

 private:
  std::vector<std::uint8_t>& out_;
  Bytes question_name_;
};

// What the first pass found in the answer section.
struct Survey {
  bool wanted = false;  // a record of the question's type
  bool strip = false;   // an SVCB/HTTPS record to change or drop
  std::uint32_t min_ttl = std::numeric_limits<std::uint32_t>::max();
};

// Checks every answer record and collects what the rewrite needs; false when one is malformed.
bool survey(Bytes message, std::size_t at, std::size_t count, std::uint16_t type, Survey& s) {
  RecordAt r;
  std::vector<std::uint8_t> scratch;
  for (std::size_t i = 0; i < count; ++i) {
    at = read_record(message, at, r);
    if (at == 0) return false;
    s.min_ttl = std::min(s.min_ttl, r.ttl);
    if (r.type != type || r.rclass != kClassIn) continue;
    s.wanted = true;
    if (type == qtype::kSvcb || type == qtype::kHttps) {
      bool changed = false;
      scratch.clear();
      s.strip |= !strip_svc_hints(r.rdata, scratch, changed) || changed;
    }
  }
  return true;
}

// Appends the CNAME at `r` with its target written out in full; false when it is malformed.
bool append_cname(Bytes message, const RecordAt& r, AnswerWriter& writer,
                  std::vector<std::uint8_t>& out) {
  std::array<std::uint8_t, kMaxNameLength> target;
  std::uint8_t length = 0;
  if (read_name(message, r.rdata_at, target.data(), &length) != r.rdata_at + r.rdata.size()) {
    return false;
  }
  std::size_t rdata_at = writer.begin_record(r, r.ttl);
  out.insert(out.end(), target.begin(), target.begin() + length);
  writer.end_record(rdata_at);
  return true;
}

template <std::size_t N>
void append_addresses(const RecordAt& r, std::uint32_t ttl,
                      std::span<const std::array<std::uint8_t, N>> addresses, AnswerWriter& writer,
                      std::vector<std::uint8_t>& out) {
  for (const auto& address : addresses) {
    std::size_t rdata_at = writer.begin_record(r, ttl);
    out.insert(out.end(), address.begin(), address.end());
    writer.end_record(rdata_at);
  }
}

}  // namespace

bool strip_svc_hints(Bytes rdata, std::vector<std::uint8_t>& out, bool& changed) {
  changed = false;
  const std::size_t start = out.size();
  auto malformed = [&] {
    out.resize(start);
    return false;
  };
  if (rdata.size() < 2) return false;
  std::size_t at = skip_plain_name(rdata, 2);
  if (at == 0) return false;
  out.insert(out.end(), rdata.begin(), rdata.begin() + static_cast<std::ptrdiff_t>(at));
  int last_key = -1;
  std::vector<std::uint8_t> mandatory;
  while (at < rdata.size()) {
    if (rdata.size() - at < 4) return malformed();
    const std::uint16_t key = read_u16(&rdata[at]);
    const std::size_t length = read_u16(&rdata[at + 2]);
    if (static_cast<int>(key) <= last_key || rdata.size() - at - 4 < length) return malformed();
    last_key = key;
    const Bytes value = rdata.subspan(at + 4, length);
    if (stripped_key(key)) {
      changed = true;
    } else if (key == kSvcParamMandatory) {
      mandatory.clear();
      if (!filter_mandatory(value, mandatory)) return malformed();
      if (mandatory.size() != value.size()) changed = true;
      if (!mandatory.empty()) {
        append_u16(out, key);
        append_u16(out, static_cast<std::uint16_t>(mandatory.size()));
        out.insert(out.end(), mandatory.begin(), mandatory.end());
      }
    } else {
      out.insert(out.end(), rdata.begin() + static_cast<std::ptrdiff_t>(at),
                 rdata.begin() + static_cast<std::ptrdiff_t>(at + 4 + length));
    }
    at += 4 + length;
  }
  return true;
}

RewriteStatus rewrite_for_steering(Bytes message, const ProxyAddresses& proxy,
                                   std::vector<std::uint8_t>& out) {
  if (message.size() < kHeaderSize || read_u16(&message[kOffQdcount]) != 1) {
    return RewriteStatus::bad;
  }
  if ((read_u16(&message[kOffFlags]) & kRcodeMask) != 0) return RewriteStatus::unchanged;
  std::array<std::uint8_t, kMaxNameLength> name;
  std::uint8_t name_length = 0;
  std::size_t at = read_name(message, kHeaderSize, name.data(), &name_length);
  if (at == 0 || message.size() - at < 4) return RewriteStatus::bad;
  const std::uint16_t type = read_u16(&message[at]);
  const bool addresses = type == qtype::kA || type == qtype::kAaaa;
  const bool service = type == qtype::kSvcb || type == qtype::kHttps;
  if (read_u16(&message[at + 2]) != kClassIn || (!addresses && !service)) {
    return RewriteStatus::unchanged;
  }
  at += 4;
  const std::size_t count = read_u16(&message[kOffAncount]);
  Survey s;
  if (!survey(message, at, count, type, s)) return RewriteStatus::bad;
  if (!s.wanted || (service && !s.strip)) return RewriteStatus::unchanged;

  out.assign(message.begin(), message.begin() + static_cast<std::ptrdiff_t>(at));
  for (std::size_t count_at : {kOffAncount, kOffNscount, kOffArcount})
    write_u16(&out[count_at], 0);
  AnswerWriter writer(out, Bytes(name.data(), name_length));
  bool placed = false;
  RecordAt r;
  for (std::size_t i = 0; i < count; ++i) {
    at = read_record(message, at, r);
    if (r.rclass != kClassIn) continue;
    if (r.type == qtype::kCname) {
      if (!append_cname(message, r, writer, out)) return RewriteStatus::bad;
    } else if (r.type == type && addresses && !placed) {
      // The whole RRset becomes the proxy's, in place of its first record.
      placed = true;
      if (type == qtype::kA) {
        append_addresses(r, s.min_ttl, proxy.v4, writer, out);
      } else {
        append_addresses(r, s.min_ttl, proxy.v6, writer, out);
      }
    } else if (r.type == type && service) {
      const std::size_t record_at = out.size();
      const std::size_t rdata_at = writer.begin_record(r, r.ttl);
      bool changed = false;
      if (strip_svc_hints(r.rdata, out, changed)) {
        writer.end_record(rdata_at);
      } else {
        writer.drop_record(record_at);  // malformed: it may hold hints, so it goes
      }
    }
  }
  return out.size() <= kMaxMessageSize ? RewriteStatus::rewritten : RewriteStatus::bad;
}

}  // namespace shelter::proxy::dns
