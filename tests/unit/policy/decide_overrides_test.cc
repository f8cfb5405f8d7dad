// decide() with what people's answers put in force: a parent's time-limited grant ("Ask my
// parent") and an operator's allow after an overturned appeal (policy/overrides.h).
#include <catch2/catch.hpp>
#include <string>

#include "policy/decide.h"

namespace bl = shelter::blocklist;
namespace policy = shelter::policy;

namespace {

constexpr std::int64_t kNow = 1'796'083'200;  // 2026-12-01T00:00:00Z

struct World {
  World() {
    bl::SnapshotBuilder b;
    auto adult = b.add_list(bl::ListInfo{"adult", "adult", false, "", ""});
    auto csam = b.add_list(bl::ListInfo{"iwf", "csam", true, "Hotline", ""});
    b.add_domain(adult, "games.example");
    b.add_domain(adult, "adult.example");
    b.add_domain(csam, "illegal.example");
    lists = b.build();
    bits = policy::CategoryBits(registry, lists->categories());
    child.name = "child";
    child.blocked.add(registry.intern("adult"));
    child.deny.add_domain("denied.example");
  }

  policy::Decision decide(std::string_view qname, const policy::GrantSet* grants,
                          const policy::EntrySet* operator_allow, std::int64_t now = kNow) {
    policy::Subject subject{
        .profile = &child, .zone = nullptr, .paused_until = 0, .grants = grants};
    policy::Environment env{.lists = *lists,
                            .category_bits = bits,
                            .capabilities = {.proxy = true},
                            .never_blocked = nullptr,
                            .operator_allow = operator_allow};
    return policy::decide({.qname = qname, .now = now}, subject, env);
  }

  policy::CategoryRegistry registry;
  std::shared_ptr<const bl::Snapshot> lists;
  policy::CategoryBits bits;
  policy::Profile child;
};

}  // namespace

TEST_CASE("a parent's grant lifts a category block until it ends", "[decide][overrides]") {
  World w;
  policy::GrantSet grants;
  grants.add("games.example", kNow + 900);
  const policy::Decision before = w.decide("games.example", nullptr, nullptr);
  CHECK(before.verdict == policy::Verdict::block);

  const policy::Decision granted = w.decide("www.games.example", &grants, nullptr);
  CHECK(granted.verdict == policy::Verdict::allow);
  CHECK(granted.reason == policy::Reason::granted);
  CHECK(granted.valid_until == kNow + 900);  // clients must ask again when it ends

  const policy::Decision ended = w.decide("games.example", &grants, nullptr, kNow + 900);
  CHECK(ended.verdict == policy::Verdict::block);
  CHECK(w.decide("adult.example", &grants, nullptr).verdict == policy::Verdict::block);
}

TEST_CASE("a grant lifts the household's own deny entry", "[decide][overrides]") {
  World w;
  policy::GrantSet grants;
  CHECK(w.decide("denied.example", &grants, nullptr).reason == policy::Reason::profile_deny);
  grants.add("denied.example", policy::kNever);
  CHECK(w.decide("denied.example", &grants, nullptr).verdict == policy::Verdict::allow);
}

TEST_CASE("nothing a person answers lifts a legal list's block", "[decide][overrides]") {
  World w;
  policy::GrantSet grants;
  grants.add("illegal.example", policy::kNever);
  policy::EntrySet allow;
  allow.add_domain("illegal.example");
  const policy::Decision d = w.decide("illegal.example", &grants, &allow);
  CHECK(d.verdict == policy::Verdict::block);
  CHECK(d.ede == policy::BlockEde::censored);
}

TEST_CASE("an operator allow lifts list blocks for everyone, not a parent's deny",
          "[decide][overrides]") {
  World w;
  policy::EntrySet allow;
  allow.add_domain("games.example");
  allow.add_domain("denied.example");
  const policy::Decision lifted = w.decide("games.example", nullptr, &allow);
  CHECK(lifted.verdict == policy::Verdict::allow);
  CHECK(lifted.reason == policy::Reason::operator_allow);
  CHECK(w.decide("denied.example", nullptr, &allow).reason == policy::Reason::profile_deny);
}

TEST_CASE("grants by device and by household", "[overrides]") {
  policy::Overrides o;
  CHECK(o.grants_for("smith", "tablet") == nullptr);
  o.grants["smith"].add("a.example", kNow + 60);
  o.grants["smith/tablet"].add("b.example", kNow + 60);
  const policy::GrantSet* tablet = o.grants_for("smith", "tablet");
  REQUIRE(tablet != nullptr);
  CHECK(tablet->until_for("b.example", kNow) == kNow + 60);
  const policy::GrantSet* laptop = o.grants_for("smith", "laptop");
  REQUIRE(laptop != nullptr);
  CHECK(laptop->until_for("a.example", kNow) == kNow + 60);
  CHECK(o.grants_for("jones", "") == nullptr);
  // The later end wins when a site is granted twice.
  o.grants["smith"].add("a.example", kNow + 10);
  CHECK(o.grants_for("smith", "")->until_for("a.example", kNow) == kNow + 60);
  CHECK(o.grants_for("smith", "")->until_for("example", kNow) == 0);
}
