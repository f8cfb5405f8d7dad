#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "proxy/dns/message.h"
#include "tests/unit/proxy/dns_test_util.h"

namespace dns = shelter::proxy::dns;
using dns::ParseStatus;
using dns::test::MessageBuilder;
using dns::test::Name;
using dns::test::Section;
using dns::test::Wire;

namespace {

const std::string kLabel63(63, 'a');

Wire cut(Wire w, std::size_t size) {
  w.resize(size);
  return w;
}

// A header with the given counts followed by `body` as it is.
Wire header_then(std::uint16_t qd, std::uint16_t an, std::uint16_t ns, std::uint16_t ar,
                 const Wire& body, std::uint16_t flags = dns::kFlagRd) {
  return MessageBuilder(0x1234, flags).raw(body).counts(qd, an, ns, ar).build();
}

// The name a parse put into `wire`, as a vector for comparisons.
Wire lower_wire_of(dns::Bytes name) {
  return Wire(name.begin(), name.end());
}

std::string name_of_length(std::size_t wire_length) {
  // Labels of 63 octets and one shorter, so the wire form (with root) is `wire_length` long.
  std::string text;
  std::size_t left = wire_length - 1;
  while (left > 0) {
    std::size_t label = std::min<std::size_t>(63, left - 1);
    if (!text.empty()) text += '.';
    text += std::string(label, 'x');
    left -= label + 1;
  }
  return text;
}

}  // namespace

TEST_CASE("parse_query accepts valid queries", "[dns][parse_query]") {
  struct Case {
    const char* what;
    Wire packet;
    std::uint16_t qtype;
    std::string name;
    bool edns;
    std::uint16_t udp_size;
    bool dnssec_ok;
    std::uint8_t version;
  };
  const std::vector<dns::test::Option> client_options = {
      {8, {0, 1, 24, 0, 192, 0, 2}},   // Client Subnet
      {10, {1, 2, 3, 4, 5, 6, 7, 8}},  // COOKIE
  };
  const std::vector<Case> cases = {
      {"plain A", dns::test::make_query("example.com"), dns::qtype::kA, "example.com", false, 512,
       false, 0},
      {"AAAA with EDNS and DO", dns::test::make_query("example.com", dns::qtype::kAaaa, 1232, true),
       dns::qtype::kAaaa, "example.com", true, 1232, true, 0},
      {"EDNS without DO", dns::test::make_query("a.b.c", dns::qtype::kTxt, 4096, false),
       dns::qtype::kTxt, "a.b.c", true, 4096, false, 0},
      {"EDNS size below 512 clamps", dns::test::make_query("example.com", dns::qtype::kA, 100),
       dns::qtype::kA, "example.com", true, 512, false, 0},
      {"EDNS size 1 clamps", dns::test::make_query("example.com", dns::qtype::kA, 1),
       dns::qtype::kA, "example.com", true, 512, false, 0},
      {"EDNS size 512 kept", dns::test::make_query("example.com", dns::qtype::kA, 512),
       dns::qtype::kA, "example.com", true, 512, false, 0},
      {"root name", dns::test::make_query("", dns::qtype::kNs), dns::qtype::kNs, "", false, 512,
       false, 0},
      {"EDNS version 1 is parsed, not judged",
       MessageBuilder()
           .question("example.com")
           .section(Section::additional)
           .opt(1400, true, 1)
           .build(),
       dns::qtype::kA, "example.com", true, 1400, true, 1},
      {"OPT with client options",
       MessageBuilder()
           .question("example.com")
           .section(Section::additional)
           .opt(1232, false, 0, client_options)
           .build(),
       dns::qtype::kA, "example.com", true, 1232, false, 0},
      {"longest name (255 octets)", dns::test::make_query(Name(name_of_length(255))),
       dns::qtype::kA, name_of_length(255), false, 512, false, 0},
      {"63-octet label", dns::test::make_query(Name(kLabel63 + ".com")), dns::qtype::kA,
       kLabel63 + ".com", false, 512, false, 0},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.what) {
      dns::Query q;
      REQUIRE(dns::parse_query(c.packet, q) == ParseStatus::ok);
      CHECK(q.id == 0x1234);
      CHECK(q.flags == dns::kFlagRd);
      CHECK(q.qtype == c.qtype);
      CHECK(q.qclass == dns::kClassIn);
      CHECK(q.name() == c.name);
      CHECK(q.has_question());
      CHECK(q.question_end == dns::kHeaderSize + dns::test::wire_name(Name(c.name)).size() + 4);
      CHECK(lower_wire_of(q.wire_name()) == dns::test::wire_name(Name(c.name)));
      CHECK(q.edns.present == c.edns);
      CHECK(q.edns.udp_size == c.udp_size);
      CHECK(q.edns.dnssec_ok == c.dnssec_ok);
      CHECK(q.edns.version == c.version);
    }
  }
}

TEST_CASE("parse_query lower-cases the name but leaves the packet's case", "[dns][parse_query]") {
  const Wire packet = dns::test::make_query("WwW.ExAmPlE.COM", dns::qtype::kA, 1232);
  const Wire before = packet;
  dns::Query q;
  REQUIRE(dns::parse_query(packet, q) == ParseStatus::ok);
  CHECK(q.name() == "www.example.com");
  CHECK(lower_wire_of(q.wire_name()) == dns::test::wire_name("www.example.com"));
  CHECK(q.name_wire_length == 17);
  CHECK(packet == before);
  // The question bytes in the packet keep the client's case (answers echo them).
  CHECK(Wire(packet.begin() + 12, packet.begin() + 29) == dns::test::wire_name("WwW.ExAmPlE.COM"));
}

TEST_CASE("parse_query resets a reused Query", "[dns][parse_query]") {
  dns::Query q;
  REQUIRE(dns::parse_query(dns::test::make_query("first.example", dns::qtype::kA, 4096, true), q) ==
          ParseStatus::ok);
  REQUIRE(dns::parse_query(dns::test::make_query("x"), q) == ParseStatus::ok);
  CHECK(q.name() == "x");
  CHECK_FALSE(q.edns.present);
  CHECK_FALSE(q.edns.dnssec_ok);
  CHECK(q.edns.udp_size == 512);
}

TEST_CASE("parse_query drops what deserves no answer", "[dns][parse_query]") {
  const Wire query = dns::test::make_query("example.com");
  for (std::size_t size : {0, 1, 11}) {
    DYNAMIC_SECTION("shorter than a header: " << size) {
      dns::Query q;
      CHECK(dns::parse_query(cut(query, size), q) == ParseStatus::drop);
    }
  }
  SECTION("a response (QR=1)") {
    dns::Query q;
    Wire response = dns::test::make_query("example.com", dns::qtype::kA, 0, false, 7,
                                          dns::kFlagQr | dns::kFlagRd);
    CHECK(dns::parse_query(response, q) == ParseStatus::drop);
  }
}

TEST_CASE("parse_query answers malformed queries with FORMERR", "[dns][parse_query]") {
  struct Case {
    const char* what;
    Wire packet;
    bool question_read;  // whether the error answer can carry the question
  };
  const Wire question = dns::test::wire_name("example.com");
  Wire question_with_type = question;
  question_with_type.insert(question_with_type.end(), {0, 1, 0, 1});

  const std::vector<Case> cases = {
      {"qdcount 0", header_then(0, 0, 0, 0, {}), false},
      {"qdcount 0 with a question present", header_then(0, 0, 0, 0, question_with_type), false},
      {"qdcount 2", MessageBuilder().question("a").question("b").build(), false},
      {"header only, qdcount 1", header_then(1, 0, 0, 0, {}), false},
      {"name cut short", cut(dns::test::make_query("example.com"), 17), false},
      {"name without its root label", cut(dns::test::make_query("example.com"), 24), false},
      {"QTYPE cut short", cut(dns::test::make_query("example.com"), 26), false},
      {"QCLASS cut short", cut(dns::test::make_query("example.com"), 28), false},
      {"label type 0x40", header_then(1, 0, 0, 0, {0x41, 'a', 0, 0, 1, 0, 1}), false},
      {"label type 0x80", header_then(1, 0, 0, 0, {0x81, 'a', 0, 0, 1, 0, 1}), false},
      {"label type 0x40 after a good label",
       header_then(1, 0, 0, 0, {1, 'a', 0x40, 'b', 0, 0, 1, 0, 1}), false},
      {"name of 256 octets", dns::test::make_query(Name(name_of_length(256))), false},
      {"four 63-octet labels",
       dns::test::make_query(Name(kLabel63 + "." + kLabel63 + "." + kLabel63 + "." + kLabel63)),
       false},
      {"pointer to itself", header_then(1, 0, 0, 0, {0xC0, 12, 0, 1, 0, 1}), false},
      {"forward pointer", header_then(1, 0, 0, 0, {0xC0, 14, 0, 0, 1, 0, 1}), false},
      {"pointer past the end", header_then(1, 0, 0, 0, {0xC0, 0xFF, 0, 1, 0, 1}), false},
      {"pointer with high offset bits", header_then(1, 0, 0, 0, {0xFF, 0xFF, 0, 1, 0, 1}), false},
      {"label then pointer back into the label",
       header_then(1, 0, 0, 0, {1, 'a', 0xC0, 12, 0, 1, 0, 1}), false},
      {"pointer cut in half", header_then(1, 0, 0, 0, {1, 'a', 0xC0}), false},
      // The header holds no names: a pointer into it must not make one out of ID and counts.
      {"pointer into the header (root)", header_then(1, 0, 0, 0, {0xC0, 4, 0, 1, 0, 1}), false},
      {"pointer into the header (label)", header_then(1, 0x4100, 0, 0, {0xC0, 5, 0, 1, 0, 1}),
       false},
      {"two OPT records",
       MessageBuilder()
           .question("example.com")
           .section(Section::additional)
           .opt(1232)
           .opt(1232)
           .build(),
       true},
      {"OPT with a non-root owner",
       MessageBuilder()
           .question("example.com")
           .section(Section::additional)
           .opt(1232, false, 0, {}, "example.com")
           .build(),
       true},
      {"arcount 1, nothing follows", cut(dns::test::make_query("example.com", 1, 1232), 29), true},
      {"arcount 1, record cut in its fixed part",
       cut(dns::test::make_query("example.com", 1, 1232), 35), true},
      {"arcount 2, one record",
       MessageBuilder()
           .question("example.com")
           .section(Section::additional)
           .opt(1232)
           .counts(1, 0, 0, 2)
           .build(),
       true},
      {"ancount 1, garbage follows",
       MessageBuilder().question("example.com").raw({0xFF, 0xFF, 0xFF}).counts(1, 1, 0, 0).build(),
       true},
      {"RDLENGTH past the end",
       MessageBuilder()
           .question("example.com")
           .raw({0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 9, 1, 2, 3, 4})
           .counts(1, 1, 0, 0)
           .build(),
       true},
      {"authority record with a forward pointer",
       MessageBuilder()
           .question("example.com")
           .section(Section::authority)
           .a(Name("", 200), 60, {1, 2, 3, 4})
           .build(),
       true},
      {"additional record with a 0x80 label",
       MessageBuilder()
           .question("example.com")
           .raw({0x80, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4})
           .counts(1, 0, 0, 1)
           .build(),
       true},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.what) {
      dns::Query q;
      REQUIRE(dns::parse_query(c.packet, q) == ParseStatus::formerr);
      CHECK(q.id == 0x1234);  // the error answer carries the ID...
      CHECK(q.flags == dns::kFlagRd);
      CHECK(q.has_question() == c.question_read);  // ...and the question when it was readable
      if (c.question_read) {
        CHECK(q.name() == "example.com");
        CHECK(q.question_end == 29);
      }
    }
  }
}

TEST_CASE("parse_query refuses a question compressed into the header", "[dns][parse_query]") {
  // ID 0x0A34 and the flags and counts after it spell a 12-octet name at offset 0. Taken as the
  // question, its lower-case form is longer than the 2 octets of the question in the packet, and
  // code that lays the client's question bytes over an answer would read past the packet.
  Wire packet =
      MessageBuilder(0x0A34, dns::kFlagRd).raw({0xC0, 0, 0, 1, 0, 1}).counts(1, 0, 0, 0).build();
  REQUIRE(packet.size() == 18);
  dns::Query q;
  CHECK(dns::parse_query(packet, q) == ParseStatus::formerr);
  CHECK_FALSE(q.has_question());
  CHECK(q.id == 0x0A34);
}

TEST_CASE("parse_query answers other opcodes with NOTIMP and the question", "[dns][parse_query]") {
  for (std::uint16_t opcode : {1, 2, 4, 5, 15}) {
    DYNAMIC_SECTION("opcode " << opcode) {
      const std::uint16_t flags = static_cast<std::uint16_t>(dns::kFlagRd | (opcode << 11));
      Wire packet = dns::test::make_query("Example.COM", dns::qtype::kSoa, 0, false, 99, flags);
      dns::Query q;
      REQUIRE(dns::parse_query(packet, q) == ParseStatus::notimp);
      CHECK(q.id == 99);
      CHECK(q.flags == flags);
      CHECK(q.has_question());
      CHECK(q.question_end == packet.size());
      CHECK(q.name() == "example.com");
      CHECK(q.qtype == dns::qtype::kSoa);
    }
  }
}

TEST_CASE("parse_query answers another opcode NOTIMP whatever its sections hold",
          "[dns][parse_query]") {
  const auto flags = static_cast<std::uint16_t>((15 << 11) | dns::kFlagRd);
  SECTION("header only (dig +header-only +opcode=15)") {
    Wire packet = MessageBuilder(0x0F0F, flags).build();
    dns::Query q;
    REQUIRE(dns::parse_query(packet, q) == ParseStatus::notimp);
    CHECK(q.id == 0x0F0F);
    CHECK(q.flags == flags);
    CHECK_FALSE(q.has_question());
    CHECK_FALSE(q.edns.present);
  }
  SECTION("no question but an OPT: the answer carries ours") {
    Wire packet =
        MessageBuilder(0x0F0F, flags).section(Section::additional).opt(1232, true).build();
    dns::Query q;
    REQUIRE(dns::parse_query(packet, q) == ParseStatus::notimp);
    CHECK_FALSE(q.has_question());
    CHECK(q.edns.present);
    CHECK(q.edns.dnssec_ok);
  }
  SECTION("a question and an OPT") {
    Wire packet = dns::test::make_query("zone.example", dns::qtype::kSoa, 4096, false, 1, flags);
    dns::Query q;
    REQUIRE(dns::parse_query(packet, q) == ParseStatus::notimp);
    CHECK(q.has_question());
    CHECK(q.edns.present);
    CHECK(q.edns.udp_size == 4096);
  }
  SECTION("two questions: NOTIMP without one") {
    Wire packet = MessageBuilder(1, flags).question("a.example").question("b.example").build();
    dns::Query q;
    REQUIRE(dns::parse_query(packet, q) == ParseStatus::notimp);
    CHECK_FALSE(q.has_question());
  }
  SECTION("records that do not parse: NOTIMP without an OPT") {
    Wire packet = MessageBuilder(1, flags).raw({0, 0, 41}).counts(0, 0, 0, 1).build();
    dns::Query q;
    REQUIRE(dns::parse_query(packet, q) == ParseStatus::notimp);
    CHECK_FALSE(q.edns.present);
  }
  SECTION("opcode QUERY without a question is still FORMERR") {
    Wire packet = MessageBuilder(1, dns::kFlagRd).build();
    dns::Query q;
    CHECK(dns::parse_query(packet, q) == ParseStatus::formerr);
  }
}

TEST_CASE("parse_query answers a COOKIE of impossible length with FORMERR", "[dns][parse_query]") {
  // RFC 7873 5.2.2: an 8-byte client cookie alone, or with a server cookie of 8 to 32 bytes.
  for (std::size_t length : {0, 1, 2, 7, 8, 9, 15, 16, 24, 40, 41, 64}) {
    DYNAMIC_SECTION("COOKIE of " << length << " bytes") {
      const bool valid = length == 8 || (length >= 16 && length <= 40);
      Wire packet = MessageBuilder(0x0C0C)
                        .question("example.com")
                        .section(Section::additional)
                        .opt(1232, false, 0, {{3, {}}, {10, Wire(length, 0xAB)}})
                        .build();
      dns::Query q;
      CHECK(dns::parse_query(packet, q) == (valid ? ParseStatus::ok : ParseStatus::formerr));
      CHECK(q.edns.present);  // the FORMERR answer carries our OPT
    }
  }
}

TEST_CASE("parse_query walks every counted record", "[dns][parse_query]") {
  SECTION("records in all sections, OPT last") {
    Wire packet = MessageBuilder()
                      .question("example.com")
                      .a(Name("", 12), 60, {192, 0, 2, 1})
                      .section(Section::authority)
                      .cname(Name("www", 12), 60, Name("", 12))
                      .soa(Name("", 12), 60, "ns.example.com", "admin.example.com", 30)
                      .section(Section::additional)
                      .txt("t.example", 5, "hello")
                      .aaaa("v6", 5, {})
                      .opt(2048, true)
                      .build();
    dns::Query q;
    REQUIRE(dns::parse_query(packet, q) == ParseStatus::ok);
    CHECK(q.edns.present);
    CHECK(q.edns.udp_size == 2048);
    CHECK(q.edns.dnssec_ok);
  }
  SECTION("OPT first in the additional section") {
    Wire packet = MessageBuilder()
                      .question("example.com")
                      .section(Section::additional)
                      .opt(1500)
                      .txt("t", 5, "x")
                      .a("a", 1, {1, 1, 1, 1})
                      .build();
    dns::Query q;
    REQUIRE(dns::parse_query(packet, q) == ParseStatus::ok);
    CHECK(q.edns.udp_size == 1500);
  }
  SECTION("records without an OPT") {
    Wire packet = MessageBuilder()
                      .question("example.com")
                      .section(Section::additional)
                      .txt("t", 5, "x")
                      .a("a", 1, {1, 1, 1, 1})
                      .build();
    dns::Query q;
    REQUIRE(dns::parse_query(packet, q) == ParseStatus::ok);
    CHECK_FALSE(q.edns.present);
  }
}

TEST_CASE("read_name reads plain and compressed names", "[dns][read_name]") {
  // Header, then "Example.com" at 12, then "WWW" + pointer to 12 at 25, then pointer to 25 at 31.
  Wire packet = MessageBuilder().raw(dns::test::wire_name("Example.com")).build();
  packet.insert(packet.end(), {3, 'W', 'W', 'W', 0xC0, 12});
  packet.insert(packet.end(), {0xC0, 25});
  packet.insert(packet.end(), {0});  // a root name at 33

  struct Case {
    std::size_t offset;
    std::size_t end;
    const char* lower;
  };
  const std::vector<Case> cases = {
      {12, 25, "example.com"},     {20, 25, "com"}, {25, 31, "www.example.com"},
      {31, 33, "www.example.com"}, {33, 34, ""},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION("at " << c.offset) {
      std::array<std::uint8_t, dns::kMaxNameLength> lower{};
      std::uint8_t length = 0;
      CHECK(dns::read_name(packet, c.offset, lower.data(), &length) == c.end);
      CHECK(Wire(lower.begin(), lower.begin() + length) == dns::test::wire_name(c.lower));
      CHECK(dns::read_name(packet, c.offset, nullptr, nullptr) == c.end);
    }
  }
}

TEST_CASE("read_name rejects malformed names", "[dns][read_name]") {
  struct Case {
    const char* what;
    Wire body;  // after a 12-byte header
    std::size_t offset;
  };
  const Wire long_name = dns::test::wire_name(Name(kLabel63 + "." + kLabel63 + "." + kLabel63));
  Wire too_long_by_pointer = long_name;  // 193 octets at 12, then 2 x 63 + pointer to 12
  Wire tail = dns::test::wire_name(Name(kLabel63 + "." + kLabel63, 12));
  too_long_by_pointer.insert(too_long_by_pointer.end(), tail.begin(), tail.end());

  const std::vector<Case> cases = {
      {"offset at the end", {}, 12},
      {"offset past the end", {0}, 20},
      {"label past the end", {5, 'a', 'b'}, 12},
      {"no root label", {1, 'a'}, 12},
      {"pointer with one byte", {0xC0}, 12},
      {"pointer to itself", {0xC0, 12}, 12},
      {"forward pointer", {0xC0, 14, 0}, 12},
      {"pointer past the end", {0xC0, 0x40}, 12},
      {"loop of two pointers", {0xC0, 14, 0xC0, 12}, 14},
      {"loop through a label", {1, 'a', 0xC0, 12, 0xC0, 12}, 14},
      {"pointer into the header", {0xC0, 4}, 12},
      {"pointer to offset 0", {0xC0, 0}, 12},
      {"label type 0x40", {0x40}, 12},
      {"label type 0x80", {0x80, 0}, 12},
      {"label type 0xBF", {0xBF}, 12},
      {"over 255 octets across a pointer", too_long_by_pointer, 12 + long_name.size()},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.what) {
      Wire packet = MessageBuilder().raw(c.body).build();
      std::array<std::uint8_t, dns::kMaxNameLength> lower{};
      std::uint8_t length = 0;
      CHECK(dns::read_name(packet, c.offset, lower.data(), &length) == 0);
      CHECK(dns::read_name(packet, c.offset, nullptr, nullptr) == 0);
    }
  }
  SECTION("the name of 193 octets alone is fine") {
    Wire packet = MessageBuilder().raw(too_long_by_pointer).build();
    CHECK(dns::read_name(packet, 12, nullptr, nullptr) == 12 + long_name.size());
  }
}

TEST_CASE("read_name never reads past the span", "[dns][read_name]") {
  // Every prefix of a message with compressed names either parses or fails; none crashes.
  Wire full = MessageBuilder()
                  .question("www.example.com")
                  .cname(Name("", 12), 60, Name("cdn", 16))
                  .a(Name("", 45), 60, {1, 2, 3, 4})
                  .build();
  for (std::size_t size = 0; size <= full.size(); ++size) {
    Wire prefix = cut(full, size);
    dns::Query q;
    dns::Response r;
    ParseStatus query_status = dns::parse_query(prefix, q);
    ParseStatus response_status = dns::parse_response(prefix, r);
    CHECK((size < full.size() ? query_status != ParseStatus::ok : query_status == ParseStatus::ok));
    CHECK(response_status == ParseStatus::drop);  // QR=0
  }
}

TEST_CASE("parse_response finds every TTL, the SOA and the OPT", "[dns][parse_response]") {
  constexpr std::uint16_t kFlags = dns::kFlagQr | dns::kFlagRd | dns::kFlagRa;
  MessageBuilder m(0xBEEF, kFlags);
  m.question("WWW.Example.com");  // name at 12, "example.com" at 16
  std::vector<std::size_t> ttls;
  m.cname(Name("", 12), 300, Name("cdn", 16));  // owner compressed, target compressed
  ttls.push_back(m.ttl_offset());
  const std::uint16_t cdn_name = static_cast<std::uint16_t>(m.size() - 6);
  m.a(Name("", cdn_name), 60, {192, 0, 2, 1});
  ttls.push_back(m.ttl_offset());
  m.aaaa(Name("", cdn_name), 61, {0x20, 0x01, 0x0d, 0xb8});
  ttls.push_back(m.ttl_offset());
  m.section(Section::authority);
  m.record(Name("", 16), dns::qtype::kNs, dns::kClassIn, 3600, dns::test::wire_name("ns1.x"));
  ttls.push_back(m.ttl_offset());
  m.section(Section::additional);
  m.txt("info", 10, "text");
  ttls.push_back(m.ttl_offset());
  const std::size_t opt_begin = m.size();
  m.opt(1232, true, 0, {{15, {0, 3}}});
  const std::size_t opt_end = m.size();
  m.a("glue", 99, {9, 9, 9, 9});  // records after the OPT still count
  ttls.push_back(m.ttl_offset());
  const Wire packet = m.build();

  dns::Response r;
  REQUIRE(dns::parse_response(packet, r) == ParseStatus::ok);
  CHECK(r.id == 0xBEEF);
  CHECK(r.flags == kFlags);
  CHECK(r.rcode == dns::Rcode::noerror);
  CHECK_FALSE(r.truncated());
  CHECK(r.qtype == dns::qtype::kA);
  CHECK(r.qclass == dns::kClassIn);
  CHECK(lower_wire_of(r.wire_name()) == dns::test::wire_name("www.example.com"));
  CHECK(r.ancount == 3);
  CHECK(std::vector<std::size_t>(r.ttl_offsets.begin(), r.ttl_offsets.end()) == ttls);
  for (std::size_t i = 0; i < ttls.size(); ++i)
    CHECK(dns::read_u32(&packet[ttls[i]]) != 0);
  CHECK(r.soa_ttl_offset == 0);
  CHECK(r.soa_minimum_offset == 0);
  CHECK(r.opt_begin == opt_begin);
  CHECK(r.opt_end == opt_end);
}

TEST_CASE("parse_response locates the SOA of a negative answer", "[dns][parse_response]") {
  for (bool compressed : {false, true}) {
    DYNAMIC_SECTION((compressed ? "compressed" : "plain") << " SOA names") {
      MessageBuilder m(1, dns::kFlagQr | static_cast<std::uint16_t>(dns::Rcode::nxdomain));
      m.question("nope.example.com", dns::qtype::kAaaa);  // "example.com" at 17
      m.section(Section::authority);
      if (compressed) {
        m.soa(Name("", 17), 900, Name("ns", 17), Name("hostmaster", 17), 300);
      } else {
        m.soa("example.com", 900, "ns.example.com", "hostmaster.example.com", 300);
      }
      const std::size_t soa_ttl = m.ttl_offset();
      const std::size_t soa_minimum = m.soa_minimum_offset();
      m.soa("other.example", 5, "a", "b", 1);  // only the first SOA counts
      const std::size_t second_ttl = m.ttl_offset();
      m.section(Section::additional).opt(4096);
      const Wire packet = m.build();

      dns::Response r;
      REQUIRE(dns::parse_response(packet, r) == ParseStatus::ok);
      CHECK(r.rcode == dns::Rcode::nxdomain);
      CHECK(r.qtype == dns::qtype::kAaaa);
      CHECK(r.ancount == 0);
      CHECK(r.soa_ttl_offset == soa_ttl);
      CHECK(r.soa_minimum_offset == soa_minimum);
      CHECK(dns::read_u32(&packet[r.soa_ttl_offset]) == 900);
      CHECK(dns::read_u32(&packet[r.soa_minimum_offset]) == 300);
      CHECK(std::vector<std::size_t>(r.ttl_offsets.begin(), r.ttl_offsets.end()) ==
            std::vector<std::size_t>{soa_ttl, second_ttl});
      CHECK(r.opt_end == packet.size());
    }
  }
  SECTION("an SOA in the answer section is not the negative-caching SOA") {
    Wire packet = MessageBuilder(1, dns::kFlagQr)
                      .question("example.com", dns::qtype::kSoa)
                      .soa(Name("", 12), 900, "ns", "hm", 300)
                      .build();
    dns::Response r;
    REQUIRE(dns::parse_response(packet, r) == ParseStatus::ok);
    CHECK(r.soa_ttl_offset == 0);
    CHECK(r.soa_minimum_offset == 0);
    CHECK(r.ttl_offsets.size() == 1);
  }
}

TEST_CASE("parse_response clears offsets from an earlier parse", "[dns][parse_response]") {
  dns::Response r;
  Wire negative = MessageBuilder(1, dns::kFlagQr)
                      .question("a")
                      .section(Section::authority)
                      .soa("a", 60, "ns", "hm", 60)
                      .section(Section::additional)
                      .opt(1232)
                      .build();
  REQUIRE(dns::parse_response(negative, r) == ParseStatus::ok);
  REQUIRE(r.soa_ttl_offset != 0);
  Wire positive = MessageBuilder(1, dns::kFlagQr).question("a").a("a", 5, {1, 2, 3, 4}).build();
  REQUIRE(dns::parse_response(positive, r) == ParseStatus::ok);
  CHECK(r.ttl_offsets.size() == 1);
  CHECK(r.soa_ttl_offset == 0);
  CHECK(r.soa_minimum_offset == 0);
  CHECK(r.opt_begin == 0);
  CHECK(r.opt_end == 0);
}

TEST_CASE("parse_response rejects what it cannot use", "[dns][parse_response]") {
  constexpr std::uint16_t kQr = dns::kFlagQr;
  struct Case {
    const char* what;
    Wire packet;
    ParseStatus status;
  };
  const Wire good = MessageBuilder(1, kQr).question("example.com").a(Name("", 12), 5, {}).build();
  const std::vector<Case> cases = {
      {"shorter than a header", cut(good, 11), ParseStatus::drop},
      {"a query (QR=0)",
       MessageBuilder(1, 0).question("example.com").a(Name("", 12), 5, {}).build(),
       ParseStatus::drop},
      {"larger than 65535 octets", MessageBuilder(1, kQr).question("a").raw(Wire(65535, 0)).build(),
       ParseStatus::drop},
      {"qdcount 0", MessageBuilder(1, kQr).counts(0, 0, 0, 0).build(), ParseStatus::formerr},
      {"qdcount 2", MessageBuilder(1, kQr).question("a").question("a").build(),
       ParseStatus::formerr},
      {"question cut short", cut(good, 20), ParseStatus::formerr},
      {"record cut short", cut(good, good.size() - 1), ParseStatus::formerr},
      {"record missing", MessageBuilder(1, kQr).question("a").counts(1, 1, 0, 0).build(),
       ParseStatus::formerr},
      {"compressed question name",
       MessageBuilder(1, kQr).raw({0xC0, 4, 0, 1, 0, 1}).counts(1, 0, 0, 0).build(),
       ParseStatus::formerr},
      {"record owner pointer loop",
       MessageBuilder(1, kQr).question("a").a(Name("", 19), 5, {}).build(), ParseStatus::formerr},
      {"OPT in the answer section", MessageBuilder(1, kQr).question("a").opt(1232).build(),
       ParseStatus::formerr},
      {"OPT in the authority section",
       MessageBuilder(1, kQr).question("a").section(Section::authority).opt(1232).build(),
       ParseStatus::formerr},
      {"two OPT records",
       MessageBuilder(1, kQr)
           .question("a")
           .section(Section::additional)
           .opt(1232)
           .opt(1232)
           .build(),
       ParseStatus::formerr},
      {"OPT with a non-root owner",
       MessageBuilder(1, kQr)
           .question("a")
           .section(Section::additional)
           .opt(1232, false, 0, {}, "a")
           .build(),
       ParseStatus::formerr},
      {"SOA RDATA one octet too long",
       MessageBuilder(1, kQr)
           .question("a")
           .section(Section::authority)
           .soa("a", 60, "ns", "hm", 60, 1)
           .build(),
       ParseStatus::formerr},
      {"SOA RDATA one octet too short",
       MessageBuilder(1, kQr)
           .question("a")
           .section(Section::authority)
           .soa("a", 60, "ns", "hm", 60, 0, 1)
           .build(),
       ParseStatus::formerr},
      {"SOA RDATA without MINIMUM",
       MessageBuilder(1, kQr)
           .question("a")
           .section(Section::authority)
           .soa("a", 60, "ns", "hm", 60, 0, 4)
           .build(),
       ParseStatus::formerr},
      {"SOA MNAME malformed",
       MessageBuilder(1, kQr)
           .question("a")
           .section(Section::authority)
           .soa("a", 60, Name("", 500), "hm", 60)
           .build(),
       ParseStatus::formerr},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.what) {
      dns::Response r;
      CHECK(dns::parse_response(c.packet, r) == c.status);
    }
  }
  SECTION("the good message itself parses") {
    dns::Response r;
    CHECK(dns::parse_response(good, r) == ParseStatus::ok);
  }
}

TEST_CASE("parse_response reads the RCODE and TC bit", "[dns][parse_response]") {
  for (auto rcode :
       {dns::Rcode::noerror, dns::Rcode::servfail, dns::Rcode::nxdomain, dns::Rcode::refused}) {
    for (bool tc : {false, true}) {
      DYNAMIC_SECTION("rcode " << int(rcode) << " tc " << tc) {
        const std::uint16_t flags = static_cast<std::uint16_t>(
            dns::kFlagQr | (tc ? dns::kFlagTc : 0) | static_cast<std::uint16_t>(rcode));
        dns::Response r;
        REQUIRE(dns::parse_response(MessageBuilder(5, flags).question("x").build(), r) ==
                ParseStatus::ok);
        CHECK(r.rcode == rcode);
        CHECK(r.truncated() == tc);
        CHECK(r.ttl_offsets.empty());
      }
    }
  }
}
