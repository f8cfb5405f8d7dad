// The settings page's logic without sockets or stores: what the form shows for a preset and
// for a household's own profile, what a posted form means (the boxes as changes to the band
// they were drawn for, sites checked as profile entries, safe search, bedtime), and how a
// household changes when it is saved.
#include "proxy/portal/portal_settings.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "policy/schedule.h"
#include "proxy/http/form.h"

namespace config = shelter::proxy::config;
namespace http = shelter::proxy::http;
namespace policy = shelter::policy;
namespace portal = shelter::proxy::portal;

namespace {

using Strings = std::vector<std::string>;

const std::vector<config::ProfileConfig> kNoProfiles;

portal::ProfileSources presets_only() {
  return {.household = &kNoProfiles, .operator_profiles = &kNoProfiles};
}

std::uint8_t days(const char* text) {
  std::string why;
  return policy::parse_days(text, why).value_or(0);
}

// The form as a preset shows it, with `band`.
portal::SettingsInput shown(const std::string& band) {
  return portal::settings_of(band, presets_only());
}

portal::SettingsInput without(portal::SettingsInput in, const std::string& box) {
  std::erase(in.blocked, box);
  return in;
}

portal::SettingsOutcome profile_of(const portal::SettingsInput& in) {
  return portal::settings_profile(in, "tablet-custom", presets_only(), nullptr);
}

config::HouseholdConfig smith() {
  config::HouseholdConfig h;
  h.id = "smith";
  h.profile = "15-17";
  config::DeviceConfig tablet;
  tablet.id = "tablet";
  tablet.profile = "under-9";
  config::DeviceConfig laptop;
  laptop.id = "laptop";
  h.devices = {tablet, laptop};
  return h;
}

}  // namespace

TEST_CASE("a preset shows as its band: its categories ticked, its safe search", "[settings]") {
  const portal::SettingsInput in = shown("9-12");
  CHECK(in.band == "9-12");
  CHECK(in.shown_band == "9-12");
  CHECK(in.blocked == Strings{"adult", "gambling", "violence", "weapons", "drugs", "alcohol",
                              "hate", "self-harm", "dating", "social-media", "chat", "proxy-vpn",
                              "doh-bypass", "security"});
  CHECK(in.safe_search);
  CHECK_FALSE(in.bedtime);
  CHECK(in.bedtime_from == "21:00");
  CHECK(in.bedtime_to == "07:00");
  CHECK(in.bedtime_days == "daily");
  CHECK(in.allow.empty());
  CHECK(in.deny.empty());

  CHECK(shown("adult").blocked.empty());
  CHECK_FALSE(shown("adult").safe_search);
  CHECK(shown("all-lists").blocked.size() == portal::kSettingsCategories.size());
  CHECK(shown("under-9").blocked.front() == "adult");
  CHECK(shown("under-9").blocked.at(1) == "sex-education");
}

TEST_CASE("the boxes become block and unblock against the band", "[settings]") {
  SECTION("nothing changed: the band as it is") {
    const auto out = profile_of(shown("9-12"));
    REQUIRE(out.profile);
    CHECK(out.profile->name == "tablet-custom");
    CHECK(out.profile->base == "9-12");
    CHECK(out.profile->block.empty());
    CHECK(out.profile->unblock.empty());
    CHECK_FALSE(out.profile->safe_search);
    CHECK(out.profile->schedules.empty());
  }
  SECTION("social media unticked, games ticked") {
    portal::SettingsInput in = without(shown("9-12"), "social-media");
    in.blocked.push_back("games");
    const auto out = profile_of(in);
    REQUIRE(out.profile);
    CHECK(out.profile->block == Strings{"games"});
    CHECK(out.profile->unblock == Strings{"social-media"});
  }
  SECTION("security is four categories") {
    const auto out = profile_of(without(shown("9-12"), "security"));
    REQUIRE(out.profile);
    CHECK(out.profile->unblock == Strings{"malware", "phishing", "botnet", "cryptojacking"});
    portal::SettingsInput adult = shown("adult");
    adult.blocked = {"security"};
    CHECK(profile_of(adult).profile->block ==
          Strings{"malware", "phishing", "botnet", "cryptojacking"});
  }
  SECTION("another band chosen: its list, with the boxes changed on the page") {
    portal::SettingsInput in = shown("9-12");
    in.band = "13-14";
    auto out = profile_of(in);
    REQUIRE(out.profile);
    CHECK(out.profile->base == "13-14");
    CHECK(out.profile->block.empty());  // the 9-12 boxes, not changed, ask for nothing
    CHECK(out.profile->unblock.empty());
    in = without(shown("9-12"), "chat");
    in.blocked.push_back("games");
    in.band = "13-14";
    out = profile_of(in);
    CHECK(out.profile->block == Strings{"games"});
    CHECK(out.profile->unblock == Strings{"chat"});
    // No band the boxes were drawn for: the boxes are the whole answer.
    in.shown_band = "";
    out = profile_of(in);
    CHECK(out.profile->block ==
          Strings{"violence", "alcohol", "social-media", "games"});  // 9-12's, not 13-14's
    CHECK(out.profile->unblock == Strings{"chat"});
  }
}

TEST_CASE("safe search: the band's own when the box agrees, else all on or all off", "[settings]") {
  portal::SettingsInput in = shown("13-14");
  CHECK_FALSE(profile_of(in).profile->safe_search);  // 13-14 keeps YouTube moderate
  in.safe_search = false;
  auto off = profile_of(in).profile->safe_search;
  REQUIRE(off);
  CHECK_FALSE(off->any());
  in = shown("adult");
  in.safe_search = true;
  auto on = profile_of(in).profile->safe_search;
  REQUIRE(on);
  CHECK(*on == policy::SafeSearch{.google = true,
                                  .youtube = policy::YouTubeMode::strict,
                                  .bing = true,
                                  .duckduckgo = true});
}

TEST_CASE("sites: one a line, checked as a profile reads them", "[settings]") {
  portal::SettingsInput in = shown("9-12");
  in.allow =
      "  Khanacademy.org \r\n\nhttps://www.example.org/\nexample.net/maths?x=1\n"
      "khanacademy.org\n";
  in.deny = "games.example\n";
  auto out = profile_of(in);
  REQUIRE(out.profile);
  CHECK(out.profile->allow.domains == Strings{"khanacademy.org", "www.example.org"});
  REQUIRE(out.profile->allow.urls.size() == 1);
  CHECK(out.profile->allow.urls.front().first == "example.net");
  CHECK(out.profile->allow.urls.front().second == "/maths?x=1");
  CHECK(out.profile->deny.domains == Strings{"games.example"});

  in.allow = "fine.example\n\nnot a site\n";
  out = profile_of(in);
  CHECK_FALSE(out.profile);
  REQUIRE(out.errors.count("allow") == 1);
  CHECK(out.errors["allow"].key == "site-invalid");
  CHECK(out.errors["allow"].values["line"] == "3");
  CHECK(out.errors["allow"].values["site"] == "not a site");
  in.allow = std::string(99, 'x') + "\xC3\xA9 long line\n";  // cut before the é, not in it
  CHECK(profile_of(in).errors["allow"].values["site"] == std::string(99, 'x'));

  in.allow.clear();
  for (int i = 0; i < 51; ++i)
    in.allow += "site" + std::to_string(i) + ".example\n";
  out = profile_of(in);
  REQUIRE(out.errors.count("allow") == 1);
  CHECK(out.errors["allow"].key == "sites-too-many");
  CHECK(out.errors["allow"].values["max"] == "50");
  in.allow.erase(0, in.allow.find('\n') + 1);  // 50 sites
  in.allow += "site1.example\n";               // and a repeat, which is not one more
  CHECK(profile_of(in).profile);

  in.allow = "both.example\n";
  in.deny = "BOTH.example.\n";
  out = profile_of(in);
  REQUIRE(out.errors.count("deny") == 1);
  CHECK(out.errors["deny"].key == "site-both");
  CHECK(out.errors["deny"].values["site"] == "both.example");
}

TEST_CASE("bedtime: an allow-only window with the allowed sites", "[settings]") {
  portal::SettingsInput in = shown("9-12");
  in.allow = "school.example\n";
  in.bedtime = true;
  in.bedtime_from = "20:30";
  in.bedtime_to = "07:15:00";
  in.bedtime_days = "sun-thu";
  auto out = profile_of(in);
  REQUIRE(out.profile);
  REQUIRE(out.profile->schedules.size() == 1);
  const config::ScheduleConfig& s = out.profile->schedules.front();
  CHECK(s.name == "bedtime");
  CHECK(s.block.empty());
  CHECK(s.allow.domains == Strings{"school.example"});
  CHECK(s.window.start_minute == 20 * 60 + 30);
  CHECK(s.window.end_minute == 7 * 60 + 15);
  CHECK(s.window.days == days("sun-thu"));

  in.bedtime_from = "25:00";
  in.bedtime_to = "";
  out = profile_of(in);
  CHECK_FALSE(out.profile);
  CHECK(out.errors["bedtime-from"].key == "time-invalid");
  CHECK(out.errors["bedtime-to"].key == "time-invalid");
  in.bedtime_from = "21:00";
  in.bedtime_to = "21:00";
  CHECK(profile_of(in).errors["bedtime-to"].key == "time-same");
  in.bedtime = false;  // times are not looked at while bedtime is off
  CHECK(profile_of(in).profile);
}

TEST_CASE("a household's own profile shows as its band and changes, and reads back", "[settings]") {
  config::HouseholdConfig h = smith();
  portal::SettingsInput in = without(shown("9-12"), "social-media");
  in.allow = "school.example\nexample.net/maths\n";
  in.deny = "games.example\n";
  in.safe_search = false;
  in.bedtime = true;
  in.bedtime_from = "20:30";
  in.bedtime_to = "06:45";
  in.bedtime_days = "sun-thu";
  const portal::SettingsChange change = portal::apply_settings(h, "tablet", in, kNoProfiles, "x");
  REQUIRE_FALSE(change.refused);
  REQUIRE(change.errors.empty());
  CHECK(change.detail ==
        "profile tablet-custom: band, categories, allowed sites, blocked sites, safe search, "
        "bedtime");
  CHECK(h.devices.at(0).profile == "tablet-custom");
  CHECK(h.devices.at(1).profile.empty());
  CHECK(h.profile == "15-17");
  REQUIRE(h.profiles.size() == 1);
  // Nothing of the preset it followed is copied: the base says it.
  CHECK_FALSE(h.profiles.front().block_bypass);
  CHECK_FALSE(h.profiles.front().audience);
  const portal::ProfileSources sources{.household = &h.profiles, .operator_profiles = &kNoProfiles};
  CHECK(portal::settings_of("tablet-custom", sources) == in);

  // The same again: nothing changes; the profile is rewritten in place, not added.
  const portal::SettingsChange again = portal::apply_settings(h, "tablet", in, kNoProfiles, "x");
  CHECK(again.detail == "profile tablet-custom: none");
  CHECK(h.profiles.size() == 1);

  // Days set another way show as they are.
  h.profiles.front().schedules.front().window.days = days("sat,sun");
  CHECK(portal::settings_of("tablet-custom", sources).bedtime_days == "sat,sun");
}

TEST_CASE("saving keeps what the page does not show, and is refused for what it never offers",
          "[settings]") {
  config::HouseholdConfig h = smith();
  config::ProfileConfig tom;
  tom.name = "tom";
  tom.base = "13-14";
  tom.block_bypass = false;
  config::ScheduleConfig homework;
  homework.name = "homework";
  homework.window = {.days = days("mon-fri"), .start_minute = 960, .end_minute = 1080};
  homework.block = {"games"};
  config::ScheduleConfig night;
  night.name = "night";
  night.window = {.days = days("daily"), .start_minute = 1260, .end_minute = 420};
  tom.schedules = {homework, night};
  h.profiles = {tom};
  h.devices.at(1).profile = "tom";
  const portal::ProfileSources sources{.household = &h.profiles, .operator_profiles = &kNoProfiles};
  portal::SettingsInput in = portal::settings_of("tom", sources);
  CHECK(in.band == "13-14");
  CHECK(in.bedtime);  // the allow-only window, whatever its name
  CHECK(in.bedtime_from == "21:00");
  in.bedtime_from = "22:00";
  const portal::SettingsChange change = portal::apply_settings(h, "laptop", in, kNoProfiles, "x");
  REQUIRE(change.errors.empty());
  CHECK(change.detail == "profile laptop-custom: bedtime");
  REQUIRE(h.profiles.size() == 2);
  const config::ProfileConfig& saved = h.profiles.back();
  CHECK(saved.name == "laptop-custom");
  CHECK(saved.block_bypass == std::optional<bool>(false));
  REQUIRE(saved.schedules.size() == 2);
  CHECK(saved.schedules.at(0).name == "homework");
  CHECK(saved.schedules.at(1).name == "bedtime");
  CHECK(saved.schedules.at(1).window.start_minute == 22 * 60);
  CHECK(h.profiles.front().schedules.size() == 2);  // tom itself is left as it was
  // A household's own profile is a band only where it is the band in force.
  portal::SettingsInput on_tom = shown("9-12");
  on_tom.band = "tom";
  CHECK(portal::apply_settings(h, "tablet", on_tom, kNoProfiles, "x").refused);

  config::HouseholdConfig before = smith();
  config::HouseholdConfig edited = before;
  CHECK(portal::apply_settings(edited, "printer", shown("9-12"), kNoProfiles, "x").refused);
  portal::SettingsInput bad = shown("9-12");
  bad.band = "no-such-band";
  CHECK(portal::apply_settings(edited, "tablet", bad, kNoProfiles, "x").refused);
  bad.band = "tablet-custom";
  CHECK(portal::apply_settings(edited, "tablet", bad, kNoProfiles, "x").refused);
  bad = shown("9-12");
  bad.deny = "<script>\n";
  const portal::SettingsChange mistakes =
      portal::apply_settings(edited, "tablet", bad, kNoProfiles, "x");
  CHECK_FALSE(mistakes.refused);
  CHECK(mistakes.errors.count("deny") == 1);
  CHECK(edited.profiles.empty());
  CHECK(edited.devices.at(0).profile == "under-9");
}

TEST_CASE("the household's own settings, and the profile it followed before", "[settings]") {
  config::HouseholdConfig h = smith();
  h.profile.clear();  // the default profile
  CHECK(portal::current_profile(h, "", "all-lists") == "all-lists");
  CHECK(portal::current_profile(h, "laptop", "all-lists") == "all-lists");
  CHECK(portal::current_profile(h, "tablet", "all-lists") == "under-9");
  CHECK_FALSE(portal::current_profile(h, "printer", "all-lists"));
  const portal::SettingsChange change =
      portal::apply_settings(h, "", shown("15-17"), kNoProfiles, "all-lists");
  REQUIRE(change.errors.empty());
  CHECK(h.profile == "household-custom");
  CHECK(change.detail == "profile household-custom: band, categories, safe search");
  CHECK(portal::custom_profile_name("") == "household-custom");
  CHECK(portal::custom_profile_name(std::string(64, 'd')) == std::string(57, 'd') + "-custom");
}

TEST_CASE("the posted form: boxes in the page's order, nothing it does not offer", "[settings]") {
  auto read = [](std::string body) {
    return portal::read_settings_form(*http::parse_form(body).form);
  };
  const auto in = read(
      "band=13-14&shown-band=9-12&block=games&block=adult&allow=a.example%0D%0Ab.example&"
      "safe-search=on&bedtime=on&bedtime-from=21%3A00&bedtime-to=07%3A00&bedtime-days=sun-thu");
  REQUIRE(in);
  CHECK(in->band == "13-14");
  CHECK(in->shown_band == "9-12");
  CHECK(in->blocked == Strings{"adult", "games"});
  CHECK(in->allow == "a.example\r\nb.example");
  CHECK(in->safe_search);
  CHECK(in->bedtime);
  CHECK(in->bedtime_days == "sun-thu");
  const auto plain = read("band=9-12");
  REQUIRE(plain);
  CHECK_FALSE(plain->safe_search);
  CHECK_FALSE(plain->bedtime);
  CHECK(plain->bedtime_days == "daily");
  CHECK_FALSE(read("band=9-12&block=malware"));
  CHECK_FALSE(read("band=9-12&block=%3Cb%3E"));
  CHECK_FALSE(read("band=9-12&bedtime-days=someday"));
}

TEST_CASE("the bands offered: presets, the operator's, and the one in force", "[settings]") {
  config::ProfileConfig evenings;
  evenings.name = "evenings";
  const std::vector<config::ProfileConfig> ops = {evenings};
  CHECK(portal::band_choices(ops, "9-12") ==
        Strings{"under-9", "9-12", "13-14", "15-17", "adult", "public-wifi", "evenings"});
  CHECK(portal::band_choices(ops, "all-lists").back() == "all-lists");
}
