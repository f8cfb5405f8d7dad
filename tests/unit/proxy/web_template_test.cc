// Templates parsed once when the pages load: the same output as the mustache library's parse
// for every render, for every built-in text and page in every language, escaped and raw; tags
// refused as before, partials refused; one parsed template rendered on several threads at once.
#include "proxy/web/template.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <kainjow/mustache.hpp>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "proxy/web/pages.h"
#include "tests/unit/proxy/builtin_pages.h"
#include "tests/unit/proxy/scratch_dir.h"

namespace mustache = kainjow::mustache;
namespace web = shelter::proxy::web;
using shelter::test::builtin_pages;

namespace {

// Every name `text` inserts or opens a section with, set to markup, quotes and an ampersand:
// what escaping must change, and a true section.
mustache::data hostile_values(const std::string& text) {
  static const std::regex kTag(R"(\{\{[#^/&{]?\s*([A-Za-z0-9_.-]+)\s*\}?\}\})");
  mustache::data values;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kTag); it != std::sregex_iterator();
       ++it) {
    values.set((*it)[1].str(), std::string("<b class=\"x\">Tom & 'Jerry'</b>"));
  }
  return values;
}

// What the pages did before: the library parses the text for this one render.
std::string parsed_now(const std::string& text, const mustache::data& values, bool escaped) {
  mustache::mustache t{text};
  if (!escaped) t.set_custom_escape([](const std::string& s) { return s; });
  return t.render(values);
}

}  // namespace

TEST_CASE("Template: every built-in text renders as the library's parse per render does") {
  const web::Pages& pages = builtin_pages();
  std::size_t compared = 0;
  std::size_t with_tags = 0;
  for (const web::Catalog& catalog : pages.catalogs()) {
    for (const auto& [key, text] : catalog.texts) {
      INFO(catalog.lang << " " << key);
      const web::Template& parsed = pages.text_template(catalog, key);
      REQUIRE(parsed.valid());
      CHECK(parsed.text() == text);
      const mustache::data values = hostile_values(text);
      CHECK(parsed.render(values) == parsed_now(text, values, true));
      CHECK(parsed.render(values, web::Inserts::raw) == parsed_now(text, values, false));
      CHECK(parsed.plain() == (text.find("{{") == std::string::npos));
      with_tags += parsed.plain() ? 0 : 1;
      ++compared;
    }
    for (const auto& [key, list] : catalog.lists) {
      const std::vector<web::Template>& parsed = pages.list_templates(catalog, key);
      REQUIRE(parsed.size() == list.size());
      for (std::size_t i = 0; i < list.size(); ++i) {
        INFO(catalog.lang << " " << key << "[" << i << "]");
        const mustache::data values = hostile_values(list[i]);
        CHECK(parsed[i].render(values) == parsed_now(list[i], values, true));
        ++compared;
      }
    }
  }
  // Four languages of some hundreds of texts each, many of them inserting values.
  CHECK(compared > 4 * 200);
  CHECK(with_tags > 4 * 20);
}

TEST_CASE("Template: both page templates render as the library's parse per render does") {
  const web::Pages& pages = builtin_pages();
  for (const web::Template* page : {&pages.page(), &pages.portal_page()}) {
    REQUIRE(page->valid());
    REQUIRE_FALSE(page->plain());
    mustache::data values = hostile_values(page->text());
    const std::string html = page->render(values);
    CHECK(html == parsed_now(page->text(), values, true));
    // {{x}} escaped ({{{x}}} is our own HTML, inserted as it is).
    CHECK(html.find("&lt;b class=&quot;x&quot;&gt;") != std::string::npos);
    // Empty values: every section closed.
    const mustache::data none;
    CHECK(page->render(none) == parsed_now(page->text(), none, true));
  }
}

TEST_CASE("Template: escaping, raw inserts, and the last values given win a name") {
  const web::Template t{"{{x}}|{{{x}}}|{{&x}}|{{#on}}[{{y}}]{{/on}}{{^off}}-{{/off}}"};
  REQUIRE(t.valid());
  mustache::data first;
  first.set("x", std::string("<a href='1'>&</a>"));
  first.set("y", std::string("first"));
  first.set("on", true);
  mustache::data second;
  second.set("y", std::string("\"second\""));
  CHECK(t.render(first) ==
        "&lt;a href=&apos;1&apos;&gt;&amp;&lt;/a&gt;|<a href='1'>&</a>|"
        "<a href='1'>&</a>|[first]-");
  CHECK(t.render({&first, &second}) ==
        "&lt;a href=&apos;1&apos;&gt;&amp;&lt;/a&gt;|<a href='1'>&</a>|"
        "<a href='1'>&</a>|[&quot;second&quot;]-");
  CHECK(t.render({&first, &second}, web::Inserts::raw) ==
        "<a href='1'>&</a>|<a href='1'>&</a>|<a href='1'>&</a>|[\"second\"]-");
}

TEST_CASE("Template: a text without tags is its own output; the empty template is empty") {
  const web::Template plain{"Ask a parent & try again <3\r\nor later."};
  CHECK(plain.valid());
  CHECK(plain.plain());
  const mustache::data values;
  CHECK(plain.render(values) == "Ask a parent & try again <3\r\nor later.");
  CHECK(plain.render(values) == parsed_now(plain.text(), values, true));
  const web::Template empty;
  CHECK(empty.plain());
  CHECK(empty.render(values).empty());
}

TEST_CASE("Template: broken templates and partials are refused, and render nothing") {
  for (const char* text : {"{{#open}} never closed", "{{/close}}", "{{x", "a {{>footer}} b",
                           "{{#s}}{{> nested }}{{/s}}"}) {
    INFO(text);
    const web::Template t{text};
    CHECK_FALSE(t.valid());
    CHECK_FALSE(t.plain());
    CHECK(t.render(mustache::data()).empty());
  }
  CHECK(web::Template{"a {{>footer}} b"}.error() == "partials ({{>footer}}) are not supported");
  CHECK(web::Template{"{{#s}}{{> nested }}{{/s}}"}.error() ==
        "partials ({{>nested}}) are not supported");
}

TEST_CASE("Pages::load refuses a partial in a template or a catalog text, naming where") {
  const shelter::test::Scratch dir;
  dir.write("page.mustache", "<html>{{>head}}</html>");
  dir.write("locales/en.yaml", "footer: \"{{>legal}}\"\n");
  std::vector<std::string> errors;
  CHECK(web::Pages::load(dir.dir.string(), errors) == nullptr);
  CHECK(std::find(errors.begin(), errors.end(),
                  "page.mustache: partials ({{>head}}) are not supported") != errors.end());
  CHECK(std::find(errors.begin(), errors.end(),
                  "locales/en.yaml: footer: partials ({{>legal}}) are not supported") !=
        errors.end());
}

TEST_CASE("Template: one parsed page rendered on four threads at once gives one output") {
  const web::Template& page = builtin_pages().portal_page();
  const mustache::data values = hostile_values(page.text());
  const std::string expected = page.render(values);
  std::vector<std::string> last(4);
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      for (int n = 0; n < 200; ++n) {
        std::string html = page.render(values);
        if (html != expected) ++mismatches[i];
        last[i] = std::move(html);
      }
    });
  }
  for (std::thread& t : threads)
    t.join();
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(mismatches[i] == 0);
    CHECK(last[i] == expected);
  }
}
