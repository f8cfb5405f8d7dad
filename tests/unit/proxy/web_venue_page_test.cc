// The venue's page: what it says is filtered (the reader's profile, only categories a list
// fills, legal lists always), the page itself (escaped terms and name, the block page's words,
// contact links, every language), where the block page links it, and the link itself.
#include "proxy/web/venue_page.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "proxy/web/block_page.h"
#include "tests/unit/proxy/builtin_pages.h"

namespace bl = shelter::blocklist;
namespace config = shelter::proxy::config;
namespace policy = shelter::policy;
namespace web = shelter::proxy::web;

namespace {

std::shared_ptr<const bl::Snapshot> lists() {
  bl::SnapshotBuilder b;
  const auto adult = b.add_list(bl::ListInfo{"adult", "adult", false, "", ""});
  const auto threats = b.add_list(bl::ListInfo{"threats", "malware", false, "", ""});
  const auto bots = b.add_list(bl::ListInfo{"bots", "botnet", false, "", ""});
  const auto games = b.add_list(bl::ListInfo{"games", "games", false, "", ""});
  const auto csam = b.add_list(bl::ListInfo{"iwf", "csam", true, "Hotline", ""});
  b.add_domain(adult, "adult.example");
  b.add_domain(threats, "evil.example");
  b.add_domain(bots, "bot.example");
  b.add_domain(games, "games.example");
  b.add_domain(csam, "illegal.example");
  return b.build();
}

config::WebConfig settings() {
  config::WebConfig w;
  w.organisation = "Operator";
  w.response_time = "2 days";
  w.venue = {.name = "Café <b>&</b>",
             .terms = {"Be <i>kind</i>.", "No \"piracy\" & no spam."},
             .email = "wifi@cafe.example",
             .phone = "+33 (1) 23-45.67",
             .web = "https://cafe.example/?a=1&b=2"};
  return w;
}

std::string render(const web::VenueFacts& facts, const config::WebConfig& w,
                   std::string_view lang = "en",
                   const config::QueryLogConfig* query_log = nullptr) {
  const web::Pages& pages = shelter::test::builtin_pages();
  const web::Catalog& catalog = pages.choose(lang);
  const web::Texts texts(pages, catalog, w, query_log);
  return web::render_spec(web::venue_page(facts, texts), pages, catalog);
}

std::string section(const std::string& page, std::string_view id) {
  const std::size_t at = page.find("<section aria-labelledby=\"" + std::string(id) + "\"");
  if (at == std::string::npos) return {};
  return page.substr(at, page.find("</section>", at) - at);
}

}  // namespace

TEST_CASE("filtered_categories: the profile's categories that a list fills, and legal lists") {
  const auto snapshot = lists();
  policy::CategoryRegistry registry;
  const policy::CategoryBits bits(registry, snapshot->categories());
  policy::Profile wifi;
  for (const char* c : {"adult", "gambling", "malware", "botnet"})
    wifi.blocked.add(registry.intern(c));
  // gambling: no list; games: a list the profile leaves open; csam: legal, for everyone.
  CHECK(web::filtered_categories(wifi, bits, *snapshot) ==
        std::vector<std::string>{"adult", "malware", "botnet", "csam"});
  policy::Profile all;
  all.all_categories = true;
  CHECK(web::filtered_categories(all, bits, *snapshot) ==
        std::vector<std::string>{"adult", "malware", "botnet", "games", "csam"});
  CHECK(web::filtered_categories(policy::Profile{}, bits, *snapshot) ==
        std::vector<std::string>{"csam"});
}

TEST_CASE("venue_page: terms, filtered, privacy, report and contact, all escaped") {
  const std::string page = render({.categories = {"adult", "malware", "botnet", "no-words"},
                                   .report_url = "http://192.0.2.1/appeal"},
                                  settings());
  INFO(page);
  CHECK(page.find("<h1>Using the Wi-Fi at Café &lt;b&gt;&amp;&lt;/b&gt;</h1>") !=
        std::string::npos);
  CHECK(page.find("<b>") == std::string::npos);
  CHECK(page.find("<i>") == std::string::npos);
  const std::string terms = section(page, "terms");
  CHECK(terms.find("<p>Be &lt;i&gt;kind&lt;/i&gt;.</p>") != std::string::npos);
  CHECK(terms.find("<p>No &quot;piracy&quot; &amp; no spam.</p>") != std::string::npos);
  const std::string filtered = section(page, "filtered");
  CHECK(filtered.find("<li>adult content</li>") != std::string::npos);
  CHECK(filtered.find("<li>harmful software</li>") != std::string::npos);
  CHECK(filtered.find("harmful software", filtered.find("harmful software") + 1) ==
        std::string::npos);  // malware and botnet: one line
  CHECK(filtered.find("<li>no-words</li>") != std::string::npos);
  CHECK(section(page, "privacy").find("keeps no history") != std::string::npos);
  const std::string report = section(page, "report");
  CHECK(report.find("href=\"http://192.0.2.1/appeal\"") != std::string::npos);
  CHECK(report.find("answers within 2 days") != std::string::npos);
  const std::string contact = section(page, "contact");
  CHECK(contact.find("href=\"mailto:wifi@cafe.example\"") != std::string::npos);
  CHECK(contact.find("href=\"tel:+331234567\"") != std::string::npos);
  CHECK(contact.find("href=\"https://cafe.example/?a=1&amp;b=2\"") != std::string::npos);
  CHECK(contact.find("Phone: +33 (1) 23-45.67") != std::string::npos);
}

TEST_CASE("venue_page: what is left out when it is not there") {
  config::WebConfig w;
  w.venue.name = "Library";
  const std::string page = render({}, w);
  CHECK(section(page, "terms").empty());
  CHECK(section(page, "contact").empty());
  CHECK(section(page, "filtered").find("No kind of site is blocked") != std::string::npos);
  CHECK(section(page, "report").find("href=\"/check\"") != std::string::npos);
}

TEST_CASE("venue_page: every language has its words") {
  for (const char* lang : {"en", "fr", "es", "ar"}) {
    DYNAMIC_SECTION(lang) {
      const std::string page = render({.categories = {"adult"}}, settings(), lang);
      CHECK(page.find(std::string("lang=\"") + lang + "\"") != std::string::npos);
      CHECK(page.find("{{") == std::string::npos);
      CHECK(page.find("venue-page.") == std::string::npos);
      CHECK(section(page, "contact").find("dir=\"ltr\"") != std::string::npos);
    }
  }
}

TEST_CASE("venue_page_url: the appeal form's server and /venue, none without a venue") {
  config::Config c;
  c.blocking.appeal_url = "http://192.0.2.1:8080/appeal?x=1";
  CHECK(web::venue_page_url(c).empty());
  c.web.venue.name = "Library";
  CHECK(web::venue_page_url(c) == "http://192.0.2.1:8080/venue");
  c.blocking.appeal_url = "https://pages.example";
  CHECK(web::venue_page_url(c) == "https://pages.example/venue");
  c.blocking.appeal_url = "http:///appeal";
  CHECK(web::venue_page_url(c).empty());
}

TEST_CASE("the block page links the venue page when it has one") {
  const web::Pages& pages = shelter::test::builtin_pages();
  const config::WebConfig w = settings();
  web::BlockView view;
  view.kind = web::PageKind::venue;
  view.site = "adult.example";
  view.category = "adult";
  CHECK(web::render_page(view, pages, pages.choose("en"), w, 0).find("/venue") ==
        std::string::npos);
  view.venue_url = "http://192.0.2.1/venue";
  const std::string page = web::render_page(view, pages, pages.choose("en"), w, 0);
  CHECK(page.find("<a href=\"http://192.0.2.1/venue\" rel=\"noreferrer\">About this Wi-Fi") !=
        std::string::npos);
  view.kind = web::PageKind::legal;  // the legal page links its authority and hotlines only
  CHECK(web::render_page(view, pages, pages.choose("en"), w, 0).find("/venue") ==
        std::string::npos);
}

// The query log (docs/query-log.md): when it is on, the privacy section says so, with its
// retention and key rotation in words, in every language; off, the promise stays.
config::QueryLogConfig query_log(std::chrono::milliseconds retention,
                                 std::chrono::milliseconds rotation) {
  return {
      .enabled = true, .directory = "/var/log/q", .key_rotation = rotation, .retention = retention};
}

TEST_CASE("venue_page: with the query log on, the privacy section says what it keeps") {
  using std::chrono::days;
  using std::chrono::hours;
  using std::chrono::minutes;
  const config::QueryLogConfig week = query_log(days(7), hours(24));
  const std::string on = section(render({}, settings(), "en", &week), "privacy");
  INFO(on);
  CHECK(on.find("On this Wi-Fi, Operator keeps a list of the names of the sites that devices "
                "look up, for 7 days.") != std::string::npos);
  CHECK(on.find("a code that changes every day") != std::string::npos);
  CHECK(on.find("child sexual abuse material are never written") != std::string::npos);
  CHECK(on.find("keeps no history") == std::string::npos);
  // Not enabled: the same page, byte for byte, as without the setting.
  config::QueryLogConfig off = week;
  off.enabled = false;
  CHECK(render({}, settings(), "en", &off) == render({}, settings()));
  CHECK(section(render({}, settings(), "en", &off), "privacy").find("keeps no history") !=
        std::string::npos);
  // The largest whole unit, one or many.
  const config::QueryLogConfig odd = query_log(hours(12), minutes(90));
  const std::string short_log = section(render({}, settings(), "en", &odd), "privacy");
  CHECK(short_log.find("for 12 hours.") != std::string::npos);
  CHECK(short_log.find("changes every 90 minutes,") != std::string::npos);
  const config::QueryLogConfig one = query_log(days(1), days(2));
  const std::string one_day = section(render({}, settings(), "en", &one), "privacy");
  CHECK(one_day.find("for 1 day.") != std::string::npos);
  CHECK(one_day.find("changes every 2 days,") != std::string::npos);
}

TEST_CASE("venue_page: the query log's words in every language, Arabic's plural forms") {
  using std::chrono::days;
  using std::chrono::hours;
  const config::QueryLogConfig week = query_log(days(7), hours(24));
  const std::pair<const char*, const char*> expected[] = {
      {"fr", "pendant 7 jours"}, {"es", "durante 7 días"}, {"ar", "لمدة 7 أيام"}};
  for (const auto& [lang, words] : expected) {
    DYNAMIC_SECTION(lang) {
      const std::string page = render({}, settings(), lang, &week);
      const std::string privacy = section(page, "privacy");
      CHECK(privacy.find(words) != std::string::npos);
      CHECK(page.find("{{") == std::string::npos);
      CHECK(page.find("query-log.") == std::string::npos);
      const web::Pages& pages = shelter::test::builtin_pages();
      const web::Texts off(pages, pages.choose(lang), settings());
      CHECK(privacy.find(off("venue-page.privacy")) == std::string::npos);  // the promise is gone
    }
  }
  // Arabic counts one, two, three to ten and more each its own way.
  const std::pair<std::chrono::milliseconds, const char*> arabic[] = {{days(1), "لمدة يوم واحد"},
                                                                      {days(2), "لمدة يومين"},
                                                                      {days(10), "لمدة 10 أيام"},
                                                                      {days(30), "لمدة 30 يومًا"},
                                                                      {hours(5), "لمدة 5 ساعات"}};
  for (const auto& [retention, words] : arabic) {
    const config::QueryLogConfig log = query_log(retention, hours(48));
    const std::string privacy = section(render({}, settings(), "ar", &log), "privacy");
    INFO(words);
    CHECK(privacy.find(words) != std::string::npos);
    CHECK(privacy.find("يتغيّر كل يومين") != std::string::npos);
  }
}

TEST_CASE("every query log text is in every built-in catalog") {
  const web::Pages& pages = shelter::test::builtin_pages();
  const web::Catalog& en = pages.english();
  std::size_t keys = 0;
  for (const auto& [key, text] : en.texts) {
    if (!key.starts_with("query-log.") && !key.ends_with("-logged")) continue;
    ++keys;
    for (const web::Catalog& c : pages.catalogs()) {
      INFO(c.lang << ": " << key);
      REQUIRE(c.texts.count(key) == 1);
      CHECK_FALSE(c.texts.at(key).empty());
    }
    // Each text that stands for one that promises no log says the retention and the rotation
    // (the family page's "This week" points to its "Good to know", which does).
    if (key.ends_with("-logged")) {
      const std::string promise = key.substr(0, key.size() - 7);
      CHECK(en.texts.count(promise) == 1);
      for (const web::Catalog& c : pages.catalogs()) {
        INFO(c.lang << ": " << key);
        const std::string& text = c.texts.at(key);
        CHECK(text.find("{{organisation}}") != std::string::npos);
        if (key == "portal.activity.privacy-logged") continue;
        CHECK(text.find("{{retention}}") != std::string::npos);
        CHECK(text.find("{{rotation}}") != std::string::npos);
      }
    }
  }
  CHECK(keys == 4 + 12);  // venue, this week, good to know, transparency; 2 x 3 units x 2 forms
}
