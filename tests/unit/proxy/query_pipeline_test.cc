// The query pipeline without sockets: a client's bytes in, an answer (or forward / drop) out.
// Each case builds the Runtime the way the daemon does, from YAML with inline lists.

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/dns/builder.h"
#include "proxy/dns/message.h"
#include "proxy/dns/wire.h"
#include "tests/unit/proxy/dns_test_util.h"
#include "tests/unit/proxy/pipeline_fixture.h"

namespace config = shelter::proxy::config;
namespace net = shelter::proxy::net;
namespace dns = shelter::proxy::dns;
namespace metrics = shelter::proxy::metrics;
namespace server = shelter::proxy::server;
namespace upstream = shelter::proxy::upstream;
using Catch::Matchers::Contains;
using dns::Rcode;
using dns::test::MessageBuilder;
using dns::test::Name;
using dns::test::Section;
using dns::test::Wire;
using metrics::Outcome;
using server::Step;
using server::test::Decoded;
using server::test::Exchange;
using server::test::Pipeline;
using std::chrono::seconds;
using Codes = std::vector<std::uint16_t>;

namespace {

constexpr std::uint16_t kAny = 255;
constexpr std::uint16_t kOpcodeNotify = 4 << 11;
constexpr std::uint16_t kOpcodeUpdate = 5 << 11;
constexpr std::uint16_t kEdeBlocked = 15;
constexpr std::uint16_t kEdeCensored = 16;
constexpr std::uint16_t kEdeFiltered = 17;
constexpr std::uint16_t kEdeForged = 4;
constexpr std::uint32_t kBlockTtl = 123;
constexpr std::uint16_t kOurPayload = 1232;
constexpr const char* kDefaultAppeal = "https://appeal.shelter.test/form";  // blocking.appeal-url

// The configuration of every case; Setup fills in the $knobs. Lists, in snapshot order:
//   0 adult-list    (adult, not legal)       example.test, deep.legal.test, both.test
//   1 malware-list  (malware, no authority)  malware.test
//   2 phishing-list (Phishing, own appeal)   phish.test
//   3 legal-list    (csam, legal)            legal.test, both.test
constexpr std::string_view kConfigTemplate = R"(dns:
  allow-clients: $allow
  udp-payload-size: 1232
cache:
  servfail-ttl: $servfail_ttl
blocking:
  mode: $mode
  block-page-ipv4: $ipv4
  block-page-ipv6: $ipv6
  ttl: 123
  appeal-url: https://appeal.shelter.test/form
lists:
  - id: adult-list
    category: adult
    authority: Test operator
    entries: [example.test, deep.legal.test, both.test]
  - id: malware-list
    category: malware
    entries: [malware.test]
  - id: phishing-list
    category: Phishing
    authority: Anti-phishing group
    appeal: mailto:phish@shelter.test
    entries: [phish.test]
  - id: legal-list
    category: csam
    legal: true
    authority: Test hotline
    appeal: https://hotline.shelter.test/appeal
    entries: [legal.test, both.test]
)";

struct Setup {
  std::string mode = "block-page";
  std::string ipv4 = R"(["192.0.2.80", "192.0.2.81"])";
  std::string ipv6 = R"(["2001:db8::80"])";
  std::string allow = R"(["127.0.0.0/8", "::1/128"])";
  std::string servfail_ttl = "7";
  std::string extra_lists = "";  // more list items, appended

  std::string yaml() const {
    std::string text(kConfigTemplate);
    for (const auto& [knob, value] :
         {std::pair{"$mode", &mode}, std::pair{"$ipv4", &ipv4}, std::pair{"$ipv6", &ipv6},
          std::pair{"$allow", &allow}, std::pair{"$servfail_ttl", &servfail_ttl}}) {
      std::size_t at = text.find(knob);
      REQUIRE(at != std::string::npos);
      text.replace(at, std::string_view(knob).size(), *value);
    }
    return text + extra_lists;
  }
};

Wire query(const Name& name, std::uint16_t type = dns::qtype::kA, std::uint16_t udp_size = 1232,
           bool dnssec_ok = false, std::uint16_t id = 0xABCD, std::uint16_t flags = dns::kFlagRd) {
  return dns::test::make_query(name, type, udp_size, dnssec_ok, id, flags);
}

Wire question_of(const Wire& message, std::size_t end) {
  return Wire(message.begin() + dns::kHeaderSize, message.begin() + static_cast<long>(end));
}

// The header facts every reply shares: the client's ID and RD, QR set, AA clear.
void check_reply_header(const Exchange& e, Rcode rcode) {
  REQUIRE(e.step == Step::reply);
  REQUIRE(e.out.size() >= dns::kHeaderSize);
  CHECK(dns::test::header_id(e.out) == e.query.id);
  std::uint16_t flags = dns::test::header_flags(e.out);
  CHECK((flags & dns::kFlagQr) != 0);
  // RA answers a QUERY only; NOTIMP to another opcode says nothing of recursion.
  CHECK(((flags & dns::kFlagRa) != 0) == ((e.query.flags & dns::kOpcodeMask) == 0));
  CHECK((flags & dns::kFlagAa) == 0);
  CHECK((flags & dns::kFlagRd) == (e.query.flags & dns::kFlagRd));
  CHECK((flags & dns::kOpcodeMask) == (e.query.flags & dns::kOpcodeMask));
  CHECK(dns::test::header_rcode(e.out) == rcode);
}

// A reply that answers the client's question, in the client's own case.
void check_echoes_question(const Exchange& e) {
  REQUIRE(e.query.has_question());
  CHECK(dns::test::qdcount(e.out) == 1);
  REQUIRE(e.out.size() >= e.query.question_end);
  CHECK(question_of(e.out, e.query.question_end) == question_of(e.packet, e.query.question_end));
}

std::uint64_t total_responses(const Pipeline& p) {
  std::uint64_t total = 0;
  for (const metrics::Counter& c : p.metrics().responses)
    total += c.get();
  return total;
}

Wire v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  return Wire{a, b, c, d};
}

Wire v6(std::string_view text) {
  net::Address a = server::test::address(text);
  return Wire(a.bytes.begin(), a.bytes.end());
}

// A block page with 40 IPv4 addresses, 10.0.0.1 to 10.0.0.40: an A answer over 512 bytes.
std::string forty_addresses() {
  std::string list = "[";
  for (int i = 1; i <= 40; ++i)
    list += (i > 1 ? ", \"10.0.0." : "\"10.0.0.") + std::to_string(i) + "\"";
  return list + "]";
}

// An upstream's answer to `name`: one A record per address, with the upstream's OPT.
upstream::UpstreamAnswer upstream_answer(const Name& name, std::uint32_t ttl,
                                         std::uint8_t addresses = 1, std::uint16_t flags = 0) {
  MessageBuilder m(0x7777, dns::kFlagQr | dns::kFlagRd | dns::kFlagRa | flags);
  m.question(name);
  for (std::uint8_t i = 1; i <= addresses; ++i)
    m.a(Name("", 12), ttl, {192, 0, 2, i});
  upstream::UpstreamAnswer answer;
  answer.ok = true;
  answer.message = m.section(Section::additional).opt(4096).build();
  REQUIRE(dns::parse_response(answer.message, answer.parsed) == dns::ParseStatus::ok);
  return answer;
}

}  // namespace

TEST_CASE("each blocking mode answers each query type", "[pipeline][block]") {
  struct Case {
    const char* mode;
    std::uint16_t qtype;
    Rcode rcode;
    std::vector<Wire> addresses;  // rdata of the answer records, in order
  };
  const std::vector<Wire> both_v4 = {v4(192, 0, 2, 80), v4(192, 0, 2, 81)};
  const std::vector<Wire> the_v6 = {v6("2001:db8::80")};
  const std::vector<Case> cases = {
      {"block-page", dns::qtype::kA, Rcode::noerror, both_v4},
      {"block-page", dns::qtype::kAaaa, Rcode::noerror, the_v6},
      {"block-page", dns::qtype::kTxt, Rcode::noerror, {}},
      {"block-page", kAny, Rcode::noerror, {}},
      {"nxdomain", dns::qtype::kA, Rcode::nxdomain, {}},
      {"nxdomain", dns::qtype::kAaaa, Rcode::nxdomain, {}},
      {"nxdomain", dns::qtype::kTxt, Rcode::nxdomain, {}},
      {"nxdomain", kAny, Rcode::nxdomain, {}},
      {"nodata", dns::qtype::kA, Rcode::noerror, {}},
      {"nodata", dns::qtype::kAaaa, Rcode::noerror, {}},
      {"nodata", dns::qtype::kTxt, Rcode::noerror, {}},
      {"nodata", kAny, Rcode::noerror, {}},
      {"refused", dns::qtype::kA, Rcode::refused, {}},
      {"refused", dns::qtype::kAaaa, Rcode::refused, {}},
      {"refused", dns::qtype::kTxt, Rcode::refused, {}},
      {"refused", kAny, Rcode::refused, {}},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.mode << " qtype " << c.qtype) {
      Pipeline p(Setup{.mode = c.mode}.yaml());
      Exchange e = p.ask(query("Www.Example.TEST", c.qtype));
      check_reply_header(e, c.rcode);
      check_echoes_question(e);
      CHECK((dns::test::header_flags(e.out) & dns::kFlagTc) == 0);
      CHECK(dns::test::nscount(e.out) == 0);

      Decoded d = server::test::decode(e.out);
      REQUIRE(d.answers.size() == c.addresses.size());
      for (std::size_t i = 0; i < c.addresses.size(); ++i) {
        CHECK(d.answers[i].name == "www.example.test");
        CHECK(d.answers[i].type == c.qtype);
        CHECK(d.answers[i].rclass == dns::kClassIn);
        CHECK(d.answers[i].ttl == kBlockTtl);
        CHECK(d.answers[i].rdata == c.addresses[i]);
      }
      // Forged Answer (4) only when an address was actually made up.
      Codes expected = c.addresses.empty() ? Codes{kEdeFiltered} : Codes{kEdeFiltered, kEdeForged};
      CHECK(server::test::ede_codes(d) == expected);

      CHECK(p.responses(Outcome::blocked) == 1);
      CHECK(total_responses(p) == 1);
      CHECK(p.blocks("adult") == 1);
      CHECK(p.metrics().cache_misses.get() == 0);  // a block never looks at the cache
    }
  }
}

TEST_CASE("block-page with addresses of one family only gives NODATA for the other",
          "[pipeline][block]") {
  struct Case {
    const char* ipv4;
    const char* ipv6;
    std::uint16_t qtype;
    std::size_t answers;
  };
  const std::vector<Case> cases = {
      {R"(["192.0.2.80"])", "[]", dns::qtype::kAaaa, 0},
      {R"(["192.0.2.80"])", "[]", dns::qtype::kA, 1},
      {"[]", R"(["2001:db8::80"])", dns::qtype::kA, 0},
      {"[]", R"(["2001:db8::80"])", dns::qtype::kAaaa, 1},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION("v4 " << c.ipv4 << " v6 " << c.ipv6 << " qtype " << c.qtype) {
      Pipeline p(Setup{.ipv4 = c.ipv4, .ipv6 = c.ipv6}.yaml());
      Exchange e = p.ask(query("example.test", c.qtype));
      check_reply_header(e, Rcode::noerror);
      Decoded d = server::test::decode(e.out);
      CHECK(d.answers.size() == c.answers);
      CHECK(server::test::ede_codes(d) ==
            (c.answers == 0 ? Codes{kEdeFiltered} : Codes{kEdeFiltered, kEdeForged}));
    }
  }

  SECTION("the loader refuses block-page with no address at all") {
    config::LoadResult r = config::parse_config(Setup{.ipv4 = "[]", .ipv6 = "[]"}.yaml(), "t");
    CHECK_FALSE(r.config);
    CHECK_FALSE(r.errors.empty());
  }

  SECTION("a class other than IN gets NODATA and no Forged Answer") {
    // Hesiod: CHAOS never reaches the lists (it is answered before them).
    constexpr std::uint16_t kClassHs = 4;
    Pipeline p(Setup{}.yaml());
    Exchange e = p.ask(MessageBuilder(0x4242)
                           .question("example.test", dns::qtype::kA, kClassHs)
                           .section(Section::additional)
                           .opt(1232)
                           .build());
    check_reply_header(e, Rcode::noerror);
    Decoded d = server::test::decode(e.out);
    CHECK(d.answers.empty());
    CHECK(server::test::ede_codes(d) == Codes{kEdeFiltered});
  }
}

TEST_CASE("the EDE names the list, its category, authority and appeal route", "[pipeline][ede]") {
  struct Case {
    const char* name;
    std::uint16_t ede;
    std::vector<std::string> text_parts;
  };
  const std::vector<Case> cases = {
      {"example.test", kEdeFiltered, {"adult-list", "adult", "Test operator", kDefaultAppeal}},
      {"malware.test", kEdeBlocked, {"malware-list", "malware", kDefaultAppeal}},
      {"phish.test",
       kEdeBlocked,
       {"phishing-list", "Phishing", "Anti-phishing group", "mailto:phish@shelter.test"}},
      {"legal.test",
       kEdeCensored,
       {"legal-list", "csam", "Test hotline", "https://hotline.shelter.test/appeal"}},
  };
  for (const Case& c : cases) {
    for (const char* mode : {"block-page", "nxdomain", "nodata", "refused"}) {
      DYNAMIC_SECTION(c.name << " in mode " << mode) {
        Pipeline p(Setup{.mode = mode}.yaml());
        Exchange e = p.ask(query(c.name));
        REQUIRE(e.step == Step::reply);
        Decoded d = server::test::decode(e.out);
        bool forged = std::string_view(mode) == "block-page";
        REQUIRE(d.edes.size() == (forged ? 2u : 1u));
        CHECK(d.edes[0].code == c.ede);
        for (const std::string& part : c.text_parts)
          CHECK_THAT(d.edes[0].text, Contains(part));
        if (forged) {
          CHECK(d.edes[1].code == kEdeForged);
          CHECK(d.edes[1].text.empty());
        }
      }
    }
  }
}

TEST_CASE("an answer has an OPT only when the query had one, and echoes DO", "[pipeline][edns]") {
  SECTION("no EDNS in the query: no OPT in any block answer") {
    for (const char* mode : {"block-page", "nxdomain", "nodata", "refused"}) {
      for (std::uint16_t type : {dns::qtype::kA, dns::qtype::kTxt}) {
        DYNAMIC_SECTION(mode << " qtype " << type) {
          Pipeline p(Setup{.mode = mode}.yaml());
          Exchange e = p.ask(query("example.test", type, 0));
          REQUIRE(e.step == Step::reply);
          CHECK(dns::test::arcount(e.out) == 0);
          Decoded d = server::test::decode(e.out);
          CHECK_FALSE(d.opt);
          CHECK(d.edes.empty());
        }
      }
    }
  }

  SECTION("no EDNS in the query: no OPT in an error answer") {
    Pipeline p(Setup{}.yaml());
    Exchange e = p.ask(query("example.test", dns::qtype::kAxfr, 0));
    check_reply_header(e, Rcode::notimp);
    CHECK(dns::test::arcount(e.out) == 0);
  }

  SECTION("the DO bit is echoed, our payload size advertised") {
    for (bool dnssec_ok : {false, true}) {
      for (std::uint16_t client_size : {std::uint16_t{512}, std::uint16_t{4096}}) {
        DYNAMIC_SECTION("DO " << dnssec_ok << " client size " << client_size) {
          Pipeline p(Setup{}.yaml());
          Exchange e = p.ask(query("example.test", dns::qtype::kA, client_size, dnssec_ok));
          REQUIRE(e.step == Step::reply);
          Decoded d = server::test::decode(e.out);
          REQUIRE(d.opt);
          CHECK(d.opt->udp_size == kOurPayload);
          CHECK(d.opt->version == 0);
          CHECK(d.opt->extended_rcode == 0);
          CHECK(d.opt->flags == (dnssec_ok ? 0x8000 : 0));
        }
      }
    }
  }
}

TEST_CASE("a listed name blocks its subdomains, not names that merely end alike",
          "[pipeline][match]") {
  struct Case {
    const char* name;
    bool blocked;
  };
  const std::vector<Case> cases = {
      {"example.test", true},       {"www.example.test", true},
      {"a.b.c.example.test", true}, {"EXAMPLE.Test", true},
      {"notexample.test", false},   {"xexample.test", false},
      {"example.test.org", false},  {"test", false},
      {"example.tes", false},       {"malware.test", true},
      {"not-malware.test", false},  {"", false},  // the root
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION("'" << c.name << "'") {
      Pipeline p(Setup{}.yaml());
      Exchange e = p.ask(query(c.name));
      if (c.blocked) {
        check_reply_header(e, Rcode::noerror);
        check_echoes_question(e);
        CHECK(dns::test::ancount(e.out) == 2);
        CHECK(p.responses(Outcome::blocked) == 1);
        CHECK(p.metrics().cache_misses.get() == 0);
      } else {
        CHECK(e.step == Step::forward);
        CHECK(total_responses(p) == 0);
        CHECK(p.metrics().cache_misses.get() == 1);
      }
    }
  }
}

TEST_CASE("a legal list wins over a non-legal one", "[pipeline][match]") {
  struct Case {
    const char* name;
    const char* why;
  };
  const std::vector<Case> cases = {
      {"both.test", "in both lists, the non-legal one first"},
      {"www.both.test", "a subdomain of a name in both lists"},
      {"deep.legal.test", "the non-legal list has the more specific entry"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.name << ": " << c.why) {
      Pipeline p(Setup{.mode = "nxdomain"}.yaml());
      Exchange e = p.ask(query(c.name));
      check_reply_header(e, Rcode::nxdomain);
      Decoded d = server::test::decode(e.out);
      REQUIRE(d.edes.size() == 1);
      CHECK(d.edes[0].code == kEdeCensored);
      CHECK_THAT(d.edes[0].text, Contains("legal-list"));
      CHECK(p.blocks("csam") == 1);
      CHECK(p.blocks("adult") == 0);
    }
  }
}

TEST_CASE("clients outside allow-clients are refused, whatever they ask", "[pipeline][acl]") {
  struct Case {
    const char* client;
    bool allowed;
  };
  const std::vector<Case> cases = {
      {"192.0.2.7", true},
      {"192.0.2.255", true},
      {"198.51.100.1", false},
      {"127.0.0.1", false},
      {"::ffff:192.0.2.7", true},  // IPv4-mapped, as a dual-stack socket reports it
      {"::ffff:198.51.100.1", false},
      {"2001:db8:1::5", true},
      {"2001:db8:1:ffff::1", true},
      {"2001:db8:2::5", false},
      {"::1", false},
  };
  const Setup setup{.allow = R"(["192.0.2.0/24", "2001:db8:1::/48"])"};
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.client << (c.allowed ? " allowed" : " refused")) {
      Pipeline p(setup.yaml());

      SECTION("a listed name") {
        Exchange e = p.ask(query("example.test"), c.client);
        check_reply_header(e, c.allowed ? Rcode::noerror : Rcode::refused);
        check_echoes_question(e);
        Decoded d = server::test::decode(e.out);
        CHECK(d.answers.size() == (c.allowed ? 2u : 0u));
        // A stranger learns nothing about the lists.
        CHECK(d.edes.size() == (c.allowed ? 2u : 0u));
        CHECK(p.responses(c.allowed ? Outcome::blocked : Outcome::refused) == 1);
        CHECK(p.blocks("adult") == (c.allowed ? 1u : 0u));
      }
      SECTION("a name that is not listed") {
        Exchange e = p.ask(query("www.allowed.test"), c.client);
        if (c.allowed) {
          CHECK(e.step == Step::forward);
        } else {
          check_reply_header(e, Rcode::refused);
          CHECK(p.responses(Outcome::refused) == 1);
          CHECK(p.metrics().cache_misses.get() == 0);
        }
      }
      SECTION("a malformed query with a readable header") {
        Exchange e =
            p.ask(MessageBuilder(0x5151).question("a.test").question("b.test").build(), c.client);
        check_reply_header(e, c.allowed ? Rcode::formerr : Rcode::refused);
        CHECK(p.responses(c.allowed ? Outcome::formerr : Outcome::refused) == 1);
      }
      SECTION("an opcode we do not serve") {
        Exchange e = p.ask(query("example.test", dns::qtype::kSoa, 0, false, 0x5252, kOpcodeNotify),
                           c.client);
        check_reply_header(e, c.allowed ? Rcode::notimp : Rcode::refused);
      }
      SECTION("a response is dropped, from anyone") {
        Exchange e = p.ask(
            query("example.test", dns::qtype::kA, 0, false, 0x5353, dns::kFlagQr | dns::kFlagRd),
            c.client);
        CHECK(e.step == Step::drop);
        CHECK(p.responses(Outcome::dropped) == 1);
      }
      CHECK(p.metrics().queries_udp.get() == 1);
    }
  }

  SECTION("client_allowed on its own") {
    const std::vector<net::Cidr> allowed = {*net::Cidr::parse("10.0.0.0/8"),
                                            *net::Cidr::parse("fd00::/8")};
    CHECK(server::client_allowed(allowed, server::test::address("10.1.2.3")));
    CHECK(server::client_allowed(allowed, server::test::address("::ffff:10.1.2.3")));
    CHECK(server::client_allowed(allowed, server::test::address("fd12::1")));
    CHECK_FALSE(server::client_allowed(allowed, server::test::address("11.0.0.1")));
    CHECK_FALSE(server::client_allowed(allowed, server::test::address("fe80::1")));
    CHECK_FALSE(server::client_allowed({}, server::test::address("10.1.2.3")));
  }
}

TEST_CASE("malformed and unsupported queries", "[pipeline][errors]") {
  struct Case {
    const char* what;
    Wire packet;
    Step step;
    Rcode rcode;
    Outcome outcome;
    bool has_question;
  };
  Wire cut = MessageBuilder(0x0101).question("example.test").build();
  cut.resize(cut.size() - 3);
  const std::vector<Case> cases = {
      {"QR=1", query("example.test", dns::qtype::kA, 0, false, 1, dns::kFlagQr | dns::kFlagRd),
       Step::drop, Rcode::noerror, Outcome::dropped, false},
      {"11 bytes", Wire(11, 0), Step::drop, Rcode::noerror, Outcome::dropped, false},
      {"0 bytes", Wire{}, Step::drop, Rcode::noerror, Outcome::dropped, false},
      {"qdcount 2", MessageBuilder(0x0202).question("a.test").question("b.test").build(),
       Step::reply, Rcode::formerr, Outcome::formerr, false},
      {"qdcount 0", MessageBuilder(0x0303).build(), Step::reply, Rcode::formerr, Outcome::formerr,
       false},
      {"question cut short", cut, Step::reply, Rcode::formerr, Outcome::formerr, false},
      {"a record announced but missing",
       MessageBuilder(0x0404).question("example.test").counts(1, 0, 0, 1).build(), Step::reply,
       Rcode::formerr, Outcome::formerr, true},
      {"opcode NOTIFY", query("zone.test", dns::qtype::kSoa, 0, false, 0x0505, kOpcodeNotify),
       Step::reply, Rcode::notimp, Outcome::notimp, true},
      {"opcode UPDATE", query("zone.test", dns::qtype::kSoa, 0, false, 0x0606, kOpcodeUpdate),
       Step::reply, Rcode::notimp, Outcome::notimp, true},
      {"NOTIFY for a listed name",
       query("example.test", dns::qtype::kSoa, 0, false, 0x0707, kOpcodeNotify), Step::reply,
       Rcode::notimp, Outcome::notimp, true},
      {"AXFR", query("zone.test", dns::qtype::kAxfr, 0), Step::reply, Rcode::notimp,
       Outcome::notimp, true},
      {"IXFR", query("zone.test", dns::qtype::kIxfr, 1232), Step::reply, Rcode::notimp,
       Outcome::notimp, true},
      {"AXFR of a listed name", query("example.test", dns::qtype::kAxfr, 0), Step::reply,
       Rcode::notimp, Outcome::notimp, true},
      {"EDNS version 1",
       MessageBuilder(0x0808)
           .question("zone.test")
           .section(Section::additional)
           .opt(1232, false, 1)
           .build(),
       Step::reply, Rcode::noerror, Outcome::formerr, true},
      {"EDNS version 1 for a listed name",
       MessageBuilder(0x0909)
           .question("example.test")
           .section(Section::additional)
           .opt(1232, false, 1)
           .build(),
       Step::reply, Rcode::noerror, Outcome::formerr, true},
      {"two OPT records",
       MessageBuilder(0x0A0A)
           .question("zone.test")
           .section(Section::additional)
           .opt(1232)
           .opt(1232)
           .build(),
       Step::reply, Rcode::formerr, Outcome::formerr, true},
  };
  for (const Case& c : cases) {
    for (bool over_tcp : {false, true}) {
      DYNAMIC_SECTION(c.what << (over_tcp ? " over TCP" : " over UDP")) {
        Pipeline p(Setup{}.yaml());
        Exchange e = p.ask(c.packet, "127.0.0.1", over_tcp);
        CHECK(e.step == c.step);
        CHECK(p.responses(c.outcome) == 1);
        CHECK(total_responses(p) == 1);
        CHECK(p.blocks("adult") == 0);
        CHECK(p.metrics().cache_misses.get() == 0);
        if (c.step == Step::reply) {
          check_reply_header(e, c.rcode);
          CHECK(dns::test::ancount(e.out) == 0);
          if (c.has_question) {
            check_echoes_question(e);
          } else {
            CHECK(dns::test::qdcount(e.out) == 0);
            CHECK(e.out.size() == dns::kHeaderSize);
          }
        }
      }
    }
  }

  SECTION("EDNS version 1 gets BADVERS in our version-0 OPT (RFC 6891 6.1.3)") {
    Pipeline p(Setup{}.yaml());
    Exchange e = p.ask(MessageBuilder(0x0B0B)
                           .question("zone.test")
                           .section(Section::additional)
                           .opt(1232, true, 1)
                           .build());
    check_reply_header(e, Rcode::noerror);
    Decoded d = server::test::decode(e.out);
    REQUIRE(d.opt);
    CHECK(d.opt->version == 0);
    CHECK(d.opt->extended_rcode == 1);  // 16 >> 4: BADVERS with the header's RCODE 0
    CHECK(d.opt->flags == 0x8000);
    CHECK(d.opt->udp_size == kOurPayload);
    CHECK(p.metrics().cache_misses.get() == 0);
  }
}

TEST_CASE("a block answer never exceeds what the client can take", "[pipeline][truncation]") {
  Pipeline p(Setup{.ipv4 = forty_addresses()}.yaml());
  REQUIRE(p.runtime().block_page_v4.size() == 40);

  struct Case {
    const char* what;
    std::uint16_t qtype;
    std::uint16_t udp_size;  // 0: no EDNS
    bool over_tcp;
    bool truncated;
  };
  const std::vector<Case> cases = {
      {"no EDNS over UDP", dns::qtype::kA, 0, false, true},
      {"EDNS 512 over UDP", dns::qtype::kA, 512, false, true},
      {"EDNS 1232 over UDP", dns::qtype::kA, 1232, false, false},
      {"EDNS 4096 over UDP", dns::qtype::kA, 4096, false, false},
      {"no EDNS over TCP", dns::qtype::kA, 0, true, false},
      {"EDNS 512 over TCP", dns::qtype::kA, 512, true, false},
      {"AAAA, no EDNS over UDP", dns::qtype::kAaaa, 0, false, false},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.what) {
      Exchange e = p.ask(query("www.example.test", c.qtype, c.udp_size), "127.0.0.1", c.over_tcp);
      check_reply_header(e, Rcode::noerror);
      check_echoes_question(e);
      std::size_t limit =
          c.over_tcp ? 65535 : (c.udp_size == 0 ? 512 : std::min<std::size_t>(c.udp_size, 1232));
      CHECK(e.out.size() <= limit);
      bool tc = (dns::test::header_flags(e.out) & dns::kFlagTc) != 0;
      CHECK(tc == c.truncated);
      Decoded d = server::test::decode(e.out);
      std::size_t full = c.qtype == dns::qtype::kA ? 40 : 1;
      CHECK(d.answers.size() == (c.truncated ? 0 : full));
      CHECK(static_cast<bool>(d.opt) == (c.udp_size != 0));
      if (d.opt) {
        // The reason survives truncation, for clients that do not retry over TCP. (Forged
        // Answer does not: see the case below.)
        REQUIRE_FALSE(d.edes.empty());
        CHECK(d.edes[0].code == kEdeFiltered);
        if (!c.truncated) CHECK(server::test::ede_codes(d) == Codes{kEdeFiltered, kEdeForged});
      }
      if (c.qtype == dns::qtype::kA && !c.truncated) {
        for (std::size_t i = 0; i < d.answers.size(); ++i) {
          CHECK(d.answers[i].rdata == v4(10, 0, 0, static_cast<std::uint8_t>(i + 1)));
        }
      }
    }
  }
}

// A truncated block answer holds no address, so it must not claim Forged Answer (4); the
// forged records, and the code, come with the TCP retry.
TEST_CASE("a truncated block answer carries no Forged Answer code", "[pipeline][truncation][ede]") {
  Pipeline p(Setup{.ipv4 = forty_addresses()}.yaml());
  Exchange e = p.ask(query("www.example.test", dns::qtype::kA, 512));
  check_reply_header(e, Rcode::noerror);
  REQUIRE((dns::test::header_flags(e.out) & dns::kFlagTc) != 0);
  Decoded d = server::test::decode(e.out);
  REQUIRE(d.answers.empty());
  CHECK(server::test::ede_codes(d) == Codes{kEdeFiltered});
}

TEST_CASE("a forwarded answer never claims authority, relayed or cached", "[pipeline][cache]") {
  Pipeline p(Setup{}.yaml());
  Exchange first = p.ask(query("www.allowed.test", dns::qtype::kA, 1232, false, 0x1111));
  p.complete(first, upstream_answer("www.allowed.test", 300, 1, dns::kFlagAa));
  check_reply_header(first, Rcode::noerror);  // AA clear among its checks
  CHECK((dns::read_u16(&first.out[2]) & dns::kFlagAa) == 0);
  CHECK(server::test::decode(first.out).answers.size() == 1);

  Exchange second = p.ask(query("www.allowed.test", dns::qtype::kA, 1232, false, 0x2222));
  REQUIRE(p.responses(Outcome::cache_hit) == 1);
  check_reply_header(second, Rcode::noerror);
  CHECK((dns::read_u16(&second.out[2]) & dns::kFlagAa) == 0);
}

TEST_CASE("CHAOS-class queries are answered here, never forwarded", "[pipeline][chaos]") {
  auto chaos = [](const Name& name, std::uint16_t type = dns::qtype::kTxt) {
    return MessageBuilder(0x4242, dns::kFlagRd)
        .question(name, type, dns::kClassCh)
        .section(Section::additional)
        .opt(1232)
        .build();
  };
  const std::vector<const char*> names = {"version.bind",  "VERSION.SERVER", "id.server",
                                          "hostname.bind", "authors.bind",   "example.test"};

  SECTION("nothing configured: REFUSED for every name") {
    Pipeline p(Setup{}.yaml());
    for (const char* name : names) {
      INFO(name);
      Exchange e = p.ask(chaos(name));
      check_reply_header(e, Rcode::refused);
      check_echoes_question(e);
      CHECK(dns::test::ancount(e.out) == 0);
    }
    CHECK(p.responses(Outcome::refused) == names.size());
    CHECK(p.metrics().cache_misses.get() == 0);
    CHECK(p.blocks("adult") == 0);
  }

  SECTION("configured: the string for its names, REFUSED for the rest") {
    std::string yaml = Setup{}.yaml();
    yaml.insert(yaml.find("  udp-payload-size"),
                "  chaos: {version: \"shelter test\", id: \"node-7\"}\n");
    Pipeline p(yaml);
    struct Case {
      const char* name;
      Rcode rcode;
      const char* text;
    };
    for (const Case& c : std::vector<Case>{{"version.bind", Rcode::noerror, "shelter test"},
                                           {"Version.Server", Rcode::noerror, "shelter test"},
                                           {"id.server", Rcode::noerror, "node-7"},
                                           {"hostname.bind", Rcode::noerror, "node-7"},
                                           {"authors.bind", Rcode::refused, ""},
                                           {"example.test", Rcode::refused, ""}}) {
      INFO(c.name);
      Exchange e = p.ask(chaos(c.name));
      check_reply_header(e, c.rcode);
      check_echoes_question(e);
      Decoded d = server::test::decode(e.out);
      if (c.rcode != Rcode::noerror) {
        CHECK(d.answers.empty());
        continue;
      }
      REQUIRE(d.answers.size() == 1);
      CHECK(d.answers[0].type == dns::qtype::kTxt);
      CHECK(d.answers[0].rclass == dns::kClassCh);
      const std::string text = std::string(1, static_cast<char>(std::strlen(c.text))) + c.text;
      const Wire rdata(text.begin(), text.end());
      CHECK(d.answers[0].rdata == rdata);
    }
    Exchange a = p.ask(chaos("version.bind", dns::qtype::kA));  // a name we know, no such type
    check_reply_header(a, Rcode::noerror);
    CHECK(dns::test::ancount(a.out) == 0);
    CHECK(p.metrics().cache_misses.get() == 0);
  }
}

TEST_CASE("an upstream answer is relayed, cached, and served to the next client",
          "[pipeline][cache]") {
  Pipeline p(Setup{}.yaml());
  Exchange first = p.ask(query("www.allowed.test", dns::qtype::kA, 1232, false, 0x1111));
  REQUIRE(first.step == Step::forward);
  CHECK(p.metrics().cache_misses.get() == 1);

  p.complete(first, upstream_answer("www.allowed.test", 300));
  check_reply_header(first, Rcode::noerror);
  check_echoes_question(first);
  Decoded relayed = server::test::decode(first.out);
  REQUIRE(relayed.answers.size() == 1);
  CHECK(relayed.answers[0].rdata == v4(192, 0, 2, 1));
  CHECK(relayed.answers[0].ttl == 300);
  REQUIRE(relayed.opt);
  CHECK(relayed.opt->udp_size == kOurPayload);  // ours, not the upstream's 4096
  CHECK(relayed.edes.empty());
  CHECK(p.responses(Outcome::forwarded) == 1);

  p.advance(seconds(10));

  SECTION("same question, new ID and case, over UDP with EDNS") {
    Exchange second = p.ask(query("WWW.Allowed.TEST", dns::qtype::kA, 1232, false, 0x2222));
    check_reply_header(second, Rcode::noerror);
    CHECK(dns::test::header_id(second.out) == 0x2222);
    check_echoes_question(second);
    Decoded d = server::test::decode(second.out);
    REQUIRE(d.answers.size() == 1);
    CHECK(d.answers[0].rdata == v4(192, 0, 2, 1));
    CHECK(d.answers[0].ttl == 290);
    REQUIRE(d.opt);
    CHECK(d.opt->udp_size == kOurPayload);
    CHECK(p.responses(Outcome::cache_hit) == 1);
    CHECK(p.metrics().cache_hits.get() == 1);
    CHECK(p.metrics().cache_misses.get() == 1);
  }

  SECTION("the same question without EDNS over TCP gets no OPT") {
    Exchange second =
        p.ask(query("www.allowed.test", dns::qtype::kA, 0, false, 0x3333), "127.0.0.1", true);
    check_reply_header(second, Rcode::noerror);
    CHECK(dns::test::arcount(second.out) == 0);
    CHECK(server::test::decode(second.out).answers.size() == 1);
    CHECK(p.responses(Outcome::cache_hit) == 1);
    CHECK(p.metrics().queries_tcp.get() == 1);
  }

  SECTION("another type of the same name is a miss") {
    Exchange second = p.ask(query("www.allowed.test", dns::qtype::kAaaa));
    CHECK(second.step == Step::forward);
    CHECK(p.metrics().cache_misses.get() == 2);
  }

  SECTION("after its TTL the answer is gone") {
    p.advance(seconds(290));
    CHECK(p.ask(query("www.allowed.test")).step == Step::forward);
  }
}

TEST_CASE("a large upstream answer is truncated for UDP and whole from the cache over TCP",
          "[pipeline][cache][truncation]") {
  Pipeline p(Setup{}.yaml());
  Exchange first = p.ask(query("big.allowed.test", dns::qtype::kA, 0));
  REQUIRE(first.step == Step::forward);
  p.complete(first, upstream_answer("big.allowed.test", 300, 40));
  check_reply_header(first, Rcode::noerror);
  CHECK(first.out.size() <= 512);
  CHECK((dns::test::header_flags(first.out) & dns::kFlagTc) != 0);
  CHECK(dns::test::ancount(first.out) == 0);

  Exchange retry = p.ask(query("big.allowed.test", dns::qtype::kA, 0), "127.0.0.1", true);
  check_reply_header(retry, Rcode::noerror);
  CHECK((dns::test::header_flags(retry.out) & dns::kFlagTc) == 0);
  CHECK(server::test::decode(retry.out).answers.size() == 40);
  CHECK(p.responses(Outcome::cache_hit) == 1);
}

TEST_CASE("an upstream failure is a SERVFAIL, remembered for servfail-ttl", "[pipeline][cache]") {
  SECTION("every attempt failed") {
    Pipeline p(Setup{}.yaml());
    Exchange first = p.ask(query("fail.test", dns::qtype::kA, 1232, true, 0x3333));
    REQUIRE(first.step == Step::forward);
    p.complete(first, upstream::UpstreamAnswer{});
    check_reply_header(first, Rcode::servfail);
    check_echoes_question(first);
    CHECK(dns::test::ancount(first.out) == 0);
    CHECK(p.responses(Outcome::servfail) == 1);

    p.advance(seconds(6));
    Exchange second = p.ask(query("Fail.Test", dns::qtype::kA, 1232, true, 0x4444));
    check_reply_header(second, Rcode::servfail);
    check_echoes_question(second);
    Decoded d = server::test::decode(second.out);
    CHECK(d.answers.empty());
    REQUIRE(d.opt);
    CHECK(d.opt->flags == 0x8000);
    CHECK(p.metrics().cache_hits.get() == 1);
    CHECK(p.responses(Outcome::servfail) == 2);
    CHECK(p.responses(Outcome::cache_hit) == 0);

    p.advance(seconds(1));  // 7 s: servfail-ttl is over
    CHECK(p.ask(query("fail.test", dns::qtype::kA, 1232, true)).step == Step::forward);
  }

  SECTION("an answer that cannot be relayed (another question)") {
    Pipeline p(Setup{}.yaml());
    Exchange first = p.ask(query("asked.test"));
    REQUIRE(first.step == Step::forward);
    p.complete(first, upstream_answer("other.test", 300));
    check_reply_header(first, Rcode::servfail);
    CHECK(p.responses(Outcome::servfail) == 1);
    CHECK(p.responses(Outcome::forwarded) == 0);
    CHECK(p.ask(query("asked.test")).step == Step::reply);
  }

  SECTION("servfail-ttl 0 remembers nothing") {
    Pipeline p(Setup{.servfail_ttl = "0"}.yaml());
    Exchange first = p.ask(query("fail.test"));
    REQUIRE(first.step == Step::forward);
    p.complete(first, upstream::UpstreamAnswer{});
    check_reply_header(first, Rcode::servfail);
    CHECK(p.ask(query("fail.test")).step == Step::forward);
  }
}

TEST_CASE("a reload that lists a cached name blocks it at once", "[pipeline][cache][block]") {
  Pipeline p(Setup{}.yaml());
  Exchange first = p.ask(query("www.later.test"));
  REQUIRE(first.step == Step::forward);
  p.complete(first, upstream_answer("www.later.test", 3600));
  REQUIRE(p.ask(query("www.later.test")).step == Step::reply);
  REQUIRE(p.responses(Outcome::cache_hit) == 1);

  p.reload(Setup{.extra_lists = "  - id: late-list\n"
                                "    category: gambling\n"
                                "    entries: [later.test]\n"}
               .yaml());
  Exchange blocked = p.ask(query("www.later.test"));
  check_reply_header(blocked, Rcode::noerror);
  Decoded d = server::test::decode(blocked.out);
  REQUIRE(d.answers.size() == 2);
  CHECK(d.answers[0].rdata == v4(192, 0, 2, 80));
  REQUIRE_FALSE(d.edes.empty());
  CHECK_THAT(d.edes[0].text, Contains("late-list"));
  CHECK(p.responses(Outcome::blocked) == 1);
  CHECK(p.responses(Outcome::cache_hit) == 1);
  CHECK(p.blocks("gambling") == 1);
}

TEST_CASE("metrics count transports, outcomes, categories and the cache", "[pipeline][metrics]") {
  Pipeline p(Setup{.allow = R"(["127.0.0.0/8"])"}.yaml());
  // Slots are numbered by (list, category) pair in list order by make_runtime.
  REQUIRE(p.runtime().categories == 4);
  const std::vector<metrics::BlockSource> sources = p.slots().sources();
  REQUIRE(sources.size() >= 4);
  auto slot_of = [&](std::string_view category) {
    for (std::size_t i = 0; i < sources.size(); ++i) {
      if (sources[i].category == category) return i;
    }
    FAIL("no slot for " << category);
    return std::size_t{0};
  };

  p.ask(query("example.test"));                       // UDP, blocked (adult)
  p.ask(query("a.example.test"), "127.0.0.1", true);  // TCP, blocked (adult)
  p.ask(query("malware.test"), "127.0.0.1", true);    // TCP, blocked (malware)
  p.ask(query("legal.test"));                         // UDP, blocked (csam)
  Exchange miss = p.ask(query("www.allowed.test"));   // UDP, miss
  REQUIRE(miss.step == Step::forward);
  p.complete(miss, upstream_answer("www.allowed.test", 60));          // forwarded
  p.ask(query("www.allowed.test"), "127.0.0.1", true);                // TCP, hit
  p.ask(query("example.test"), "::1");                                // UDP, refused (not allowed)
  p.ask(query("x.test", dns::qtype::kA, 0, false, 1, dns::kFlagQr));  // UDP, dropped
  p.ask(query("x.test", dns::qtype::kAxfr), "127.0.0.1", true);       // TCP, notimp
  p.ask(MessageBuilder().build());                                    // UDP, formerr

  const metrics::WorkerMetrics& m = p.metrics();
  CHECK(m.queries_udp.get() == 6);
  CHECK(m.queries_tcp.get() == 4);
  CHECK(p.responses(Outcome::blocked) == 4);
  CHECK(p.responses(Outcome::forwarded) == 1);
  CHECK(p.responses(Outcome::cache_hit) == 1);
  CHECK(p.responses(Outcome::refused) == 1);
  CHECK(p.responses(Outcome::dropped) == 1);
  CHECK(p.responses(Outcome::notimp) == 1);
  CHECK(p.responses(Outcome::formerr) == 1);
  CHECK(p.responses(Outcome::servfail) == 0);
  CHECK(total_responses(p) == 10);
  CHECK(m.blocks[slot_of("adult")].get() == 2);
  CHECK(m.blocks[slot_of("malware")].get() == 1);
  CHECK(m.blocks[slot_of("csam")].get() == 1);
  CHECK(sources[slot_of("csam")].list != metrics::kParentalControls);
  CHECK(p.blocks("adult") + p.blocks("malware") + p.blocks("csam") == 4);
  CHECK(m.cache_hits.get() == 1);
  CHECK(m.cache_misses.get() == 1);
}
