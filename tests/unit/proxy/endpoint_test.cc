#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/net/endpoint.h"

using shelter::proxy::net::Address;
using shelter::proxy::net::Cidr;
using shelter::proxy::net::Endpoint;
using namespace std::string_view_literals;

namespace {

Address addr(std::string_view text) {
  const auto a = Address::parse(text);
  REQUIRE(a);
  return *a;
}

Cidr cidr(std::string_view text) {
  const auto c = Cidr::parse(text);
  REQUIRE(c);
  return *c;
}

}  // namespace

TEST_CASE("Address::parse accepts IPv4 and IPv6 and prints the canonical form") {
  struct Case {
    std::string_view text;
    bool v6;
    std::string_view printed;
  };
  const Case cases[] = {
      {"192.0.2.1", false, "192.0.2.1"},
      {"0.0.0.0", false, "0.0.0.0"},
      {"255.255.255.255", false, "255.255.255.255"},
      {"::", true, "::"},
      {"::1", true, "::1"},
      {"2001:DB8:0:0:0:0:0:1", true, "2001:db8::1"},
      {"::ffff:192.0.2.1", true, "::ffff:192.0.2.1"},
      {"fe80::1:2:3:4", true, "fe80::1:2:3:4"},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.text) {
      const auto a = Address::parse(c.text);
      REQUIRE(a);
      CHECK(a->v6 == c.v6);
      CHECK(a->to_string() == c.printed);
    }
  }
  CHECK(addr("192.0.2.1").bytes[0] == 192);
  CHECK(addr("192.0.2.1").bytes[3] == 1);
  CHECK(addr("192.0.2.1").bytes[4] == 0);  // IPv4 uses the first four bytes only
}

TEST_CASE("Address::parse rejects what is not an address") {
  const std::string_view bad[] = {
      "",          "1.2.3",      "1.2.3.4.5", "256.1.1.1",   " 1.2.3.4", "1.2.3.4 ",
      "01.2.3.4",  "1.2.3.4/32", "::1%eth0",  "[::1]",       ":::",      "g::1",
      "localhost", "1.2.3.4:53", "1::2::3",   "1.2.3.4\0"sv, "::1\0x"sv, "0x7f.0.0.1",
  };
  for (const auto text : bad) {
    DYNAMIC_SECTION(std::string(text)) {
      CHECK_FALSE(Address::parse(text));
    }
  }
}

TEST_CASE("Endpoint::parse: address:port, [v6]:port and bare addresses") {
  struct Case {
    std::string_view text;
    std::string_view printed;  // empty: must be rejected
  };
  const Case cases[] = {
      {"192.0.2.1:53", "192.0.2.1:53"},
      {"192.0.2.1", "192.0.2.1:5300"},  // default port
      {"192.0.2.1:0", "192.0.2.1:0"},   // "any free port", for tests
      {"192.0.2.1:65535", "192.0.2.1:65535"},
      {"[::1]:53", "[::1]:53"},
      {"[::1]", "[::1]:5300"},
      {"::1", "[::1]:5300"},
      {"2001:db8::1", "[2001:db8::1]:5300"},
      {"2001:db8::1:53",
       "[2001:db8::1:53]:5300"},  // ambiguous without brackets: read as an address
      {"[2001:db8::1]:853", "[2001:db8::1]:853"},
      {"192.0.2.1:65536", ""},
      {"192.0.2.1:", ""},
      {":53", ""},
      {"192.0.2.1:-1", ""},
      {"192.0.2.1:+53", ""},
      {"192.0.2.1:5 3", ""},
      {"[192.0.2.1]:53", ""},  // brackets are for IPv6
      {"[::1]53", ""},
      {"[::1", ""},
      {"[]:53", ""},
      {"[::1]:", ""},
      {"localhost:53", ""},
      {"", ""},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.text) {
      const auto e = Endpoint::parse(c.text, 5300);
      if (c.printed.empty()) {
        CHECK_FALSE(e);
      } else {
        REQUIRE(e);
        CHECK(e->to_string() == c.printed);
        CHECK(Endpoint::parse(e->to_string(), 1) == e);  // round trip
      }
    }
  }
}

TEST_CASE("Cidr::parse: prefixes, host prefixes, and host bits") {
  struct Case {
    std::string_view text;
    std::string_view printed;  // empty: must be rejected
  };
  const Case cases[] = {
      {"10.0.0.0/8", "10.0.0.0/8"},
      {"0.0.0.0/0", "0.0.0.0/0"},
      {"192.0.2.1/32", "192.0.2.1/32"},
      {"192.0.2.1", "192.0.2.1/32"},  // a bare address is a host prefix
      {"192.168.0.0/23", "192.168.0.0/23"},
      {"::/0", "::/0"},
      {"::1/128", "::1/128"},
      {"::1", "::1/128"},
      {"2001:db8::/32", "2001:db8::/32"},
      {"10.0.0.1/8", ""},  // host bits set
      {"192.168.1.0/23", ""},
      {"1.0.0.0/0", ""},
      {"2001:db8::1/64", ""},
      {"10.0.0.0/33", ""},
      {"::/129", ""},
      {"10.0.0.0/", ""},
      {"10.0.0.0/-1", ""},
      {"10.0.0.0/8/8", ""},
      {"/8", ""},
      {"", ""},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.text) {
      const auto parsed = Cidr::parse(c.text);
      if (c.printed.empty()) {
        CHECK_FALSE(parsed);
      } else {
        REQUIRE(parsed);
        CHECK(parsed->to_string() == c.printed);
        CHECK(Cidr::parse(parsed->to_string()) == parsed);
      }
    }
  }
}

TEST_CASE("Cidr::parse_masked clears host bits") {
  CHECK(Cidr::parse_masked("10.1.2.3/8")->to_string() == "10.0.0.0/8");
  CHECK(Cidr::parse_masked("192.168.1.77/23")->to_string() == "192.168.0.0/23");
  CHECK(Cidr::parse_masked("1.2.3.4/0")->to_string() == "0.0.0.0/0");
  CHECK(Cidr::parse_masked("2001:db8:ffff::1/33")->to_string() == "2001:db8:8000::/33");
  CHECK(Cidr::parse_masked("2001:db8::1/128")->to_string() == "2001:db8::1/128");
  CHECK_FALSE(Cidr::parse_masked("10.0.0.0/33"));
}

TEST_CASE("Cidr::contains") {
  struct Case {
    std::string_view prefix;
    std::string_view address;
    bool inside;
  };
  const Case cases[] = {
      {"10.0.0.0/8", "10.0.0.0", true},
      {"10.0.0.0/8", "10.255.255.255", true},
      {"10.0.0.0/8", "11.0.0.0", false},
      {"10.0.0.0/8", "9.255.255.255", false},
      {"192.168.0.0/23", "192.168.1.255", true},
      {"192.168.0.0/23", "192.168.2.0", false},
      {"0.0.0.0/0", "203.0.113.9", true},
      {"0.0.0.0/0", "::1", false},  // families differ
      {"192.0.2.1/32", "192.0.2.1", true},
      {"192.0.2.1/32", "192.0.2.2", false},
      {"::/0", "2001:db8::1", true},
      {"::/0", "192.0.2.1", false},
      {"::1/128", "::1", true},
      {"::1/128", "::2", false},
      {"2001:db8::/32", "2001:db8:ffff::1", true},
      {"2001:db8::/32", "2001:db9::", false},
      {"2001:db8:8000::/33", "2001:db8:7fff::", false},
      {"2001:db8:8000::/33", "2001:db8:8000::", true},
      // A dual-stack socket reports IPv4 clients as IPv4-mapped IPv6.
      {"127.0.0.0/8", "::ffff:127.0.0.1", true},
      {"127.0.0.0/8", "::ffff:128.0.0.1", false},
      {"0.0.0.0/0", "::ffff:1.2.3.4", true},
      {"0.0.0.0/0", "::1", false},
      {"::ffff:0:0/96", "192.0.2.1", false},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.prefix << " " << c.address) {
      CHECK(cidr(c.prefix).contains(addr(c.address)) == c.inside);
    }
  }
}
