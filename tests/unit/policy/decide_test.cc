#include "policy/decide.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace bl = shelter::blocklist;
namespace policy = shelter::policy;

namespace {

bl::ListInfo info(std::string category, bool legal = false) {
  return bl::ListInfo{"list-" + category, std::move(category), legal, "authority", "appeal"};
}

}  // namespace

TEST_CASE("ede_for maps list kinds to RFC 8914 codes", "[policy]") {
  struct Case {
    bl::ListInfo list;
    policy::BlockEde expected;
  };
  const std::vector<Case> cases = {
      {info("csam", true), policy::BlockEde::censored},
      {info("malware", true), policy::BlockEde::censored},  // legal wins over category
      {info("malware"), policy::BlockEde::blocked},
      {info("phishing"), policy::BlockEde::blocked},
      {info("botnet"), policy::BlockEde::blocked},
      {info("cryptojacking"), policy::BlockEde::blocked},
      {info("Malware"), policy::BlockEde::blocked},
      {info("adult"), policy::BlockEde::filtered},
      {info("gambling"), policy::BlockEde::filtered},
      {info("malware-ish"), policy::BlockEde::filtered},
      {info(""), policy::BlockEde::filtered},
  };
  for (const auto& c : cases) {
    CAPTURE(c.list.category, c.list.legal);
    CHECK(policy::ede_for(c.list) == c.expected);
  }
}

TEST_CASE("decide blocks listed names and allows the rest", "[policy]") {
  bl::SnapshotBuilder builder;
  auto adult = builder.add_list(info("adult"));
  auto malware = builder.add_list(info("malware"));
  auto csam = builder.add_list(info("csam", true));
  builder.add_domain(adult, "adult.example");
  builder.add_domain(malware, "bad.example");
  builder.add_domain(csam, "illegal.example");
  builder.add_domain(adult, "sub.illegal.example");
  auto snapshot = builder.build();

  struct Case {
    std::string qname;
    policy::Verdict verdict;
    std::string rule;
    const bl::ListInfo* list;
    policy::BlockEde ede;
  };
  const auto& lists = snapshot->lists();
  const std::vector<Case> cases = {
      {"adult.example", policy::Verdict::block, "adult.example", &lists[adult],
       policy::BlockEde::filtered},
      {"www.bad.example", policy::Verdict::block, "bad.example", &lists[malware],
       policy::BlockEde::blocked},
      {"x.sub.illegal.example", policy::Verdict::block, "illegal.example", &lists[csam],
       policy::BlockEde::censored},
      {"fine.example", policy::Verdict::allow, "", nullptr, policy::BlockEde::filtered},
      {"notbad.example", policy::Verdict::allow, "", nullptr, policy::BlockEde::filtered},
  };
  for (const auto& c : cases) {
    CAPTURE(c.qname);
    auto d = policy::decide(policy::DnsRequest{c.qname}, *snapshot);
    CHECK(d.verdict == c.verdict);
    CHECK(d.rule == c.rule);
    CHECK(d.list == c.list);
    CHECK(d.ede == c.ede);
  }
}

TEST_CASE("decide against an empty snapshot allows", "[policy]") {
  bl::Snapshot empty;
  auto d = policy::decide(policy::DnsRequest{"example.com"}, empty);
  CHECK(d.verdict == policy::Verdict::allow);
  CHECK(d.list == nullptr);
}
