#include <array>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "proxy/dns/builder.h"
#include "proxy/dns/message.h"
#include "tests/unit/proxy/dns_test_util.h"

namespace dns = shelter::proxy::dns;
using dns::ParseStatus;
using dns::Rcode;
using dns::test::Client;
using dns::test::client;
using dns::test::MessageBuilder;
using dns::test::Name;
using dns::test::question_bytes;
using dns::test::Section;
using dns::test::Wire;

namespace {

constexpr std::uint16_t kOurPayload = 1232;
constexpr std::uint16_t kEdeOption = 15;

// The OPT of a finished answer, located by parsing the answer as a response.
dns::test::DecodedOpt opt_of(const Wire& answer) {
  dns::Response r;
  REQUIRE(dns::parse_response(answer, r) == ParseStatus::ok);
  REQUIRE(r.opt_end != 0);
  CHECK(r.opt_end == answer.size());  // our OPT is always the last record
  return dns::test::decode_opt(answer, r.opt_begin, r.opt_end);
}

Wire ede_data(std::uint16_t code, std::string_view text) {
  Wire data;
  dns::append_u16(data, code);
  data.insert(data.end(), text.begin(), text.end());
  return data;
}

}  // namespace

TEST_CASE("begin_answer echoes the query's header and question", "[dns][builder]") {
  struct Case {
    std::uint16_t query_flags;
    Rcode rcode;
  };
  const std::uint16_t opcode_notify = 4 << 11;
  const std::vector<Case> cases = {
      {dns::kFlagRd, Rcode::noerror},
      {0, Rcode::nxdomain},
      {dns::kFlagRd | dns::kFlagCd, Rcode::servfail},
      {dns::kFlagCd, Rcode::refused},
      // Bits a query has no business setting, or that an answer sets itself, are not echoed.
      {dns::kFlagRd | dns::kFlagAd | dns::kFlagAa | dns::kFlagTc | dns::kFlagRa, Rcode::noerror},
      {static_cast<std::uint16_t>(opcode_notify | dns::kFlagRd), Rcode::notimp},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION("flags " << c.query_flags << " rcode " << int(c.rcode)) {
      Wire packet = dns::test::make_query("WwW.ExAmple.COM", dns::qtype::kAaaa, 4096, true, 0xD00D,
                                          c.query_flags);
      dns::Query q;
      REQUIRE(dns::parse_query(packet, q) != ParseStatus::drop);
      Wire out{9, 9, 9};  // reused buffers start with stale content
      dns::begin_answer(packet, q, c.rcode, out);

      // RA only answers a QUERY: NOTIMP to another opcode says nothing of recursion.
      const bool query_opcode = (c.query_flags & dns::kOpcodeMask) == 0;
      const std::uint16_t expected_flags = static_cast<std::uint16_t>(
          dns::kFlagQr | (query_opcode ? dns::kFlagRa : 0) |
          (c.query_flags & (dns::kOpcodeMask | dns::kFlagRd | dns::kFlagCd)) |
          static_cast<std::uint16_t>(c.rcode));
      CHECK(dns::test::header_id(out) == 0xD00D);
      CHECK(dns::test::header_flags(out) == expected_flags);
      CHECK(dns::test::header_rcode(out) == c.rcode);
      CHECK(dns::test::qdcount(out) == 1);
      CHECK(dns::test::ancount(out) == 0);
      CHECK(dns::test::nscount(out) == 0);
      CHECK(dns::test::arcount(out) == 0);
      REQUIRE(out.size() == q.question_end);
      CHECK(question_bytes(out, out.size()) == question_bytes(packet, q.question_end));
      CHECK(question_bytes(out, out.size() - 4) == dns::test::wire_name("WwW.ExAmple.COM"));
    }
  }
}

TEST_CASE("append_address adds records compressed to the question", "[dns][builder]") {
  Client c = client(dns::test::make_query("Host.Example"));
  Wire out;
  dns::begin_answer(c.packet, c.query, Rcode::noerror, out);
  const std::size_t question_end = out.size();
  const std::array<std::uint8_t, 4> v4{192, 0, 2, 7};
  const std::array<std::uint8_t, 16> v6{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  dns::append_address(out, dns::qtype::kA, 300, v4);
  dns::append_address(out, dns::qtype::kAaaa, 0x01020304, v6);

  CHECK(dns::test::ancount(out) == 2);
  Wire expected =
      MessageBuilder().a(Name("", 12), 300, v4).aaaa(Name("", 12), 0x01020304, v6).build();
  CHECK(Wire(out.begin() + static_cast<long>(question_end), out.end()) ==
        Wire(expected.begin() + 12, expected.end()));

  dns::Response r;
  REQUIRE(dns::parse_response(out, r) == ParseStatus::ok);
  CHECK(r.ancount == 2);
  REQUIRE(r.ttl_offsets.size() == 2);
  CHECK(dns::read_u32(&out[r.ttl_offsets[0]]) == 300);
  CHECK(dns::read_u32(&out[r.ttl_offsets[1]]) == 0x01020304);
}

TEST_CASE("finish_answer adds an OPT only when the query had EDNS", "[dns][builder]") {
  SECTION("no EDNS: no OPT, even with extended errors") {
    Client c = client(dns::test::make_query("example.com"));
    Wire out;
    dns::begin_answer(c.packet, c.query, Rcode::refused, out);
    const std::array<dns::ExtendedError, 1> errors{{{dns::kEdeForgedAnswer, "blocked"}}};
    dns::finish_answer(out, c.query, kOurPayload, errors, 512);
    CHECK(out.size() == c.query.question_end);
    CHECK(dns::test::arcount(out) == 0);
  }
  for (bool dnssec_ok : {false, true}) {
    DYNAMIC_SECTION("EDNS, DO=" << dnssec_ok) {
      Client c = client(dns::test::make_query("example.com", dns::qtype::kA, 4096, dnssec_ok));
      Wire out;
      dns::begin_answer(c.packet, c.query, Rcode::noerror, out);
      dns::finish_answer(out, c.query, kOurPayload, {}, 4096);
      CHECK(dns::test::arcount(out) == 1);
      CHECK(out.size() == c.query.question_end + 11);
      dns::test::DecodedOpt opt = opt_of(out);
      CHECK(opt.well_formed);
      CHECK(opt.udp_size == kOurPayload);  // ours, not the client's
      CHECK(opt.extended_rcode == 0);
      CHECK(opt.version == 0);
      CHECK(opt.flags == (dnssec_ok ? 0x8000 : 0));
      CHECK(opt.options.empty());
    }
  }
}

TEST_CASE("finish_answer encodes Extended DNS Errors per RFC 8914", "[dns][builder]") {
  Client c = client(dns::test::make_query("ads.example", dns::qtype::kA, 1232, true));
  const std::string long_text(1000, 'z');
  struct Case {
    const char* what;
    std::vector<dns::ExtendedError> errors;
    std::vector<dns::test::Option> expected;
  };
  const std::vector<Case> cases = {
      {"one with text",
       {{dns::kEdeForgedAnswer, "Blocked by Shelter"}},
       {{kEdeOption, ede_data(4, "Blocked by Shelter")}}},
      {"one without text", {{15, ""}}, {{kEdeOption, {0, 15}}}},
      {"several, in order",
       {{17, "filtered"}, {0x1234, ""}, {18, "prohibited \xE2\x9C\x8B"}},
       {{kEdeOption, ede_data(17, "filtered")},
        {kEdeOption, {0x12, 0x34}},
        {kEdeOption, ede_data(18, "prohibited \xE2\x9C\x8B")}}},
      // EXTRA-TEXT is capped at 400 octets so the OPT always fits an answer.
      {"long text capped at 400 octets",
       {{3, long_text}},
       {{kEdeOption, ede_data(3, std::string_view(long_text).substr(0, 400))}}},
  };
  for (const Case& k : cases) {
    DYNAMIC_SECTION(k.what) {
      Wire out;
      dns::begin_answer(c.packet, c.query, Rcode::noerror, out);
      dns::finish_answer(out, c.query, kOurPayload, k.errors, dns::kMaxMessageSize);
      CHECK(dns::test::arcount(out) == 1);
      dns::test::DecodedOpt opt = opt_of(out);
      REQUIRE(opt.well_formed);
      CHECK(opt.flags == 0x8000);
      REQUIRE(opt.options.size() == k.expected.size());
      for (std::size_t i = 0; i < k.expected.size(); ++i) {
        CHECK(opt.options[i].code == k.expected[i].code);
        CHECK(opt.options[i].data == k.expected[i].data);
      }
    }
  }
}

TEST_CASE("finish_answer truncates answers larger than the limit", "[dns][builder]") {
  // Filtered (17) with a text, and Forged Answer (4), which truncation must drop: no record is
  // left to be forged.
  const std::array<dns::ExtendedError, 2> errors{{{17, "blocked"}, {dns::kEdeForgedAnswer, {}}}};
  const std::array<std::uint8_t, 4> address{10, 0, 0, 1};
  auto build = [&](const Client& c, int records, std::size_t max_size) {
    Wire out;
    dns::begin_answer(c.packet, c.query, Rcode::noerror, out);
    for (int i = 0; i < records; ++i)
      dns::append_address(out, dns::qtype::kA, 60, address);
    dns::finish_answer(out, c.query, kOurPayload, errors, max_size);
    return out;
  };

  SECTION("with EDNS: header, question, then the OPT again") {
    Client c = client(dns::test::make_query("Big.Example", dns::qtype::kA, 512, true));
    const std::size_t max_size = dns::max_answer_size(c.query, false, kOurPayload);
    REQUIRE(max_size == 512);
    Wire out = build(c, 40, max_size);  // 40 x 16 octets of records
    CHECK(dns::test::header_flags(out) & dns::kFlagTc);
    CHECK(dns::test::header_rcode(out) == Rcode::noerror);
    CHECK(dns::test::qdcount(out) == 1);
    CHECK(dns::test::ancount(out) == 0);
    CHECK(dns::test::nscount(out) == 0);
    CHECK(dns::test::arcount(out) == 1);
    CHECK(question_bytes(out, c.query.question_end) ==
          question_bytes(c.packet, c.query.question_end));
    dns::test::DecodedOpt opt = opt_of(out);
    CHECK(opt.udp_size == kOurPayload);
    CHECK(opt.flags == 0x8000);
    REQUIRE(opt.options.size() == 1);
    CHECK(opt.options[0].data == ede_data(17, "blocked"));
    CHECK(out.size() == c.query.question_end + 11 + 4 + 2 + 7);
  }
  SECTION("without EDNS: header and question only") {
    Client c = client(dns::test::make_query("big.example"));
    Wire out = build(c, 40, dns::max_answer_size(c.query, false, kOurPayload));
    CHECK(dns::test::header_flags(out) & dns::kFlagTc);
    CHECK(dns::test::ancount(out) == 0);
    CHECK(dns::test::arcount(out) == 0);
    CHECK(out.size() == c.query.question_end);
  }
  SECTION("an answer of exactly the limit is kept whole") {
    Client c = client(dns::test::make_query("big.example", dns::qtype::kA, 4096));
    const std::size_t whole = build(c, 10, dns::kMaxMessageSize).size();
    Wire at_limit = build(c, 10, whole);
    CHECK(at_limit.size() == whole);
    CHECK_FALSE(dns::test::header_flags(at_limit) & dns::kFlagTc);
    CHECK(dns::test::ancount(at_limit) == 10);
    Wire over = build(c, 10, whole - 1);
    CHECK(dns::test::header_flags(over) & dns::kFlagTc);
    CHECK(dns::test::ancount(over) == 0);
    CHECK(dns::test::arcount(over) == 1);
  }
}

TEST_CASE("max_answer_size", "[dns][builder]") {
  struct Case {
    const char* what;
    std::uint16_t client_udp;  // 0: no EDNS
    bool over_tcp;
    std::uint16_t ours;
    std::size_t expected;
  };
  const std::vector<Case> cases = {
      {"TCP without EDNS", 0, true, 1232, 65535},
      {"TCP with EDNS", 1232, true, 1232, 65535},
      {"UDP without EDNS", 0, false, 4096, 512},
      {"UDP, client larger", 4096, false, 1232, 1232},
      {"UDP, ours larger", 1400, false, 4096, 1400},
      {"UDP, equal", 1232, false, 1232, 1232},
      {"UDP, client below 512 counts as 512", 100, false, 1232, 512},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.what) {
      Client k = client(dns::test::make_query("example.com", dns::qtype::kA, c.client_udp));
      CHECK(dns::max_answer_size(k.query, c.over_tcp, c.ours) == c.expected);
    }
  }
}

TEST_CASE("build_error", "[dns][builder]") {
  SECTION("FORMERR with a readable question") {
    Client c = client(MessageBuilder(0x0102, dns::kFlagRd | dns::kFlagCd)
                          .question("Bad.Example")
                          .raw({0xFF})
                          .counts(1, 0, 0, 1)
                          .build(),
                      ParseStatus::formerr);
    Wire out;
    dns::build_error(c.packet, c.query, Rcode::formerr, kOurPayload, out);
    CHECK(dns::test::header_id(out) == 0x0102);
    CHECK(dns::test::header_flags(out) == (dns::kFlagQr | dns::kFlagRa | dns::kFlagRd |
                                           dns::kFlagCd | static_cast<std::uint16_t>(1)));
    CHECK(dns::test::qdcount(out) == 1);
    CHECK(dns::test::arcount(out) == 0);
    REQUIRE(out.size() == c.query.question_end);
    CHECK(question_bytes(out, out.size()) == question_bytes(c.packet, c.query.question_end));
  }
  struct Unreadable {
    const char* what;
    Wire packet;
  };
  const std::vector<Unreadable> unreadable = {
      {"qdcount 0", MessageBuilder(0x0304).counts(0, 0, 0, 0).build()},
      {"qdcount 2", MessageBuilder(0x0304).question("a").question("b").build()},
      {"name cut short", MessageBuilder(0x0304).raw({5, 'a', 'b'}).counts(1, 0, 0, 0).build()},
      {"pointer loop",
       MessageBuilder(0x0304).raw({0xC0, 12, 0, 1, 0, 1}).counts(1, 0, 0, 0).build()},
  };
  for (const Unreadable& u : unreadable) {
    DYNAMIC_SECTION("FORMERR without a question: " << u.what) {
      Client c = client(u.packet, ParseStatus::formerr);
      Wire out;
      dns::build_error(c.packet, c.query, Rcode::formerr, kOurPayload, out);
      CHECK(out.size() == dns::kHeaderSize);
      CHECK(dns::test::header_id(out) == 0x0304);
      CHECK(dns::test::header_flags(out) ==
            (dns::kFlagQr | dns::kFlagRa | dns::kFlagRd | static_cast<std::uint16_t>(1)));
      CHECK(dns::test::qdcount(out) == 0);
      CHECK(dns::test::ancount(out) == 0);
      CHECK(dns::test::arcount(out) == 0);
    }
  }
  SECTION("NOTIMP keeps the opcode and the question") {
    const std::uint16_t flags = static_cast<std::uint16_t>((5 << 11) | dns::kFlagRd);
    Client c = client(dns::test::make_query("Zone.Example", dns::qtype::kSoa, 0, false, 7, flags),
                      ParseStatus::notimp);
    Wire out;
    dns::build_error(c.packet, c.query, Rcode::notimp, kOurPayload, out);
    CHECK((dns::test::header_flags(out) & dns::kOpcodeMask) == (5 << 11));
    CHECK((dns::test::header_flags(out) & dns::kFlagRa) == 0);
    CHECK(dns::test::header_rcode(out) == Rcode::notimp);
    CHECK(question_bytes(out, out.size()) == question_bytes(c.packet, c.query.question_end));
  }
  for (Rcode rcode : {Rcode::servfail, Rcode::refused}) {
    DYNAMIC_SECTION("rcode " << int(rcode) << " to an EDNS query carries our OPT") {
      Client c = client(dns::test::make_query("example.com", dns::qtype::kA, 4096, true));
      Wire out;
      dns::build_error(c.packet, c.query, rcode, kOurPayload, out);
      CHECK(dns::test::header_rcode(out) == rcode);
      CHECK(dns::test::arcount(out) == 1);
      dns::test::DecodedOpt opt = opt_of(out);
      CHECK(opt.udp_size == kOurPayload);
      CHECK(opt.flags == 0x8000);
      CHECK(opt.options.empty());
    }
  }
}

TEST_CASE("stamp_for_client makes an answer the client's", "[dns][builder]") {
  Client c = client(
      dns::test::make_query("WwW.Example.COM", dns::qtype::kA, 0, false, 0x4242, dns::kFlagCd));
  const std::uint16_t upstream_flags = dns::kFlagQr | dns::kFlagAa | dns::kFlagTc | dns::kFlagRd |
                                       dns::kFlagAd | dns::kFlagZ | static_cast<std::uint16_t>(3);
  Wire message = MessageBuilder(0x9999, upstream_flags)
                     .question("www.example.com")
                     .a(Name("", 12), 60, {1, 2, 3, 4})
                     .build();
  const Wire before = message;
  dns::stamp_for_client(c.packet, c.query, message);

  REQUIRE(message.size() == before.size());
  CHECK(dns::test::header_id(message) == 0x4242);
  // RD and CD are the client's, RA set, TC and AA cleared (a forwarder is no authority), Z
  // cleared; AD (finish_answer's to judge) and RCODE stay the upstream's.
  CHECK(dns::test::header_flags(message) == (dns::kFlagQr | dns::kFlagCd | dns::kFlagRa |
                                             dns::kFlagAd | static_cast<std::uint16_t>(3)));
  CHECK(question_bytes(message, c.query.question_end) ==
        question_bytes(c.packet, c.query.question_end));
  CHECK(Wire(message.begin() + 4, message.begin() + 12) ==
        Wire(before.begin() + 4, before.begin() + 12));
  CHECK(Wire(message.begin() + static_cast<long>(c.query.question_end), message.end()) ==
        Wire(before.begin() + static_cast<long>(c.query.question_end), before.end()));
}

TEST_CASE("adopt_upstream_answer relays an upstream answer", "[dns][builder]") {
  Client c = client(
      dns::test::make_query("WwW.Example.COM", dns::qtype::kA, 1232, false, 0x4242, dns::kFlagRd));
  const std::uint16_t upstream_flags = dns::kFlagQr | dns::kFlagRd | dns::kFlagRa | dns::kFlagAd;

  for (bool with_opt : {true, false}) {
    DYNAMIC_SECTION((with_opt ? "with" : "without") << " an upstream OPT") {
      MessageBuilder m(0x7777, upstream_flags);
      m.question("www.EXAMPLE.com");  // upstream case differs from both
      m.cname(Name("", 12), 300, Name("cdn", 16));
      m.a(Name("", 45), 60, {192, 0, 2, 1});
      m.section(Section::additional).a("glue.example", 30, {192, 0, 2, 53});
      const std::size_t before_opt = m.size();
      if (with_opt) m.opt(4096, false, 0, {{15, {0, 3}}, {10, {1, 2, 3, 4, 5, 6, 7, 8}}});
      const Wire upstream = m.build();
      dns::Response r;
      REQUIRE(dns::parse_response(upstream, r) == ParseStatus::ok);

      Wire out{1, 2, 3};
      REQUIRE(dns::adopt_upstream_answer(c.packet, c.query, upstream, r, out));
      REQUIRE(out.size() == before_opt);
      CHECK(dns::test::header_id(out) == 0x4242);
      CHECK(dns::test::header_flags(out) == upstream_flags);
      CHECK(dns::test::ancount(out) == 2);
      CHECK(dns::test::arcount(out) == 1);
      CHECK(question_bytes(out, c.query.question_end) ==
            question_bytes(c.packet, c.query.question_end));
      CHECK(Wire(out.begin() + static_cast<long>(c.query.question_end), out.end()) ==
            Wire(upstream.begin() + static_cast<long>(c.query.question_end),
                 upstream.begin() + static_cast<long>(before_opt)));

      // The result is a well-formed response whose offsets are the upstream's.
      dns::Response adopted;
      REQUIRE(dns::parse_response(out, adopted) == ParseStatus::ok);
      CHECK(adopted.opt_end == 0);
      CHECK(adopted.ttl_offsets == r.ttl_offsets);
    }
  }

  SECTION("the client's flags win over the upstream's") {
    Client cd =
        client(dns::test::make_query("www.example.com", dns::qtype::kA, 0, false, 1, dns::kFlagCd));
    Wire upstream =
        MessageBuilder(9, upstream_flags | dns::kFlagTc).question("www.example.com").build();
    dns::Response r;
    REQUIRE(dns::parse_response(upstream, r) == ParseStatus::ok);
    Wire out;
    REQUIRE(dns::adopt_upstream_answer(cd.packet, cd.query, upstream, r, out));
    CHECK(dns::test::header_flags(out) ==
          (dns::kFlagQr | dns::kFlagRa | dns::kFlagAd | dns::kFlagCd));
  }
}

TEST_CASE("finish_answer leaves AD only to a client that asked with AD or DO", "[dns][builder]") {
  // The cache keys on DO and CD, not AD, so one cached answer serves clients with and without
  // AD: RFC 6840 5.7-5.8 say who may see the bit.
  struct Case {
    const char* what;
    std::uint16_t query_flags;
    bool dnssec_ok;
    bool keeps_ad;
  };
  const std::vector<Case> cases = {
      {"neither AD nor DO", dns::kFlagRd, false, false},
      {"AD", dns::kFlagRd | dns::kFlagAd, false, true},
      {"DO", dns::kFlagRd, true, true},
      {"AD and DO", dns::kFlagRd | dns::kFlagAd, true, true},
  };
  for (const Case& k : cases) {
    DYNAMIC_SECTION(k.what) {
      Client c = client(dns::test::make_query("www.example.com", dns::qtype::kA, 1232, k.dnssec_ok,
                                              3, k.query_flags));
      Wire message = MessageBuilder(9, dns::kFlagQr | dns::kFlagRd | dns::kFlagRa | dns::kFlagAd)
                         .question("www.example.com")
                         .build();
      dns::stamp_for_client(c.packet, c.query, message);
      REQUIRE((dns::test::header_flags(message) & dns::kFlagAd) != 0);
      dns::finish_answer(message, c.query, kOurPayload, {}, 65535);
      CHECK(((dns::test::header_flags(message) & dns::kFlagAd) != 0) == k.keeps_ad);
    }
  }
}

TEST_CASE("adopt_upstream_answer refuses what it cannot relay", "[dns][builder]") {
  Client c = client(dns::test::make_query("www.example.com", dns::qtype::kA, 1232));
  const std::uint16_t kQr = dns::kFlagQr;
  struct Case {
    const char* what;
    Wire upstream;
    bool parse_it;  // whether the upstream parses as a response (else an empty parse is used)
  };
  const std::vector<Case> cases = {
      {"OPT not the last record",
       MessageBuilder(1, kQr)
           .question("www.example.com")
           .section(Section::additional)
           .opt(1232)
           .a("glue", 5, {1, 1, 1, 1})
           .build(),
       true},
      {"another name of the same length",
       MessageBuilder(1, kQr).question("www.example.org").build(), true},
      {"a longer name", MessageBuilder(1, kQr).question("www.example.com.x").build(), true},
      {"a shorter name", MessageBuilder(1, kQr).question("example.com").build(), true},
      {"a compressed question",
       MessageBuilder(1, kQr).raw({0xC0, 4, 0, 1, 0, 1}).counts(1, 0, 0, 0).build(), false},
      {"shorter than header and name", MessageBuilder(1, kQr).raw({3, 'w', 'w'}).build(), false},
      {"header only", MessageBuilder(1, kQr).build(), false},
  };
  for (const Case& k : cases) {
    DYNAMIC_SECTION(k.what) {
      dns::Response r;
      if (k.parse_it) REQUIRE(dns::parse_response(k.upstream, r) == ParseStatus::ok);
      Wire out;
      CHECK_FALSE(dns::adopt_upstream_answer(c.packet, c.query, k.upstream, r, out));
    }
  }
}

TEST_CASE("build_upstream_query sends only the question and our OPT", "[dns][builder]") {
  const std::vector<dns::test::Option> private_options = {
      {8, {0, 1, 24, 0, 192, 0, 2}},   // Client Subnet
      {10, {1, 2, 3, 4, 5, 6, 7, 8}},  // COOKIE
  };
  struct Case {
    const char* what;
    Wire client_packet;
    std::uint16_t expected_flags;
    bool dnssec_ok;
  };
  const std::vector<Case> cases = {
      {"EDNS with DO and private options",
       MessageBuilder(0x1111, dns::kFlagRd | dns::kFlagCd | dns::kFlagAd)
           .question("WwW.Example.COM", dns::qtype::kAaaa)
           .section(Section::additional)
           .opt(4096, true, 0, private_options)
           .build(),
       dns::kFlagRd | dns::kFlagCd, true},
      {"no EDNS", dns::test::make_query("WwW.Example.COM", dns::qtype::kAaaa), dns::kFlagRd, false},
      {"EDNS without DO, RD clear",
       dns::test::make_query("WwW.Example.COM", dns::qtype::kAaaa, 1400, false, 5, 0), 0, false},
  };
  for (const Case& k : cases) {
    DYNAMIC_SECTION(k.what) {
      Client c = client(k.client_packet);
      Wire out{7, 7, 7};
      dns::build_upstream_query(c.query, 0xABCD, kOurPayload, out);

      const Wire expected = MessageBuilder(0xABCD, k.expected_flags)
                                .question("www.example.com", dns::qtype::kAaaa)
                                .section(Section::additional)
                                .opt(kOurPayload, k.dnssec_ok)
                                .build();
      CHECK(out == expected);

      dns::Query back;
      REQUIRE(dns::parse_query(out, back) == ParseStatus::ok);
      CHECK(back.id == 0xABCD);
      CHECK(back.name() == "www.example.com");
      CHECK(back.qtype == dns::qtype::kAaaa);
      CHECK(back.qclass == dns::kClassIn);
      CHECK(back.edns.present);
      CHECK(back.edns.udp_size == kOurPayload);
      CHECK(back.edns.dnssec_ok == k.dnssec_ok);
    }
  }
  SECTION("the query class travels") {
    Client c = client(MessageBuilder().question("version.bind", dns::qtype::kTxt, 3).build());
    Wire out;
    dns::build_upstream_query(c.query, 1, kOurPayload, out);
    dns::Query back;
    REQUIRE(dns::parse_query(out, back) == ParseStatus::ok);
    CHECK(back.qclass == 3);
    CHECK(back.qtype == dns::qtype::kTxt);
  }
}

TEST_CASE("a whole answer round-trips through parse_response", "[dns][builder]") {
  Client c = client(dns::test::make_query("Blocked.Example", dns::qtype::kA, 1232, true, 0x5151));
  Wire out;
  dns::begin_answer(c.packet, c.query, Rcode::noerror, out);
  dns::append_address(out, dns::qtype::kA, 10, std::array<std::uint8_t, 4>{0, 0, 0, 0});
  const std::array<dns::ExtendedError, 1> errors{{{dns::kEdeForgedAnswer, "ads"}}};
  dns::finish_answer(out, c.query, kOurPayload, errors,
                     dns::max_answer_size(c.query, false, kOurPayload));
  dns::Response r;
  REQUIRE(dns::parse_response(out, r) == ParseStatus::ok);
  CHECK(r.id == 0x5151);
  CHECK(r.ancount == 1);
  CHECK(r.ttl_offsets.size() == 1);
  CHECK(Wire(r.wire_name().begin(), r.wire_name().end()) ==
        dns::test::wire_name("blocked.example"));
  CHECK(r.opt_end == out.size());
}
