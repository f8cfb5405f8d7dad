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

bl::Rule url_rule(std::string_view host, std::string_view path) {
  bl::Rule rule;
  rule.host = host;
  rule.path = path;
  rule.scope = bl::HostScope::self_only;
  return rule;
}

}  // namespace

TEST_CASE("ede_for maps list kinds to RFC 8914 codes", "[policy]") {
  struct Case {
    bl::ListInfo list;
    std::string category;
    policy::BlockEde expected;
  };
  const std::vector<Case> cases = {
      {info("csam", true), "csam", policy::BlockEde::censored},
      {info("malware", true), "malware", policy::BlockEde::censored},  // legal wins
      {info("malware"), "malware", policy::BlockEde::blocked},
      {info("phishing"), "phishing", policy::BlockEde::blocked},
      {info("botnet"), "botnet", policy::BlockEde::blocked},
      {info("cryptojacking"), "cryptojacking", policy::BlockEde::blocked},
      {info("malware"), "Malware", policy::BlockEde::blocked},
      {info("adult"), "adult", policy::BlockEde::filtered},
      {info("malware"), "adult", policy::BlockEde::filtered},  // the rule's category counts
      {info("gambling"), "gambling", policy::BlockEde::filtered},
      {info("malware-ish"), "malware-ish", policy::BlockEde::filtered},
      {info(""), "", policy::BlockEde::filtered},
  };
  for (const auto& c : cases) {
    CAPTURE(c.category, c.list.legal);
    CHECK(policy::ede_for(c.list, c.category) == c.expected);
  }
}

TEST_CASE("decide: block, steer or allow for each kind of entry", "[policy]") {
  bl::SnapshotBuilder builder;
  auto adult = builder.add_list(info("adult"));
  auto malware = builder.add_list(info("malware"));
  auto csam = builder.add_list(info("csam", true));
  auto allow = builder.add_list(info("allowlist"));
  builder.add_domain(adult, "adult.example");
  builder.add_domain(malware, "bad.example");
  builder.add_domain(csam, "illegal.example");
  builder.add_domain(adult, "sub.illegal.example");
  builder.add(adult, url_rule("shared.example", "/adult/page.html"));
  builder.add(csam, url_rule("hosting.example", "/abuse/1.jpg"));
  bl::Rule exception;
  exception.host = "fine.adult.example";
  exception.action = bl::RuleAction::allow;
  builder.add(allow, exception);
  bl::Rule rpz;
  rpz.host = "nx.example";
  rpz.answer = bl::DnsAnswer::nxdomain;
  rpz.scope = bl::HostScope::self_only;
  builder.add(malware, rpz);
  auto snapshot = builder.build();

  using V = policy::Verdict;
  struct Case {
    std::string qname;
    bool proxy;
    V verdict;
    std::string rule;  // the deciding host
    std::string list;  // its list's id
    policy::BlockEde ede;
    bl::DnsAnswer answer;
  };
  const auto F = policy::BlockEde::filtered;
  const auto cfg = bl::DnsAnswer::configured;
  const std::vector<Case> cases = {
      {"adult.example", false, V::block, "adult.example", "list-adult", F, cfg},
      {"www.bad.example", false, V::block, "bad.example", "list-malware", policy::BlockEde::blocked,
       cfg},
      // Legal beats the more specific ordinary entry.
      {"x.sub.illegal.example", false, V::block, "illegal.example", "list-csam",
       policy::BlockEde::censored, cfg},
      // An ordinary exception lifts the ordinary block.
      {"fine.adult.example", false, V::allow, "", "", F, cfg},
      {"www.fine.adult.example", false, V::allow, "", "", F, cfg},
      // URL-level entries only: steer when a proxy exists; otherwise allow, except a legal
      // list's, which blocks the whole host rather than fail open.
      {"shared.example", true, V::steer, "", "", F, cfg},
      {"shared.example", false, V::allow, "", "", F, cfg},
      {"hosting.example", true, V::steer, "", "", F, cfg},
      {"hosting.example", false, V::block, "hosting.example", "list-csam",
       policy::BlockEde::censored, cfg},
      {"www.shared.example", true, V::allow, "", "", F, cfg},  // the rule is for that host only
      // RPZ answers ride along.
      {"nx.example", false, V::block, "nx.example", "list-malware", policy::BlockEde::blocked,
       bl::DnsAnswer::nxdomain},
      {"www.nx.example", false, V::allow, "", "", F, cfg},
      {"fine.example", false, V::allow, "", "", F, cfg},
  };
  for (const auto& c : cases) {
    CAPTURE(c.qname, c.proxy);
    auto d = policy::decide(policy::DnsRequest{c.qname}, *snapshot, {.proxy = c.proxy});
    CHECK(d.verdict == c.verdict);
    if (c.verdict != V::block) continue;
    CHECK(d.rule.host == c.rule);
    REQUIRE(d.list != nullptr);
    CHECK(d.list->id == c.list);
    CHECK(d.ede == c.ede);
    CHECK(d.rule.answer == c.answer);
  }
}

TEST_CASE("decide reports an operator override of a legal list", "[policy]") {
  bl::SnapshotBuilder builder;
  auto csam = builder.add_list(info("csam", true));
  auto override_list = builder.add_list(info("override", true));
  auto ordinary_allow = builder.add_list(info("allow"));
  builder.add_domain(csam, "listed.example");
  builder.add_domain(csam, "other.example");
  bl::Rule lift;
  lift.host = "listed.example";
  lift.action = bl::RuleAction::allow;
  builder.add(override_list, lift);
  lift.host = "other.example";
  builder.add(ordinary_allow, lift);  // an ordinary exception cannot lift a legal block
  auto snapshot = builder.build();

  auto lifted = policy::decide({"listed.example"}, *snapshot, {});
  CHECK(lifted.verdict == policy::Verdict::allow);
  CHECK(lifted.legal_override);
  auto kept = policy::decide({"other.example"}, *snapshot, {});
  CHECK(kept.verdict == policy::Verdict::block);
  CHECK(kept.ede == policy::BlockEde::censored);
  CHECK_FALSE(kept.legal_override);
}

TEST_CASE("decide against an empty snapshot allows", "[policy]") {
  auto empty = bl::SnapshotBuilder().build();
  auto d = policy::decide(policy::DnsRequest{"example.com"}, *empty, {});
  CHECK(d.verdict == policy::Verdict::allow);
  CHECK(d.list == nullptr);
}

TEST_CASE("host_verdict: what a proxy that sees only the host does", "[policy]") {
  using policy::HostVerdict;
  policy::Decision d;
  CHECK(policy::host_verdict(d) == HostVerdict::pass);  // allow
  d.verdict = policy::Verdict::block;
  CHECK(policy::host_verdict(d) == HostVerdict::block);
  d.verdict = policy::Verdict::steer;
  d.reason = policy::Reason::list;
  CHECK(policy::host_verdict(d) == HostVerdict::pass);  // listed pages, https-pages: pass
  d.steer_https_block = true;
  CHECK(policy::host_verdict(d) == HostVerdict::block_https_pages);
  d.reason = policy::Reason::cover_name;  // steered only to hide which names are listed
  CHECK(policy::host_verdict(d) == HostVerdict::pass);
  d.verdict = policy::Verdict::rewrite;  // safe search: the proxy never sees it as a block
  d.reason = policy::Reason::safe_search;
  CHECK(policy::host_verdict(d) == HostVerdict::pass);
}
