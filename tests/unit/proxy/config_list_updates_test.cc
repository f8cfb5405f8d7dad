// The `list-updates:` section and the per-list limits of fail-safe list updates: defaults,
// values as an operator writes them, and errors that name the key path and the line.
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/config/loader.h"

namespace cfg = shelter::proxy::config;
using cfg::Config;
using namespace std::chrono_literals;

namespace {

cfg::LoadResult parse(std::string_view yaml) {
  return cfg::parse_config(yaml, "test.yaml");
}

std::string joined(const std::vector<std::string>& errors) {
  std::string all;
  for (const auto& e : errors)
    all += e + "\n";
  return all;
}

Config valid(std::string_view yaml) {
  auto r = parse(yaml);
  INFO(yaml);
  INFO(joined(r.errors));
  REQUIRE(r.errors.empty());
  REQUIRE(r.config);
  return *r.config;
}

// One list that reads a file, with `extra` lines added to its mapping.
std::string one_list(std::string_view extra) {
  return "lists:\n  - id: a\n    category: ads\n    path: /lists/a.txt\n" + std::string(extra);
}

}  // namespace

TEST_CASE("list-updates keeps its defaults when absent or empty", "[list-updates]") {
  for (const auto yaml : {"", "list-updates:\n", "list-updates: {}\n"}) {
    DYNAMIC_SECTION(yaml) {
      const Config c = valid(yaml);
      const cfg::ListUpdatesConfig& u = c.list_updates;
      CHECK(u.state_directory.empty());
      CHECK(u.check_interval == 1s);
      CHECK(u.max_malformed == Approx(0.03));
      CHECK(u.max_shrink == Approx(0.25));
      CHECK(u.max_shrink_legal == Approx(0.10));
      CHECK(u.max_age == 0ms);
      CHECK(u.max_age_legal == 48h);
    }
  }
}

TEST_CASE("a list without limits of its own leaves them unset", "[list-updates]") {
  const Config c = valid(one_list(""));
  REQUIRE(c.lists.size() == 1);
  CHECK_FALSE(c.lists[0].max_malformed);
  CHECK_FALSE(c.lists[0].max_shrink);
  CHECK_FALSE(c.lists[0].max_age);
}

TEST_CASE("every list-updates key is read", "[list-updates]") {
  const Config c = valid(R"(
list-updates:
  state-directory: /var/lib/shelter
  check-interval: 5s
  max-malformed: 2.5%
  max-shrink: 40%
  max-shrink-legal: 5%
  max-age: 7d
  max-age-legal: 12h
)");
  const cfg::ListUpdatesConfig& u = c.list_updates;
  CHECK(u.state_directory == "/var/lib/shelter");
  CHECK(u.check_interval == 5s);
  CHECK(u.max_malformed == Approx(0.025));
  CHECK(u.max_shrink == Approx(0.40));
  CHECK(u.max_shrink_legal == Approx(0.05));
  CHECK(u.max_age == 7 * 24h);
  CHECK(u.max_age_legal == 12h);
}

TEST_CASE("list-updates values at the edges of their ranges", "[list-updates]") {
  struct Case {
    const char* yaml;
    std::function<bool(const cfg::ListUpdatesConfig&)> check;
  };
  const Case cases[] = {
      {"list-updates: {max-malformed: 0%}",
       [](const cfg::ListUpdatesConfig& u) { return u.max_malformed == 0.0; }},
      {"list-updates: {max-malformed: 100%}",
       [](const cfg::ListUpdatesConfig& u) { return u.max_malformed == 1.0; }},
      {"list-updates: {max-shrink: '0.5%'}",
       [](const cfg::ListUpdatesConfig& u) { return u.max_shrink == Approx(0.005); }},
      {"list-updates: {max-shrink-legal: 100%}",
       [](const cfg::ListUpdatesConfig& u) { return u.max_shrink_legal == 1.0; }},
      {"list-updates: {check-interval: 0ms}",
       [](const cfg::ListUpdatesConfig& u) { return u.check_interval == 0ms; }},
      {"list-updates: {check-interval: 1h}",
       [](const cfg::ListUpdatesConfig& u) { return u.check_interval == 1h; }},
      {"list-updates: {check-interval: 250ms}",
       [](const cfg::ListUpdatesConfig& u) { return u.check_interval == 250ms; }},
      {"list-updates: {max-age: 0s}",
       [](const cfg::ListUpdatesConfig& u) { return u.max_age == 0ms; }},
      {"list-updates: {max-age: 90d}",
       [](const cfg::ListUpdatesConfig& u) { return u.max_age == 90 * 24h; }},
      {"list-updates: {max-age: 36h}",
       [](const cfg::ListUpdatesConfig& u) { return u.max_age == 36h; }},
      {"list-updates: {max-age-legal: 0s}",
       [](const cfg::ListUpdatesConfig& u) { return u.max_age_legal == 0ms; }},
      {"list-updates: {max-age-legal: 1d}",
       [](const cfg::ListUpdatesConfig& u) { return u.max_age_legal == 24h; }},
      {"list-updates: {max-age-legal: 90m}",
       [](const cfg::ListUpdatesConfig& u) { return u.max_age_legal == 90min; }},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.yaml) {
      CHECK(c.check(valid(c.yaml).list_updates));
    }
  }
}

TEST_CASE("a list's own max-malformed, max-shrink and max-age are read", "[list-updates]") {
  const Config c = valid(R"(
list-updates:
  max-shrink: 30%
lists:
  - id: iwf
    category: csam
    legal: true
    authority: IWF
    path: /lists/iwf.txt
    max-shrink: 2.5%
    max-age: 12h
  - id: ads
    category: ads
    path: /lists/ads.txt
    max-malformed: 10%
    max-age: 7d
  - id: local
    category: ads
    entries: [a.example]
    max-shrink: 0%
    max-age: 0s
)");
  REQUIRE(c.lists.size() == 3);
  const cfg::ListConfig& iwf = c.lists[0];
  CHECK_FALSE(iwf.max_malformed);
  REQUIRE(iwf.max_shrink);
  CHECK(*iwf.max_shrink == Approx(0.025));
  REQUIRE(iwf.max_age);
  CHECK(*iwf.max_age == 12h);
  const cfg::ListConfig& ads = c.lists[1];
  REQUIRE(ads.max_malformed);
  CHECK(*ads.max_malformed == Approx(0.10));
  CHECK_FALSE(ads.max_shrink);
  REQUIRE(ads.max_age);
  CHECK(*ads.max_age == 7 * 24h);
  const cfg::ListConfig& local = c.lists[2];
  REQUIRE(local.max_shrink);
  CHECK(*local.max_shrink == 0.0);
  REQUIRE(local.max_age);  // given as zero: never stale, not "use the default"
  CHECK(*local.max_age == 0ms);
  // The section's own values are not changed by the lists' values.
  CHECK(c.list_updates.max_shrink == Approx(0.30));
  CHECK(c.list_updates.max_malformed == Approx(0.03));
}

TEST_CASE("list-updates errors name the key path and the line", "[list-updates]") {
  struct Case {
    std::string yaml;
    std::string message;
  };
  const std::string not_percent =
      " is not a percentage (line 2); write a number and '%', such "
      "as 10%";
  const Case cases[] = {
      {"list-updates:\n  max-shrink: 25\n", "list-updates.max-shrink: '25'" + not_percent},
      {"list-updates:\n  max-shrink: 150%\n",
       "list-updates.max-shrink: 150% is out of range 0%..100% (line 2)"},
      {"list-updates:\n  max-shrink: -1%\n", "list-updates.max-shrink: '-1%'" + not_percent},
      {"list-updates:\n  max-shrink: abc%\n", "list-updates.max-shrink: 'abc%'" + not_percent},
      {"list-updates:\n  max-malformed: 25\n", "list-updates.max-malformed: '25'" + not_percent},
      {"list-updates:\n  max-malformed: 100.5%\n",
       "list-updates.max-malformed: 100.5% is out of range 0%..100% (line 2)"},
      {"list-updates:\n  max-malformed: '5 %'\n",
       "list-updates.max-malformed: '5 %'" + not_percent},
      {"list-updates:\n  max-malformed: 5%%\n", "list-updates.max-malformed: '5%%'" + not_percent},
      {"list-updates:\n  max-malformed: '+5%'\n",
       "list-updates.max-malformed: '+5%'" + not_percent},
      {"list-updates:\n  max-malformed: nan%\n",
       "list-updates.max-malformed: 'nan%'" + not_percent},
      {"list-updates:\n  max-malformed: '%'\n", "list-updates.max-malformed: '%'" + not_percent},
      {"list-updates:\n  max-shrink-legal: 0.1\n",
       "list-updates.max-shrink-legal: '0.1'" + not_percent},
      {"list-updates:\n  max-shrink-legal: 101%\n",
       "list-updates.max-shrink-legal: 101% is out of range 0%..100% (line 2)"},
      {"list-updates:\n  max-shrink: [10%]\n",
       "list-updates.max-shrink: expected a percentage such as 10%, got a list (line 2)"},
      {"list-updates:\n  max-shrnk: 10%\n",
       "list-updates.max-shrnk: unknown key (line 2); did you mean 'max-shrink'?"},
      {"list-updates:\n  max_age: 1d\n",
       "list-updates.max_age: unknown key (line 2); did you mean 'max-age'?"},
      {"list-updates:\n  state-dir: /var/lib/shelter\n",
       "list-updates.state-dir: unknown key (line 2)"},
      {"list-updates:\n  max-age-legl: 1d\n",
       "list-updates.max-age-legl: unknown key (line 2); did you mean 'max-age-legal'?"},
      {"list-update:\n  max-age: 1d\n",
       "list-update: unknown key (line 1); did you mean 'list-updates'?"},
      {"list-updates: 5%\n",
       "list-updates: expected a mapping of keys, got the value '5%' (line 1)"},
      {"list-updates:\n  state-directory: ''\n",
       "list-updates.state-directory: must not be empty (line 2)"},
      {"list-updates:\n  check-interval: 2h\n",
       "list-updates.check-interval: 2h is out of range 0ms..1h (line 2)"},
      {"list-updates:\n  check-interval: 5\n",
       "list-updates.check-interval: '5' has no unit (line 2); write 5ms or 5s"},
      {"list-updates:\n  max-age: 91d\n",
       "list-updates.max-age: 91d is out of range 0ms..90d (line 2)"},
      {"list-updates:\n  max-age: 7days\n",
       "list-updates.max-age: '7days' is not a duration (line 2); write a whole number and a "
       "unit: ms, s, m, h or d"},
      {"list-updates:\n  max-age-legal: 1.5d\n",
       "list-updates.max-age-legal: '1.5d' is not a duration (line 2); write a whole number and "
       "a unit: ms, s, m, h or d"},
      {"list-updates:\n  max-age-legal: 2161h\n",
       "list-updates.max-age-legal: 2161h is out of range 0ms..90d (line 2)"},
      {"list-updates:\n  max-shrink: 10%\n  max-shrink: 20%\n",
       "list-updates.max-shrink: duplicate key (line 3)"},
      // A list's own keys: the path of the list and the line of the value.
      {one_list("    max-shrink: 25\n"),
       "lists[0].max-shrink: '25' is not a percentage (line 5); "
       "write a number and '%', such as 10%"},
      {one_list("    max-shrink: 150%\n"),
       "lists[0].max-shrink: 150% is out of range 0%..100% (line 5)"},
      {one_list("    max-malformed: -1%\n"),
       "lists[0].max-malformed: '-1%' is not a percentage (line 5); write a number and '%', "
       "such as 10%"},
      {one_list("    max-malformed: abc%\n"),
       "lists[0].max-malformed: 'abc%' is not a percentage (line 5); write a number and '%', "
       "such as 10%"},
      {one_list("    max-age: 100d\n"), "lists[0].max-age: 100d is out of range 0ms..90d (line 5)"},
      {one_list("    max-age: 12\n"),
       "lists[0].max-age: '12' has no unit (line 5); write 12ms or 12s"},
      {one_list("    max-shrnk: 10%\n"),
       "lists[0].max-shrnk: unknown key (line 5); did you mean 'max-shrink'?"},
      {one_list("    max-mallformed: 10%\n"),
       "lists[0].max-mallformed: unknown key (line 5); did you mean 'max-malformed'?"},
      {one_list("    max-shrink-legal: 10%\n"), "lists[0].max-shrink-legal: unknown key (line 5)"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.yaml) {
      const auto r = parse(c.yaml);
      INFO(joined(r.errors));
      CHECK_FALSE(r.config);
      REQUIRE(r.errors.size() == 1);
      CHECK(r.errors[0] == c.message);
    }
  }
}

TEST_CASE("every bad list-updates value is reported, not only the first", "[list-updates]") {
  const auto r = parse(R"(list-updates:
  max-malformed: 3
  max-shrink: 200%
  max-age: forever
lists:
  - id: a
    category: ads
    path: /lists/a.txt
    max-shrink: x%
)");
  INFO(joined(r.errors));
  CHECK_FALSE(r.config);
  REQUIRE(r.errors.size() == 4);
  CHECK(r.errors[0].starts_with("list-updates.max-malformed: '3' is not a percentage (line 2)"));
  CHECK(r.errors[1] == "list-updates.max-shrink: 200% is out of range 0%..100% (line 3)");
  CHECK(r.errors[2].starts_with("list-updates.max-age: 'forever' is not a duration (line 4)"));
  CHECK(r.errors[3].starts_with("lists[0].max-shrink: 'x%' is not a percentage (line 9)"));
}
