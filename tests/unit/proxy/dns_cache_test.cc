#include <catch2/catch.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "proxy/dns/builder.h"
#include "proxy/dns/cache.h"
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
using std::chrono::milliseconds;
using std::chrono::seconds;
using Ttls = std::vector<std::uint32_t>;

namespace {

const dns::CacheClock::time_point t0 = dns::CacheClock::time_point{} + std::chrono::hours(24);

constexpr std::uint16_t kUpstreamFlags = dns::kFlagQr | dns::kFlagRd | dns::kFlagRa;

Client query_for(const Name& name, std::uint16_t qtype = dns::qtype::kA, std::uint16_t id = 0x1234,
                 std::uint16_t udp_size = 1232, bool dnssec_ok = false,
                 std::uint16_t flags = dns::kFlagRd) {
  return client(dns::test::make_query(name, qtype, udp_size, dnssec_ok, id, flags));
}

// An upstream answer with one A record per TTL, and the upstream's OPT last.
Wire positive(const Name& name, const Ttls& ttls, std::uint16_t qtype = dns::qtype::kA,
              std::uint16_t flags = kUpstreamFlags) {
  MessageBuilder m(0x7777, flags);
  m.question(name, qtype);
  std::uint8_t n = 1;
  for (std::uint32_t ttl : ttls)
    m.a(Name("", 12), ttl, {192, 0, 2, n++});
  return m.section(Section::additional).opt(4096).build();
}

// A negative upstream answer: NXDOMAIN or NODATA, with an SOA when soa_ttl is set.
Wire negative(const Name& name, Rcode rcode, std::optional<std::uint32_t> soa_ttl,
              std::uint32_t minimum = 300, std::optional<std::uint32_t> cname_ttl = {}) {
  MessageBuilder m(0x7777, static_cast<std::uint16_t>(kUpstreamFlags | static_cast<int>(rcode)));
  m.question(name);
  if (cname_ttl) m.cname(Name("", 12), *cname_ttl, "gone.example");
  m.section(Section::authority);
  if (soa_ttl) m.soa("example", *soa_ttl, "ns.example", "hostmaster.example", minimum);
  return m.section(Section::additional).opt(1232).build();
}

// What the pipeline hands the cache: the upstream's answer adopted for the client.
struct Adopted {
  Wire answer;
  dns::Response response;
};

Adopted adopt(const Client& c, const Wire& upstream) {
  Adopted a;
  REQUIRE(dns::parse_response(upstream, a.response) == ParseStatus::ok);
  REQUIRE(dns::adopt_upstream_answer(c.packet, c.query, upstream, a.response, a.answer));
  return a;
}

// TTLs of every record in a message, in order.
Ttls ttls_of(const Wire& message) {
  dns::Response r;
  REQUIRE(dns::parse_response(message, r) == ParseStatus::ok);
  Ttls out;
  for (std::uint16_t at : r.ttl_offsets)
    out.push_back(dns::read_u32(&message[at]));
  return out;
}

bool insert(dns::ResponseCache& cache, const Client& c, const Wire& upstream,
            dns::CacheClock::time_point now = t0) {
  Adopted a = adopt(c, upstream);
  return cache.insert(c.query, a.answer, a.response, now);
}

std::optional<Wire> lookup(dns::ResponseCache& cache, const Client& c,
                           dns::CacheClock::time_point now) {
  Wire out;
  if (!cache.lookup(c.packet, c.query, now, out)) return std::nullopt;
  return out;
}

dns::CacheLimits limits(std::size_t max_entries = 100, std::uint32_t min_ttl = 0,
                        std::uint32_t max_ttl = 86400, std::uint32_t max_negative_ttl = 3600) {
  return dns::CacheLimits{max_entries, min_ttl, max_ttl, max_negative_ttl};
}

}  // namespace

TEST_CASE("ResponseCache serves an answer with TTLs counted down", "[dns][cache]") {
  dns::ResponseCache cache(limits());
  Client c = query_for("www.example.com");
  REQUIRE(insert(cache, c, positive("www.example.com", {300, 60, 120})));
  CHECK(cache.size() == 1);

  struct Step {
    milliseconds elapsed;
    std::optional<Ttls> ttls;  // nullopt: a miss
  };
  // In order: expiry removes the entry.
  const std::vector<Step> steps = {
      {milliseconds(0), Ttls{300, 60, 120}},
      {milliseconds(999), Ttls{300, 60, 120}},  // whole seconds only
      {milliseconds(1000), Ttls{299, 59, 119}},
      {milliseconds(10900), Ttls{290, 50, 110}},
      {milliseconds(59999), Ttls{241, 1, 61}},
      {milliseconds(60000), std::nullopt},  // the shortest TTL decides the entry's life
      {milliseconds(61000), std::nullopt},
  };
  for (const Step& s : steps) {
    INFO("after " << s.elapsed.count() << " ms");
    std::optional<Wire> out = lookup(cache, c, t0 + s.elapsed);
    REQUIRE(out.has_value() == s.ttls.has_value());
    if (out) {
      CHECK(ttls_of(*out) == *s.ttls);
      CHECK(dns::test::header_id(*out) == 0x1234);
      CHECK(dns::test::arcount(*out) == 0);  // the OPT is the caller's to add
    }
  }
  CHECK(cache.size() == 0);
  CHECK(cache.stats().hits == 5);
  CHECK(cache.stats().misses == 2);
}

TEST_CASE("ResponseCache serves the new query's ID, flags and question case", "[dns][cache]") {
  dns::ResponseCache cache(limits());
  Client first = query_for("WWW.example.COM", dns::qtype::kA, 0x0001);
  REQUIRE(insert(cache, first, positive("www.example.com", {300})));

  Client second = query_for("www.EXAMPLE.com", dns::qtype::kA, 0x0002, 0, false, dns::kFlagRd);
  std::optional<Wire> out = lookup(cache, second, t0 + seconds(1));
  REQUIRE(out);
  CHECK(dns::test::header_id(*out) == 0x0002);
  CHECK(dns::test::header_flags(*out) == (dns::kFlagQr | dns::kFlagRa | dns::kFlagRd));
  CHECK(question_bytes(*out, second.query.question_end) ==
        question_bytes(second.packet, second.query.question_end));
  CHECK(ttls_of(*out) == Ttls{299});

  // The first client's case did not stick to the entry either.
  std::optional<Wire> again = lookup(cache, first, t0 + seconds(2));
  REQUIRE(again);
  CHECK(question_bytes(*again, first.query.question_end) ==
        question_bytes(first.packet, first.query.question_end));
}

TEST_CASE("ResponseCache clamps TTLs to its limits", "[dns][cache]") {
  SECTION("min and max, applied to the inserted answer too") {
    dns::ResponseCache cache(limits(100, 30, 600));
    Client c = query_for("a.example");
    Adopted a = adopt(c, positive("a.example", {5, 10000, 100}));
    REQUIRE(cache.insert(c.query, a.answer, a.response, t0));
    CHECK(ttls_of(a.answer) == Ttls{30, 600, 100});  // what the inserting client sees

    std::optional<Wire> out = lookup(cache, c, t0 + seconds(29));
    REQUIRE(out);
    CHECK(ttls_of(*out) == Ttls{1, 571, 71});
    CHECK_FALSE(lookup(cache, c, t0 + seconds(30)));
  }
  SECTION("min_ttl lifts a TTL of 0") {
    dns::ResponseCache cache(limits(100, 30, 600));
    Client c = query_for("a.example");
    REQUIRE(insert(cache, c, positive("a.example", {0})));
    std::optional<Wire> out = lookup(cache, c, t0);
    REQUIRE(out);
    CHECK(ttls_of(*out) == Ttls{30});
  }
  SECTION("max_ttl bounds the entry's life") {
    dns::ResponseCache cache(limits(100, 0, 600));
    Client c = query_for("a.example");
    REQUIRE(insert(cache, c, positive("a.example", {100000})));
    CHECK(lookup(cache, c, t0 + seconds(599)));
    CHECK_FALSE(lookup(cache, c, t0 + seconds(600)));
  }
  SECTION("TTL 0 without a minimum is not cached") {
    dns::ResponseCache cache(limits());
    Client c = query_for("a.example");
    Adopted a = adopt(c, positive("a.example", {0, 300}));
    CHECK_FALSE(cache.insert(c.query, a.answer, a.response, t0));
    CHECK(ttls_of(a.answer) == Ttls{0, 300});
    CHECK(cache.size() == 0);
    CHECK(cache.stats().inserts == 0);
  }
}

TEST_CASE("ResponseCache caches negative answers for the SOA's negative TTL", "[dns][cache]") {
  struct Case {
    const char* what;
    Rcode rcode;
    std::uint32_t soa_ttl;
    std::uint32_t minimum;
    std::uint32_t max_negative;
    std::uint32_t expected;  // 0: not cached
  };
  const std::vector<Case> cases = {
      {"NXDOMAIN, MINIMUM smallest", Rcode::nxdomain, 900, 300, 3600, 300},
      {"NXDOMAIN, SOA TTL smallest", Rcode::nxdomain, 60, 300, 3600, 60},
      {"NXDOMAIN, our cap smallest", Rcode::nxdomain, 900, 300, 100, 100},
      {"NODATA, MINIMUM smallest", Rcode::noerror, 900, 300, 3600, 300},
      {"NODATA, SOA TTL smallest", Rcode::noerror, 45, 300, 3600, 45},
      {"NODATA, our cap smallest", Rcode::noerror, 900, 300, 10, 10},
      {"SOA TTL 0", Rcode::nxdomain, 0, 300, 3600, 0},
      {"MINIMUM 0", Rcode::noerror, 900, 0, 3600, 0},
  };
  for (const Case& k : cases) {
    DYNAMIC_SECTION(k.what) {
      dns::ResponseCache cache(limits(100, 0, 86400, k.max_negative));
      Client c = query_for("nope.example");
      Adopted a = adopt(c, negative("nope.example", k.rcode, k.soa_ttl, k.minimum));
      const bool stored = cache.insert(c.query, a.answer, a.response, t0);
      REQUIRE(stored == (k.expected != 0));
      if (!stored) {
        CHECK(cache.size() == 0);
        CHECK_FALSE(lookup(cache, c, t0));
        continue;
      }
      CHECK(ttls_of(a.answer) == Ttls{k.expected});  // the SOA's TTL, in place
      std::optional<Wire> out = lookup(cache, c, t0 + seconds(k.expected - 1));
      REQUIRE(out);
      CHECK(dns::test::header_rcode(*out) == k.rcode);
      CHECK(dns::test::ancount(*out) == 0);
      CHECK(dns::test::nscount(*out) == 1);
      CHECK(ttls_of(*out) == Ttls{1});
      CHECK_FALSE(lookup(cache, c, t0 + seconds(k.expected)));
    }
  }
  SECTION("NXDOMAIN after a CNAME: every TTL is capped at the negative TTL") {
    dns::ResponseCache cache(limits());
    Client c = query_for("alias.example");
    Adopted a = adopt(c, negative("alias.example", Rcode::nxdomain, 900, 300, 600));
    REQUIRE(cache.insert(c.query, a.answer, a.response, t0));
    CHECK(ttls_of(a.answer) == Ttls{300, 300});
    std::optional<Wire> out = lookup(cache, c, t0 + seconds(100));
    REQUIRE(out);
    CHECK(ttls_of(*out) == Ttls{200, 200});
  }
}

TEST_CASE("ResponseCache does not cache what it should not", "[dns][cache]") {
  struct Case {
    const char* what;
    Wire upstream;
  };
  const auto with_rcode = [](Rcode rcode) {
    return positive("x.example", {300}, dns::qtype::kA,
                    static_cast<std::uint16_t>(kUpstreamFlags | static_cast<int>(rcode)));
  };
  const std::vector<Case> cases = {
      {"NXDOMAIN without SOA", negative("x.example", Rcode::nxdomain, std::nullopt)},
      {"NODATA without SOA", negative("x.example", Rcode::noerror, std::nullopt)},
      {"NODATA with only an NS in authority",
       MessageBuilder(1, kUpstreamFlags)
           .question("x.example")
           .section(Section::authority)
           .record("example", dns::qtype::kNs, dns::kClassIn, 300, dns::test::wire_name("ns"))
           .build()},
      {"SERVFAIL", with_rcode(Rcode::servfail)},
      {"REFUSED", with_rcode(Rcode::refused)},
      {"FORMERR", with_rcode(Rcode::formerr)},
      {"NOTIMP", with_rcode(Rcode::notimp)},
      {"truncated", positive("x.example", {300}, dns::qtype::kA, kUpstreamFlags | dns::kFlagTc)},
  };
  for (const Case& k : cases) {
    DYNAMIC_SECTION(k.what) {
      dns::ResponseCache cache(limits());
      Client c = query_for("x.example");
      CHECK_FALSE(insert(cache, c, k.upstream));
      CHECK(cache.size() == 0);
      CHECK(cache.stats().inserts == 0);
      CHECK(cache.memory_bytes() == 0);
      CHECK_FALSE(lookup(cache, c, t0));
    }
  }
}

TEST_CASE("ResponseCache serves a remembered failure as SERVFAIL until it expires",
          "[dns][cache]") {
  dns::ResponseCache cache(limits());
  Client c = query_for("Broken.Example", dns::qtype::kAaaa, 0x0AAA, 0, false, dns::kFlagRd);
  cache.insert_failure(c.query, 5, t0);
  CHECK(cache.size() == 1);
  CHECK(cache.stats().inserts == 1);

  Client later = query_for("bRoKeN.eXaMpLe", dns::qtype::kAaaa, 0x0BBB, 1232, false, dns::kFlagRd);
  std::optional<Wire> out = lookup(cache, later, t0 + milliseconds(4999));
  REQUIRE(out);
  CHECK(out->size() == later.query.question_end);
  CHECK(dns::test::header_id(*out) == 0x0BBB);
  CHECK(dns::test::header_flags(*out) ==
        (dns::kFlagQr | dns::kFlagRa | dns::kFlagRd | static_cast<std::uint16_t>(2)));
  CHECK(dns::test::qdcount(*out) == 1);
  CHECK(dns::test::ancount(*out) == 0);
  CHECK(dns::test::nscount(*out) == 0);
  CHECK(dns::test::arcount(*out) == 0);
  CHECK(question_bytes(*out, out->size()) ==
        question_bytes(later.packet, later.query.question_end));

  // Checking disabled (CD) is a different question: the entry is not served to it.
  Client unchecked = query_for("broken.example", dns::qtype::kAaaa, 0x0CCC, 1232, false,
                               dns::kFlagRd | dns::kFlagCd);
  CHECK_FALSE(lookup(cache, unchecked, t0 + seconds(1)));

  CHECK_FALSE(lookup(cache, later, t0 + seconds(5)));
  CHECK(cache.size() == 0);

  SECTION("a later good answer replaces the failure") {
    cache.insert_failure(c.query, 5, t0);
    REQUIRE(insert(cache, c, positive("broken.example", {60}, dns::qtype::kAaaa), t0));
    CHECK(cache.size() == 1);
    std::optional<Wire> good = lookup(cache, c, t0 + seconds(1));
    REQUIRE(good);
    CHECK(dns::test::header_rcode(*good) == Rcode::noerror);
    CHECK(ttls_of(*good) == Ttls{59});
  }
  SECTION("zero seconds stores nothing") {
    cache.insert_failure(c.query, 0, t0);
    CHECK(cache.size() == 0);
  }
  SECTION("a query without a question stores nothing") {
    Client bad = client(MessageBuilder().counts(0, 0, 0, 0).build(), ParseStatus::formerr);
    cache.insert_failure(bad.query, 5, t0);
    CHECK(cache.size() == 0);
  }
}

TEST_CASE("ResponseCache keys on name, type, class and DO bit", "[dns][cache]") {
  dns::ResponseCache cache(limits());
  Client base = query_for("example.com", dns::qtype::kA, 1, 1232, false);
  REQUIRE(insert(cache, base, positive("example.com", {300})));

  struct Case {
    const char* what;
    Wire packet;
    bool hit;
  };
  const std::vector<Case> cases = {
      {"same query", dns::test::make_query("example.com", dns::qtype::kA, 1232), true},
      {"other case", dns::test::make_query("ExAmPlE.CoM", dns::qtype::kA, 1232), true},
      {"no EDNS (DO clear as well)", dns::test::make_query("example.com"), true},
      {"other EDNS size", dns::test::make_query("example.com", dns::qtype::kA, 4096), true},
      {"other qtype", dns::test::make_query("example.com", dns::qtype::kAaaa, 1232), false},
      {"other qclass", MessageBuilder().question("example.com", dns::qtype::kA, 3).build(), false},
      {"DO set", dns::test::make_query("example.com", dns::qtype::kA, 1232, true), false},
      {"other name", dns::test::make_query("example.org", dns::qtype::kA, 1232), false},
      {"subdomain", dns::test::make_query("www.example.com", dns::qtype::kA, 1232), false},
  };
  for (const Case& k : cases) {
    DYNAMIC_SECTION(k.what) {
      Client c = client(k.packet);
      CHECK(lookup(cache, c, t0).has_value() == k.hit);
    }
  }
  SECTION("the DO variant is an entry of its own") {
    Client with_do = query_for("example.com", dns::qtype::kA, 2, 1232, true);
    REQUIRE(insert(cache, with_do, positive("example.com", {100})));
    CHECK(cache.size() == 2);
    CHECK(ttls_of(*lookup(cache, with_do, t0)) == Ttls{100});
    CHECK(ttls_of(*lookup(cache, base, t0)) == Ttls{300});
  }
}

TEST_CASE("ResponseCache evicts the least recently used entry", "[dns][cache]") {
  dns::ResponseCache cache(limits(3));
  std::vector<Client> clients;
  for (const char* name : {"a.example", "b.example", "c.example", "d.example", "e.example"}) {
    clients.push_back(query_for(name));
  }
  const Client& a = clients[0];
  const Client& b = clients[1];
  const Client& c = clients[2];
  const Client& d = clients[3];
  const Client& e = clients[4];
  REQUIRE(insert(cache, a, positive("a.example", {300})));
  REQUIRE(insert(cache, b, positive("b.example", {300})));
  REQUIRE(insert(cache, c, positive("c.example", {300})));
  REQUIRE(lookup(cache, a, t0));  // a is now the most recently used; b the least

  REQUIRE(insert(cache, d, positive("d.example", {300})));
  CHECK(cache.size() == 3);
  CHECK(cache.stats().evictions == 1);
  CHECK_FALSE(lookup(cache, b, t0));
  CHECK(lookup(cache, a, t0));
  CHECK(lookup(cache, c, t0));
  CHECK(lookup(cache, d, t0));

  // Use order now d, c, a (most recent first): e pushes out a.
  REQUIRE(insert(cache, e, positive("e.example", {300})));
  CHECK(cache.stats().evictions == 2);
  CHECK_FALSE(lookup(cache, a, t0));
  CHECK(lookup(cache, c, t0));
  CHECK(lookup(cache, d, t0));
  CHECK(lookup(cache, e, t0));

  SECTION("replacing an entry evicts nothing") {
    REQUIRE(insert(cache, c, positive("c.example", {50})));
    CHECK(cache.size() == 3);
    CHECK(cache.stats().evictions == 2);
    CHECK(ttls_of(*lookup(cache, c, t0)) == Ttls{50});
    CHECK(lookup(cache, d, t0));
    CHECK(lookup(cache, e, t0));
  }
}

TEST_CASE("ResponseCache keeps its memory within max_bytes", "[dns][cache]") {
  // Measure one entry, then allow room for two and a half of that size.
  std::size_t one = 0;
  {
    dns::ResponseCache probe(limits());
    REQUIRE(insert(probe, query_for("a.example"), positive("a.example", {300})));
    one = probe.memory_bytes();
  }
  dns::CacheLimits budget = limits();
  budget.max_bytes = one * 5 / 2;
  dns::ResponseCache cache(budget);
  Client a = query_for("a.example");
  Client b = query_for("b.example");
  Client c = query_for("c.example");
  REQUIRE(insert(cache, a, positive("a.example", {300})));
  REQUIRE(insert(cache, b, positive("b.example", {300})));
  REQUIRE(insert(cache, c, positive("c.example", {300})));  // a third does not fit: a goes
  CHECK(cache.size() == 2);
  CHECK(cache.memory_bytes() <= budget.max_bytes);
  CHECK(cache.stats().evictions == 1);
  CHECK_FALSE(lookup(cache, a, t0));
  CHECK(lookup(cache, b, t0));
  CHECK(lookup(cache, c, t0));

  SECTION("an answer larger than the whole budget is not cached, and evicts nothing") {
    std::vector<std::uint32_t> many(200, 300);  // 200 records: far more than the budget
    Client big = query_for("big.example");
    CHECK_FALSE(insert(cache, big, positive("big.example", many)));
    CHECK(cache.size() == 2);
    CHECK_FALSE(lookup(cache, big, t0));
  }
}

TEST_CASE("ResponseCache with max_entries 0 is off", "[dns][cache]") {
  dns::ResponseCache cache(limits(0));
  Client c = query_for("a.example");
  CHECK_FALSE(insert(cache, c, positive("a.example", {300})));
  cache.insert_failure(c.query, 30, t0);
  CHECK(cache.size() == 0);
  CHECK_FALSE(lookup(cache, c, t0));
  CHECK(cache.stats().inserts == 0);
  CHECK(cache.stats().evictions == 0);
  CHECK(cache.memory_bytes() == 0);
}

TEST_CASE("ResponseCache counts hits, misses, inserts, evictions and memory", "[dns][cache]") {
  dns::ResponseCache cache(limits(2));
  CHECK(cache.memory_bytes() == 0);
  Client a = query_for("a.example");
  Client b = query_for("b.example");
  Client x = query_for("x.example");

  CHECK_FALSE(lookup(cache, a, t0));  // miss: absent
  Adopted answer_a = adopt(a, positive("a.example", {10}));
  REQUIRE(cache.insert(a.query, answer_a.answer, answer_a.response, t0));
  const std::size_t one = cache.memory_bytes();
  CHECK(one >= answer_a.answer.size());
  REQUIRE(insert(cache, b, positive("b.example", {300})));
  CHECK(cache.memory_bytes() > one);
  CHECK(lookup(cache, a, t0 + seconds(1)));         // hit
  CHECK(lookup(cache, b, t0 + seconds(1)));         // hit
  CHECK_FALSE(lookup(cache, a, t0 + seconds(10)));  // miss: expired, and removed
  CHECK(cache.size() == 1);
  cache.insert_failure(x.query, 5, t0);
  REQUIRE(insert(cache, a, positive("a.example", {10})));  // evicts b, the older

  const dns::CacheStats& s = cache.stats();
  CHECK(s.hits == 2);
  CHECK(s.misses == 2);
  CHECK(s.inserts == 4);
  CHECK(s.evictions == 1);
  CHECK(cache.size() == 2);

  CHECK_FALSE(lookup(cache, x, t0 + seconds(5)));
  CHECK_FALSE(lookup(cache, a, t0 + seconds(10)));
  CHECK(cache.size() == 0);
  CHECK(cache.memory_bytes() == 0);  // expired entries give their memory back
}
