// /readyz: whether the node filters as configured, from the lists in force and the upstreams.
#include "proxy/lists/readiness.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lists = shelter::proxy::lists;
using lists::ListResult;
using lists::ListStatus;
using lists::ReadyState;
using namespace std::chrono_literals;

namespace Catch {
template <>
struct StringMaker<ReadyState> {
  static std::string convert(ReadyState s) { return std::string(lists::ready_state_name(s)); }
};
}  // namespace Catch

namespace {

constexpr std::int64_t kNow = 1'700'000'000;
constexpr std::int64_t kHour = 3'600;
constexpr std::int64_t kDay = 86'400;

// A list in force, written a minute ago, that never goes stale.
ListStatus fine(std::string id, bool legal = false) {
  ListStatus l;
  l.id = std::move(id);
  l.category = legal ? "csam" : "ads";
  l.legal = legal;
  l.result = ListResult::ok;
  l.in_force = true;
  l.entries = 100;
  l.modified_unix = kNow - 60;
  l.accepted_unix = kNow - 60;
  return l;
}

ListStatus refused(ListStatus l, ListResult result, std::string reason, bool last_good) {
  l.result = result;
  l.reason = std::move(reason);
  l.serving_last_good = last_good;
  l.in_force = last_good;
  if (!last_good) l.entries = 0;
  return l;
}

ListStatus stale(ListStatus l, std::int64_t age_seconds, std::chrono::milliseconds max_age) {
  l.modified_unix = kNow - age_seconds;
  l.max_age = max_age;
  return l;
}

lists::UpstreamHealth upstreams(std::size_t up, std::size_t total) {
  lists::UpstreamHealth h;
  h.up = up;
  h.total = total;
  return h;
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// A strict little JSON reader: true when `text` is exactly one JSON value (RFC 8259, no
// raw control characters in strings). Enough to tell a well-formed body from a broken one.
class JsonCheck {
 public:
  explicit JsonCheck(std::string_view text) : text_(text) {}
  bool whole() {
    space();
    if (!value()) return false;
    space();
    return at_ == text_.size();
  }

 private:
  bool value() {
    if (++depth_ > 64 || at_ >= text_.size()) return false;
    bool ok = false;
    const char c = text_[at_];
    if (c == '{') {
      ok = sequence('}', true);
    } else if (c == '[') {
      ok = sequence(']', false);
    } else if (c == '"') {
      ok = string();
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      ok = number();
    } else {
      ok = word("true") || word("false") || word("null");
    }
    --depth_;
    return ok;
  }
  bool sequence(char close, bool object) {
    ++at_;
    space();
    if (peek(close)) return skip();
    while (true) {
      space();
      if (object) {
        if (!string()) return false;
        space();
        if (!peek(':')) return false;
        ++at_;
        space();
      }
      if (!value()) return false;
      space();
      if (peek(close)) return skip();
      if (!peek(',')) return false;
      ++at_;
    }
  }
  bool string() {
    if (!peek('"')) return false;
    for (++at_; at_ < text_.size(); ++at_) {
      const auto c = static_cast<unsigned char>(text_[at_]);
      if (c == '"') return skip();
      if (c < 0x20) return false;
      if (c != '\\') continue;
      if (++at_ >= text_.size()) return false;
      const char e = text_[at_];
      if (e == 'u') {
        for (int i = 0; i < 4; ++i) {
          if (++at_ >= text_.size() || !std::isxdigit(static_cast<unsigned char>(text_[at_])))
            return false;
        }
      } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
        return false;
      }
    }
    return false;
  }
  bool number() {
    const std::size_t start = at_;
    if (peek('-')) ++at_;
    while (at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9')
      ++at_;
    return at_ > start && text_[at_ - 1] != '-';
  }
  bool word(std::string_view w) {
    if (text_.substr(at_, w.size()) != w) return false;
    at_ += w.size();
    return true;
  }
  bool skip() {
    ++at_;
    return true;
  }
  bool peek(char c) const { return at_ < text_.size() && text_[at_] == c; }
  void space() {
    while (at_ < text_.size() &&
           std::string_view(" \t\r\n").find(text_[at_]) != std::string_view::npos)
      ++at_;
  }

  std::string_view text_;
  std::size_t at_ = 0;
  int depth_ = 0;
};

bool well_formed(std::string_view body) {
  return body.ends_with("}\n") && JsonCheck(body).whole();
}

}  // namespace

TEST_CASE("the JSON checker of these tests tells good JSON from bad", "[readiness]") {
  for (const char* good :
       {"{}", "[]", R"({"a":[1,-2,true,false,null,"x\u0001\""]})", R"( {"a" : {"b" : []}} )"}) {
    INFO(good);
    CHECK(JsonCheck(good).whole());
  }
  for (const char* bad : {"", "{", R"({"a":1,})", "[1 2]", R"({"a"})", "\"\x01\"", R"("\x")",
                          "{}{}", R"(["a])", "-", R"({"a":tru})"}) {
    INFO(bad);
    CHECK_FALSE(JsonCheck(bad).whole());
  }
}

TEST_CASE("readiness from the lists in force and the upstreams", "[readiness]") {
  struct Case {
    const char* name;
    std::vector<ListStatus> lists;
    lists::UpstreamHealth upstreams;
    ReadyState state;
    std::vector<std::string> problems;
  };
  const Case cases[] = {
      {"all fine", {fine("ads"), fine("iwf", true)}, upstreams(2, 2), ReadyState::ready, {}},
      {"no lists, no upstreams", {}, upstreams(0, 0), ReadyState::ready, {}},
      {"an ordinary list refused, serving its last good version",
       {refused(fine("ads"), ListResult::refused_shrink, "shrank by 60.0%", true),
        fine("iwf", true)},
       upstreams(2, 2),
       ReadyState::degraded,
       {"list 'ads': new version refused (refused-shrink: shrank by 60.0%); its last good "
        "version is in force"}},
      {"a legal list refused, serving its last good version",
       {fine("ads"),
        refused(fine("iwf", true), ListResult::refused_format, "it is an HTML page", true)},
       upstreams(2, 2),
       ReadyState::degraded,
       {"legal list 'iwf': new version refused (refused-format: it is an HTML page); its last "
        "good version is in force"}},
      {"an ordinary list not in force",
       {refused(fine("ads"), ListResult::refused_empty, "the file is empty", false)},
       upstreams(1, 1),
       ReadyState::degraded,
       {"list 'ads' has no good version in force (refused-empty: the file is empty)"}},
      {"a legal list not in force",
       {fine("ads"),
        refused(fine("iwf", true), ListResult::refused_unreadable, "cannot open", false)},
       upstreams(2, 2),
       ReadyState::unready,
       {"legal list 'iwf' has no good version in force (refused-unreadable: cannot open)"}},
      {"a legal list stale",
       {fine("ads"), stale(fine("iwf", true), 3 * kDay, 1h)},
       upstreams(2, 2),
       ReadyState::unready,
       {"legal list 'iwf' is stale: last updated 3 days ago, max-age 60 minutes"}},
      {"an ordinary list stale",
       {stale(fine("ads"), 5 * kHour, 2h), fine("iwf", true)},
       upstreams(2, 2),
       ReadyState::degraded,
       {"list 'ads' is stale: last updated 5 hours ago, max-age 2 hours"}},
      {"no upstream answering",
       {fine("ads"), fine("iwf", true)},
       upstreams(0, 2),
       ReadyState::degraded,
       {"no upstream resolver is answering"}},
      {"some upstreams down",
       {fine("ads")},
       upstreams(1, 3),
       ReadyState::degraded,
       {"2 of 3 upstream resolvers are down"}},
      {"everything at once, worst first",
       {refused(fine("ads"), ListResult::refused_shrink, "r1", true),
        stale(fine("iwf", true), 3 * kDay, 48h),
        refused(fine("iwf2", true), ListResult::refused_format, "r2", false)},
       upstreams(0, 1),
       ReadyState::unready,
       {"legal list 'iwf' is stale: last updated 3 days ago, max-age 2 days",
        "legal list 'iwf2' has no good version in force (refused-format: r2)",
        "list 'ads': new version refused (refused-shrink: r1); its last good version is in force",
        "no upstream resolver is answering"}},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.name) {
      const lists::Readiness r = lists::assess_readiness(c.lists, kNow, c.upstreams);
      INFO(r.json);
      CHECK(r.state == c.state);
      CHECK(r.ready() == (c.state != ReadyState::unready));
      CHECK(r.problems == c.problems);
      CHECK(well_formed(r.json));
      CHECK(r.json.starts_with("{\"status\":\"" + std::string(lists::ready_state_name(c.state)) +
                               "\",\"ready\":" + (r.ready() ? "true" : "false") +
                               ",\"problems\":["));
      CHECK(r.json.ends_with(",\"upstreams\":{\"up\":" + std::to_string(c.upstreams.up) +
                             ",\"total\":" + std::to_string(c.upstreams.total) + "}}\n"));
      for (const ListStatus& l : c.lists)
        CHECK(contains(r.json, "{\"id\":\"" + l.id + "\",\"legal\":"));
    }
  }
}

TEST_CASE("the /readyz body when all is fine", "[readiness]") {
  const lists::Readiness r = lists::assess_readiness({fine("ads")}, kNow, upstreams(2, 2));
  CHECK(r.json ==
        "{\"status\":\"ready\",\"ready\":true,\"problems\":[],\"lists\":[{\"id\":\"ads\","
        "\"legal\":false,\"in_force\":true,\"serving_last_good\":false,\"entries\":100,"
        "\"last_result\":\"ok\",\"reason\":\"\",\"last_good_unix\":1699999940,"
        "\"age_seconds\":60,\"max_age_seconds\":0,\"stale\":false}],\"upstreams\":{\"up\":2,"
        "\"total\":2}}\n");
}

TEST_CASE("the /readyz body escapes what a reason quotes", "[readiness]") {
  const std::string reason = "a \"quoted\" C:\\path\nnew line\ttab\x01\x1f\x7f end";
  ListStatus l = refused(fine("ads"), ListResult::refused_format, reason, true);
  const lists::Readiness r = lists::assess_readiness({l}, kNow, upstreams(1, 1));
  INFO(r.json);
  CHECK(well_formed(r.json));
  const std::string escaped =
      R"(a \"quoted\" C:\\path\u000anew line\u0009tab\u0001\u001f\u007f end)";
  CHECK(contains(r.json, "\"reason\":\"" + escaped + "\""));
  CHECK(contains(r.json, "\"problems\":[\"list 'ads': new version refused (refused-format: " +
                             escaped + "); its last good version is in force\"]"));
  // Nothing of the reason is left raw: one line, no control bytes but the final newline.
  const std::string_view body = std::string_view(r.json).substr(0, r.json.size() - 1);
  CHECK(std::none_of(body.begin(), body.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }));
  // UTF-8 text is passed through as it is.
  l.reason =
      "b\xc3\xbc"
      "cher";
  const lists::Readiness utf8 = lists::assess_readiness({l}, kNow, upstreams(1, 1));
  CHECK(contains(utf8.json,
                 "\"reason\":\"b\xc3\xbc"
                 "cher\""));
  CHECK(well_formed(utf8.json));
}

TEST_CASE("the /readyz body describes every list", "[readiness]") {
  ListStatus ads = refused(fine("ads"), ListResult::refused_shrink, "r", true);
  ads.accepted_unix = kNow - 2 * kDay;
  ads.modified_unix = kNow - 3 * kDay;
  ads.max_age = 24h;
  ads.entries = 42;
  const lists::Readiness r = lists::assess_readiness({ads}, kNow, upstreams(0, 0));
  CHECK(well_formed(r.json));
  CHECK(contains(r.json,
                 "{\"id\":\"ads\",\"legal\":false,\"in_force\":true,\"serving_last_good\":true,"
                 "\"entries\":42,\"last_result\":\"refused-shrink\",\"reason\":\"r\","
                 "\"last_good_unix\":" +
                     std::to_string(kNow - 2 * kDay) +
                     ",\"age_seconds\":259200,\"max_age_seconds\":86400,\"stale\":true}"));
  CHECK(r.state == ReadyState::degraded);
  REQUIRE(r.problems.size() == 2);
  CHECK(r.problems[0] == "list 'ads' is stale: last updated 3 days ago, max-age 24 hours");
}

TEST_CASE("is_stale and age_seconds at their edges", "[readiness]") {
  SECTION("max-age 0 never goes stale") {
    const ListStatus l = stale(fine("ads"), 365 * kDay, 0ms);
    CHECK(lists::age_seconds(l, kNow) == 365 * kDay);
    CHECK_FALSE(lists::is_stale(l, kNow));
  }
  SECTION("a list not in force is missing, not stale") {
    ListStatus l = stale(fine("iwf", true), 10 * kDay, 1h);
    l.in_force = false;
    CHECK_FALSE(lists::is_stale(l, kNow));
    const lists::Readiness r = lists::assess_readiness({l}, kNow, upstreams(0, 0));
    REQUIRE(r.problems.size() == 1);
    CHECK(contains(r.problems[0], "has no good version in force"));
  }
  SECTION("stale only past max-age, not at it") {
    const ListStatus at = stale(fine("ads"), 3600, 1h);
    CHECK(lists::age_seconds(at, kNow) == 3600);
    CHECK_FALSE(lists::is_stale(at, kNow));
    CHECK(lists::is_stale(at, kNow + 1));
  }
  SECTION("a max-age under a second") {
    const ListStatus l = stale(fine("ads"), 0, 500ms);
    CHECK_FALSE(lists::is_stale(l, kNow));
    CHECK(lists::is_stale(l, kNow + 1));
  }
  SECTION("the age runs from the files' mtime, else from when the version was accepted") {
    ListStatus l = fine("ads");
    l.modified_unix = kNow - 100;
    l.accepted_unix = kNow - 10;
    CHECK(lists::age_seconds(l, kNow) == 100);
    l.modified_unix = 0;  // inline entries
    CHECK(lists::age_seconds(l, kNow) == 10);
    l.accepted_unix = 0;
    CHECK(lists::age_seconds(l, kNow) == kNow);
  }
  SECTION("a file from the future has age 0") {
    ListStatus l = fine("ads");
    l.modified_unix = kNow + 3600;
    l.max_age = 1s;
    CHECK(lists::age_seconds(l, kNow) == 0);
    CHECK_FALSE(lists::is_stale(l, kNow));
  }
}

TEST_CASE("ready_state_name names each state", "[readiness]") {
  CHECK(lists::ready_state_name(ReadyState::ready) == "ready");
  CHECK(lists::ready_state_name(ReadyState::degraded) == "degraded");
  CHECK(lists::ready_state_name(ReadyState::unready) == "unready");
}

TEST_CASE("a draining node is not ready, whatever its lists, and says why first", "[readiness]") {
  struct Case {
    std::string name;
    std::vector<ListStatus> lists;
    std::size_t problems;  // the drain's line and what else is amiss
  };
  const std::vector<Case> cases = {
      {"all fine", {fine("ads"), fine("csam", true)}, 1},
      {"degraded too", {refused(fine("ads"), ListResult::refused_shrink, "r", true)}, 2},
      {"unready too", {refused(fine("csam", true), ListResult::refused_format, "r", false)}, 2},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      const lists::Readiness r = lists::assess_readiness(c.lists, kNow, upstreams(1, 1), true);
      CHECK(r.state == ReadyState::draining);
      CHECK_FALSE(r.ready());
      REQUIRE(r.problems.size() == c.problems);
      CHECK(r.problems[0].starts_with("draining: taken out of service by the operator"));
      CHECK(r.json.starts_with("{\"status\":\"draining\",\"ready\":false,\"problems\":"));
      CHECK(well_formed(r.json));
      // The drain ended: the same lists give their own answer again.
      CHECK(lists::assess_readiness(c.lists, kNow, upstreams(1, 1), false).state !=
            ReadyState::draining);
    }
  }
}
