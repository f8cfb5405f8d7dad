#pragma once
// Test-only DNS message builder and readers for the codec and cache tests. Writes exactly the
// bytes asked for (including malformed ones), so tests can state what goes on the wire.

#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/dns/message.h"
#include "proxy/dns/wire.h"

namespace shelter::proxy::dns::test {

using Wire = std::vector<std::uint8_t>;

/// A name to write: the labels of `text` (dotted, "" for none), then either the root label or,
/// when `pointer` is set, a compression pointer to that offset.
struct Name {
  Name(const char* t) : text(t) {}  // NOLINT(google-explicit-constructor): reads like a literal
  Name(std::string t) : text(std::move(t)) {}  // NOLINT(google-explicit-constructor)
  Name(std::string t, std::uint16_t ptr) : text(std::move(t)), pointer(ptr) {}
  std::string text;
  std::optional<std::uint16_t> pointer;
};

/// Appends `name` in wire form.
inline void append_name(Wire& out, const Name& name) {
  std::string_view rest = name.text;
  while (!rest.empty()) {
    std::size_t dot = rest.find('.');
    std::string_view label = rest.substr(0, dot);
    out.push_back(static_cast<std::uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
    rest = dot == std::string_view::npos ? std::string_view{} : rest.substr(dot + 1);
  }
  if (name.pointer) {
    append_u16(out, static_cast<std::uint16_t>(0xC000 | *name.pointer));
  } else {
    out.push_back(0);
  }
}

inline Wire wire_name(const Name& name) {
  Wire out;
  append_name(out, name);
  return out;
}

/// One EDNS option (code, data).
struct Option {
  std::uint16_t code = 0;
  Wire data;
};

enum class Section : std::uint8_t { answer, authority, additional };

/// Builds a message front to back. Records go to the current section (answer by default) and
/// are counted there; `counts` overrides the header counts afterwards for malformed messages.
class MessageBuilder {
 public:
  explicit MessageBuilder(std::uint16_t id = 0x1234, std::uint16_t flags = kFlagRd)
      : bytes_(kHeaderSize, 0) {
    write_u16(&bytes_[kOffId], id);
    write_u16(&bytes_[kOffFlags], flags);
  }

  MessageBuilder& question(const Name& name, std::uint16_t type = qtype::kA,
                           std::uint16_t qclass = kClassIn) {
    append_name(bytes_, name);
    append_u16(bytes_, type);
    append_u16(bytes_, qclass);
    bump(kOffQdcount);
    return *this;
  }

  MessageBuilder& section(Section s) {
    section_ = s;
    return *this;
  }

  /// Any record; returns the builder. `ttl_offset()` then gives where its TTL went.
  MessageBuilder& record(const Name& owner, std::uint16_t type, std::uint16_t rclass,
                         std::uint32_t ttl, const Wire& rdata) {
    append_name(bytes_, owner);
    append_u16(bytes_, type);
    append_u16(bytes_, rclass);
    last_ttl_offset_ = bytes_.size();
    append_u32(bytes_, ttl);
    append_u16(bytes_, static_cast<std::uint16_t>(rdata.size()));
    bytes_.insert(bytes_.end(), rdata.begin(), rdata.end());
    bump(section_ == Section::answer      ? kOffAncount
         : section_ == Section::authority ? kOffNscount
                                          : kOffArcount);
    return *this;
  }

  MessageBuilder& a(const Name& owner, std::uint32_t ttl, std::array<std::uint8_t, 4> address) {
    return record(owner, qtype::kA, kClassIn, ttl, Wire(address.begin(), address.end()));
  }

  MessageBuilder& aaaa(const Name& owner, std::uint32_t ttl, std::array<std::uint8_t, 16> address) {
    return record(owner, qtype::kAaaa, kClassIn, ttl, Wire(address.begin(), address.end()));
  }

  MessageBuilder& cname(const Name& owner, std::uint32_t ttl, const Name& target) {
    return record(owner, qtype::kCname, kClassIn, ttl, wire_name(target));
  }

  MessageBuilder& txt(const Name& owner, std::uint32_t ttl, std::string_view text) {
    Wire rdata{static_cast<std::uint8_t>(text.size())};
    rdata.insert(rdata.end(), text.begin(), text.end());
    return record(owner, qtype::kTxt, kClassIn, ttl, rdata);
  }

  /// An SOA; `extra_rdata` appends bytes after MINIMUM (a malformed RDLENGTH when non-zero),
  /// `cut_rdata` drops that many bytes from its end.
  MessageBuilder& soa(const Name& owner, std::uint32_t ttl, const Name& mname, const Name& rname,
                      std::uint32_t minimum, std::size_t extra_rdata = 0,
                      std::size_t cut_rdata = 0) {
    Wire rdata = wire_name(mname);
    Wire r = wire_name(rname);
    rdata.insert(rdata.end(), r.begin(), r.end());
    std::size_t names_size = rdata.size();
    for (std::uint32_t v : {2024010101u, 7200u, 3600u, 1209600u})
      append_u32(rdata, v);
    append_u32(rdata, minimum);
    rdata.insert(rdata.end(), extra_rdata, 0);
    rdata.resize(rdata.size() - cut_rdata);
    record(owner, qtype::kSoa, kClassIn, ttl, rdata);
    soa_minimum_offset_ = bytes_.size() - rdata.size() + names_size + 16;
    return *this;
  }

  /// An OPT record (always counted where the current section says).
  MessageBuilder& opt(std::uint16_t udp_size, bool dnssec_ok = false, std::uint8_t version = 0,
                      const std::vector<Option>& options = {}, const Name& owner = Name("")) {
    Wire rdata;
    for (const Option& o : options) {
      append_u16(rdata, o.code);
      append_u16(rdata, static_cast<std::uint16_t>(o.data.size()));
      rdata.insert(rdata.end(), o.data.begin(), o.data.end());
    }
    std::uint32_t ttl = (std::uint32_t{version} << 16) | (dnssec_ok ? 0x8000u : 0u);
    return record(owner, qtype::kOpt, udp_size, ttl, rdata);
  }

  /// Appends bytes as they are, counted nowhere.
  MessageBuilder& raw(const Wire& more) {
    bytes_.insert(bytes_.end(), more.begin(), more.end());
    return *this;
  }

  MessageBuilder& counts(std::uint16_t qd, std::uint16_t an, std::uint16_t ns, std::uint16_t ar) {
    write_u16(&bytes_[kOffQdcount], qd);
    write_u16(&bytes_[kOffAncount], an);
    write_u16(&bytes_[kOffNscount], ns);
    write_u16(&bytes_[kOffArcount], ar);
    return *this;
  }

  std::size_t size() const { return bytes_.size(); }
  std::size_t ttl_offset() const { return last_ttl_offset_; }
  std::size_t soa_minimum_offset() const { return soa_minimum_offset_; }
  const Wire& bytes() const { return bytes_; }
  Wire build() const { return bytes_; }

 private:
  void bump(std::size_t at) {
    write_u16(&bytes_[at], static_cast<std::uint16_t>(read_u16(&bytes_[at]) + 1));
  }

  Wire bytes_;
  Section section_ = Section::answer;
  std::size_t last_ttl_offset_ = 0;
  std::size_t soa_minimum_offset_ = 0;
};

/// A plain query: header with RD, one question, and an OPT when `udp_size` is non-zero.
inline Wire make_query(const Name& name, std::uint16_t type = qtype::kA, std::uint16_t udp_size = 0,
                       bool dnssec_ok = false, std::uint16_t id = 0x1234,
                       std::uint16_t flags = kFlagRd) {
  MessageBuilder m(id, flags);
  m.question(name, type);
  if (udp_size != 0) m.section(Section::additional).opt(udp_size, dnssec_ok);
  return m.build();
}

/// Header field readers for assertions.
inline std::uint16_t header_id(const Wire& m) {
  return read_u16(&m[kOffId]);
}
inline std::uint16_t header_flags(const Wire& m) {
  return read_u16(&m[kOffFlags]);
}
inline std::uint16_t qdcount(const Wire& m) {
  return read_u16(&m[kOffQdcount]);
}
inline std::uint16_t ancount(const Wire& m) {
  return read_u16(&m[kOffAncount]);
}
inline std::uint16_t nscount(const Wire& m) {
  return read_u16(&m[kOffNscount]);
}
inline std::uint16_t arcount(const Wire& m) {
  return read_u16(&m[kOffArcount]);
}
inline Rcode header_rcode(const Wire& m) {
  return static_cast<Rcode>(header_flags(m) & kRcodeMask);
}

/// An OPT record read back: its fixed fields and options.
struct DecodedOpt {
  std::uint16_t udp_size = 0;
  std::uint8_t extended_rcode = 0;
  std::uint8_t version = 0;
  std::uint16_t flags = 0;
  std::vector<Option> options;
  bool well_formed = false;  ///< root owner, type OPT, options exactly fill RDLENGTH
};

/// Decodes the OPT record at `begin` (its owner name) that must end at `end`.
inline DecodedOpt decode_opt(const Wire& m, std::size_t begin, std::size_t end) {
  DecodedOpt d;
  if (begin + 11 > m.size() || m[begin] != 0 || read_u16(&m[begin + 1]) != qtype::kOpt) return d;
  d.udp_size = read_u16(&m[begin + 3]);
  d.extended_rcode = m[begin + 5];
  d.version = m[begin + 6];
  d.flags = read_u16(&m[begin + 7]);
  std::size_t rdlength = read_u16(&m[begin + 9]);
  std::size_t p = begin + 11;
  if (p + rdlength != end || end > m.size()) return d;
  while (p + 4 <= end) {
    Option o;
    o.code = read_u16(&m[p]);
    std::size_t length = read_u16(&m[p + 2]);
    p += 4;
    if (p + length > end) return d;
    o.data.assign(m.begin() + static_cast<std::ptrdiff_t>(p),
                  m.begin() + static_cast<std::ptrdiff_t>(p + length));
    d.options.push_back(std::move(o));
    p += length;
  }
  d.well_formed = p == end;
  return d;
}

/// A client packet and its parse, kept together because answers copy from the packet.
struct Client {
  Wire packet;
  Query query;
};

inline Client client(Wire packet, ParseStatus expected = ParseStatus::ok) {
  Client c{std::move(packet), {}};
  REQUIRE(parse_query(c.packet, c.query) == expected);
  return c;
}

/// The question section of a message whose question ends at `end`.
inline Wire question_bytes(const Wire& message, std::size_t end) {
  return Wire(message.begin() + kHeaderSize, message.begin() + static_cast<std::ptrdiff_t>(end));
}

}  // namespace shelter::proxy::dns::test

namespace Catch {
template <>
struct StringMaker<shelter::proxy::dns::ParseStatus> {
  static std::string convert(shelter::proxy::dns::ParseStatus s) {
    using shelter::proxy::dns::ParseStatus;
    switch (s) {
      case ParseStatus::ok:
        return "ok";
      case ParseStatus::formerr:
        return "formerr";
      case ParseStatus::notimp:
        return "notimp";
      case ParseStatus::drop:
        return "drop";
    }
    return "?";
  }
};
template <>
struct StringMaker<shelter::proxy::dns::Rcode> {
  static std::string convert(shelter::proxy::dns::Rcode r) {
    return "rcode " + std::to_string(static_cast<int>(r));
  }
};
}  // namespace Catch
