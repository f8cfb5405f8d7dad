// Subscriber identification: which facts are believed, in which order, and longest-prefix
// matching of addresses and networks (IPv4, IPv6, IPv4-mapped).

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "policy/identify.h"

namespace policy = shelter::policy;
using policy::IdentifiedBy;

namespace {

policy::Address ip(const char* text) {
  auto a = policy::Address::parse(text);
  REQUIRE(a);
  return *a;
}

policy::Cidr net(const char* text) {
  auto c = policy::Cidr::parse(text);
  REQUIRE(c);
  return *c;
}

constexpr policy::MacAddress kTabletMac = {0x02, 0x42, 0xac, 0x11, 0x00, 0x02};
constexpr policy::MacAddress kUnknownMac = {0x02, 0, 0, 0, 0, 9};

policy::SubscriberBindings bindings() {
  policy::SubscriberBindings b;
  b.bind_prefix(net("198.51.100.0/24"), {"isp-pool", ""});
  b.bind_prefix(net("198.51.100.7/32"), {"house-7", ""});
  b.bind_prefix(net("2001:db8:7700::/56"), {"house-77", ""});
  b.bind_prefix(net("2001:db8:7700:1::/64"), {"house-77", "guest-net"});
  b.bind_mac(kTabletMac, {"house-7", "tablet"});
  b.bind_cpe_id("cpe-0042", {"house-42", ""});
  return b;
}

// CPE routers and the ISP's forwarders live in 10.0.0.0/8; nothing else is believed.
policy::TrustRules trust() {
  return {{net("10.0.0.0/8")}, {net("10.0.0.0/8")}, {net("10.0.0.0/8")}};
}

policy::ClientFacts facts(const char* source, std::optional<policy::MacAddress> mac = {},
                          std::optional<std::string> cpe_id = {},
                          std::optional<policy::Cidr> subnet = {}) {
  return {ip(source), mac, std::move(cpe_id), subnet};
}

std::string describe(const policy::Identity& id) {
  static const char* kBy[] = {"mac", "cpe-id", "subnet", "address", "nothing"};
  std::string out = kBy[static_cast<int>(id.by)];
  if (id.subscriber) out += " " + id.subscriber->household + "/" + id.subscriber->device;
  return out;
}

}  // namespace

TEST_CASE("identify: which facts are believed and which wins", "[identify]") {
  const auto b = bindings();
  const auto t = trust();
  struct Case {
    std::string what;
    policy::ClientFacts facts;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"exact address beats the pool", facts("198.51.100.7"), "address house-7/"},
      {"pool prefix", facts("198.51.100.8"), "address isp-pool/"},
      {"unknown address", facts("203.0.113.1"), "nothing"},
      {"IPv6 household /56", facts("2001:db8:7700:ff::1"), "address house-77/"},
      {"IPv6 guest /64 inside it", facts("2001:db8:7700:1::5"), "address house-77/guest-net"},
      {"IPv4-mapped source", facts("::ffff:198.51.100.7"), "address house-7/"},
      {"MAC from a trusted CPE", facts("10.1.2.3", kTabletMac), "mac house-7/tablet"},
      {"MAC from a client is ignored", facts("198.51.100.8", kTabletMac), "address isp-pool/"},
      {"unknown MAC falls through", facts("10.1.2.3", kUnknownMac), "nothing"},
      {"CPE-ID from a trusted CPE", facts("10.1.2.3", std::nullopt, "cpe-0042"),
       "cpe-id house-42/"},
      {"CPE-ID from a client is ignored", facts("203.0.113.1", std::nullopt, "cpe-0042"),
       "nothing"},
      {"MAC beats CPE-ID", facts("10.1.2.3", kTabletMac, "cpe-0042"), "mac house-7/tablet"},
      {"ECS from a trusted forwarder",
       facts("10.9.9.9", std::nullopt, std::nullopt, net("198.51.100.7/32")), "subnet house-7/"},
      {"ECS matched like an address",
       facts("10.9.9.9", std::nullopt, std::nullopt, net("198.51.100.0/24")), "subnet isp-pool/"},
      {"ECS from a client is ignored",
       facts("203.0.113.1", std::nullopt, std::nullopt, net("198.51.100.7/32")), "nothing"},
      {"CPE-ID beats ECS", facts("10.1.2.3", std::nullopt, "cpe-0042", net("198.51.100.7/32")),
       "cpe-id house-42/"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    CHECK(describe(policy::identify(c.facts, b, t)) == c.expected);
  }
}

TEST_CASE("identify with nothing trusted believes only source addresses", "[identify]") {
  const auto b = bindings();
  auto id = policy::identify(facts("10.1.2.3", kTabletMac, "cpe-0042", net("198.51.100.7/32")), b,
                             policy::TrustRules{});
  CHECK(describe(id) == "nothing");
}

TEST_CASE("PrefixMap: longest match, replacement, families kept apart", "[identify]") {
  policy::PrefixMap<int> map;
  map.insert(net("0.0.0.0/0"), 0);
  map.insert(net("10.0.0.0/8"), 8);
  map.insert(net("10.1.0.0/16"), 16);
  map.insert(net("10.1.2.3/32"), 32);
  map.insert(net("10.1.0.0/16"), 160);  // replaces
  CHECK(map.size() == 4);
  auto at = [&](const char* a) {
    const int* v = map.find(ip(a));
    return v ? *v : -1;
  };
  CHECK(at("10.1.2.3") == 32);
  CHECK(at("10.1.2.4") == 160);
  CHECK(at("10.2.0.1") == 8);
  CHECK(at("192.0.2.1") == 0);
  CHECK(at("2001:db8::1") == -1);  // IPv4 prefixes never match IPv6
  CHECK(at("::ffff:10.1.2.3") == 32);
  map.insert(net("::/0"), 99);
  CHECK(at("2001:db8::1") == 99);
}
