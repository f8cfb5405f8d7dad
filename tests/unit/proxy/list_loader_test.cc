// Fail-safe list updates through the list loader: a list read from a file replaces its last
// good version only when it passes the checks; a refused one is fed from its last good version
// while the other lists load as they are.
#include "proxy/lists/list_loader.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <iterator>
#include <string>

#include "tests/unit/proxy/lists_test_util.h"

using namespace lists_test;
using lists::ListResult;
using namespace std::chrono_literals;

namespace {

constexpr int kAds = 100;  // entries of the good version of "ads" (and of "iwf")
constexpr int kOther = 10;

// Three lists read from files in `s`: two ordinary ones and a legal one.
std::string three_lists_yaml(const Scratch& s, const std::string& state_directory) {
  std::string yaml;
  if (!state_directory.empty())
    yaml += "list-updates:\n  state-directory: " + state_directory + "\n";
  yaml += "lists:\n";
  yaml += "  - id: ads\n    category: ads\n    path: " + s.path("ads.txt") + "\n";
  yaml += "  - id: other\n    category: malware\n    path: " + s.path("other.txt") + "\n";
  yaml +=
      "  - id: iwf\n    category: csam\n    legal: true\n    authority: Test authority\n"
      "    path: " +
      s.path("iwf.txt") + "\n";
  return yaml;
}

void write_good_versions(const Scratch& s) {
  s.write("ads.txt", domains("ads", 0, kAds));
  s.write("other.txt", domains("other", 0, kOther));
  s.write("iwf.txt", domains("iwf", 0, kAds));
}

// Loads the good versions and commits them, as the daemon does at its first start.
std::shared_ptr<lists::LoadedLists> start(const Scratch& s, const cfg::Config& config,
                                          lists::LastGoodStore& store) {
  write_good_versions(s);
  auto loaded = load(config, &store, kNow);
  for (const lists::ListStatus& l : loaded->lists) {
    INFO(l.id << ": " << l.reason);
    REQUIRE(l.result == ListResult::ok);
  }
  commit(store, *loaded);
  return loaded;
}

// Bytes that are no list: every byte value, NULs included, in a fixed pseudo-random order.
std::string random_bytes(std::size_t size) {
  std::string bytes;
  std::uint32_t x = 12345;
  for (std::size_t i = 0; i < size; ++i) {
    x = x * 1103515245u + 12345u;
    bytes += static_cast<char>(x >> 24);
  }
  return bytes;
}

}  // namespace

TEST_CASE("a good list is taken and kept as the version to commit", "[list_loader]") {
  Scratch s;
  const std::string state = s.path("state");
  const cfg::Config config = parse(three_lists_yaml(s, state));
  lists::LastGoodStore store(state);
  write_good_versions(s);

  auto first = load(config, &store, kNow);
  REQUIRE(first->lists.size() == 3);
  CHECK(first->refused() == 0);
  CHECK(first->entries() == 2 * kAds + kOther);
  CHECK(first->warnings.empty());
  const lists::ListStatus& ads = status_of(*first, "ads");
  CHECK(ads.result == ListResult::ok);
  CHECK(ads.reason.empty());
  CHECK(ads.in_force);
  CHECK_FALSE(ads.serving_last_good);
  CHECK(ads.entries == kAds);
  CHECK(ads.accepted_unix == kNow);
  CHECK(ads.modified_unix > 0);
  CHECK(ads.max_age == 0ms);
  CHECK_FALSE(ads.acceptance);
  REQUIRE(ads.to_keep);
  CHECK(ads.to_keep->fingerprint.size() == 64);
  REQUIRE(ads.to_keep->parts.size() == 1);
  CHECK(ads.to_keep->parts[0].name == s.path("ads.txt"));
  CHECK(ads.to_keep->parts[0].text == domains("ads", 0, kAds));
  const lists::ListStatus& iwf = status_of(*first, "iwf");
  CHECK(iwf.legal);
  CHECK(iwf.max_age == 48h);
  CHECK(blocks(*first, "ads0.example"));
  CHECK(blocks(*first, "sub.ads99.example"));
  CHECK(blocks(*first, "iwf42.example"));
  CHECK_FALSE(blocks(*first, "ads100.example"));

  // Nothing is kept until the load is committed.
  CHECK_FALSE(store.meta("ads"));
  commit(store, *first);
  const auto meta = store.meta("ads");
  REQUIRE(meta);
  CHECK(meta->entries == kAds);
  CHECK(meta->accepted_unix == kNow);
  CHECK(meta->fingerprint == ads.to_keep->fingerprint);
  CHECK(meta->modified_unix == ads.to_keep->modified_unix);
  CHECK(fs::exists(s.path("state/lists/ads.meta")));
  CHECK(fs::exists(s.path("state/lists/ads." + meta->fingerprint.substr(0, 16) + ".data")));

  // The same version read again is not kept again, and keeps when it was first accepted.
  auto second = load(config, &store, kNow + 60);
  const lists::ListStatus& again = status_of(*second, "ads");
  CHECK(again.result == ListResult::ok);
  CHECK(again.in_force);
  CHECK_FALSE(again.to_keep);
  CHECK(again.accepted_unix == kNow);
}

TEST_CASE("a broken update is refused and its last good version stays in force", "[list_loader]") {
  struct Variant {
    const char* name;
    std::string bytes;
    ListResult result;
    std::string reason;  // a part of the reason
  };
  const std::string good = domains("ads", 0, kAds);
  std::string malformed = good;
  for (int i = 0; i < 10; ++i)
    malformed += "bad..name" + std::to_string(i) + ".example\n";
  const Variant variants[] = {
      {"an empty file", "", ListResult::refused_empty,
       "the file is empty (no bytes but white space)"},
      {"white space", "\n \n\t\r\n", ListResult::refused_empty, "the file is empty"},
      {"an HTML page",
       "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
       "<body><h1>502 Bad Gateway</h1></body></html>\n",
       ListResult::refused_format, "not a domains list: it is an HTML page"},
      {"an XML error", "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code></Error>",
       ListResult::refused_format, "not a domains list: it is an XML document"},
      {"random bytes", random_bytes(4000), ListResult::refused_format,
       "not a domains list: it is binary data"},
      {"gzip data", std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10) + "rest",
       ListResult::refused_format, "it is gzip-compressed data"},
      {"half of it", good.substr(0, good.size() / 2), ListResult::refused_shrink, "shrank by "},
      {"a 60% shrink", domains("ads", 0, 40), ListResult::refused_shrink,
       "shrank by 60.0% (100 -> 40 entries, limit 25.0%)"},
      {"malformed lines", malformed, ListResult::refused_format,
       "not a domains list: 10 malformed lines against 100 entries (9.1%, limit 3.0%)"},
      {"only malformed lines", "bad..one.example\nbad..two.example\n", ListResult::refused_empty,
       "no entries (2 malformed lines)"},
  };
  for (const Variant& v : variants) {
    DYNAMIC_SECTION(v.name) {
      Scratch s;
      const std::string state = s.path("state");
      const cfg::Config config = parse(three_lists_yaml(s, state));
      lists::LastGoodStore store(state);
      const auto first = start(s, config, store);
      const std::string fingerprint = status_of(*first, "ads").to_keep->fingerprint;

      s.write("ads.txt", v.bytes);
      s.write("other.txt", domains("other", 0, kOther) + "new-other.example\n");
      // A restart: a store of its own on the same directory knows what was committed.
      lists::LastGoodStore restarted(state);
      for (const lists::LastGoodStore* which : {&store, &restarted}) {
        auto loaded = load(config, which, kNow + 3600);
        const lists::ListStatus& ads = status_of(*loaded, "ads");
        INFO(ads.reason);
        CHECK(ads.result == v.result);
        CHECK(contains(ads.reason, v.reason));
        CHECK(ads.in_force);
        CHECK(ads.serving_last_good);
        CHECK_FALSE(ads.to_keep);
        CHECK_FALSE(ads.acceptance);
        CHECK(ads.entries == kAds);
        CHECK(ads.accepted_unix == kNow);  // when the version in force was accepted
        CHECK(blocks(*loaded, "ads0.example"));
        CHECK(blocks(*loaded, "ads99.example"));
        // The other lists load their new versions.
        const lists::ListStatus& other = status_of(*loaded, "other");
        CHECK(other.result == ListResult::ok);
        CHECK_FALSE(other.serving_last_good);
        CHECK(other.entries == kOther + 1);
        CHECK(other.to_keep);
        CHECK(blocks(*loaded, "new-other.example"));
        CHECK(status_of(*loaded, "iwf").result == ListResult::ok);
        CHECK(loaded->refused() == 1);
        CHECK(loaded->entries() == 2 * kAds + kOther + 1);
        // The refused file's malformed lines are summed up in the reason, not listed.
        INFO(joined(loaded->warnings));
        CHECK(loaded->warnings.empty());
      }
      // The refusal keeps what was committed.
      REQUIRE(store.meta("ads"));
      CHECK(store.meta("ads")->fingerprint == fingerprint);
    }
  }
}

TEST_CASE("a legal list may shrink less than an ordinary one", "[list_loader]") {
  Scratch s;
  const std::string state = s.path("state");
  const cfg::Config config = parse(three_lists_yaml(s, state));
  lists::LastGoodStore store(state);
  start(s, config, store);

  // Both lose 15%: within max-shrink (25%), beyond max-shrink-legal (10%).
  s.write("ads.txt", domains("ads", 0, 85));
  s.write("iwf.txt", domains("iwf", 0, 85));
  auto loaded = load(config, &store, kNow + 60);
  const lists::ListStatus& ads = status_of(*loaded, "ads");
  CHECK(ads.result == ListResult::ok);
  CHECK(ads.entries == 85);
  CHECK(ads.to_keep);
  CHECK_FALSE(blocks(*loaded, "ads90.example"));
  const lists::ListStatus& iwf = status_of(*loaded, "iwf");
  CHECK(iwf.result == ListResult::refused_shrink);
  CHECK(iwf.reason == "shrank by 15.0% (100 -> 85 entries, limit 10.0%)");
  CHECK(iwf.serving_last_good);
  CHECK(iwf.entries == kAds);
  CHECK(blocks(*loaded, "iwf90.example"));

  // A loss right at the limit is taken.
  s.write("iwf.txt", domains("iwf", 0, 90));
  auto at_limit = load(config, &store, kNow + 120);
  CHECK(status_of(*at_limit, "iwf").result == ListResult::ok);
}

TEST_CASE("a list's own max-shrink and max-malformed apply to it", "[list_loader]") {
  Scratch s;
  const std::string state = s.path("state");
  std::string yaml = three_lists_yaml(s, state);
  // "ads" may lose half and hold 20% malformed lines; "iwf" nothing at all.
  yaml.replace(yaml.find("category: ads\n"), 14,
               "category: ads\n    max-shrink: 50%\n    max-malformed: 20%\n");
  yaml.replace(yaml.find("authority: Test authority\n"), 26,
               "authority: Test authority\n    max-shrink: 0%\n");
  const cfg::Config config = parse(yaml);
  lists::LastGoodStore store(state);
  start(s, config, store);

  std::string ads = domains("ads", 0, 60);
  for (int i = 0; i < 10; ++i)
    ads += "bad..name" + std::to_string(i) + ".example\n";
  s.write("ads.txt", ads);
  s.write("iwf.txt", domains("iwf", 1, kAds));
  auto loaded = load(config, &store, kNow + 60);
  CHECK(status_of(*loaded, "ads").result == ListResult::ok);
  CHECK(status_of(*loaded, "ads").entries == 60);
  CHECK_FALSE(loaded->warnings.empty());  // a taken list's malformed lines are listed
  const lists::ListStatus& iwf = status_of(*loaded, "iwf");
  CHECK(iwf.result == ListResult::refused_shrink);
  CHECK(contains(iwf.reason, "limit 0.0%"));
  CHECK(blocks(*loaded, "iwf0.example"));
}

TEST_CASE("a missing list file is refused as unreadable and its last good version serves",
          "[list_loader]") {
  Scratch s;
  const std::string state = s.path("state");
  const cfg::Config config = parse(three_lists_yaml(s, state));
  lists::LastGoodStore store(state);
  start(s, config, store);

  fs::remove(s.path("ads.txt"));
  auto loaded = load(config, &store, kNow + 60);
  const lists::ListStatus& ads = status_of(*loaded, "ads");
  CHECK(ads.result == ListResult::refused_unreadable);
  CHECK(ads.reason == "lists[0].path (line 6): cannot open '" + s.path("ads.txt") +
                          "': No such file or directory");
  CHECK(ads.in_force);
  CHECK(ads.serving_last_good);
  CHECK(ads.entries == kAds);
  CHECK(blocks(*loaded, "ads7.example"));
  CHECK(status_of(*loaded, "other").result == ListResult::ok);

  const auto now = lists::check_list_now(config, "ads", store);
  REQUIRE(now);
  CHECK(now->result == ListResult::refused_unreadable);
  CHECK(contains(now->reason, "No such file or directory"));
  CHECK_FALSE(now->acceptable);
  REQUIRE(now->last_good_entries);
  CHECK(*now->last_good_entries == kAds);
}

TEST_CASE("a list path that is a directory is unreadable, never an emptied list", "[list_loader]") {
  Scratch s;
  const std::string state = s.path("state");
  const cfg::Config config = parse(three_lists_yaml(s, state));
  lists::LastGoodStore store(state);
  start(s, config, store);

  fs::remove(s.path("ads.txt"));
  fs::create_directories(s.path("ads.txt"));
  auto loaded = load(config, &store, kNow + 60);
  const lists::ListStatus& ads = status_of(*loaded, "ads");
  CHECK(ads.result == ListResult::refused_unreadable);
  CHECK(contains(ads.reason, "is not a regular file"));
  CHECK(ads.serving_last_good);
  CHECK(blocks(*loaded, "ads7.example"));
  // It can therefore never be accepted as an emptied list.
  const auto now = lists::check_list_now(config, "ads", store);
  REQUIRE(now);
  CHECK(now->result == ListResult::refused_unreadable);
  CHECK_FALSE(now->acceptable);
}

TEST_CASE("a part whose name has a newline or backslash reads back from the state directory",
          "[list_loader]") {
  Scratch s;
  lists::LastGoodStore store(s.path("state"));
  lists::ListSource source;
  source.parts.push_back({.name = "/lists/a\nb\\c\rd.txt",
                          .format = shelter::blocklist::ListFormat::domains,
                          .category = "line\nbreak",
                          .url_prefixes = false,
                          .text = "one.example\n",
                          .modified_unix = 5});
  source.fingerprint = lists::fingerprint_of(source.parts);
  REQUIRE(store.save("odd", std::make_shared<const lists::ListSource>(source),
                     {.entries = 1,
                      .accepted_unix = 6,
                      .modified_unix = 5,
                      .fingerprint = source.fingerprint}) == "");
  std::string error;
  const auto back = store.load("odd", error);
  INFO(error);
  REQUIRE(back);
  REQUIRE(back->parts.size() == 1);
  CHECK(back->parts[0].name == source.parts[0].name);
  CHECK(back->parts[0].category == "line\nbreak");
  CHECK(back->fingerprint == source.fingerprint);
}

TEST_CASE("a broken list with no last good version is not in force", "[list_loader]") {
  Scratch s;
  // Ten good names and five malformed lines: refused, and its ten rules taken back.
  std::string broken = domains("ads", 0, 10);
  for (int i = 0; i < 5; ++i)
    broken += "bad..name" + std::to_string(i) + ".example\n";

  auto check_not_in_force = [&](const lists::LastGoodStore* store, const std::string& why) {
    const cfg::Config config = parse(three_lists_yaml(s, ""));
    write_good_versions(s);
    s.write("ads.txt", broken);
    auto loaded = load(config, store, kNow);
    const lists::ListStatus& ads = status_of(*loaded, "ads");
    INFO(ads.reason);
    CHECK(ads.result == ListResult::refused_format);
    CHECK_FALSE(ads.in_force);
    CHECK_FALSE(ads.serving_last_good);
    CHECK_FALSE(ads.to_keep);
    CHECK(ads.entries == 0);
    CHECK(contains(ads.reason, "5 malformed lines against 10 entries"));
    CHECK(contains(ads.reason, "; no last good version to fall back on (" + why));
    CHECK_FALSE(blocks(*loaded, "ads0.example"));
    CHECK_FALSE(blocks(*loaded, "ads9.example"));
    // The lists fed after it keep their rules.
    CHECK(status_of(*loaded, "other").in_force);
    CHECK(blocks(*loaded, "other3.example"));
    CHECK(status_of(*loaded, "iwf").in_force);
    CHECK(blocks(*loaded, "iwf3.example"));
    CHECK(loaded->entries() == kAds + kOther);
  };
  SECTION("an empty state directory") {
    lists::LastGoodStore store(s.path("state"));
    check_not_in_force(&store, "no last good version in " + s.path("state"));
  }
  SECTION("a store in memory") {
    lists::LastGoodStore store("");
    check_not_in_force(&store, "no last good version (kept in memory only");
  }
  SECTION("no store at all") {
    check_not_in_force(nullptr, "none kept");
  }
}

TEST_CASE("last good versions kept in memory serve while the process runs", "[list_loader]") {
  Scratch s;
  const cfg::Config config = parse(three_lists_yaml(s, ""));
  lists::LastGoodStore store("");
  CHECK_FALSE(store.persistent());
  CHECK(store.snapshot_path().empty());
  start(s, config, store);
  REQUIRE(store.meta("ads"));
  CHECK(store.meta("ads")->entries == kAds);

  s.write("ads.txt", "<html><body>Not Found</body></html>");
  auto loaded = load(config, &store, kNow + 60);
  const lists::ListStatus& ads = status_of(*loaded, "ads");
  CHECK(ads.result == ListResult::refused_format);
  CHECK(ads.serving_last_good);
  CHECK(blocks(*loaded, "ads50.example"));
  CHECK_FALSE(fs::exists(s.path("state")));

  // Another process (a restart) has nothing to fall back on.
  lists::LastGoodStore restarted("");
  auto fresh = load(config, &restarted, kNow + 60);
  CHECK_FALSE(status_of(*fresh, "ads").in_force);
  CHECK_FALSE(blocks(*fresh, "ads50.example"));
}

TEST_CASE("a last good version kept in memory is the loaded text itself, not a copy",
          "[list_loader]") {
  // A copy would hold the list's text twice at every reload (docs/BENCHMARKS.md section 18).
  lists::LastGoodStore store("");
  auto source = std::make_shared<lists::ListSource>();
  source->parts.push_back(
      {.name = "ads.txt", .text = "one.example\ntwo.example\n", .modified_unix = 5});
  source->fingerprint = lists::fingerprint_of(source->parts);
  const std::shared_ptr<const lists::ListSource> kept = source;
  REQUIRE(store.save("ads", kept, {.entries = 2, .fingerprint = kept->fingerprint}) == "");
  CHECK(kept.use_count() == 3);  // source, kept and the store's
  std::string error;
  const auto back = store.load("ads", error);
  REQUIRE(back);
  CHECK(back->parts.at(0).text == "one.example\ntwo.example\n");
}

TEST_CASE("an operator's acceptance takes that one version of a shrunk list", "[list_loader]") {
  Scratch s;
  const std::string state = s.path("state");
  const cfg::Config config = parse(three_lists_yaml(s, state));
  lists::LastGoodStore store(state);
  start(s, config, store);
  s.write("ads.txt", domains("ads", 0, 40));

  const auto now = lists::check_list_now(config, "ads", store);
  REQUIRE(now);
  CHECK(now->result == ListResult::refused_shrink);
  CHECK(now->reason == "shrank by 60.0% (100 -> 40 entries, limit 25.0%)");
  CHECK(now->acceptable);
  CHECK(now->entries == 40);
  REQUIRE(now->last_good_entries);
  CHECK(*now->last_good_entries == kAds);
  CHECK(now->fingerprint.size() == 64);

  lists::Acceptance acceptance;
  acceptance.list = "ads";
  acceptance.fingerprint = now->fingerprint;
  acceptance.entries = now->entries;
  acceptance.previous_entries = kAds;
  acceptance.by = "tester (uid 1000)";
  acceptance.at_unix = kNow + 30;
  acceptance.reason = "the publisher dropped dead domains";

  SECTION("an acceptance of another version does not apply, and says so") {
    lists::Acceptance other = acceptance;
    other.fingerprint = std::string(64, '0');
    REQUIRE(store.give_acceptance(other) == "");
    auto loaded = load(config, &store, kNow + 60);
    const lists::ListStatus& ads = status_of(*loaded, "ads");
    CHECK(ads.result == ListResult::refused_shrink);
    CHECK(ads.reason ==
          "shrank by 60.0% (100 -> 40 entries, limit 25.0%); the acceptance given by tester "
          "(uid 1000) is for another version of the file");
    CHECK(ads.serving_last_good);
    CHECK_FALSE(ads.acceptance);
    CHECK(blocks(*loaded, "ads99.example"));
    CHECK(store.acceptance("ads"));  // still waiting
  }

  SECTION("an acceptance of this version takes it") {
    REQUIRE(store.give_acceptance(acceptance) == "");
    const auto waiting = store.acceptance("ads");
    REQUIRE(waiting);
    CHECK(waiting->fingerprint == acceptance.fingerprint);
    CHECK(waiting->entries == 40);
    CHECK(waiting->previous_entries == kAds);
    CHECK(waiting->by == acceptance.by);
    CHECK(waiting->at_unix == acceptance.at_unix);
    CHECK(waiting->reason == acceptance.reason);
    CHECK_FALSE(store.acceptance("other"));

    auto loaded = load(config, &store, kNow + 60);
    const lists::ListStatus& ads = status_of(*loaded, "ads");
    CHECK(ads.result == ListResult::accepted_override);
    CHECK_FALSE(lists::is_refusal(ads.result));
    CHECK(contains(ads.reason, "shrank by 60.0%"));  // what was accepted, for the log
    CHECK(ads.in_force);
    CHECK_FALSE(ads.serving_last_good);
    CHECK(ads.entries == 40);
    CHECK(ads.accepted_unix == kNow + 60);
    REQUIRE(ads.acceptance);
    CHECK(ads.acceptance->fingerprint == now->fingerprint);
    REQUIRE(ads.to_keep);
    CHECK(ads.to_keep->fingerprint == now->fingerprint);
    CHECK(loaded->refused() == 0);
    CHECK(blocks(*loaded, "ads39.example"));
    CHECK_FALSE(blocks(*loaded, "ads40.example"));

    // Committed: the acceptance is used up and audited, the new version is the last good one.
    REQUIRE(store.use_acceptance(*ads.acceptance, kNow + 60) == "");
    commit(store, *loaded);
    CHECK_FALSE(store.acceptance("ads"));
    CHECK(s.read("state/audit.log") ==
          "2023-11-14T22:14:20Z list 'ads' version " + now->fingerprint.substr(0, 16) +
              " taken: 40 entries (was 100); accepted by tester (uid 1000) at "
              "2023-11-14T22:13:50Z; reason: the publisher dropped dead domains\n");
    REQUIRE(store.meta("ads"));
    CHECK(store.meta("ads")->entries == 40);
    auto next = load(config, &store, kNow + 120);
    CHECK(status_of(*next, "ads").result == ListResult::ok);
    CHECK_FALSE(status_of(*next, "ads").to_keep);
    // The older version's bytes are gone from the state directory.
    std::size_t data_files = 0;
    for (const auto& entry : fs::directory_iterator(s.path("state/lists"))) {
      const std::string name = entry.path().filename().string();
      if (name.starts_with("ads.") && name.ends_with(".data")) ++data_files;
    }
    CHECK(data_files == 1);
  }

  SECTION("a file that is not a list cannot be accepted") {
    s.write("ads.txt", "<html><body>oops</body></html>");
    const auto html = lists::check_list_now(config, "ads", store);
    REQUIRE(html);
    CHECK(html->result == ListResult::refused_format);
    CHECK_FALSE(html->acceptable);
    acceptance.fingerprint = html->fingerprint;
    REQUIRE(store.give_acceptance(acceptance) == "");
    auto loaded = load(config, &store, kNow + 60);
    CHECK(status_of(*loaded, "ads").result == ListResult::refused_format);
    CHECK(status_of(*loaded, "ads").serving_last_good);
  }

  SECTION("an emptied list can be accepted") {
    s.write("ads.txt", "");
    const auto empty = lists::check_list_now(config, "ads", store);
    REQUIRE(empty);
    CHECK(empty->result == ListResult::refused_empty);
    CHECK(empty->acceptable);
    acceptance.fingerprint = empty->fingerprint;
    REQUIRE(store.give_acceptance(acceptance) == "");
    auto loaded = load(config, &store, kNow + 60);
    const lists::ListStatus& ads = status_of(*loaded, "ads");
    CHECK(ads.result == ListResult::accepted_override);
    CHECK(ads.in_force);
    CHECK(ads.entries == 0);
    CHECK_FALSE(blocks(*loaded, "ads0.example"));
  }
}

TEST_CASE("an acceptance in memory holds for any version of the list", "[list_loader]") {
  Scratch s;
  const cfg::Config config = parse(three_lists_yaml(s, ""));
  lists::LastGoodStore store("");
  start(s, config, store);
  s.write("ads.txt", domains("ads", 0, 10));
  lists::Acceptance any;
  any.list = "ads";
  any.fingerprint = "*";
  any.by = "shelter-compile --accept-shrink";
  REQUIRE(store.give_acceptance(any) == "");
  auto loaded = load(config, &store, kNow + 60);
  CHECK(status_of(*loaded, "ads").result == ListResult::accepted_override);
  CHECK(status_of(*loaded, "ads").entries == 10);
  CHECK(status_of(*loaded, "other").result == ListResult::ok);
  CHECK(store.use_acceptance(any, kNow) == "");
}

TEST_CASE("a damaged last good copy is detected, not served", "[list_loader]") {
  Scratch s;
  const std::string state = s.path("state");
  const cfg::Config config = parse(three_lists_yaml(s, state));
  lists::LastGoodStore store(state);
  start(s, config, store);
  const auto meta = store.meta("ads");
  REQUIRE(meta);
  const std::string data = "state/lists/ads." + meta->fingerprint.substr(0, 16) + ".data";
  const std::string bytes = s.read(data);
  REQUIRE(bytes == domains("ads", 0, kAds));
  std::string error;
  REQUIRE(store.load("ads", error));

  struct Damage {
    const char* name;
    std::function<void()> apply;
    std::string error;  // a part of the error
  };
  std::string flipped = bytes;
  flipped[5] = 'X';
  const Damage damages[] = {
      {"a changed byte", [&] { s.write(data, flipped); }, "is damaged"},
      {"a truncated copy", [&] { s.write(data, bytes.substr(0, bytes.size() - 3)); }, "is damaged"},
      {"bytes appended", [&] { s.write(data, bytes + "more.example\n"); }, "is damaged"},
      {"a missing copy", [&] { fs::remove(s.path(data)); }, "cannot open"},
      {"a damaged description",
       [&] {
         std::string text = s.read("state/lists/ads.meta");
         text.replace(text.find("part domains"), 12, "part nonsense");
         s.write("state/lists/ads.meta", text);
       },
       "the last good copy's description " + s.path("state/lists/ads.meta") + " is damaged"},
      {"a description without its first line",
       [&] {
         std::string text = s.read("state/lists/ads.meta");
         s.write("state/lists/ads.meta", text.substr(text.find('\n') + 1));
       },
       "no last good version in " + state},
  };
  for (const Damage& d : damages) {
    DYNAMIC_SECTION(d.name) {
      d.apply();
      error.clear();
      CHECK_FALSE(store.load("ads", error));
      CHECK(contains(error, d.error));
      // A broken update then has nothing to fall back on.
      s.write("ads.txt", "");
      auto loaded = load(config, &store, kNow + 60);
      const lists::ListStatus& ads = status_of(*loaded, "ads");
      CHECK(ads.result == ListResult::refused_empty);
      CHECK_FALSE(ads.in_force);
      CHECK_FALSE(ads.serving_last_good);
      CHECK(contains(ads.reason, "no last good version to fall back on"));
      CHECK(contains(ads.reason, d.error));
      CHECK_FALSE(blocks(*loaded, "ads1.example"));
      CHECK(blocks(*loaded, "other1.example"));
    }
  }
}

TEST_CASE("limits_for and max_age_for pick a list's own value over the defaults", "[list_loader]") {
  const cfg::Config config = parse(R"(
list-updates:
  max-malformed: 4%
  max-shrink: 20%
  max-shrink-legal: 8%
  max-age: 3d
  max-age-legal: 36h
lists:
  - id: plain
    category: ads
    path: /lists/plain.txt
  - id: own
    category: ads
    path: /lists/own.txt
    max-malformed: 1%
    max-shrink: 50%
    max-age: 12h
  - id: legal
    category: csam
    legal: true
    authority: A
    path: /lists/legal.txt
  - id: legal-own
    category: csam
    legal: true
    authority: A
    path: /lists/legal-own.txt
    max-shrink: 30%
    max-age: 0s
  - id: inline
    category: ads
    entries: [a.example]
    max-age: 1h
)");
  struct Case {
    const char* id;
    double max_malformed;
    double max_shrink;
    std::chrono::milliseconds max_age;
  };
  const Case cases[] = {
      {"plain", 0.04, 0.20, 72h},    {"own", 0.01, 0.50, 12h},   {"legal", 0.04, 0.08, 36h},
      {"legal-own", 0.04, 0.30, 0h}, {"inline", 0.04, 0.20, 0h},  // inline entries never age
  };
  REQUIRE(config.lists.size() == std::size(cases));
  for (std::size_t i = 0; i < std::size(cases); ++i) {
    const Case& c = cases[i];
    INFO(c.id);
    REQUIRE(config.lists[i].id == c.id);
    const auto limits = lists::limits_for(config.lists[i], config.list_updates);
    CHECK(limits.max_malformed == Approx(c.max_malformed));
    CHECK(limits.max_shrink == Approx(c.max_shrink));
    CHECK(lists::max_age_for(config.lists[i], config.list_updates) == c.max_age);
  }

  // The defaults of list-updates itself, by class.
  const cfg::Config plain = parse(
      "lists:\n  - {id: a, category: x, path: /a}\n"
      "  - {id: b, category: x, path: /b, legal: true, authority: A}\n");
  const auto ordinary = lists::limits_for(plain.lists[0], plain.list_updates);
  CHECK(ordinary.max_malformed == Approx(0.03));
  CHECK(ordinary.max_shrink == Approx(0.25));
  CHECK(lists::max_age_for(plain.lists[0], plain.list_updates) == 0ms);
  const auto legal = lists::limits_for(plain.lists[1], plain.list_updates);
  CHECK(legal.max_malformed == Approx(0.03));
  CHECK(legal.max_shrink == Approx(0.10));
  CHECK(lists::max_age_for(plain.lists[1], plain.list_updates) == 48h);
}

TEST_CASE("check_list_now gives the verdict a load would give", "[list_loader]") {
  Scratch s;
  const std::string state = s.path("state");
  std::string yaml = three_lists_yaml(s, state);
  yaml += "  - id: inline\n    category: ads\n    entries: [inline.example]\n";
  const cfg::Config config = parse(yaml);
  lists::LastGoodStore store(state);

  SECTION("before anything is kept") {
    write_good_versions(s);
    const auto now = lists::check_list_now(config, "ads", store);
    REQUIRE(now);
    CHECK(now->result == ListResult::ok);
    CHECK(now->reason.empty());
    CHECK(now->entries == kAds);
    CHECK_FALSE(now->last_good_entries);
    CHECK_FALSE(now->acceptable);
  }
  SECTION("the same verdict as the load, for each kind of file") {
    start(s, config, store);
    const std::pair<const char*, std::string> files[] = {
        {"good", domains("ads", 0, 90)}, {"shrunk", domains("ads", 0, 50)}, {"empty", ""},
        {"html", "<html></html>"},       {"binary", random_bytes(100)},
    };
    for (const auto& [name, bytes] : files) {
      INFO(name);
      s.write("ads.txt", bytes);
      const auto now = lists::check_list_now(config, "ads", store);
      REQUIRE(now);
      auto loaded = load(config, &store, kNow + 60);
      const lists::ListStatus& ads = status_of(*loaded, "ads");
      CHECK(now->result == ads.result);
      CHECK(contains(ads.reason, now->reason));
      CHECK(now->acceptable ==
            (ads.result == ListResult::refused_shrink || ads.result == ListResult::refused_empty));
    }
  }
  SECTION("inline entries and unknown lists") {
    const auto inline_now = lists::check_list_now(config, "inline", store);
    REQUIRE(inline_now);
    CHECK(inline_now->result == ListResult::ok);
    CHECK(inline_now->entries == 1);
    CHECK_FALSE(inline_now->acceptable);
    CHECK_FALSE(lists::check_list_now(config, "nonesuch", store));
  }
}

TEST_CASE("a SquidGuard tree is checked as one list and kept part by part", "[list_loader]") {
  Scratch s;
  const std::string state = s.path("state");
  const cfg::Config config =
      parse("list-updates:\n  state-directory: " + state +
            "\nlists:\n  - id: ut1\n    format: squidguard\n    path: " + s.path("ut1") +
            "\n    categories: {adult: adult, gambling: gambling}\n");
  lists::LastGoodStore store(state);
  s.write("ut1/adult/domains", domains("adult", 0, 20));
  s.write("ut1/adult/urls", "adult-urls.example/dir\n");
  s.write("ut1/gambling/domains", domains("bet", 0, 20));
  auto first = load(config, &store, kNow);
  const lists::ListStatus& ut1 = status_of(*first, "ut1");
  REQUIRE(ut1.result == ListResult::ok);
  REQUIRE(ut1.to_keep);
  CHECK(ut1.to_keep->parts.size() == 3);
  commit(store, *first);

  std::string error;
  const auto kept = store.load("ut1", error);
  INFO(error);
  REQUIRE(kept);
  REQUIRE(kept->parts.size() == 3);
  for (std::size_t i = 0; i < kept->parts.size(); ++i) {
    CHECK(kept->parts[i].name == ut1.to_keep->parts[i].name);
    CHECK(kept->parts[i].format == ut1.to_keep->parts[i].format);
    CHECK(kept->parts[i].category == ut1.to_keep->parts[i].category);
    CHECK(kept->parts[i].url_prefixes == ut1.to_keep->parts[i].url_prefixes);
    CHECK(kept->parts[i].text == ut1.to_keep->parts[i].text);
  }
  CHECK(kept->fingerprint == ut1.to_keep->fingerprint);

  // One folder's file turns into an error page: the whole tree is refused and kept as it was.
  s.write("ut1/gambling/domains", "<!doctype html><title>403</title>");
  auto loaded = load(config, &store, kNow + 60);
  const lists::ListStatus& now = status_of(*loaded, "ut1");
  CHECK(now.result == ListResult::refused_format);
  CHECK(now.reason ==
        "not a SquidGuard list: it is an HTML page ('" + s.path("ut1/gambling/domains") + "')");
  CHECK(now.serving_last_good);
  CHECK(blocks(*loaded, "bet3.example"));
  const auto adult = loaded->snapshot->lookup("adult3.example");
  REQUIRE(adult.blocked());
  CHECK(loaded->snapshot->categories().at(adult.decided->category) == "adult");
  const auto bet = loaded->snapshot->lookup("bet3.example");
  REQUIRE(bet.blocked());
  CHECK(loaded->snapshot->categories().at(bet.decided->category) == "gambling");
  CHECK(loaded->snapshot->lookup_url("adult-urls.example", "/dir/page").blocked());
  CHECK_FALSE(loaded->snapshot->lookup_url("adult-urls.example", "/directory").blocked());
}
