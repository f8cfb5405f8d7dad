// The embedded store's households file: written back so that it reads back the same, edits
// checked before they are written, and written atomically or not at all.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "policy/category.h"
#include "proxy/config/loader.h"
#include "proxy/profiles/household_json.h"
#include "proxy/profiles/households_file.h"

namespace cfg = shelter::proxy::config;
namespace profiles = shelter::proxy::profiles;
namespace fs = std::filesystem;

namespace {

std::string read(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<cfg::HouseholdConfig> parse(const std::string& text) {
  cfg::HouseholdsResult r = cfg::parse_households(text);
  INFO(text);
  for (const auto& e : r.errors)
    UNSCOPED_INFO(e);
  REQUIRE(r.errors.empty());
  return r.households;
}

struct Scratch {
  Scratch()
      : dir(fs::temp_directory_path() / ("shelter-households-" + std::to_string(::getpid()))) {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~Scratch() { fs::remove_all(dir); }
  std::size_t files() const {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), {}));
  }
  fs::path dir;
};

std::shared_ptr<const profiles::ProfileBook> book(shelter::policy::CategoryRegistry& registry) {
  cfg::LoadResult loaded = cfg::parse_config("{}", "t");
  REQUIRE(loaded.config);
  std::vector<std::string> errors;
  auto b = profiles::ProfileBook::build(*loaded.config, registry, errors);
  REQUIRE(b);
  return b;
}

}  // namespace

TEST_CASE("render_households reads back to the same households", "[profiles]") {
  const std::string example = read(SHELTER_SOURCE_DIR "/deploy/households.example.yaml");
  std::vector<cfg::HouseholdConfig> first = parse(example);
  const std::string written = cfg::render_households(first);
  std::vector<cfg::HouseholdConfig> second = parse(written);
  CHECK(cfg::render_households(second) == written);  // a fixed point
  REQUIRE(second.size() == first.size());
  const cfg::HouseholdConfig& smith = second[0];
  CHECK(smith.id == "smith");
  CHECK(smith.profile == "9-12");
  CHECK(smith.time_zone == "Europe/London");
  CHECK(smith.addresses.size() == 2);
  REQUIRE(smith.devices.size() == 1);
  CHECK(smith.devices[0].macs == first[0].devices[0].macs);
  const cfg::HouseholdConfig& jones = second[1];
  REQUIRE(jones.profiles.size() == 1);
  CHECK(jones.profiles[0].base == "15-17");
  CHECK(jones.profiles[0].allow.domains == first[1].profiles[0].allow.domains);

  // Every field a parent can set, schedules and page entries included.
  const std::string full = R"(households:
  h:
    profile: p
    paused-until: 1800000000
    cpe-ids: [cpe-1]
    macs: ["02:00:5e:10:00:0a"]
    profiles:
      p:
        base: 13-14
        block: [games]
        unblock: [chat]
        allow: [a.example, "https://www.youtube.com/@crashcourse"]
        deny: [d.example]
        safe-search: {google: true, youtube: moderate, bing: false, duckduckgo: true}
        block-bypass: false
        audience: teen
        schedules:
          - {name: bedtime, days: sun-thu, from: "21:00", to: "07:00", allow: [s.example]}
          - {name: homework, days: weekdays, from: "16:00", to: "18:30", block: [games]}
    devices:
      d: {paused-until: 1800000001, addresses: ["2001:db8::1/128"]}
)";
  const std::string rendered = cfg::render_households(parse(full));
  CHECK(cfg::render_households(parse(rendered)) == rendered);
  const std::vector<cfg::HouseholdConfig> reread = parse(rendered);
  const cfg::ProfileConfig& p = reread.at(0).profiles.at(0);
  CHECK(p.allow.urls.at(0).second == "/@crashcourse");
  CHECK(p.schedules.at(1).window.end_minute == 18 * 60 + 30);
  CHECK(p.schedules.at(0).window.days == 0b1001111);
  CHECK(p.block_bypass == false);
  CHECK(p.audience == shelter::policy::Audience::teen);
}

TEST_CASE("HouseholdsFile: edits are checked, written atomically, then in force", "[profiles]") {
  Scratch scratch;
  shelter::policy::CategoryRegistry registry;
  auto profiles_book = book(registry);
  const fs::path path = scratch.dir / "households.yaml";
  const std::string original = "households:\n  smith: {profile: 9-12, addresses: [192.0.2.7/32]}\n";
  { std::ofstream(path) << original; }
  profiles::HouseholdsFile file(path.string(), parse(original));

  cfg::HouseholdConfig jones;
  jones.id = "jones";
  jones.profile = "adult";
  jones.addresses = {*cfg::Cidr::parse("192.0.2.8/32")};
  profiles::HouseholdsFile::Edit added = file.put(jones, profiles_book);
  REQUIRE(added.errors.empty());
  REQUIRE(added.directory);
  CHECK(added.directory->find("jones").status == profiles::Found::Status::hit);
  std::vector<cfg::HouseholdConfig> on_disk = parse(read(path));
  REQUIRE(on_disk.size() == 2);
  CHECK(on_disk[0].id == "jones");  // kept in id order (the admin API pages through them)
  CHECK(on_disk[1].id == "smith");
  CHECK((fs::status(path).permissions() & fs::perms::others_read) == fs::perms::none);
  CHECK(scratch.files() == 1);  // no temporary file left behind

  // An edit that does not compile is refused and nothing is written.
  const std::string before = read(path);
  cfg::HouseholdConfig broken = jones;
  broken.profile = "no-such-profile";
  profiles::HouseholdsFile::Edit refused = file.put(broken, profiles_book);
  CHECK_FALSE(refused.directory);
  REQUIRE_FALSE(refused.errors.empty());
  CHECK_THAT(refused.errors[0], Catch::Contains("no-such-profile"));
  CHECK(read(path) == before);
  CHECK(file.households().at(0).profile == "adult");

  // Two households may not claim one address.
  cfg::HouseholdConfig squatter = jones;
  squatter.id = "squatter";
  CHECK_FALSE(file.put(squatter, profiles_book).directory);
  CHECK(read(path) == before);

  // A write that fails (the folder is gone) changes nothing in memory either.
  profiles::HouseholdsFile lost((scratch.dir / "missing" / "households.yaml").string(),
                                parse(original));
  profiles::HouseholdsFile::Edit failed = lost.put(jones, profiles_book);
  CHECK_FALSE(failed.directory);
  CHECK_THAT(failed.errors.at(0), Catch::Contains("cannot create a temporary file"));
  CHECK(lost.households().size() == 1);

  profiles::HouseholdsFile::Edit removed = file.remove("smith", profiles_book);
  REQUIRE(removed.directory);
  CHECK(removed.directory->find("smith").status == profiles::Found::Status::absent);
  CHECK(parse(read(path)).size() == 1);
  CHECK_FALSE(file.remove("smith", profiles_book).directory);
}

// The admin API's and Redis's JSON form of a household: the households file's fields, typed as
// JSON (times as numbers, switches as booleans, everything else a string however it looks),
// and read back to the same household.
TEST_CASE("household JSON: typed by field, and it reads back to the same household") {
  const std::vector<cfg::HouseholdConfig> households = parse(R"(households:
  smith:
    profile: "13"
    paused-until: 1800000000
    cpe-ids: ["12345"]
    addresses: [203.0.113.7/32]
    profiles:
      "13":
        base: 9-12
        audience: teen
        safe-search: {google: true, youtube: strict, bing: false, duckduckgo: true}
        block-bypass: false
        schedules:
          - {name: bedtime, days: sun-thu, from: "21:00", to: "07:00", allow: [school.test]}
    devices:
      "007": {profile: under-9, macs: ["02:00:5e:10:00:01"]}
)");
  const std::string json = profiles::household_to_json(households.front());
  INFO(json);
  CHECK(json.find(R"("profile":"13")") != std::string::npos);
  CHECK(json.find(R"("paused-until":1800000000)") != std::string::npos);
  CHECK(json.find(R"("cpe-ids":["12345"])") != std::string::npos);
  CHECK(json.find(R"("google":true)") != std::string::npos);
  CHECK(json.find(R"("bing":false)") != std::string::npos);
  CHECK(json.find(R"("block-bypass":false)") != std::string::npos);
  CHECK(json.find(R"("audience":"teen")") != std::string::npos);
  CHECK(json.find(R"("from":"21:00")") != std::string::npos);
  const cfg::HouseholdsResult back = profiles::household_from_json(json, "smith");
  for (const auto& e : back.errors)
    UNSCOPED_INFO(e);
  REQUIRE(back.errors.empty());
  REQUIRE(back.households.size() == 1);
  CHECK(profiles::household_to_json(back.households.front()) == json);
  CHECK(back.households.front().profiles.front().audience == shelter::policy::Audience::teen);
  CHECK(back.households.front().cpe_ids == std::vector<std::string>{"12345"});
}
