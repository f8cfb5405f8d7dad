// decide() with profiles: one table row per rule of precedence (policy/decide.h).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "policy/decide.h"

namespace bl = shelter::blocklist;
namespace policy = shelter::policy;

namespace {

constexpr std::int64_t kTuesday = 1'796'083'200;  // 2026-12-01T00:00:00Z, a Tuesday
constexpr std::int64_t kHour = 3600;

bl::ListInfo info(std::string id, std::string category, bool legal = false) {
  return bl::ListInfo{std::move(id), std::move(category), legal, "authority", "appeal"};
}

// Lists: adult, gambling, social-media (youtube), a legal domain and a legal URL entry on a
// shared host, and an ordinary URL entry on a forum.
struct World {
  World() {
    bl::SnapshotBuilder b;
    auto adult = b.add_list(info("adult", "adult"));
    auto gambling = b.add_list(info("gambling", "gambling"));
    auto social = b.add_list(info("social", "social-media"));
    auto csam = b.add_list(info("iwf", "csam", true));
    bl::ListInfo ads_info = info("ads", "ads");
    ads_info.steer = false;  // a browser-side filter: its URL rules do not steer
    auto ads = b.add_list(ads_info);
    b.add_domain(adult, "adult.example");
    b.add_domain(adult, "helpline.example");  // wrongly listed: helplines must still load
    b.add_domain(gambling, "casino.example");
    b.add_domain(gambling, "poker.example");
    b.add_domain(social, "www.youtube.com");
    b.add_domain(csam, "illegal.example");
    bl::Rule page;
    page.host = "shared.example";
    page.path = "/bad";
    page.scope = bl::HostScope::self_only;
    b.add(csam, page);
    page.host = "forum.example";
    page.path = "/thread";
    b.add(adult, page);
    page.host = "helpline.example";
    page.path = "/abuse";
    b.add(csam, page);
    page.host = "news.example";
    page.path = "/ads/";
    page.path_prefix = true;
    b.add(ads, page);
    lists = b.build();
    bits = policy::CategoryBits(registry, lists->categories());
    helplines.add_domain("helpline.example");
    covers = {"cover.example", "poker.example", "games.example", "illegal.example", "google.co.uk"};
  }

  policy::CategoryId id(const char* name) { return registry.intern(name); }

  policy::Decision decide(std::string_view qname, const policy::Profile& profile,
                          std::int64_t now = kTuesday, std::int64_t paused_until = 0,
                          bool proxy = true) {
    policy::Subject subject{.profile = &profile, .zone = nullptr, .paused_until = paused_until};
    policy::Environment env{.lists = *lists,
                            .category_bits = bits,
                            .capabilities = {.proxy = proxy},
                            .never_blocked = &helplines,
                            .cover_names = &covers};
    return policy::decide({.qname = qname, .now = now}, subject, env);
  }

  policy::CategoryRegistry registry;
  std::shared_ptr<const bl::Snapshot> lists;
  policy::CategoryBits bits;
  policy::EntrySet helplines;
  policy::NameSet covers;  // cover names: steered unless something else decides
};

// A child's profile: adult and gambling blocked, safe search, bypass prevention, one allow
// and one deny entry.
policy::Profile child_profile(World& w) {
  policy::Profile p;
  p.name = "child";
  p.blocked.add(w.id("adult"));
  p.blocked.add(w.id("gambling"));
  p.allow.add_domain("adult.example");  // a parent's mistake: allowed anyway
  p.deny.add_domain("games.example");
  p.deny.add_url("video.example", "/channel/x");
  p.safe_search.google = true;
  p.safe_search.youtube = policy::YouTubeMode::strict;
  p.block_bypass = true;
  return p;
}

policy::ScheduleRule bedtime(World& w) {
  policy::ScheduleRule rule;
  rule.name = "bedtime";
  rule.window = {.days = 0x7f, .start_minute = 21 * 60, .end_minute = 7 * 60};
  rule.allow.add_domain("school.example");
  (void)w;
  return rule;
}

}  // namespace

TEST_CASE("decide: every stage of the precedence", "[policy][profiles]") {
  World w;
  policy::Profile child = child_profile(w);
  using V = policy::Verdict;
  using R = policy::Reason;
  struct Case {
    const char* what;
    std::string qname;
    V verdict;
    R reason;
  };
  const std::vector<Case> cases = {
      {"1 legal block, even when allowed", "illegal.example", V::block, R::list},
      {"1 legal block below the name", "www.illegal.example", V::block, R::list},
      {"2 helpline listed as adult", "helpline.example", V::steer, R::list},  // legal pages
      {"2 helpline without legal pages", "www.helpline.example", V::allow, R::helpline},
      {"3 Firefox canary", "use-application-dns.net", V::block, R::bypass},
      {"3 iCloud Private Relay", "mask.icloud.com", V::block, R::bypass},
      {"6 deny entry", "games.example", V::block, R::profile_deny},
      {"6 deny entry below", "www.games.example", V::block, R::profile_deny},
      {"6 deny page entry: steered", "video.example", V::steer, R::profile_deny},
      {"7 category blocked", "casino.example", V::block, R::list},
      {"7 allow entry lifts a category", "adult.example", V::allow, R::profile_allow},
      {"7 category not in the profile", "www.youtube.com", V::rewrite, R::safe_search},
      {"8 Google safe search", "www.google.com", V::rewrite, R::safe_search},
      {"8 Google country domain", "google.co.uk", V::rewrite, R::safe_search},
      {"8 not Google", "google.evil.example", V::allow, R::none},
      {"9 legal pages on a shared host", "shared.example", V::steer, R::list},
      {"9 ordinary pages in a blocked category", "forum.example", V::steer, R::list},
      {"11 a cover name", "cover.example", V::steer, R::cover_name},
      {"11 cover names are exact", "www.cover.example", V::allow, R::none},
      {"7 a blocked cover name stays blocked", "poker.example", V::block, R::list},
      {"1 a legal block on a cover name stays", "illegal.example", V::block, R::list},
      {"6 a denied cover name stays blocked", "games.example", V::block, R::profile_deny},
      {"8 safe search before a cover name", "google.co.uk", V::rewrite, R::safe_search},
      {"10 a non-steering list's pages", "news.example", V::allow, R::none},
      {"12 nothing applies", "example.org", V::allow, R::none},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what, c.qname);
    policy::Decision d = w.decide(c.qname, child);
    CHECK(d.verdict == c.verdict);
    CHECK(d.reason == c.reason);
    CHECK(d.valid_until == policy::kNever);
  }
  // Legal blocks say "Censored"; bypass names get NXDOMAIN whatever the block mode.
  CHECK(w.decide("illegal.example", child).ede == policy::BlockEde::censored);
  CHECK(w.decide("mask.icloud.com", child).rule.answer == bl::DnsAnswer::nxdomain);
  CHECK(w.decide("www.youtube.com", child).rewrite_to == policy::kYouTubeStrict);
  CHECK(w.decide("www.google.com", child).rewrite_to == policy::kGoogleSafe);
}

TEST_CASE("decide: a profile's categories and switches", "[policy][profiles]") {
  World w;
  policy::Profile adult_band;  // the "adult" preset: legal lists only
  CHECK(w.decide("adult.example", adult_band).verdict == policy::Verdict::allow);
  CHECK(w.decide("casino.example", adult_band).verdict == policy::Verdict::allow);
  CHECK(w.decide("illegal.example", adult_band).verdict == policy::Verdict::block);
  CHECK(w.decide("use-application-dns.net", adult_band).verdict == policy::Verdict::allow);
  CHECK(w.decide("www.google.com", adult_band).verdict == policy::Verdict::allow);
  // Ordinary URL entries outside the profile's categories are not steered.
  CHECK(w.decide("forum.example", adult_band).verdict == policy::Verdict::allow);
  CHECK(w.decide("shared.example", adult_band).verdict == policy::Verdict::steer);

  policy::Profile social;
  social.blocked.add(w.id("social-media"));
  social.safe_search.youtube = policy::YouTubeMode::strict;
  // A blocked category wins over the safe-search rewrite of the same name.
  CHECK(w.decide("www.youtube.com", social).verdict == policy::Verdict::block);

  policy::Profile everything;
  everything.all_categories = true;
  CHECK(w.decide("www.youtube.com", everything).verdict == policy::Verdict::block);
  CHECK(w.decide("casino.example", everything).category == "gambling");
  // An adblock-style list's URL rules do not steer, even with its category blocked.
  CHECK(w.decide("news.example", everything).verdict == policy::Verdict::allow);

  // A category no list has blocks nothing, and is interned after the table was built.
  policy::Profile unknown;
  unknown.blocked.add(w.id("knitting"));
  CHECK(w.decide("adult.example", unknown).verdict == policy::Verdict::allow);
}

TEST_CASE("decide: no proxy, page entries", "[policy][profiles]") {
  World w;
  policy::Profile child = child_profile(w);
  // Legal page entries block the whole host; ordinary ones and deny pages let it through.
  CHECK(w.decide("shared.example", child, kTuesday, 0, false).verdict == policy::Verdict::block);
  CHECK(w.decide("forum.example", child, kTuesday, 0, false).verdict == policy::Verdict::allow);
  CHECK(w.decide("video.example", child, kTuesday, 0, false).verdict == policy::Verdict::allow);
  // Cover names need somewhere to steer to.
  CHECK(w.decide("cover.example", child, kTuesday, 0, false).verdict == policy::Verdict::allow);
}

TEST_CASE("decide: pause", "[policy][profiles]") {
  World w;
  policy::Profile child = child_profile(w);
  const std::int64_t until = kTuesday + 2 * kHour;
  policy::Decision d = w.decide("example.org", child, kTuesday, until);
  CHECK(d.verdict == policy::Verdict::block);
  CHECK(d.reason == policy::Reason::paused);
  CHECK(d.valid_until == until);
  // Helplines stay reachable, legal lists stay blocked, and the pause ends on time.
  CHECK(w.decide("www.helpline.example", child, kTuesday, until).verdict == policy::Verdict::allow);
  CHECK(w.decide("illegal.example", child, kTuesday, until).reason == policy::Reason::list);
  CHECK(w.decide("example.org", child, until - 1, until).verdict == policy::Verdict::block);
  CHECK(w.decide("example.org", child, until, until).verdict == policy::Verdict::allow);
}

TEST_CASE("decide: bedtime and school-night windows", "[policy][profiles]") {
  World w;
  policy::Profile child = child_profile(w);
  child.schedules.push_back(bedtime(w));
  policy::ScheduleRule homework;
  homework.name = "homework";
  homework.mode = policy::ScheduleMode::block_categories;
  homework.window = {.days = 0x1f, .start_minute = 16 * 60, .end_minute = 18 * 60};
  homework.categories.add(w.id("social-media"));
  child.schedules.push_back(homework);

  const std::int64_t evening = kTuesday + 20 * kHour + 59 * 60 + 30;  // 20:59:30
  policy::Decision before = w.decide("example.org", child, evening);
  CHECK(before.verdict == policy::Verdict::allow);
  CHECK(before.valid_until == kTuesday + 21 * kHour);  // the answer expires at bedtime

  const std::int64_t night = kTuesday + 23 * kHour;
  policy::Decision asleep = w.decide("example.org", child, night);
  CHECK(asleep.verdict == policy::Verdict::block);
  CHECK(asleep.reason == policy::Reason::schedule);
  REQUIRE(asleep.schedule != nullptr);
  CHECK(asleep.schedule->name == "bedtime");
  CHECK(asleep.valid_until == kTuesday + 31 * kHour);  // 07:00 the next morning
  CHECK(w.decide("school.example", child, night).verdict == policy::Verdict::allow);
  CHECK(w.decide("www.helpline.example", child, night).verdict == policy::Verdict::allow);
  CHECK(w.decide("illegal.example", child, night).reason == policy::Reason::list);
  // The schedule's allow entries do not lift the profile's own blocks.
  CHECK(w.decide("casino.example", child, night).verdict == policy::Verdict::block);

  // Homework hours add social media to the blocked categories, on weekdays only.
  const std::int64_t afternoon = kTuesday + 17 * kHour;
  policy::Decision during = w.decide("www.youtube.com", child, afternoon);
  CHECK(during.verdict == policy::Verdict::block);
  CHECK(during.category == "social-media");
  CHECK(during.valid_until == kTuesday + 18 * kHour);
  CHECK(w.decide("www.youtube.com", child, kTuesday + 19 * kHour).verdict ==
        policy::Verdict::rewrite);
  const std::int64_t saturday = kTuesday + 4 * 24 * kHour + 17 * kHour;
  CHECK(w.decide("www.youtube.com", child, saturday).verdict == policy::Verdict::rewrite);
}

TEST_CASE("decide: without a profile every category counts", "[policy][profiles]") {
  World w;
  CHECK(policy::decide({"casino.example"}, *w.lists, {}).verdict == policy::Verdict::block);
  CHECK(policy::decide({"use-application-dns.net"}, *w.lists, {}).verdict ==
        policy::Verdict::allow);
}

TEST_CASE("safe_search_target recognises each engine's names", "[policy][profiles]") {
  policy::SafeSearch all{
      .google = true, .youtube = policy::YouTubeMode::moderate, .bing = true, .duckduckgo = true};
  struct Case {
    const char* name;
    const char* target;  // null: none
  };
  const std::vector<Case> cases = {
      {"www.google.com", "forcesafesearch.google.com"},
      {"google.com", "forcesafesearch.google.com"},
      {"www.google.de", "forcesafesearch.google.com"},
      {"www.google.com.au", "forcesafesearch.google.com"},
      {"www.google.co.jp", "forcesafesearch.google.com"},
      {"mail.google.com", nullptr},
      {"www.google.evil.com", nullptr},
      {"google.example.de", nullptr},
      {"www.youtube.com", "restrictmoderate.youtube.com"},
      {"m.youtube.com", "restrictmoderate.youtube.com"},
      {"youtubei.googleapis.com", "restrictmoderate.youtube.com"},
      {"www.bing.com", "strict.bing.com"},
      {"duckduckgo.com", "safe.duckduckgo.com"},
      {"start.duckduckgo.com", "safe.duckduckgo.com"},
      {"example.com", nullptr},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    auto target = policy::safe_search_target(c.name, all);
    if (c.target == nullptr) {
      CHECK_FALSE(target);
    } else {
      REQUIRE(target);
      CHECK(*target == c.target);
    }
  }
  CHECK_FALSE(policy::safe_search_target("www.google.com", policy::SafeSearch{}));
  all.youtube = policy::YouTubeMode::strict;
  CHECK(*policy::safe_search_target("www.youtube.com", all) == policy::kYouTubeStrict);
}

TEST_CASE("EntrySet: sites cover their subdomains, pages their paths", "[policy][profiles]") {
  policy::EntrySet set;
  set.add_domain("example.com");
  set.add_url("pages.example", "/kids/");
  CHECK(set.covers_domain("example.com"));
  CHECK(set.covers_domain("a.b.example.com"));
  CHECK_FALSE(set.covers_domain("badexample.com"));
  CHECK_FALSE(set.covers_domain("com"));
  CHECK(set.has_pages_on("pages.example"));
  CHECK_FALSE(set.has_pages_on("www.pages.example"));
  CHECK(set.covers_url("pages.example", "/kids/page.html"));
  CHECK_FALSE(set.covers_url("pages.example", "/adults/"));
  CHECK(set.covers_url("www.example.com", "/anything"));
  CHECK(set.size() == 2);
}

TEST_CASE("CategoryBits maps interned ids to one snapshot's bits", "[policy][profiles]") {
  policy::CategoryRegistry registry;
  policy::CategoryId early = registry.intern("gambling");
  std::vector<std::string> snapshot = {"adult", "gambling"};
  policy::CategoryBits bits(registry, snapshot);
  policy::CategorySet set;
  set.add(early);
  set.add(registry.intern("adult"));
  CHECK(bits.mask(set) == 0b11);
  set.remove(early);
  CHECK(bits.mask(set) == 0b01);
  set.add(registry.intern("later"));  // interned after the table: no bit
  CHECK(bits.mask(set) == 0b01);
  CHECK(registry.name(early) == "gambling");
}

TEST_CASE("decide: a page request, with the same precedence as its name", "[policy][urls]") {
  World w;
  policy::Profile child = child_profile(w);
  using V = policy::Verdict;
  using R = policy::Reason;
  auto page = [&](std::string_view host, std::string_view path,
                  const policy::GrantSet* grants = nullptr) {
    policy::Subject subject{
        .profile = &child, .zone = nullptr, .paused_until = 0, .grants = grants};
    policy::Environment env{.lists = *w.lists,
                            .category_bits = w.bits,
                            .capabilities = {.proxy = true},
                            .never_blocked = &w.helplines};
    return policy::decide({.qname = host, .now = kTuesday, .path = path}, subject, env);
  };
  // The name is steered; the proxy then decides each page.
  CHECK(w.decide("forum.example", child).verdict == V::steer);
  const policy::Decision listed = page("forum.example", "/thread");  // an exact-page entry
  CHECK(listed.verdict == V::block);
  CHECK(listed.reason == R::list);
  CHECK(listed.category == "adult");
  CHECK(page("forum.example", "/other").verdict == V::allow);
  // A legal page is blocked for everyone; the rest of its shared host is open.
  const policy::Decision legal = page("shared.example", "/bad");
  CHECK(legal.verdict == V::block);
  CHECK(legal.ede == policy::BlockEde::censored);
  CHECK(page("shared.example", "/fine").verdict == V::allow);
  // A helpline's own pages stay open; a legal page on it does not.
  CHECK(page("helpline.example", "/contact").verdict == V::allow);
  CHECK(page("helpline.example", "/abuse").verdict == V::block);
  // The profile's page deny blocks that page only.
  CHECK(page("video.example", "/channel/x/live").reason == R::profile_deny);
  CHECK(page("video.example", "/channel/y").verdict == V::allow);
  // A whole site blocked by name is blocked on every page.
  CHECK(page("casino.example", "/").verdict == V::block);
  CHECK(page("games.example", "/play").reason == R::profile_deny);
  // Safe search is a DNS answer: a page request is not rewritten.
  CHECK(page("www.google.com", "/search?q=x").verdict == V::allow);
  // A parent's grant of the site covers its pages.
  policy::GrantSet grants;
  grants.add("forum.example", kTuesday + 900);
  CHECK(page("forum.example", "/thread", &grants).reason == R::granted);
}
