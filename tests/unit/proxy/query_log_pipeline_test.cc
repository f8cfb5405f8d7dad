// The query log's hook in the pipeline: what each kind of answer puts on record, who it names
// (the household when identified, else the address), and that a legal list's name never gets in.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "proxy/querylog/buffer.h"
#include "tests/unit/proxy/dns_test_util.h"
#include "tests/unit/proxy/pipeline_fixture.h"

namespace shelter::proxy {
namespace {

using dns::test::MessageBuilder;
using dns::test::Name;
using dns::test::Section;
using querylog::Verdict;
using server::Step;
using server::test::Pipeline;

constexpr std::string_view kConfig = R"(dns:
  allow-clients: ["127.0.0.0/8", "100.64.0.0/10"]
blocking:
  mode: nxdomain
lists:
  - id: adult-list
    category: adult
    entries: [adult.test]
  - id: legal-list
    category: csam
    legal: true
    authority: Test hotline
    entries: [legal.test]
)";

struct Logged {
  querylog::RecordHead head;
  std::string subject;
  std::string name;
};

std::vector<Logged> drain(querylog::Buffer& buffer) {
  std::vector<Logged> out;
  querylog::Buffer::for_each(buffer.take(), [&](const querylog::Record& r) {
    out.push_back({r.head, std::string(r.subject), std::string(r.name)});
  });
  return out;
}

upstream::UpstreamAnswer upstream_answer(const Name& name) {
  MessageBuilder m(0x7777, dns::kFlagQr | dns::kFlagRd | dns::kFlagRa);
  m.question(name);
  m.a(Name("", 12), 300, {192, 0, 2, 1});
  upstream::UpstreamAnswer answer;
  answer.ok = true;
  answer.message = m.build();
  REQUIRE(dns::parse_response(answer.message, answer.parsed) == dns::ParseStatus::ok);
  return answer;
}

TEST_CASE("the query log records each answer once, with its verdict", "[pipeline][querylog]") {
  Pipeline p{kConfig};
  p.set_unix_now(1'796'601'600);
  querylog::Buffer buffer(1 << 16);
  p.query_log = &buffer;

  p.ask(dns::test::make_query("adult.test", dns::qtype::kAaaa), "100.64.0.7");
  server::test::Exchange forwarded = p.ask(dns::test::make_query("fine.test"), "100.64.0.7");
  REQUIRE(forwarded.step == Step::forward);
  CHECK(drain(buffer).size() == 1);  // the forwarded one is written when its answer comes
  p.complete(forwarded, upstream_answer("fine.test"));
  p.ask(dns::test::make_query("fine.test"), "100.64.0.7");  // now from the cache
  p.ask(dns::test::make_query("fine.test"), "192.0.2.1");   // not an allowed client

  const std::vector<Logged> logged = drain(buffer);
  REQUIRE(logged.size() == 3);
  CHECK(logged[0].name == "fine.test");
  CHECK(logged[0].head.verdict == Verdict::answered);
  CHECK(logged[0].head.slot == querylog::kNoSlot);
  CHECK(logged[0].head.time == 1'796'601'600);
  CHECK(logged[1].head.verdict == Verdict::answered);
  CHECK(logged[2].head.verdict == Verdict::refused);
  CHECK(logged[2].head.rcode == 5);
  // An unidentified client is its address: the same bytes for both its queries.
  CHECK(logged[0].subject == std::string("4\x64\x40\x00\x07", 5));
  CHECK(logged[1].subject == logged[0].subject);
}

TEST_CASE("a block names its slot; a legal list's is withheld", "[pipeline][querylog]") {
  Pipeline p{kConfig};
  querylog::Buffer buffer(1 << 16);
  p.query_log = &buffer;
  p.ask(dns::test::make_query("www.adult.test"), "100.64.0.7");
  p.ask(dns::test::make_query("legal.test"), "100.64.0.7");
  const std::vector<Logged> logged = drain(buffer);
  REQUIRE(logged.size() == 2);
  const std::vector<metrics::BlockSource> sources = p.slots().sources();
  REQUIRE(logged[0].head.slot < sources.size());
  CHECK(sources[logged[0].head.slot].list == "adult-list");
  CHECK(logged[0].head.verdict == Verdict::blocked);
  CHECK(logged[0].head.rcode == 3);
  CHECK_FALSE(logged[0].head.withheld);
  REQUIRE(logged[1].head.slot < sources.size());
  CHECK(sources[logged[1].head.slot].list == "legal-list");
  CHECK(logged[1].head.withheld);
}

TEST_CASE("a name steered for a legal list's URL entries is withheld too", "[pipeline][querylog]") {
  Pipeline p{R"(dns:
  allow-clients: ["127.0.0.0/8"]
proxy:
  address-ipv4: ["192.0.2.9"]
lists:
  - id: pages
    format: urls
    category: adult
    entries: [mixed.test/adult/page.html]
  - id: hotline-urls
    format: urls
    category: csam
    legal: true
    authority: Test hotline
    entries: [shared.test/abuse/1.jpg]
)"};
  querylog::Buffer buffer(1 << 16);
  p.query_log = &buffer;
  for (const char* name : {"shared.test", "mixed.test"}) {
    server::test::Exchange e = p.ask(dns::test::make_query(name));
    REQUIRE(e.step == Step::forward);
    p.complete(e, upstream_answer(name));
  }
  const std::vector<Logged> logged = drain(buffer);
  REQUIRE(logged.size() == 2);
  CHECK(logged[0].head.verdict == Verdict::steered);
  CHECK(logged[0].head.withheld);
  CHECK(logged[1].head.verdict == Verdict::steered);
  CHECK_FALSE(logged[1].head.withheld);
  CHECK(logged[1].name == "mixed.test");
}

TEST_CASE("with the log off nothing is recorded and answers are the same", "[pipeline][querylog]") {
  Pipeline off{kConfig};
  Pipeline on{kConfig};
  querylog::Buffer buffer(1 << 16);
  on.query_log = &buffer;
  for (const char* name : {"adult.test", "legal.test", "fine.test"}) {
    INFO(name);
    server::test::Exchange a = off.ask(dns::test::make_query(name), "100.64.0.7");
    server::test::Exchange b = on.ask(dns::test::make_query(name), "100.64.0.7");
    CHECK(a.step == b.step);
    CHECK(a.out == b.out);
    CHECK(a.plan.log_subject.empty());
  }
}

}  // namespace
}  // namespace shelter::proxy
