// The parents' portal's pages, without sockets: each page's shape (one h1, headings in order,
// lang and dir, every control labelled, every POST form with its CSRF token, no script and no
// outside resource), escaping of everything a view reflects, every language's texts, and what
// the home page must say and offer.
#include "proxy/portal/portal_pages.h"

#include <openssl/evp.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "proxy/web/case_pages.h"
#include "proxy/web/pages.h"
#include "tests/unit/proxy/builtin_pages.h"
#include "tests/unit/proxy/scratch_dir.h"

namespace config = shelter::proxy::config;
namespace portal = shelter::proxy::portal;
namespace web = shelter::proxy::web;
using shelter::test::Scratch;

namespace {

// 2023-11-14T22:13:20Z.
constexpr std::int64_t kNow = 1'700'000'000;
constexpr std::string_view kPresets[] = {"under-9", "9-12",  "13-14",
                                         "15-17",   "adult", "public-wifi"};
constexpr std::string_view kLanguages[] = {"en", "fr", "es", "ar"};

const web::Pages& builtin() {
  return shelter::test::builtin_pages();
}

const config::WebConfig& settings() {
  static const config::WebConfig web_settings;
  return web_settings;
}

const web::Catalog& catalog(std::string_view lang) {
  return builtin().choose(lang);
}

web::Texts texts(std::string_view lang = "en") {
  return web::Texts(builtin(), catalog(lang), settings());
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

std::size_t count(std::string_view text, std::string_view part) {
  std::size_t n = 0;
  for (std::size_t at = text.find(part); at != std::string_view::npos;
       at = text.find(part, at + part.size()))
    ++n;
  return n;
}

// Every start tag `<name ...>` of `html`, whole.
std::vector<std::string> tags(std::string_view html, std::string_view name) {
  std::vector<std::string> out;
  const std::string open = "<" + std::string(name);
  for (std::size_t at = html.find(open); at != std::string_view::npos;
       at = html.find(open, at + 1)) {
    const char next = html[at + open.size()];
    if (next != ' ' && next != '>') continue;
    out.emplace_back(html.substr(at, html.find('>', at) - at + 1));
  }
  return out;
}

std::optional<std::string> attribute(std::string_view tag, std::string_view name) {
  const std::string key = " " + std::string(name) + "=\"";
  const std::size_t at = tag.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  const std::size_t begin = at + key.size();
  return std::string(tag.substr(begin, tag.find('"', begin) - begin));
}

struct FormPart {
  std::string tag;   // <form ...>
  std::string body;  // up to </form>
};

std::vector<FormPart> forms(std::string_view html) {
  std::vector<FormPart> out;
  for (std::size_t at = html.find("<form "); at != std::string_view::npos;
       at = html.find("<form ", at + 1)) {
    const std::size_t close = html.find('>', at);
    const std::size_t end = html.find("</form>", close);
    REQUIRE(end != std::string_view::npos);
    out.push_back({std::string(html.substr(at, close - at + 1)),
                   std::string(html.substr(close + 1, end - close - 1))});
  }
  return out;
}

// What is wrong with a page's shape, whatever it shows: empty when it is a portal page.
std::vector<std::string> shape_problems(const std::string& html, std::string_view lang) {
  std::vector<std::string> problems;
  auto expect = [&](bool ok, std::string what) {
    if (!ok) problems.push_back(std::move(what));
  };
  const web::Catalog& c = catalog(lang);
  expect(html.starts_with("<!DOCTYPE html>\n<html lang=\"" + c.lang + "\" dir=\"" + c.dir + "\">"),
         "no <html lang dir> of the catalog");
  expect(count(html, "<h1") == 1, "not one <h1>");
  std::string lower = html;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  for (const char* banned : {"<script", "http://", "https://", "<img", "<link", "<iframe",
                             " style=", "url(", "@import", "javascript:"}) {
    expect(!contains(lower, banned), std::string("has ") + banned);
  }
  static const std::regex kHandler(R"(<[^>]*\son[a-z]+\s*=)");
  expect(!std::regex_search(lower, kHandler), "has an event handler attribute");
  // Headings in order: none skips a level.
  int level = 0;
  for (std::size_t at = html.find("<h"); at != std::string::npos; at = html.find("<h", at + 1)) {
    const char digit = html[at + 2];
    if (digit < '1' || digit > '6' || (html[at + 3] != '>' && html[at + 3] != ' ')) continue;
    const int next = digit - '0';
    expect(next <= level + 1,
           "<h" + std::to_string(next) + "> after <h" + std::to_string(level) + ">");
    level = next;
  }
  // Every control has a label of its own.
  for (std::string_view name : {"input", "select", "textarea"}) {
    for (const std::string& tag : tags(html, name)) {
      if (attribute(tag, "type") == "hidden") continue;
      const auto id = attribute(tag, "id");
      expect(id && count(html, "<label for=\"" + *id + "\">") == 1 &&
                 count(html, "id=\"" + *id + "\"") == 1,
             "no label of its own: " + tag);
    }
  }
  // Every fieldset opens with its legend.
  for (std::size_t at = html.find("<fieldset"); at != std::string::npos;
       at = html.find("<fieldset", at + 1)) {
    expect(html.compare(html.find('>', at) + 1, 9, "\n<legend>") == 0, "a fieldset without legend");
  }
  // Every button submits a POST form: no action needs script.
  std::size_t buttons_in_forms = 0;
  for (const FormPart& f : forms(html)) {
    expect(attribute(f.tag, "method") == "post", "not a POST form: " + f.tag);
    buttons_in_forms += count(f.body, "<button type=\"submit\"");
  }
  expect(count(html, "<button") == buttons_in_forms, "a button outside a form");
  expect(count(html, "<form ") == count(html, "</form>"), "unbalanced forms");
  return problems;
}

void check_shape(const std::string& html, std::string_view lang) {
  INFO(html);
  const auto problems = shape_problems(html, lang);
  for (const std::string& p : problems)
    UNSCOPED_INFO(p);
  CHECK(problems.empty());
}

// What is wrong with the POST forms' tokens: each form's action must be in `by_action`, and
// the form must carry that token in a hidden csrf field.
std::vector<std::string> token_problems(const std::string& html,
                                        const std::map<std::string, std::string>& by_action) {
  std::vector<std::string> problems;
  const auto all = forms(html);
  if (all.empty()) problems.push_back("no form");
  for (const FormPart& f : all) {
    const std::string action = attribute(f.tag, "action").value_or("");
    auto it = by_action.find(action);
    if (it == by_action.end()) {
      problems.push_back("a form to " + action);
    } else if (count(f.body,
                     "<input type=\"hidden\" name=\"csrf\" value=\"" + it->second + "\">") != 1) {
      problems.push_back("no token in the form to " + action);
    }
  }
  return problems;
}

void check_tokens(const std::string& html, const std::map<std::string, std::string>& by_action) {
  const auto problems = token_problems(html, by_action);
  for (const std::string& p : problems)
    UNSCOPED_INFO(p);
  CHECK(problems.empty());
}

std::string text_of(std::string_view key, std::string_view lang = "en") {
  return std::string(builtin().text(catalog(lang), key));
}

portal::HomeView sample_home() {
  portal::HomeView v;
  v.household = "smith-family";
  v.profile = "9-12";
  v.now = kNow;
  v.profiles = {"under-9", "9-12", "13-14", "15-17", "adult", "public-wifi", "homework"};
  v.devices = {
      {.id = "tablet", .macs = {"02:00:5e:10:00:01"}, .addresses = {}, .profile = "under-9"},
      {.id = "phone",
       .macs = {"02:00:5e:10:00:02"},
       .addresses = {"192.0.2.7/32", "2001:db8::7/128"},
       .profile = "",
       .paused_until = kNow + 3600},
      {.id = "laptop", .macs = {}, .addresses = {"192.0.2.9/32"}, .profile = "15-17"},
  };
  v.requests = {
      {.id = "RQ7K2M", .device = "tablet", .site = "games.example", .created = kNow - 300},
      {.id = "RQ9P4X", .device = "laptop", .site = "video.example", .created = kNow - 60},
  };
  v.notice = portal::Notice{.key = "saved", .values = {{"seconds", "0.4"}}};
  v.csrf = {{"profile", "tok-profile"},
            {"pause", "tok-pause"},
            {"answer", "tok-answer"},
            {"sign-out", "tok-signout"},
            {"new-device", "tok-new-device"}};
  v.activity = portal::ActivitySection{
      .this_week = {{"social-media", 3}, {"malware", 2}, {"phishing", 1}, {"schedule", 4}},
      .last_week = {{"social-media", 1}, {"gambling", 7}},
      .new_devices = {{.mac = "02:aa:bb:cc:dd:01", .first = kNow - 7200, .last = kNow - 60}}};
  return v;
}

const std::map<std::string, std::string> kHomeTokens = {{"/profile", "tok-profile"},
                                                        {"/pause", "tok-pause"},
                                                        {"/answer", "tok-answer"},
                                                        {"/sign-out", "tok-signout"},
                                                        {"/new-device", "tok-new-device"}};

portal::SettingsView sample_settings() {
  portal::SettingsView v;
  v.household = "smith-family";
  v.device = "tablet";
  v.bands = {"under-9", "9-12", "13-14", "15-17", "adult", "public-wifi", "homework"};
  v.input = {.band = "9-12",
             .shown_band = "9-12",
             .blocked = {"adult", "gambling", "social-media", "security"},
             .allow = "khanacademy.org\nexample.net/maths\n",
             .deny = "games.example\n",
             .safe_search = true,
             .bedtime = true,
             .bedtime_from = "20:30",
             .bedtime_to = "07:00",
             .bedtime_days = "sun-thu"};
  v.time_zone = "Europe/London";
  v.csrf = "tok-settings";
  return v;
}

const std::map<std::string, std::string> kSettingsTokens = {{"/settings", "tok-settings"}};

// The part of `html` from a device's card to the next card's.
std::string card_of(const std::string& html, std::string_view device) {
  const std::size_t at = html.find("<bdi>" + std::string(device) + "</bdi></h3>");
  REQUIRE(at != std::string::npos);
  return html.substr(at, html.find("</article>", at) - at);
}

std::string sha256_base64(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  std::string out(4 * ((length + 2) / 3) + 1, '\0');
  out.resize(static_cast<std::size_t>(
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), digest, length)));
  return out;
}

}  // namespace

TEST_CASE("every page has the portal's shape, in every language", "[portal]") {
  for (std::string_view lang : kLanguages) {
    INFO(lang);
    const web::Texts t = texts(lang);
    const std::string home = portal::home_page(sample_home(), t);
    check_shape(home, lang);
    check_tokens(home, kHomeTokens);

    const std::string sign_in =
        portal::sign_in_page({.household = "smith", .error_key = "", .csrf = "tok-in"}, t);
    check_shape(sign_in, lang);
    check_tokens(sign_in, {{"/sign-in", "tok-in"}});

    const std::string first =
        portal::first_access_page({.household = "", .error_key = "", .csrf = "tok-first"}, t);
    check_shape(first, lang);
    check_tokens(first, {{"/first-access", "tok-first"}});

    const std::string message = portal::portal_message_page("portal.message.unavailable-title",
                                                            "portal.message.unavailable", t);
    check_shape(message, lang);
    CHECK(contains(message, text_of("portal.message.unavailable", lang)));
    CHECK(contains(message, "<a href=\"/\">"));
  }
}

TEST_CASE("the shape and token checks catch what they are for", "[portal]") {
  const std::string home = portal::home_page(sample_home(), texts());
  REQUIRE(shape_problems(home, "en").empty());
  REQUIRE(token_problems(home, kHomeTokens).empty());
  auto broken = [&](std::string_view from, std::string_view to) {
    std::string html = home;
    const std::size_t at = html.find(from);
    REQUIRE(at != std::string::npos);
    html.replace(at, from.size(), to);
    return html;
  };
  CHECK_FALSE(shape_problems(home, "fr").empty());
  CHECK_FALSE(shape_problems(broken("<h2", "<h1"), "en").empty());
  CHECK_FALSE(shape_problems(broken("<h2", "<h3"), "en").empty());
  CHECK_FALSE(shape_problems(broken("<label for=\"band-1\">", "<label>"), "en").empty());
  CHECK_FALSE(shape_problems(broken("<legend>", "<p>"), "en").empty());
  CHECK_FALSE(shape_problems(broken("</main>", "<script>x</script></main>"), "en").empty());
  CHECK_FALSE(shape_problems(broken("</main>", "<p onclick=\"x\">x</p></main>"), "en").empty());
  CHECK_FALSE(
      shape_problems(broken("</main>", "<a href=\"https://x.test/\">x</a></main>"), "en").empty());
  CHECK_FALSE(shape_problems(broken("</main>", "<button>x</button></main>"), "en").empty());
  CHECK_FALSE(shape_problems(broken("method=\"post\"", "method=\"get\""), "en").empty());
  CHECK_FALSE(token_problems(broken("value=\"tok-pause\"", "value=\"\""), kHomeTokens).empty());
  auto no_sign_out = kHomeTokens;
  no_sign_out.erase("/sign-out");
  CHECK_FALSE(token_problems(home, no_sign_out).empty());
  const auto all = forms(home);
  // requests, the household's two, 2 per device, the new device's 3, sign out
  CHECK(all.size() == 2 + 2 + 3 * 2 + 3 + 1);
}

TEST_CASE("the sign-in form: its fields, its link and its errors", "[portal]") {
  const web::Texts t = texts();
  const std::string plain =
      portal::sign_in_page({.household = "", .error_key = "", .csrf = "tok"}, t);
  CHECK(contains(plain, "action=\"/sign-in\""));
  CHECK(contains(plain, "name=\"household\""));
  CHECK(contains(plain, "type=\"password\" id=\"password\" name=\"password\""));
  CHECK(contains(plain, "autocomplete=\"current-password\""));
  CHECK(contains(plain,
                 "<a href=\"/first-access\">First time here? Use the code from your "
                 "provider</a>"));
  CHECK_FALSE(contains(plain, "role=\"alert\""));

  const std::string failed =
      portal::sign_in_page({.household = "smith", .error_key = "sign-in-failed", .csrf = "t"}, t);
  CHECK(contains(failed, "role=\"alert\""));
  CHECK(contains(failed, text_of("portal.error.sign-in-failed")));
  // Which of the two was wrong is never said: no field is marked.
  CHECK_FALSE(contains(failed, "aria-invalid"));
  CHECK(contains(failed, "value=\"smith\""));  // the household is kept, the password never
  CHECK(contains(failed, "name=\"password\" value=\"\""));
  for (const char* key : {"throttled", "csrf"}) {
    const std::string page =
        portal::sign_in_page({.household = "", .error_key = key, .csrf = "t"}, t);
    CHECK(contains(page, text_of(std::string("portal.error.") + key)));
  }
  CHECK(contains(text_of("portal.error.throttled"), "Too many tries. Wait a few minutes"));
  CHECK(contains(text_of("portal.error.csrf"), "This form expired"));

  const std::string signed_out = portal::sign_in_page(
      {.household = "", .error_key = "", .csrf = "t", .notice = portal::Notice{"signed-out", {}}},
      t);
  CHECK(contains(signed_out, "<p class=\"notice\" role=\"status\">You are signed out.</p>"));
}

TEST_CASE("the first-access form: the code, the new password twice, errors at their field",
          "[portal]") {
  const web::Texts t = texts();
  const std::string page =
      portal::first_access_page({.household = "smith", .error_key = "", .csrf = "tok"}, t);
  CHECK(contains(page, "action=\"/first-access\""));
  CHECK(contains(page, "name=\"code\""));
  CHECK(contains(page, "autocomplete=\"one-time-code\""));
  CHECK(contains(page, "XXXX-XXXX-XXXX-XXXX"));
  CHECK(count(page, "autocomplete=\"new-password\"") == 2);
  CHECK(contains(page, "name=\"password2\""));
  CHECK(contains(page, "At least 10 characters"));
  CHECK(contains(page, "<a href=\"/sign-in\">"));

  struct Case {
    const char* key;
    const char* invalid;  // the field marked, or ""
  };
  for (const Case c :
       {Case{"code-failed", ""}, Case{"password-short", "password"},
        Case{"password-mismatch", "password2"}, Case{"throttled", ""}, Case{"csrf", ""}}) {
    INFO(c.key);
    const std::string html =
        portal::first_access_page({.household = "", .error_key = c.key, .csrf = "t"}, t);
    CHECK(contains(html, text_of(std::string("portal.error.") + c.key)));
    check_shape(html, "en");
    if (*c.invalid == '\0') {
      CHECK_FALSE(contains(html, "aria-invalid"));
    } else {
      CHECK(count(html, "aria-invalid") == 1);
      CHECK(contains(html, "<a href=\"#" + std::string(c.invalid) + "\">"));
      CHECK(contains(html, "aria-describedby=\"" + std::string(c.invalid)));
    }
  }
}

TEST_CASE("everything a page reflects is escaped", "[portal]") {
  const web::Texts t = texts();
  portal::HomeView v = sample_home();
  v.household = "<b>\"home\"</b>";
  v.devices[0].id = "<script>alert(1)</script>";
  v.devices[0].macs = {"<i>02:00</i>"};
  v.devices[1].profile = "\"><select>";  // a profile that is no longer a choice
  v.profiles.push_back("<u>custom</u>");
  v.requests[0].id = "\"><script>x()</script>";
  v.requests[0].device = "<script>alert(1)</script>";
  v.requests[1].site = "\"><img src=x onerror=alert(1)>";
  v.notice = portal::Notice{.key = "saved", .values = {{"seconds", "<script>"}}};
  v.csrf["pause"] = "\"><script>";
  const std::string html = portal::home_page(v, t);
  INFO(html);
  CHECK_FALSE(contains(html, "<script"));
  CHECK_FALSE(contains(html, "<img"));
  CHECK_FALSE(contains(html, "<i>"));
  CHECK_FALSE(contains(html, "<u>"));
  CHECK_FALSE(contains(html, "<b>"));
  CHECK(contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  CHECK(contains(html, "&lt;b&gt;&quot;home&quot;&lt;/b&gt;"));
  CHECK(contains(html, "value=\"&quot;&gt;&lt;script&gt;x()&lt;/script&gt;\""));
  CHECK(contains(html, "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
  CHECK(contains(html, "&lt;i&gt;02:00&lt;/i&gt;"));
  CHECK(contains(html, "Active everywhere after &lt;script&gt; s."));
  // one per device and the new device's; the hostile profile name made none
  CHECK(count(html, "<select") == 3 + 1);
  CHECK(contains(html, "<option value=\"&quot;&gt;&lt;select&gt;\" selected>"));

  const std::string sign_in =
      portal::sign_in_page({.household = "\"><script>", .error_key = "", .csrf = "\"><b>"}, t);
  CHECK_FALSE(contains(sign_in, "<script"));
  CHECK_FALSE(contains(sign_in, "<b>"));
  CHECK(contains(sign_in, "value=\"&quot;&gt;&lt;script&gt;\""));
  const std::string first =
      portal::first_access_page({.household = "\"><script>", .error_key = "", .csrf = "\"><b>"}, t);
  CHECK_FALSE(contains(first, "<script"));
  CHECK_FALSE(contains(first, "<b>"));
}

TEST_CASE("every portal text is in every built-in catalog", "[portal]") {
  const web::Catalog& en = builtin().english();
  std::size_t keys = 0;
  for (const auto& [key, text] : en.texts) {
    if (!key.starts_with("portal.")) continue;
    ++keys;
    for (const web::Catalog& c : builtin().catalogs()) {
      INFO(c.lang << ": " << key);
      REQUIRE(c.texts.count(key) == 1);
      CHECK_FALSE(c.texts.at(key).empty());
    }
  }
  CHECK(keys > 80);
  for (std::string_view preset : kPresets) {
    INFO(preset);
    CHECK(en.texts.count("portal.band." + std::string(preset) + ".name") == 1);
    CHECK(en.texts.count("portal.band." + std::string(preset) + ".about") == 1);
  }
}

TEST_CASE("fr, es and ar pages speak their language, with no English left", "[portal]") {
  for (std::string_view lang : {"fr", "es", "ar"}) {
    INFO(lang);
    const web::Texts t = texts(lang);
    const std::string home = portal::home_page(sample_home(), t);
    const std::string sign_in =
        portal::sign_in_page({.household = "", .error_key = "throttled", .csrf = "t"}, t);
    const std::string first =
        portal::first_access_page({.household = "", .error_key = "password-short", .csrf = "t"}, t);
    for (const char* key : {"portal.home.lead", "portal.about.tell", "portal.about.history",
                            "portal.requests.heading", "portal.answer.keep-blocked",
                            "portal.pause.resume", "portal.save", "portal.sign-out"}) {
      INFO(key);
      CHECK(contains(home, t(key)));
      CHECK_FALSE(contains(home, texts("en")(key)));
    }
    CHECK(contains(sign_in, t("portal.error.throttled")));
    CHECK_FALSE(contains(sign_in, texts("en")("portal.sign-in.heading")));
    CHECK(contains(first, t("portal.error.password-short")));
    CHECK_FALSE(contains(first, texts("en")("portal.field.code-hint")));
  }
  const std::string ar = portal::home_page(sample_home(), texts("ar"));
  CHECK(contains(ar, "<html lang=\"ar\" dir=\"rtl\">"));
  CHECK(contains(ar, "<span class=\"id\" dir=\"ltr\">02:00:5e:10:00:01</span>"));
  CHECK(contains(ar, "<bdi>games.example</bdi>"));
}

TEST_CASE("the home page says what the controls cover and what is kept", "[portal]") {
  const std::string html = portal::home_page(sample_home(), texts());
  CHECK(contains(html,
                 "These settings work on this home network only. They do not work on "
                 "mobile data, on other Wi-Fi or through a VPN."));
  CHECK(contains(html, "Tell your children that the filter is on"));
  CHECK(contains(html,
                 "Shelter keeps no history of the sites anyone visits. It keeps only "
                 "counts"));
  CHECK(contains(html, "Household: <bdi>smith-family</bdi>"));
  CHECK(contains(html,
                 "<p class=\"notice\" role=\"status\">Saved. Active everywhere after "
                 "0.4 s.</p>"));
}

TEST_CASE("with the query log on, the home page says what it keeps, in every language",
          "[portal][activity]") {
  const config::QueryLogConfig log{.enabled = true,
                                   .directory = "/var/log/q",
                                   .key_rotation = std::chrono::hours(24),
                                   .retention = std::chrono::hours(24 * 30)};
  const std::string html =
      portal::home_page(sample_home(), web::Texts(builtin(), catalog("en"), settings(), &log));
  CHECK(contains(html,
                 "keeps a log of the names of the "
                 "sites your home's devices look up, for 30 days."));
  CHECK(contains(html, "a code that changes every day"));
  CHECK(contains(html, "child sexual abuse material are never written"));
  CHECK(contains(html, "The log of the names looked up that"));
  CHECK_FALSE(contains(html, "keeps no history"));
  CHECK_FALSE(contains(html, "keeps no list"));
  for (std::string_view lang : kLanguages) {
    INFO(lang);
    const web::Texts off = texts(lang);
    const std::string on =
        portal::home_page(sample_home(), web::Texts(builtin(), catalog(lang), settings(), &log));
    CHECK(contains(on, "30"));
    CHECK_FALSE(contains(on, "{{"));
    for (const char* key : {"portal.about.history", "portal.activity.privacy"}) {
      CHECK_FALSE(contains(on, off(key)));
      CHECK(contains(portal::home_page(sample_home(), off), off(key)));
    }
  }
  // Not enabled: the page of a network without the setting, byte for byte.
  config::QueryLogConfig disabled = log;
  disabled.enabled = false;
  CHECK(portal::home_page(sample_home(),
                          web::Texts(builtin(), catalog("en"), settings(), &disabled)) ==
        portal::home_page(sample_home(), texts()));
}

TEST_CASE("each age band is explained in one line; other profiles by name", "[portal]") {
  const portal::HomeView v = sample_home();
  for (std::string_view lang : kLanguages) {
    INFO(lang);
    const web::Texts t = texts(lang);
    const std::string html = portal::home_page(v, t);
    std::size_t n = 0;
    for (std::string_view preset : kPresets) {
      INFO(preset);
      ++n;
      const std::string radio = "<input type=\"radio\" id=\"band-" + std::to_string(n) +
                                "\" name=\"profile\" value=\"" + std::string(preset) + "\"";
      CHECK(contains(html, radio));
      const std::string key = "portal.band." + std::string(preset);
      CHECK(contains(html, "<span class=\"name\">" + t.plain(key + ".name") +
                               "</span><span class=\"about\">" + t(key + ".about") + "</span>"));
    }
    CHECK(contains(html, "value=\"9-12\" checked>"));
    CHECK(count(html, " checked>") == 1);
    CHECK(contains(html, "<span class=\"name\">homework</span></label>"));
    CHECK(contains(html, "<option value=\"homework\">homework</option>"));
  }
}

TEST_CASE("a device's card: how it is recognised, its setting, its pause", "[portal]") {
  const portal::HomeView v = sample_home();
  const std::string html = portal::home_page(v, texts());
  const std::string tablet = card_of(html, "tablet");
  CHECK(contains(tablet, "<span class=\"id\" dir=\"ltr\">02:00:5e:10:00:01</span>"));
  CHECK(contains(tablet, "<input type=\"hidden\" name=\"device\" value=\"tablet\">"));
  CHECK(contains(tablet, "<option value=\"under-9\" selected>Under 9</option>"));
  CHECK(contains(tablet, "<option value=\"\">Same as everyone (Ages 9 to 12)</option>"));
  CHECK_FALSE(contains(tablet, "value=\"resume\""));
  for (const char* d : {"15m", "1h", "today"})
    CHECK(contains(tablet, "name=\"for\" value=\"" + std::string(d) + "\""));

  const std::string phone = card_of(html, "phone");
  CHECK(contains(phone, "<option value=\"\" selected>Same as everyone (Ages 9 to 12)</option>"));
  CHECK(contains(phone, "Ages 9 to 12 (same as everyone)"));
  CHECK(contains(phone, "Paused until <bdi>" + texts().time(kNow + 3600) + "</bdi>"));
  CHECK(contains(phone, "<button type=\"submit\" name=\"for\" value=\"resume\">"));
  CHECK(contains(phone, "2001:db8::7/128"));

  const std::string laptop = card_of(html, "laptop");
  CHECK(contains(laptop, "192.0.2.9/32"));
  CHECK_FALSE(contains(laptop, "value=\"resume\""));

  // The household: not paused, no resume; paused, resume and until when.
  const std::size_t everyone = html.find("id=\"everyone-heading\"");
  const std::string household = html.substr(everyone, html.find("</section>", everyone) - everyone);
  CHECK(contains(household, "<input type=\"hidden\" name=\"device\" value=\"\">"));
  CHECK_FALSE(contains(household, "value=\"resume\""));
  CHECK(contains(household, "The internet is on. Setting for everyone: Ages 9 to 12."));
  portal::HomeView paused = v;
  paused.paused_until = kNow + 600;
  const std::string p = portal::home_page(paused, texts());
  const std::size_t at = p.find("id=\"everyone-heading\"");
  const std::string paused_household = p.substr(at, p.find("</section>", at) - at);
  CHECK(contains(paused_household, "value=\"resume\""));
  CHECK(contains(paused_household, "paused for everyone until <bdi>" + texts().time(kNow + 600)));
  CHECK(count(p, "value=\"resume\"") == 2);  // the household and the paused phone
  CHECK(contains(card_of(p, "tablet"), "Paused with everyone until"));
  // A pause that has ended shows as on.
  paused.now = kNow + 7200;
  CHECK(count(portal::home_page(paused, texts()), "value=\"resume\"") == 0);
}

TEST_CASE("each waiting request offers the five answers", "[portal]") {
  const portal::HomeView v = sample_home();
  const std::string html = portal::home_page(v, texts());
  std::size_t answer_forms = 0;
  for (const FormPart& f : forms(html)) {
    if (attribute(f.tag, "action") != "/answer") continue;
    ++answer_forms;
    for (const char* a : {"15m", "1h", "today", "always", "keep-blocked"})
      CHECK(count(f.body, "name=\"answer\" value=\"" + std::string(a) + "\"") == 1);
    CHECK(count(f.body, "<button") == 5);
  }
  CHECK(answer_forms == 2);
  CHECK(contains(html, "<input type=\"hidden\" name=\"id\" value=\"RQ7K2M\">"));
  CHECK(contains(html, "<bdi>tablet</bdi> asks to open <bdi>games.example</bdi>. Allow it?"));
  CHECK(contains(html, "Asked on <bdi>" + texts().time(kNow - 300) + "</bdi>."));

  portal::HomeView none = v;
  none.requests.clear();
  none.devices.clear();
  const std::string empty = portal::home_page(none, texts());
  CHECK(contains(empty, text_of("portal.requests.none")));
  CHECK(contains(empty, text_of("portal.devices.none")));
  CHECK_FALSE(contains(empty, "action=\"/answer\""));
  check_shape(empty, "en");
}

TEST_CASE("the household's reports of wrong blocking, in plain words", "[portal][appeals]") {
  portal::HomeView v = sample_home();
  v.appeals = {
      {.site = "games.example", .created = kNow - 60, .status = "open"},
      {.site = "<img src=x onerror=alert(1)>",
       .created = kNow - 7200,
       .status = "upheld",
       .decision_reason = "<script>alert(1)</script> it is a casino"},
      {.site = "homework.example",
       .created = kNow - 9000,
       .status = "overturned",
       .decision_reason = "a school's site"},
      {.site = "", .created = kNow - 86400, .status = "referred", .authority = "<b>IWF</b>"},
      {.site = "", .created = kNow - 90000, .status = "referred", .decision_reason = "x"},
  };
  for (std::string_view lang : {"en", "fr", "es", "ar"}) {
    INFO(lang);
    const web::Texts t = texts(lang);
    const std::string html = portal::home_page(v, t);
    check_shape(html, std::string(lang));
    CHECK(contains(html, t("portal.appeals.heading")));
    CHECK(count(html, "class=\"card appeal\"") == 5);
    CHECK(contains(html, t("portal.appeals.status-open")));
    CHECK(contains(html, t("portal.appeals.status-upheld")));
    CHECK(contains(html, t("portal.appeals.status-overturned")));
    CHECK(count(html, t("portal.appeals.legal-site")) == 2);
    CHECK(contains(html, "<bdi>" + t.time(kNow - 7200) + "</bdi>"));
    CHECK_FALSE(contains(html, "<script"));
    CHECK_FALSE(contains(html, "<img"));
    CHECK_FALSE(contains(html, "<b>IWF"));
    if (lang != "en") CHECK_FALSE(contains(html, texts("en")("portal.appeals.heading")));
  }
  const std::string html = portal::home_page(v, texts());
  CHECK(contains(html, "<h3 id=\"appeal-1\"><bdi>games.example</bdi></h3>"));
  CHECK(contains(html, "&lt;img src=x onerror=alert(1)&gt;"));
  CHECK(contains(html, "&lt;script&gt;alert(1)&lt;/script&gt; it is a casino"));
  CHECK(contains(html, "Looked at: unblocked for everyone on this network"));
  CHECK(contains(html,
                 "Sent to <bdi>&lt;b&gt;IWF&lt;/b&gt;</bdi>, the authority that keeps the list"));
  CHECK(contains(html, "Sent to the authority that keeps the list: it decides"));
  CHECK(count(html, "Reason given") == 2);  // a referral's reason is the authority's to give
  CHECK(contains(html, "<dd class=\"status waiting\">Waiting for a decision</dd>"));

  v.appeals.clear();
  const std::string none = portal::home_page(v, texts());
  CHECK(contains(none, text_of("portal.appeals.none")));
  CHECK_FALSE(contains(none, "class=\"card appeal\""));
}

TEST_CASE("notices: the catalog's words, nothing for an unknown key", "[portal]") {
  portal::HomeView v = sample_home();
  for (const char* key : {"saved", "paused", "resumed", "answered"}) {
    v.notice = portal::Notice{.key = key, .values = {{"seconds", "1"}}};
    CHECK(contains(
        portal::home_page(v, texts()),
        "role=\"status\">" + texts()(std::string("portal.notice.") + key, {{"seconds", "1"}})));
  }
  v.notice = portal::Notice{.key = "no-such-notice", .values = {}};
  CHECK_FALSE(contains(portal::home_page(v, texts()), "role=\"status\""));
  v.notice.reset();
  CHECK_FALSE(contains(portal::home_page(v, texts()), "role=\"status\""));
  const std::string set = portal::sign_in_page(
      {.household = "", .error_key = "", .csrf = "", .notice = portal::Notice{"password-set", {}}},
      texts());
  CHECK(contains(set, text_of("portal.notice.password-set")));
}

TEST_CASE("the portal's CSP allows its two stylesheets by hash and nothing else", "[portal]") {
  const std::string csp = portal::portal_csp(builtin());
  const std::string html = portal::home_page(sample_home(), texts());
  std::size_t styles = 0;
  for (std::size_t at = html.find("<style>"); at != std::string::npos;
       at = html.find("<style>", at + 1)) {
    const std::size_t begin = at + 7;
    const std::string css = html.substr(begin, html.find("</style>", begin) - begin);
    CHECK(contains(csp, "'sha256-" + sha256_base64(css) + "'"));
    ++styles;
  }
  CHECK(styles == 2);
  CHECK(csp ==
        "default-src 'none'; style-src 'sha256-" + sha256_base64(builtin().css()) + "' 'sha256-" +
            sha256_base64(builtin().portal_css()) +
            "'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  CHECK_FALSE(contains(csp, "unsafe"));
  CHECK_FALSE(contains(csp, "script-src"));
}

TEST_CASE("a pages directory replaces the portal's template and stylesheet", "[portal]") {
  Scratch s;
  s.write("portal.css", "main{color:#123}");
  std::vector<std::string> errors;
  const auto pages = web::Pages::load(s.dir.string(), errors);
  REQUIRE(errors.empty());
  REQUIRE(pages);
  CHECK(pages->portal_css() == "main{color:#123}");
  CHECK(pages->portal_template() == builtin().portal_template());
  CHECK(contains(portal::portal_csp(*pages), "'sha256-" + sha256_base64("main{color:#123}")));
  const web::Texts t(*pages, pages->english(), settings());
  CHECK(contains(portal::sign_in_page({}, t), "<style>main{color:#123}</style>"));

  Scratch broken;
  broken.write("portal.mustache", "<html>{{#x}}</html>");
  errors.clear();
  CHECK(web::Pages::load(broken.dir.string(), errors) == nullptr);
  REQUIRE(errors.size() == 1);
  CHECK(contains(errors.front(), "portal.mustache"));
}

TEST_CASE("the settings page has the portal's shape and its token, in every language",
          "[portal][settings]") {
  for (std::string_view lang : kLanguages) {
    INFO(lang);
    const web::Texts t = texts(lang);
    const std::string html = portal::settings_page(sample_settings(), t);
    check_shape(html, lang);
    check_tokens(html, kSettingsTokens);
    CHECK(contains(html, "<h1>" + t("portal.settings.title") + "</h1>"));
    CHECK(count(html, "<form ") == 1);
    CHECK(contains(html, "<a href=\"/\">" + t.plain("portal.settings.back") + "</a>"));
    portal::SettingsView household = sample_settings();
    household.device = "";
    const std::string everyone = portal::settings_page(household, t);
    check_shape(everyone, lang);
    CHECK(contains(everyone, t("portal.settings.lead-everyone")));
    CHECK(contains(everyone, "<input type=\"hidden\" name=\"device\" value=\"\">"));
  }
}

TEST_CASE("the settings page: every control labelled in plain words, pre-filled",
          "[portal][settings]") {
  const web::Texts t = texts();
  const portal::SettingsView v = sample_settings();
  const std::string html = portal::settings_page(v, t);
  INFO(html);
  CHECK(contains(html, "For <bdi>tablet</bdi> only."));
  CHECK(contains(html, "<input type=\"hidden\" name=\"device\" value=\"tablet\">"));
  CHECK(contains(html, "<input type=\"hidden\" name=\"shown-band\" value=\"9-12\">"));
  // The bands: the home page's choices, the one in force checked.
  CHECK(
      contains(html, "<input type=\"radio\" id=\"band-2\" name=\"band\" value=\"9-12\" checked>"));
  CHECK(count(html, "name=\"band\"") == v.bands.size());
  CHECK(contains(html, "<span class=\"name\">Ages 9 to 12</span><span class=\"about\">" +
                           t("portal.band.9-12.about") + "</span>"));
  CHECK(contains(html, "<span class=\"name\">homework</span></label>"));
  // A box per category, with its one line; ticked: blocked.
  for (std::string_view category : portal::kSettingsCategories) {
    INFO(category);
    const std::string c(category);
    const bool ticked =
        std::find(v.input.blocked.begin(), v.input.blocked.end(), c) != v.input.blocked.end();
    CHECK(contains(html, "<input type=\"checkbox\" id=\"block-" + c + "\" name=\"block\" value=\"" +
                             c + "\"" + (ticked ? " checked>" : ">") + "<label for=\"block-" + c +
                             "\">" + t("portal.category." + c) + "</label>"));
  }
  CHECK(contains(html, "<legend>What to block</legend>"));
  CHECK(contains(html, "Social media</label>"));
  // The sites, as they are, one a line.
  CHECK(contains(html, "<label for=\"allow\">Always allow these sites</label>"));
  CHECK(contains(html, "<label for=\"deny\">Always block these sites</label>"));
  CHECK(contains(html,
                 "aria-describedby=\"allow-hint\">khanacademy.org\nexample.net/maths\n"
                 "</textarea>"));
  CHECK(contains(html, ">games.example\n</textarea>"));
  CHECK_FALSE(contains(html, "aria-invalid"));
  // Safe search and bedtime.
  CHECK(contains(html,
                 "<input type=\"checkbox\" id=\"safe-search\" name=\"safe-search\" "
                 "value=\"on\" checked><label for=\"safe-search\">Show only safe results "
                 "on Google, YouTube, Bing and DuckDuckGo</label>"));
  CHECK(contains(html,
                 "<input type=\"checkbox\" id=\"bedtime\" name=\"bedtime\" value=\"on\" "
                 "checked><label for=\"bedtime\">Turn bedtime on</label>"));
  CHECK(contains(html,
                 "<label for=\"bedtime-from\">Starts at</label>\n<input type=\"time\" "
                 "id=\"bedtime-from\" name=\"bedtime-from\" value=\"20:30\""));
  CHECK(contains(html, "id=\"bedtime-to\" name=\"bedtime-to\" value=\"07:00\""));
  CHECK(contains(html, "name=\"bedtime-days\" value=\"daily\"><label"));
  CHECK(contains(html,
                 "name=\"bedtime-days\" value=\"sun-thu\" checked><label for=\"days-2\">"
                 "School nights (Sunday to Thursday)</label>"));
  CHECK(count(html, "name=\"bedtime-days\"") == 2);
  CHECK(contains(html, "time zone: <bdi>Europe/London</bdi>."));

  portal::SettingsView off = v;
  off.input.safe_search = false;
  off.input.bedtime = false;
  off.input.blocked.clear();
  off.input.bedtime_days = "sat,sun";  // set another way: stays a choice
  const std::string plain = portal::settings_page(off, t);
  CHECK(count(plain, " checked>") == 2);  // the band and the days
  CHECK(contains(plain,
                 "name=\"bedtime-days\" value=\"sat,sun\" checked><label for=\"days-3\">"
                 "The nights set now (<bdi>sat,sun</bdi>)</label>"));
  check_shape(plain, "en");
}

TEST_CASE("the settings page shows each mistake beside its field and keeps what was typed",
          "[portal][settings]") {
  const web::Texts t = texts();
  portal::SettingsView v = sample_settings();
  v.input.allow = "fine.example\n<script>alert(1)</script>\n";
  v.errors["allow"] = {.key = "site-invalid",
                       .values = {{"line", "2"}, {"site", "<script>alert(1)</script>"}}};
  v.errors["bedtime-to"] = {.key = "time-same"};
  const std::string html = portal::settings_page(v, t);
  INFO(html);
  check_shape(html, "en");
  CHECK_FALSE(contains(html, "<script"));
  CHECK(contains(html, "role=\"alert\""));
  CHECK(contains(html,
                 "<a href=\"#allow\">Line 2, <bdi>&lt;script&gt;alert(1)&lt;/script&gt;"
                 "</bdi>, is not a site."));
  CHECK(contains(html, "<a href=\"#bedtime-to\">" + t("portal.error.time-same") + "</a>"));
  CHECK(contains(html, "<span class=\"error\" id=\"allow-error\">Line 2,"));
  CHECK(contains(html,
                 "aria-describedby=\"allow-hint allow-error\" aria-invalid=\"true\">"
                 "fine.example\n&lt;script&gt;alert(1)&lt;/script&gt;\n</textarea>"));
  CHECK(contains(html, "<span class=\"error\" id=\"bedtime-to-error\">"));
  CHECK(contains(html,
                 "value=\"07:00\" dir=\"ltr\" aria-describedby=\"bedtime-to-error\" "
                 "aria-invalid=\"true\">"));
  CHECK(count(html, "aria-invalid") == 2);
  // The summary in the page's order: the sites before bedtime.
  CHECK(html.find("href=\"#allow\"") < html.find("href=\"#bedtime-to\""));
  for (const char* key : {"sites-too-many", "site-both", "time-invalid"}) {
    INFO(key);
    portal::SettingsView one = sample_settings();
    one.errors["deny"] = {.key = key, .values = {{"site", "x.example"}, {"max", "50"}}};
    const std::string page = portal::settings_page(one, t);
    CHECK(contains(page,
                   t(std::string("portal.error.") + key, {{"site", "x.example"}, {"max", "50"}})));
    CHECK(count(page, "aria-invalid") == 1);
  }
}

TEST_CASE("the settings page escapes everything it reflects", "[portal][settings]") {
  portal::SettingsView v = sample_settings();
  v.household = "<b>home</b>";
  v.device = "\"><script>x()</script>";
  v.bands.push_back("<u>band</u>");
  v.input.shown_band = "\"><i>";
  v.input.allow = "</textarea><script>alert(1)</script>";
  v.input.deny = "\"><img src=x onerror=alert(1)>";
  v.input.bedtime_from = "\"><script>";
  v.input.bedtime_days = "<b>days</b>";
  v.time_zone = "<i>zone</i>";
  v.csrf = "\"><script>";
  const std::string html = portal::settings_page(v, texts());
  INFO(html);
  for (const char* tag : {"<script", "<img", "<b>", "<i>", "<u>"})
    CHECK_FALSE(contains(html, tag));
  CHECK(contains(html, "&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;</textarea>"));
  CHECK(contains(html, "value=\"&quot;&gt;&lt;script&gt;x()&lt;/script&gt;\""));
  CHECK(contains(html, "value=\"&lt;b&gt;days&lt;/b&gt;\" checked>"));
  CHECK(count(html, "</textarea>") == 2);
}

TEST_CASE("the settings page's texts are in every catalog and speak its language",
          "[portal][settings]") {
  std::vector<std::string> keys = {"portal.band.custom",          "portal.error.site-invalid",
                                   "portal.error.sites-too-many", "portal.error.site-both",
                                   "portal.error.time-invalid",   "portal.error.time-same"};
  for (const char* key : {"title",           "lead-device",    "lead-everyone",
                          "link-device",     "link-everyone",  "back",
                          "band-legend",     "band-hint",      "categories-legend",
                          "categories-hint", "allow-label",    "allow-hint",
                          "deny-label",      "deny-hint",      "safe-search-legend",
                          "safe-search",     "bedtime-legend", "bedtime-hint",
                          "bedtime-zone",    "bedtime-on",     "bedtime-from",
                          "bedtime-to",      "days-legend",    "days-daily",
                          "days-sun-thu",    "days-other"}) {
    keys.push_back(std::string("portal.settings.") + key);
  }
  for (std::string_view category : portal::kSettingsCategories)
    keys.push_back("portal.category." + std::string(category));
  for (const web::Catalog& c : builtin().catalogs()) {
    for (const std::string& key : keys) {
      INFO(c.lang << ": " << key);
      REQUIRE(c.texts.count(key) == 1);
      CHECK_FALSE(c.texts.at(key).empty());
      if (c.lang != "en") CHECK(c.texts.at(key) != builtin().english().texts.at(key));
    }
  }
  const std::string en = portal::settings_page(sample_settings(), texts("en"));
  for (std::string_view lang : {"fr", "es", "ar"}) {
    INFO(lang);
    const web::Texts t = texts(lang);
    const std::string html = portal::settings_page(sample_settings(), t);
    for (const char* key :
         {"portal.settings.title", "portal.settings.categories-legend", "portal.category.adult",
          "portal.settings.allow-label", "portal.settings.bedtime-on", "portal.save"}) {
      INFO(key);
      CHECK(contains(html, t(key)));
      CHECK_FALSE(contains(html, texts("en")(key)));
    }
  }
  CHECK(contains(portal::settings_page(sample_settings(), texts("ar")),
                 "<html lang=\"ar\" dir=\"rtl\">"));
}

TEST_CASE("the home page links to each device's settings and names a parent's changes",
          "[portal][settings]") {
  portal::HomeView v = sample_home();
  v.profiles.push_back("tablet-custom");
  v.own_bases["tablet-custom"] = "9-12";
  v.devices[0].profile = "tablet-custom";
  const std::string html = portal::home_page(v, texts());
  check_shape(html, "en");
  CHECK(contains(card_of(html, "tablet"),
                 "<a href=\"/settings?device=tablet\">Change what is blocked on "
                 "<bdi>tablet</bdi></a>"));
  CHECK(contains(card_of(html, "laptop"), "<a href=\"/settings?device=laptop\">"));
  CHECK(contains(html, "<a href=\"/settings?device=\">Change what is blocked for everyone</a>"));
  CHECK(contains(card_of(html, "tablet"),
                 "<option value=\"tablet-custom\" selected>Ages 9 to 12, with your changes "
                 "(tablet-custom)</option>"));
  CHECK(contains(card_of(html, "tablet"), "<dd>Ages 9 to 12, with your changes (tablet-custom)"));
  // A page for each link: the link text names the device, so no two links read the same.
  CHECK(count(html, "Change what is blocked") == v.devices.size() + 1);
}

// Writes sample pages for people to look at: shelter_portal_pages_tests "[samples]"
// (SHELTER_PORTAL_SAMPLES names the directory; /tmp/portal-samples by default).
// ---- "This week" and "New devices"

namespace {

// The "This week" table's rows: (kind, this week, last week), in the page's order.
std::vector<std::tuple<std::string, std::string, std::string>> week_rows(const std::string& html) {
  std::vector<std::tuple<std::string, std::string, std::string>> rows;
  const std::string open = "<tr><th scope=\"row\">";
  for (std::size_t at = html.find(open); at != std::string::npos; at = html.find(open, at + 1)) {
    const std::size_t kind_end = html.find("</th><td>", at);
    const std::size_t this_end = html.find("</td><td>", kind_end);
    const std::size_t last_end = html.find("</td></tr>", this_end);
    rows.emplace_back(html.substr(at + open.size(), kind_end - at - open.size()),
                      html.substr(kind_end + 9, this_end - kind_end - 9),
                      html.substr(this_end + 9, last_end - this_end - 9));
  }
  return rows;
}

}  // namespace

TEST_CASE("this week: counts by kind in the settings page's words, what is kept said",
          "[portal][activity]") {
  const std::string html = portal::home_page(sample_home(), texts());
  using Row = std::tuple<std::string, std::string, std::string>;
  // Most blocked first; the security box's categories are one row; reasons in plain words.
  CHECK(week_rows(html) == std::vector<Row>{
                               {"At bedtime", "4", "0"},
                               {text_of("portal.category.social-media"), "3", "1"},
                               {text_of("portal.category.security"), "3", "0"},
                               {text_of("portal.category.gambling"), "0", "7"},
                           });
  CHECK(contains(html,
                 "Shelter keeps no list of the sites anyone visited: only how many times "
                 "something was blocked this week, by kind."));
  CHECK(contains(html, "<th scope=\"col\">Last week</th>"));
  portal::HomeView quiet = sample_home();
  quiet.activity->this_week.clear();
  quiet.activity->last_week.clear();
  const std::string none = portal::home_page(quiet, texts());
  CHECK(contains(none, text_of("portal.activity.none")));
  CHECK_FALSE(contains(none, "<table"));
  portal::HomeView off = sample_home();
  off.activity.reset();
  const std::string without = portal::home_page(off, texts());
  CHECK_FALSE(contains(without, "week-heading"));
  CHECK_FALSE(contains(without, "new-devices-heading"));
}

TEST_CASE("new devices: asked about in plain words, three forms, names escaped",
          "[portal][activity]") {
  portal::HomeView v = sample_home();
  v.devices.push_back({.id = "<b>sam</b>"});
  const std::string html = portal::home_page(v, texts());
  CHECK(contains(html, "A device with a private address joined on <bdi>"));
  CHECK(contains(html, "Is it one of yours?"));
  CHECK(contains(html, "<span class=\"id\" dir=\"ltr\">02:aa:bb:cc:dd:01</span>"));
  CHECK(count(html, "<input type=\"hidden\" name=\"mac\" value=\"02:aa:bb:cc:dd:01\">") == 3);
  for (const char* action : {"attach", "add", "dismiss"}) {
    INFO(action);
    CHECK(contains(html, std::string("name=\"action\" value=\"") + action + "\""));
  }
  CHECK(contains(html, "<option value=\"tablet\">tablet</option>"));
  CHECK((contains(html, "<option value=\"&lt;b&gt;sam&lt;&#x2F;b&gt;\">") ||
         contains(html, "<option value=\"&lt;b&gt;sam&lt;/b&gt;\">")));
  CHECK_FALSE(contains(html, "<b>sam</b>"));
  // No device yet: only "add" and "dismiss".
  portal::HomeView empty = sample_home();
  empty.devices.clear();
  const std::string lone = portal::home_page(empty, texts());
  CHECK_FALSE(contains(lone, "value=\"attach\""));
  CHECK(contains(lone, "value=\"add\""));
  // Nothing new: says so.
  portal::HomeView settled = sample_home();
  settled.activity->new_devices.clear();
  CHECK(contains(portal::home_page(settled, texts()), text_of("portal.new-devices.none")));
}

TEST_CASE("write sample pages", "[.samples]") {
  const char* env = std::getenv("SHELTER_PORTAL_SAMPLES");
  const std::filesystem::path dir = env != nullptr ? env : "/tmp/portal-samples";
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& html) {
    std::ofstream(dir / name, std::ios::binary | std::ios::trunc) << html;
  };
  for (std::string_view lang : kLanguages) {
    const web::Texts t = texts(lang);
    const std::string suffix = "-" + std::string(lang) + ".html";
    write("home" + suffix, portal::home_page(sample_home(), t));
    write("sign-in" + suffix, portal::sign_in_page({.household = "",
                                                    .error_key = "",
                                                    .csrf = "tok-in",
                                                    .notice = portal::Notice{"signed-out", {}}},
                                                   t));
    write("sign-in-error" + suffix,
          portal::sign_in_page(
              {.household = "smith-family", .error_key = "sign-in-failed", .csrf = "tok"}, t));
    write("first-access" + suffix,
          portal::first_access_page({.household = "", .error_key = "", .csrf = "tok-first"}, t));
    write("first-access-error" + suffix,
          portal::first_access_page(
              {.household = "smith-family", .error_key = "password-mismatch", .csrf = "tok"}, t));
    write("message" + suffix, portal::portal_message_page("portal.message.unavailable-title",
                                                          "portal.message.unavailable", t));
    write("settings" + suffix, portal::settings_page(sample_settings(), t));
    portal::SettingsView mistakes = sample_settings();
    mistakes.input.allow = "khanacademy.org\nnot a site\n";
    mistakes.errors["allow"] = {.key = "site-invalid",
                                .values = {{"line", "2"}, {"site", "not a site"}}};
    write("settings-error" + suffix, portal::settings_page(mistakes, t));
  }
  write("portal-csp.txt", portal::portal_csp(builtin()) + "\n");
}
