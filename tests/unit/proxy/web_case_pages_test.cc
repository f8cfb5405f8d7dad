// The pages beside the block page, without sockets: check a site's verdicts (a legal list never
// confirms a page), the appeal form and a case's status as HTML (escaping, errors, what a legal
// case never shows), and "Ask my parent"'s status.
#include <catch2/catch.hpp>
#include <string>

#include "blocklist/snapshot.h"
#include "proxy/cases/rules.h"
#include "proxy/web/case_pages.h"
#include "proxy/web/site_check.h"

namespace bl = shelter::blocklist;
namespace cases = shelter::proxy::cases;
namespace web = shelter::proxy::web;

namespace {

constexpr std::int64_t kNow = 1'796'083'200;

std::shared_ptr<const bl::Snapshot> lists() {
  bl::SnapshotBuilder b;
  auto adult = b.add_list(bl::ListInfo{"adult", "adult", false, "", ""});
  auto csam =
      b.add_list(bl::ListInfo{"iwf", "csam", true, "Test Hotline", "https://hotline.test/"});
  b.add_domain(adult, "adult.example");
  b.add_domain(csam, "illegal.example");
  bl::Rule page;
  page.host = "shared.example";
  page.path = "/bad";
  page.scope = bl::HostScope::self_only;
  b.add(csam, page);
  page.host = "forum.example";
  page.path = "/thread";
  b.add(adult, page);
  return b.build();
}

std::shared_ptr<const web::Pages> pages() {
  std::vector<std::string> errors;
  auto p = web::Pages::load("", errors);
  REQUIRE(p);
  return p;
}

}  // namespace

TEST_CASE("check a site: what the lists say", "[check]") {
  auto l = lists();
  using V = web::SiteCheck::Verdict;
  CHECK(web::check_site("example.org", *l, nullptr)->verdict == V::open);
  const auto blocked = web::check_site("https://WWW.Adult.example/page?x=1", *l, nullptr);
  REQUIRE(blocked);
  CHECK(blocked->verdict == V::blocked);
  CHECK(blocked->site == "www.adult.example");
  CHECK(blocked->list == "adult");
  CHECK(blocked->category == "adult");
  CHECK(web::check_site("forum.example", *l, nullptr)->verdict == V::pages);
  CHECK(web::check_site("forum.example/thread", *l, nullptr)->verdict == V::blocked);
  // A page not listed on a host with listed pages: the answer says some pages are.
  CHECK(web::check_site("forum.example/other", *l, nullptr)->verdict == V::pages);
  CHECK_FALSE(web::check_site("", *l, nullptr));
  CHECK_FALSE(web::check_site("not a site", *l, nullptr));
  shelter::policy::EntrySet allowed;
  allowed.add_domain("adult.example");
  CHECK(web::check_site("adult.example", *l, &allowed)->verdict == V::allowed);
}

TEST_CASE("check a site: a legal list answers for the host, never the page", "[check]") {
  auto l = lists();
  using V = web::SiteCheck::Verdict;
  const auto host = web::check_site("shared.example", *l, nullptr);
  const auto listed = web::check_site("http://shared.example/bad", *l, nullptr);
  const auto other = web::check_site("http://shared.example/fine", *l, nullptr);
  REQUIRE(host);
  REQUIRE(listed);
  REQUIRE(other);
  for (const auto* c : {&*host, &*listed, &*other}) {
    CHECK(c->verdict == V::authority);
    CHECK(c->authority == "Test Hotline");
    CHECK(c->list == "iwf");  // for a referral; the page and JSON never show it
  }
  CHECK(web::check_site("illegal.example/anything", *l, nullptr)->verdict == V::authority);
}

TEST_CASE("the appeal form: fields, errors linked to them, values escaped", "[appeal]") {
  auto p = pages();
  shelter::proxy::config::WebConfig settings;
  settings.organisation = "ISP <&>";
  const web::Texts texts(*p, p->english(), settings);
  web::AppealInput input{.url = "\"><script>x</script>",
                         .reporter = "webmaster",
                         .why = "</textarea><script>",
                         .contact = "",
                         .token = "",
                         .csrf = "tok"};
  const web::FormErrors errors{{"url", "appeal.error-url"}};
  const std::string html =
      web::render_spec(web::appeal_form_page(input, errors, "", texts), *p, p->english());
  CHECK(html.find("<script>") == std::string::npos);
  CHECK(html.find("&lt;/textarea&gt;&lt;script&gt;") != std::string::npos);
  CHECK(html.find("ISP &lt;&amp;&gt;") != std::string::npos);
  CHECK(html.find("href=\"#url\"") != std::string::npos);  // the summary links to the field
  CHECK(html.find("aria-invalid=\"true\"") != std::string::npos);
  CHECK(html.find("value=\"webmaster\" checked") != std::string::npos);
  CHECK(html.find("name=\"csrf\" value=\"tok\"") != std::string::npos);
  const std::string legal =
      web::render_spec(web::appeal_form_page({}, {}, "Test Hotline", texts), *p, p->english());
  CHECK(legal.find("we send your report to Test Hotline") != std::string::npos);
}

TEST_CASE("a case's status: the decision's words escaped, a legal case's site never shown",
          "[appeal]") {
  auto p = pages();
  shelter::proxy::config::WebConfig settings;
  const web::Texts texts(*p, p->english(), settings);
  cases::Appeal a;
  a.id = "ABCD2345";
  a.created = kNow;
  a.site = "adult.example";
  a = cases::decide_appeal(a, cases::Outcome::uphold, "<b>listed</b> correctly", "ops", kNow);
  const std::string html =
      web::render_spec(web::appeal_status_page(a, "", texts), *p, p->english());
  CHECK(html.find("&lt;b&gt;listed&lt;/b&gt;") != std::string::npos);
  CHECK(html.find("Reviewed: the block stays") != std::string::npos);
  CHECK(html.find("adult.example") != std::string::npos);

  cases::Appeal legal;
  legal.id = "LEGAL234";
  legal.site = "shared.example";
  legal.url = "http://shared.example/bad";
  legal.legal = true;
  legal.route = cases::Route::authority;
  legal = cases::decide_appeal(legal, cases::Outcome::refer, "referred", "shelter", kNow);
  const std::string referred =
      web::render_spec(web::appeal_status_page(legal, "Test Hotline", texts), *p, p->english());
  CHECK(referred.find("shared.example") == std::string::npos);
  CHECK(referred.find("sent to Test Hotline") != std::string::npos);
}

TEST_CASE("ask my parent: the status the child sees", "[ask]") {
  auto p = pages();
  shelter::proxy::config::WebConfig settings;
  const web::Texts texts(*p, p->english(), settings);
  cases::AccessRequest r{.id = "R", .household = "smith", .site = "games.example", .created = kNow};
  auto heading = [&](std::int64_t now) {
    return web::render_spec(web::ask_status_page(r, now, true, texts), *p, p->english());
  };
  CHECK(heading(kNow).find("Your request has been sent") != std::string::npos);
  r = cases::answer_request(r, cases::Answer::minutes_15, "mum", kNow,
                            shelter::policy::TimeZone::utc());
  const std::string allowed = heading(kNow + 60);
  CHECK(allowed.find("You can use this site now") != std::string::npos);
  CHECK(allowed.find("href=\"http://games.example/\"") != std::string::npos);
  CHECK(heading(kNow + 900).find("This request has ended") != std::string::npos);
}
