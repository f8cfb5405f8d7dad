// The rewrite of a steered name's answer: proxy addresses in place of the real ones (CNAME
// chain and TTL kept), and HTTPS/SVCB records without ECH and address hints.
#include <catch2/catch.hpp>

#include "proxy/dns/steering.h"
#include "tests/unit/proxy/dns_test_util.h"

namespace shelter::proxy::dns {
namespace {

using test::MessageBuilder;
using test::Name;
using test::Section;
using test::Wire;

constexpr std::uint16_t kResponse = kFlagQr | kFlagRd | kFlagRa;
const std::array<std::array<std::uint8_t, 4>, 2> kProxyV4 = {{{192, 0, 2, 44}, {192, 0, 2, 45}}};
const std::array<std::array<std::uint8_t, 16>, 1> kProxyV6 = {
    {{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x44}}};
const ProxyAddresses kProxy{.v4 = kProxyV4, .v6 = kProxyV6};

Wire param(std::uint16_t key, const Wire& value) {
  Wire out;
  append_u16(out, key);
  append_u16(out, static_cast<std::uint16_t>(value.size()));
  out.insert(out.end(), value.begin(), value.end());
  return out;
}

Wire concat(std::initializer_list<Wire> parts) {
  Wire out;
  for (const Wire& p : parts)
    out.insert(out.end(), p.begin(), p.end());
  return out;
}

// What cloudflare.com's HTTPS record looks like: priority 1, target ".", alpn h3,h2, two IPv4
// hints, an ECH config list, two IPv6 hints.
const Wire kAlpn = param(1, {2, 'h', '3', 2, 'h', '2'});
const Wire kV4Hint = param(4, {104, 16, 132, 229, 104, 16, 133, 229});
const Wire kEch = param(5, {0x00, 0x45, 0xfe, 0x0d, 0x00, 0x41, 0x2b, 0x00, 0x20, 0x00, 0x20, 0x3a,
                            0x9c, 0x71, 0x5e, 0x17, 0x08, 0x61, 0xa4});
const Wire kV6Hint =
    param(6, {0x26, 0x06, 0x47, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x68, 0x10, 0x84, 0xe5,
              0x26, 0x06, 0x47, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x68, 0x10, 0x85, 0xe5});
const Wire kPriorityRoot = {0, 1, 0};  // SvcPriority 1, TargetName "."
const Wire kCloudflare = concat({kPriorityRoot, kAlpn, kV4Hint, kEch, kV6Hint});

struct Rr {
  std::uint16_t type;
  std::uint32_t ttl;
  Wire rdata;
  std::string owner;
};

// The answer records of a message, names read out in full.
std::vector<Rr> answers(const Wire& m) {
  std::vector<Rr> out;
  std::size_t at = read_name(m, kHeaderSize, nullptr, nullptr) + 4;
  for (std::size_t i = 0; i < read_u16(&m[kOffAncount]); ++i) {
    std::array<std::uint8_t, kMaxNameLength> owner{};
    std::uint8_t length = 0;
    at = read_name(m, at, owner.data(), &length);
    REQUIRE(at != 0);
    Rr r;
    r.type = read_u16(&m[at]);
    r.ttl = read_u32(&m[at + 4]);
    std::size_t size = read_u16(&m[at + 8]);
    r.rdata.assign(m.begin() + static_cast<std::ptrdiff_t>(at + 10),
                   m.begin() + static_cast<std::ptrdiff_t>(at + 10 + size));
    r.owner.assign(owner.begin(), owner.begin() + length);
    out.push_back(std::move(r));
    at += 10 + size;
  }
  return out;
}

Wire rewrite(const Wire& message, RewriteStatus expected = RewriteStatus::rewritten) {
  Wire out;
  REQUIRE(rewrite_for_steering(message, kProxy, out) == expected);
  if (expected == RewriteStatus::rewritten) {
    Response parsed;
    REQUIRE(parse_response(out, parsed) == ParseStatus::ok);
  }
  return out;
}

std::string wire_text(const Name& name) {
  Wire w = test::wire_name(name);
  return {w.begin(), w.end()};
}

}  // namespace

TEST_CASE("steering: A answer with a CNAME chain keeps the chain, takes the proxy addresses") {
  // www.example.com CNAME cdn.example.net (TTL 3600); cdn.example.net A x2 (TTL 60), the A
  // owners compressed to the CNAME's target; an NS in authority, an A glue in additional.
  MessageBuilder m(0x1234, kResponse);
  m.question("www.example.com");
  const std::uint16_t target_at = static_cast<std::uint16_t>(m.size() + 12);
  m.cname(Name("", 12), 3600, "cdn.example.net")
      .a(Name("", target_at), 60, {198, 51, 100, 1})
      .a(Name("", target_at), 60, {198, 51, 100, 2})
      .section(Section::authority)
      .record(Name("example.net"), qtype::kNs, kClassIn, 900, test::wire_name("ns.example.net"))
      .section(Section::additional)
      .a(Name("ns.example.net"), 900, {198, 51, 100, 53});
  Wire out = rewrite(m.build());
  CHECK(read_u16(&out[kOffId]) == 0x1234);
  CHECK(read_u16(&out[kOffFlags]) == kResponse);
  CHECK(read_u16(&out[kOffNscount]) == 0);
  CHECK(read_u16(&out[kOffArcount]) == 0);
  std::vector<Rr> rrs = answers(out);
  REQUIRE(rrs.size() == 3);
  CHECK(rrs[0].type == qtype::kCname);
  CHECK(rrs[0].ttl == 3600);
  CHECK(rrs[0].owner == wire_text("www.example.com"));
  CHECK(rrs[0].rdata == test::wire_name("cdn.example.net"));
  for (std::size_t i = 1; i < 3; ++i) {
    CHECK(rrs[i].type == qtype::kA);
    CHECK(rrs[i].ttl == 60);  // the least TTL of the real answer
    CHECK(rrs[i].owner == wire_text("cdn.example.net"));
    CHECK(rrs[i].rdata == Wire(kProxyV4[i - 1].begin(), kProxyV4[i - 1].end()));
  }
}

TEST_CASE("steering: the least TTL of the answer section, whatever record holds it") {
  MessageBuilder m(0x1, kResponse);
  m.question("example.com", qtype::kAaaa)
      .cname(Name("", 12), 30, "example.net")
      .aaaa(Name("example.net"), 300, {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  std::vector<Rr> rrs = answers(rewrite(m.build()));
  REQUIRE(rrs.size() == 2);
  CHECK(rrs[1].type == qtype::kAaaa);
  CHECK(rrs[1].ttl == 30);
  CHECK(rrs[1].rdata == Wire(kProxyV6[0].begin(), kProxyV6[0].end()));
}

TEST_CASE("steering: answers without the asked records pass as they are") {
  SECTION("NXDOMAIN") {
    MessageBuilder m(0x1, kResponse | static_cast<std::uint16_t>(Rcode::nxdomain));
    m.question("gone.example")
        .section(Section::authority)
        .soa(Name("example"), 60, "ns.example", "root.example", 60);
    rewrite(m.build(), RewriteStatus::unchanged);
  }
  SECTION("NODATA") {
    MessageBuilder m(0x1, kResponse);
    m.question("v4only.example", qtype::kAaaa)
        .section(Section::authority)
        .soa(Name("example"), 60, "ns.example", "root.example", 60);
    rewrite(m.build(), RewriteStatus::unchanged);
  }
  SECTION("SERVFAIL") {
    MessageBuilder m(0x1, kResponse | static_cast<std::uint16_t>(Rcode::servfail));
    m.question("broken.example");
    rewrite(m.build(), RewriteStatus::unchanged);
  }
  SECTION("a CNAME chain that ends without addresses") {
    MessageBuilder m(0x1, kResponse);
    m.question("www.example").cname(Name("", 12), 60, "nowhere.example");
    rewrite(m.build(), RewriteStatus::unchanged);
  }
  SECTION("other types") {
    MessageBuilder m(0x1, kResponse);
    m.question("example", qtype::kTxt).txt(Name("", 12), 60, "v=spf1 -all");
    rewrite(m.build(), RewriteStatus::unchanged);
  }
}

TEST_CASE("steering: no proxy address of the family removes the real ones") {
  MessageBuilder m(0x1, kResponse);
  m.question("example.com", qtype::kAaaa)
      .aaaa(Name("", 12), 300, {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  Wire out;
  ProxyAddresses v4_only{.v4 = kProxyV4, .v6 = {}};
  REQUIRE(rewrite_for_steering(m.build(), v4_only, out) == RewriteStatus::rewritten);
  CHECK(read_u16(&out[kOffAncount]) == 0);
  CHECK((read_u16(&out[kOffFlags]) & kRcodeMask) == 0);
}

TEST_CASE("steering: signatures over the rewritten answer are dropped") {
  MessageBuilder m(0x1, kResponse);
  m.question("example.com")
      .a(Name("", 12), 300, {198, 51, 100, 1})
      .record(Name("", 12), 46, kClassIn, 300, Wire(40, 0xab));  // RRSIG
  std::vector<Rr> rrs = answers(rewrite(m.build()));
  REQUIRE(rrs.size() == 2);
  CHECK(rrs[0].type == qtype::kA);
  CHECK(rrs[1].type == qtype::kA);
}

TEST_CASE("steering: malformed answers are refused, not relayed") {
  MessageBuilder m(0x1, kResponse);
  m.question("example.com").a(Name("", 12), 300, {198, 51, 100, 1});
  Wire bytes = m.build();
  Wire cut(bytes.begin(), bytes.end() - 2);
  rewrite(cut, RewriteStatus::bad);
  Wire pointer_loop = MessageBuilder(0x1, kResponse)
                          .question("example.com")
                          .a(Name("", 29), 300, {198, 51, 100, 1})
                          .build();
  rewrite(pointer_loop, RewriteStatus::bad);
}

TEST_CASE("strip_svc_hints: cloudflare.com's HTTPS record keeps priority, target and alpn") {
  Wire out;
  bool changed = false;
  REQUIRE(strip_svc_hints(kCloudflare, out, changed));
  CHECK(changed);
  CHECK(out == concat({kPriorityRoot, kAlpn}));
}

TEST_CASE("strip_svc_hints: records without hints or ECH are unchanged") {
  const Wire port = param(3, {0x20, 0xfb});
  const Wire alias = concat({{0, 0}, test::wire_name("svc.example.net")});
  const Wire service = concat({{0, 2}, test::wire_name("svc.example.net"), kAlpn, port});
  for (const Wire& rdata : {alias, service}) {
    Wire out;
    bool changed = true;
    REQUIRE(strip_svc_hints(rdata, out, changed));
    CHECK_FALSE(changed);
    CHECK(out == rdata);
  }
}

TEST_CASE("strip_svc_hints: stripped keys leave the mandatory list too") {
  const Wire port = param(3, {0x20, 0xfb});
  Wire both = concat({{0, 1, 0}, param(0, {0, 1, 0, 5}), kAlpn, port, kEch});
  Wire out;
  bool changed = false;
  REQUIRE(strip_svc_hints(both, out, changed));
  CHECK(out == concat({{0, 1, 0}, param(0, {0, 1}), kAlpn, port}));
  Wire only_ech = concat({{0, 1, 0}, param(0, {0, 5}), kAlpn, kEch});
  out.clear();
  REQUIRE(strip_svc_hints(only_ech, out, changed));
  CHECK(out == concat({{0, 1, 0}, kAlpn}));
}

TEST_CASE("strip_svc_hints: malformed RDATA is refused and leaves nothing") {
  const Wire bad[] = {
      {},
      {0},
      {0, 1},                                         // no TargetName
      {0, 1, 0xc0, 0x0c},                             // a compressed TargetName
      {0, 1, 3, 'c', 'o', 'm'},                       // TargetName runs off the end
      concat({kPriorityRoot, {0, 1, 0, 9, 2}}),       // param longer than the RDATA
      concat({kPriorityRoot, {0, 1}}),                // half a param header
      concat({kPriorityRoot, kV4Hint, kAlpn}),        // keys out of order
      concat({kPriorityRoot, kAlpn, kAlpn}),          // a key twice
      concat({kPriorityRoot, param(0, {0}), kAlpn}),  // mandatory of odd length
      concat({kPriorityRoot, param(0, {}), kAlpn}),   // empty mandatory
  };
  for (const Wire& rdata : bad) {
    Wire out = {0xee};
    bool changed = false;
    CHECK_FALSE(strip_svc_hints(rdata, out, changed));
    CHECK(out == Wire{0xee});
  }
}

TEST_CASE("steering: an HTTPS answer loses ECH and hints, keeps its TTL and the rest") {
  MessageBuilder m(0x1, kResponse);
  m.question("cloudflare.com", qtype::kHttps)
      .record(Name("", 12), qtype::kHttps, kClassIn, 300, kCloudflare);
  std::vector<Rr> rrs = answers(rewrite(m.build()));
  REQUIRE(rrs.size() == 1);
  CHECK(rrs[0].type == qtype::kHttps);
  CHECK(rrs[0].ttl == 300);
  CHECK(rrs[0].rdata == concat({kPriorityRoot, kAlpn}));

  SECTION("a malformed record among good ones is dropped") {
    MessageBuilder two(0x1, kResponse);
    two.question("cloudflare.com", qtype::kHttps)
        .record(Name("", 12), qtype::kHttps, kClassIn, 300, kCloudflare)
        .record(Name("", 12), qtype::kHttps, kClassIn, 300, {0, 1, 0xc0, 0x0c});
    rrs = answers(rewrite(two.build()));
    REQUIRE(rrs.size() == 1);
    CHECK(rrs[0].rdata == concat({kPriorityRoot, kAlpn}));
  }
  SECTION("nothing to strip: relayed as it is") {
    MessageBuilder plain(0x1, kResponse);
    plain.question("example.com", qtype::kSvcb)
        .record(Name("", 12), qtype::kSvcb, kClassIn, 300, concat({kPriorityRoot, kAlpn}));
    rewrite(plain.build(), RewriteStatus::unchanged);
  }
}

}  // namespace shelter::proxy::dns
