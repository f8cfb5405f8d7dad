// The `profiles` and `subscribers` sections, the households file and the compiled-in presets.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "proxy/config/loader.h"

namespace cfg = shelter::proxy::config;

namespace {

std::string joined(const std::vector<std::string>& errors) {
  std::string all;
  for (const auto& e : errors)
    all += e + "\n";
  return all;
}

}  // namespace

TEST_CASE("presets: every band is there and sex education is kept apart", "[config][profiles]") {
  const cfg::Presets& presets = cfg::presets();
  std::vector<std::string> names;
  for (const auto& p : presets.profiles)
    names.push_back(p.name);
  CHECK(names ==
        std::vector<std::string>{"under-9", "9-12", "13-14", "15-17", "adult", "public-wifi"});
  auto blocks = [&](const std::string& preset, const std::string& category) {
    for (const auto& p : presets.profiles) {
      if (p.name == preset) {
        return std::find(p.block.begin(), p.block.end(), category) != p.block.end();
      }
    }
    FAIL("no preset " << preset);
    return false;
  };
  CHECK(blocks("under-9", "sex-education"));
  CHECK_FALSE(blocks("9-12", "sex-education"));
  CHECK_FALSE(blocks("13-14", "sex-education"));
  for (const char* band : {"under-9", "9-12", "13-14", "15-17", "public-wifi"})
    CHECK(blocks(band, "adult"));
  CHECK_FALSE(blocks("adult", "adult"));
  CHECK(std::find(presets.never_block.begin(), presets.never_block.end(), "childline.org.uk") !=
        presets.never_block.end());
}

TEST_CASE("profiles and subscribers are read with every field", "[config][profiles]") {
  auto r = cfg::parse_config(R"(
profiles:
  evenings:
    base: 13-14
    block: [Social-Media]
    unblock: [games]
    allow: [Example.COM, "https://www.youtube.com/@crashcourse"]
    deny: [bad.example]
    safe-search: {google: true, youtube: strict}
    block-bypass: false
    schedules:
      - {name: bedtime, days: sun-thu, from: "21:00", to: "7:00", allow: [school.example]}
      - {days: weekdays, from: "16:00", to: "18:00", block: [games]}
subscribers:
  default-profile: evenings
  time-zone: Europe/London
  never-block: [help.example]
  trust: {mac-from: [10.0.0.0/8], client-subnet-from: ["2001:db8::/32"]}
  file: households.yaml
)",
                             "t");
  INFO(joined(r.errors));
  REQUIRE(r.config);
  const cfg::ProfileConfig& p = r.config->profiles.at(0);
  CHECK(p.name == "evenings");
  CHECK(p.base == "13-14");
  CHECK(p.block == std::vector<std::string>{"social-media"});
  CHECK(p.allow.domains == std::vector<std::string>{"example.com"});
  REQUIRE(p.allow.urls.size() == 1);
  CHECK(p.allow.urls[0].first == "www.youtube.com");
  CHECK(p.allow.urls[0].second == "/@crashcourse");
  REQUIRE(p.safe_search);
  CHECK(p.safe_search->youtube == shelter::policy::YouTubeMode::strict);
  CHECK_FALSE(p.safe_search->bing);
  CHECK(p.block_bypass == false);
  REQUIRE(p.schedules.size() == 2);
  CHECK(p.schedules[0].window.start_minute == 21 * 60);
  CHECK(p.schedules[0].window.end_minute == 7 * 60);
  CHECK(p.schedules[0].window.days == 0b1001111);  // sun-thu
  CHECK(p.schedules[1].name == "schedule");
  CHECK(p.schedules[1].block == std::vector<std::string>{"games"});
  const cfg::SubscribersConfig& s = r.config->subscribers;
  CHECK(s.default_profile == "evenings");
  CHECK(s.time_zone == "Europe/London");
  CHECK(s.never_block == std::vector<std::string>{"help.example"});
  CHECK(s.trust.mac_from.size() == 1);
  CHECK(s.trust.client_subnet_from.size() == 1);
  CHECK(s.file == "households.yaml");
}

TEST_CASE("profile mistakes name the key and the line", "[config][profiles]") {
  struct Case {
    const char* yaml;
    const char* error;
  };
  const std::vector<Case> cases = {
      {"profiles:\n  9-12: {}\n", "profiles.9-12: is already a preset or profile"},
      {"profiles:\n  p: {base: nope}\n", "profiles.p.base: 'nope' is not a preset"},
      {"profiles:\n  p: {block: [\"a b\"]}\n", "'a b' is not a valid name (line 2)"},
      {"profiles:\n  p: {allow: [\"not a name\"]}\n", "'not a name' is not a domain name"},
      {"profiles:\n  p: {deny: [\"ftp://x.example/a\"]}\n", "is not a URL"},
      {"profiles:\n  p:\n    schedules:\n      - {days: someday, from: \"21:00\", to: \"07:00\"}\n",
       "'someday'"},
      {"profiles:\n  p:\n    schedules:\n      - {days: daily, from: \"25:00\", to: \"07:00\"}\n",
       "'25:00'"},
      {"profiles:\n  p:\n    schedules:\n      - {days: daily, from: \"21:00\"}\n",
       "needs both from and to"},
      {"profiles:\n  p:\n    schedules:\n      - {days: daily, from: \"1:00\", to: \"2:00\", "
       "block: [x], allow: [y.example]}\n",
       "has both block and allow"},
      {"profiles:\n  p: {safe-search: {youtube: always}}\n", "'always'"},
      {"subscribers: {default-profile: teen}\n", "subscribers.default-profile: 'teen'"},
      {"subscribers: {trust: {mac-from: [10.0.0.1/8]}}\n", "has host bits set"},
      {"subscribers: {store: postgres}\n", "'postgres'"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.yaml);
    auto r = cfg::parse_config(c.yaml, "t");
    CHECK_FALSE(r.config);
    CHECK_THAT(joined(r.errors), Catch::Contains(c.error));
  }
}

TEST_CASE("households file: bindings, devices, own profiles, errors", "[config][profiles]") {
  auto good = cfg::parse_households(R"(households:
  smith:
    profile: tom
    time-zone: Europe/London
    paused-until: 2026-11-30T21:00:00Z
    addresses: [203.0.113.7/32, "2001:db8:7::/56"]
    cpe-ids: [cpe-1]
    profiles:
      tom: {base: 9-12, allow: [minecraft.net]}
    devices:
      tablet: {profile: under-9, macs: ["02:00:5E:10:00:01"], paused-until: 1700000000}
)");
  INFO(joined(good.errors));
  REQUIRE(good.errors.empty());
  REQUIRE(good.households.size() == 1);
  const cfg::HouseholdConfig& h = good.households[0];
  CHECK(h.id == "smith");
  CHECK(h.paused_until == 1'796'072'400);  // 2026-12-01T00:00Z less three hours
  CHECK(h.addresses.size() == 2);
  CHECK(h.cpe_ids == std::vector<std::string>{"cpe-1"});
  REQUIRE(h.profiles.size() == 1);
  CHECK(h.profiles[0].base == "9-12");
  REQUIRE(h.devices.size() == 1);
  CHECK(h.devices[0].macs.at(0) == shelter::policy::MacAddress{2, 0, 0x5e, 0x10, 0, 1});
  CHECK(h.devices[0].paused_until == 1'700'000'000);

  struct Case {
    const char* yaml;
    const char* error;
  };
  const std::vector<Case> bad = {
      {"households:\n  a:\n    macs: [\"02:00:5e:10:00\"]\n", "is not a MAC address (line 3)"},
      {"households:\n  a:\n    paused-until: tomorrow\n", "'tomorrow' is not a time"},
      {"households:\n  \"a b\": {}\n", "'a b' is not a valid household id"},
      {"households:\n  a:\n    cpe-ids: [\"\"]\n", "a CPE-ID has 1 to 64 characters"},
      {"households:\n  a: {colour: red}\n", "households.a.colour: unknown key"},
  };
  for (const Case& c : bad) {
    CAPTURE(c.yaml);
    auto r = cfg::parse_households(c.yaml);
    CHECK(r.households.empty());
    CHECK_THAT(joined(r.errors), Catch::Contains(c.error));
  }
}

TEST_CASE("household documents from Redis are JSON in the same schema", "[config][profiles]") {
  auto good = cfg::parse_household_document(
      R"({"profile": "tom", "time-zone": "Europe/London",
          "profiles": {"tom": {"base": "9-12", "allow": ["minecraft.net"]}},
          "devices": {"tablet": {"profile": "under-9", "paused-until": 1700000000}}})",
      "smith");
  INFO(joined(good.errors));
  REQUIRE(good.households.size() == 1);
  CHECK(good.households[0].id == "smith");
  CHECK(good.households[0].profile == "tom");
  CHECK(good.households[0].devices.at(0).paused_until == 1'700'000'000);

  struct Case {
    const char* json;
    const char* error;
  };
  const std::vector<Case> bad = {
      {R"({"profile": "tom",)", "yaml syntax error"},
      {R"({"profile": ["x"]})", "household smith.profile"},
      {R"({"colour": "red"})", "household smith.colour: unknown key"},
      {R"("just a string")", "household smith"},
  };
  for (const Case& c : bad) {
    CAPTURE(c.json);
    auto r = cfg::parse_household_document(c.json, "smith");
    CHECK(r.households.empty());
    CHECK_THAT(joined(r.errors), Catch::Contains(c.error));
  }
}
