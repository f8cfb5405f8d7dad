// The filtering proxy's pure rules: request targets, authorities and the SSRF guard.
#include <catch2/catch.hpp>

#include "proxy/relay/authority.h"
#include "proxy/relay/hop_fields.h"
#include "proxy/relay/origin_guard.h"

using namespace shelter::proxy::relay;
using shelter::policy::Address;
using shelter::policy::Cidr;

TEST_CASE("parse_authority takes host, host:port and bracketed IPv6") {
  struct Case {
    std::string_view text;
    bool good;
    std::string host;
    int port;  // -1: none
  };
  const Case cases[] = {
      {"example.com", true, "example.com", -1},
      {"Example.COM:8080", true, "example.com", 8080},
      {"[2001:db8::1]:443", true, "[2001:db8::1]", 443},
      {"[2001:db8::1]", true, "[2001:db8::1]", -1},
      {"192.0.2.1:80", true, "192.0.2.1", 80},
      {"", false, "", -1},
      {"example.com:", false, "", -1},
      {"example.com:0", false, "", -1},
      {"example.com:65536", false, "", -1},
      {"example.com:+80", false, "", -1},
      {"user@example.com", false, "", -1},
      {"exa mple.com", false, "", -1},
      {"[2001:db8::1", false, "", -1},
      {"[not-v6]:80", false, "", -1},
      {"[2001:db8::1]x", false, "", -1},
      {"example.com/path", false, "", -1},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    const auto a = parse_authority(c.text);
    REQUIRE(a.has_value() == c.good);
    if (!c.good) continue;
    CHECK(a->host == c.host);
    CHECK(a->port.has_value() == (c.port >= 0));
    if (c.port >= 0) CHECK(*a->port == c.port);
  }
}

TEST_CASE("parse_target knows origin, absolute, authority and asterisk forms") {
  auto origin = parse_target("GET", "/a/b?c=d");
  REQUIRE(origin);
  CHECK(origin->form == RequestTarget::Form::origin);
  CHECK(origin->path == "/a/b?c=d");

  auto absolute = parse_target("GET", "HTTP://Example.com:8080/x?y");
  REQUIRE(absolute);
  CHECK(absolute->form == RequestTarget::Form::absolute);
  CHECK(absolute->authority.host == "example.com");
  CHECK(absolute->authority.port == 8080);
  CHECK(absolute->path == "/x?y");

  auto bare = parse_target("GET", "http://example.com");
  REQUIRE(bare);
  CHECK(bare->path.empty());

  auto connect = parse_target("CONNECT", "example.com:443");
  REQUIRE(connect);
  CHECK(connect->form == RequestTarget::Form::authority);
  CHECK(connect->authority.port == 443);

  CHECK(parse_target("OPTIONS", "*")->form == RequestTarget::Form::asterisk);
  CHECK_FALSE(parse_target("CONNECT", "example.com"));  // CONNECT needs a port
  CHECK_FALSE(parse_target("GET", "https://example.com/"));
  CHECK_FALSE(parse_target("GET", "ftp://example.com/"));
  CHECK_FALSE(parse_target("GET", "http://user:pw@example.com/"));
  CHECK_FALSE(parse_target("GET", "example.com/x"));
}

TEST_CASE("the SSRF guard refuses special-purpose addresses") {
  const char* special[] = {
      "127.0.0.1",
      "10.1.2.3",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "224.0.0.1",
      "255.255.255.255",
      "192.0.2.10",
      "198.18.0.1",
      "240.0.0.1",
      "::1",
      "::",
      "fe80::1",
      "fd00::1",
      "fc00::1",
      "ff02::1",
      "2001:db8::1",
      "::ffff:127.0.0.1",
      "::ffff:10.0.0.1",
      "64:ff9b::a00:1",
      "2002:a00:1::1",
      "::127.0.0.1",
  };
  for (const char* text : special) {
    INFO(text);
    CHECK(is_special(*Address::parse(text)));
  }
  const char* public_addresses[] = {
      "93.184.216.34",        "8.8.8.8",          "172.32.0.1",        "2606:4700::1111",
      "::ffff:93.184.216.34", "64:ff9b::808:808", "2002:5db8:d822::1", "1.1.1.1"};
  for (const char* text : public_addresses) {
    INFO(text);
    CHECK_FALSE(is_special(*Address::parse(text)));
  }
}

TEST_CASE("check_origin applies ports, own listeners and allowed private ranges") {
  OriginPolicy policy;
  policy.ports = {80, 443};
  const Address origin = *Address::parse("93.184.216.34");
  CHECK(check_origin(origin, 80, policy) == OriginRefusal::none);
  CHECK(check_origin(origin, 22, policy) == OriginRefusal::port);
  CHECK(check_origin(*Address::parse("127.0.0.1"), 80, policy) == OriginRefusal::special);

  policy.private_origins = {*Cidr::parse("127.0.0.0/8")};
  CHECK(check_origin(*Address::parse("127.0.0.1"), 80, policy) == OriginRefusal::none);
  CHECK(check_origin(*Address::parse("::ffff:127.0.0.1"), 80, policy) == OriginRefusal::none);
  CHECK(check_origin(*Address::parse("10.0.0.1"), 80, policy) == OriginRefusal::special);

  // The proxy's own listener: a loop, refused even where private origins are allowed.
  policy.own = {{*Address::parse("127.0.0.1"), 80}};
  CHECK(check_origin(*Address::parse("127.0.0.1"), 80, policy) == OriginRefusal::own_address);
  CHECK(check_origin(*Address::parse("127.0.0.1"), 443, policy) == OriginRefusal::none);
  CHECK(refusal_name(OriginRefusal::own_address) == "own_address");
}

TEST_CASE("hop-by-hop fields: the fixed set, and what Connection names") {
  const Fields fields{{"Host", "a.example"},
                      {"Connection", "keep-alive, X-Secret-Hop"},
                      {"X-Secret-Hop", "1"},
                      {"X-Kept", "2"}};
  for (const char* name :
       {"Connection", "keep-alive", "Proxy-Connection", "Proxy-Authorization", "TE", "Trailer",
        "Transfer-Encoding", "Content-Length", "Upgrade", "Expect", "x-secret-hop"}) {
    INFO(name);
    CHECK(hop_by_hop(name, fields));
  }
  CHECK_FALSE(hop_by_hop("X-Kept", fields));
  CHECK_FALSE(hop_by_hop("Host", fields));
  CHECK(field(fields, "host") == "a.example");
  CHECK(field(fields, "missing").empty());
  CHECK(list_has("keep-alive, Upgrade", "upgrade"));
  CHECK_FALSE(list_has("keep-alive,upgraded", "upgrade"));
  CHECK(keeps_alive(1, ""));
  CHECK_FALSE(keeps_alive(1, "Close"));
  CHECK_FALSE(keeps_alive(0, ""));
  CHECK(keeps_alive(0, "Keep-Alive"));
}
