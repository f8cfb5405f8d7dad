// The client-identifying EDNS options: Client Subnet, dnsmasq's MAC (binary, text, base64)
// and CPE-ID, read from real query packets.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "proxy/dns/edns_options.h"
#include "proxy/dns/message.h"
#include "tests/unit/proxy/dns_test_util.h"

namespace dns = shelter::proxy::dns;
using dns::test::MessageBuilder;
using dns::test::Name;
using dns::test::Option;
using dns::test::Section;
using dns::test::Wire;

namespace {

Wire text(const std::string& s) {
  return Wire(s.begin(), s.end());
}

// The options as a client would send them, parsed back through parse_query.
dns::ClientOptions read(const std::vector<Option>& options) {
  MessageBuilder m(0x4242, dns::kFlagRd);
  m.question(Name("www.example.test"), dns::qtype::kA);
  m.section(Section::additional).opt(1232, false, 0, options);
  Wire packet = m.build();
  dns::Query query;
  REQUIRE(dns::parse_query(packet, query) == dns::ParseStatus::ok);
  return dns::read_client_options(
      dns::Bytes(packet).subspan(query.edns.options_offset, query.edns.options_length));
}

std::string mac_text(const std::optional<std::array<std::uint8_t, 6>>& mac) {
  if (!mac) return "-";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : *mac) {
    if (!out.empty()) out += ':';
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

}  // namespace

TEST_CASE("a query without options has none", "[edns-options]") {
  auto o = read({});
  CHECK_FALSE(o.subnet);
  CHECK_FALSE(o.mac);
  CHECK_FALSE(o.cpe_id);
  CHECK_FALSE(o.malformed);
}

TEST_CASE("MAC address in each dnsmasq encoding", "[edns-options]") {
  struct Case {
    std::uint16_t code;
    Wire data;
    std::string mac;  // "-": rejected (malformed)
  };
  const std::vector<Case> cases = {
      {dns::kOptionMacBinary, {0x02, 0x42, 0xac, 0x11, 0x00, 0x02}, "02:42:ac:11:00:02"},
      {dns::kOptionMacText, text("02:42:AC:11:00:02"), "02:42:ac:11:00:02"},
      {dns::kOptionMacText, text("02-42-ac-11-00-02"), "02:42:ac:11:00:02"},
      {dns::kOptionMacText, text("AkKsEQAC"), "02:42:ac:11:00:02"},  // base64
      {dns::kOptionMacBinary, {0x02, 0x42, 0xac, 0x11, 0x00}, "-"},  // 5 bytes
      {dns::kOptionMacText, text("02:42:ac:11:00"), "-"},
      {dns::kOptionMacText, text("02:42:ac:11:00:0g"), "-"},
      {dns::kOptionMacText, text("02:42:ac:11:00.02"), "-"},
      {dns::kOptionMacText, text("AkKsEQA*"), "-"},
      {dns::kOptionMacText, {}, "-"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.code, std::string(c.data.begin(), c.data.end()));
    auto o = read({{c.code, c.data}});
    CHECK(mac_text(o.mac) == c.mac);
    CHECK(o.malformed == (c.mac == "-"));
  }
}

TEST_CASE("EDNS Client Subnet per RFC 7871", "[edns-options]") {
  struct Case {
    Wire data;
    bool ok;
  };
  const std::vector<Case> cases = {
      {{0, 1, 24, 0, 192, 0, 2}, true},                     // 192.0.2.0/24
      {{0, 1, 32, 0, 192, 0, 2, 1}, true},                  // a host
      {{0, 1, 0, 0}, true},                                 // /0: no address bytes
      {{0, 2, 48, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 1}, true},  // 2001:db8:1::/48
      {{0, 1, 24, 0, 192, 0, 2, 0}, false},                 // one byte too many
      {{0, 1, 24, 0, 192, 0}, false},                       // one byte short
      {{0, 1, 23, 0, 192, 0, 3}, false},                    // a bit set past the prefix
      {{0, 1, 33, 0, 1, 2, 3, 4, 5}, false},                // prefix too long for IPv4
      {{0, 3, 8, 0, 10}, false},                            // unknown family
      {{0, 1, 24, 8, 192, 0, 2}, false},                    // scope set in a query
      {{0, 1}, false},                                      // truncated
  };
  for (const auto& c : cases) {
    CAPTURE(c.data);
    auto o = read({{dns::kOptionClientSubnet, c.data}});
    CHECK(o.subnet.has_value() == c.ok);
    CHECK(o.malformed == !c.ok);
  }
  auto o = read({{dns::kOptionClientSubnet, {0, 1, 24, 0, 192, 0, 2}}});
  REQUIRE(o.subnet);
  CHECK(o.subnet->family == 1);
  CHECK(o.subnet->source_prefix == 24);
  CHECK(o.subnet->address[0] == 192);
  CHECK(o.subnet->address[2] == 2);
  CHECK(o.subnet->address[3] == 0);
}

TEST_CASE("CPE-ID, repeats and overruns", "[edns-options]") {
  auto o = read({{dns::kOptionCpeId, text("cpe-0042")}});
  CHECK(o.cpe_id == std::optional<std::string>("cpe-0042"));
  CHECK_FALSE(read({{dns::kOptionCpeId, text("has space")}}).cpe_id);
  CHECK_FALSE(read({{dns::kOptionCpeId, text(std::string(65, 'a'))}}).cpe_id);
  CHECK(read({{dns::kOptionCpeId, text(std::string(64, 'a'))}}).cpe_id);

  // All three at once, with an unrelated option between them.
  o = read({{dns::kOptionClientSubnet, {0, 1, 8, 0, 10}},
            {10, {1, 2, 3, 4, 5, 6, 7, 8}},  // a DNS cookie: ignored
            {dns::kOptionMacBinary, {1, 2, 3, 4, 5, 6}},
            {dns::kOptionCpeId, text("box7")}});
  CHECK(o.subnet);
  CHECK(mac_text(o.mac) == "01:02:03:04:05:06");
  CHECK(o.cpe_id == std::optional<std::string>("box7"));
  CHECK_FALSE(o.malformed);

  // The same identity twice is not trusted, even when both copies agree.
  o = read({{dns::kOptionMacBinary, {1, 2, 3, 4, 5, 6}}, {dns::kOptionMacText, text("AQIDBAUG")}});
  CHECK_FALSE(o.mac);
  CHECK(o.malformed);
  o = read({{dns::kOptionCpeId, text("a")}, {dns::kOptionCpeId, text("a")}});
  CHECK_FALSE(o.cpe_id);

  // Option bytes that overrun the OPT data are caught by parse_query; read directly, they are
  // malformed here too.
  const std::vector<std::uint8_t> overrun = {0xfd, 0xe9, 0, 10, 1, 2};
  CHECK(dns::read_client_options(overrun).malformed);
  const std::vector<std::uint8_t> short_header = {0xfd, 0xe9, 0};
  CHECK(dns::read_client_options(short_header).malformed);
}

TEST_CASE("malformed_cookie judges COOKIE lengths only", "[dns][edns_options]") {
  auto options = [](const std::vector<Option>& list) {
    Wire out;
    for (const Option& o : list) {
      dns::append_u16(out, o.code);
      dns::append_u16(out, static_cast<std::uint16_t>(o.data.size()));
      out.insert(out.end(), o.data.begin(), o.data.end());
    }
    return out;
  };
  struct Case {
    const char* what;
    Wire options;
    bool malformed;
  };
  const std::vector<Case> cases = {
      {"no options", {}, false},
      {"client cookie", options({{10, Wire(8, 1)}}), false},
      {"client and server cookie, shortest", options({{10, Wire(16, 1)}}), false},
      {"client and server cookie, longest", options({{10, Wire(40, 1)}}), false},
      {"empty cookie", options({{10, {}}}), true},
      {"short client cookie", options({{10, Wire(2, 1)}}), true},
      {"server cookie too short", options({{10, Wire(12, 1)}}), true},
      {"too long", options({{10, Wire(41, 1)}}), true},
      {"after other options", options({{3, {}}, {8, {0, 1, 0, 0}}, {10, Wire(9, 1)}}), true},
      {"other options of any length", options({{100, Wire(3, 1)}, {3, {}}}), false},
      {"a cookie past the data is not judged", {0, 10, 0, 2, 1}, false},
      {"a truncated option header", {0, 10, 0}, false},
  };
  for (const Case& k : cases) {
    DYNAMIC_SECTION(k.what) {
      CHECK(dns::malformed_cookie(k.options) == k.malformed);
    }
  }
}
