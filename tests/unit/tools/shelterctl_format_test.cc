// shelterctl's output: terminal sanitizing of server text, ages and times, tables, details and
// summaries.
#include "tools/shelterctl_format.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>
#include <string>
#include <string_view>

namespace ctl = shelter::tools::ctl;
namespace json = boost::json;

namespace {

constexpr std::int64_t kNow = 1765000000;  // 2025-12-06T05:46:40Z

json::value parse(std::string_view text) {
  json::error_code ec;
  json::value value = json::parse(text, ec);
  INFO(text);
  REQUIRE_FALSE(ec);
  return value;
}

}  // namespace

TEST_CASE("terminal_safe drops what would steer the terminal") {
  struct Case {
    std::string_view in;
    std::string_view out;
  };
  const Case cases[] = {
      {"plain text", "plain text"},
      {"", ""},
      {"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80",
       "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"},
      // CSI sequences: colour, clear screen, set the window title (OSC), hyperlink.
      {"\x1b[31mred\x1b[0m", "[31mred[0m"},
      {"\x1b[2J\x1b[H", "[2J[H"},
      {"\x1b]0;pwned\x07title", "]0;pwnedtitle"},
      {"a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "a]8;;http://x\\link]8;;\\"},
      // Lines, tabs and carriage returns become spaces: one line stays one line.
      {"line one\nline two\r\n\tend", "line one line two   end"},
      {"fake\rOK", "fake OK"},
      {"bell\x07 back\x08space nul", "bell backspace nul"},
      {"del\x7f", "del"},
      // C1 controls in UTF-8 (U+009B is CSI in 8-bit terminals), and a raw 0x9b byte.
      {"a\xc2\x9b"
       "31mb",
       "a31mb"},
      {"a\x9b"
       "31m",
       "a\xef\xbf\xbd"
       "31m"},
      // Bidirectional overrides and isolates (the "Trojan Source" reordering).
      {"abc\xe2\x80\xae"
       "fed",
       "abcfed"},
      {"\xe2\x81\xa6x\xe2\x81\xa9", "x"},
      {"\xe2\x80\x8f\xd8\x9c", ""},
      // Not UTF-8: overlong, surrogate, past U+10FFFF, truncated.
      {"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},
      {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
      {"\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
      {"ab\xe6\x97", "ab\xef\xbf\xbd\xef\xbf\xbd"},
  };
  for (const Case& c : cases) {
    INFO(c.in);
    CHECK(ctl::terminal_safe(c.in) == c.out);
  }
  CHECK(ctl::terminal_safe(std::string_view("a\0b", 3)) == "ab");
}

TEST_CASE("json_for_terminal escapes C1 and bidi controls and keeps the value") {
  const std::string in =
      "{\"why\":\"x\xc2\x9b"
      "2Jy\xe2\x80\xae"
      "z\",\n \"n\": 1}";
  const std::string out = ctl::json_for_terminal(in);
  CHECK(out == "{\"why\":\"x\\u009b2Jy\\u202ez\",\n \"n\": 1}");
  CHECK(parse(in) == parse(out));
  CHECK(ctl::json_for_terminal(R"({"a":"\u001b[31m"})") == R"({"a":"\u001b[31m"})");
}

TEST_CASE("format_age and iso8601_utc") {
  struct Case {
    std::int64_t seconds;
    std::string_view age;
  };
  const Case cases[] = {{-5, "0s"},
                        {0, "0s"},
                        {59, "59s"},
                        {60, "1m"},
                        {3599, "59m"},
                        {3600, "1h"},
                        {3 * 3600 + 59, "3h"},
                        {47 * 3600, "47h"},
                        {48 * 3600, "2d"},
                        {400 * 86400, "400d"}};
  for (const Case& c : cases)
    CHECK(ctl::format_age(c.seconds) == c.age);
  CHECK(ctl::iso8601_utc(0) == "1970-01-01T00:00:00Z");
  CHECK(ctl::iso8601_utc(kNow) == "2025-12-06T05:46:40Z");
}

TEST_CASE("format_table pads columns by code points and trims line ends") {
  CHECK(ctl::format_table(
            {{"ID", "SITE", "X"}, {"A1", "caf\xc3\xa9.example", ""}, {"B22", "b", "y"}}) ==
        "ID   SITE          X\n"
        "A1   caf\xc3\xa9.example\n"
        "B22  b             y\n");
}

TEST_CASE("appeals_table: newest first, legal sites hidden, hostile text cleaned") {
  const json::value answer = parse(R"({"appeals":[
    {"id":"OLD00001","created":1764900000,"route":"venue","status":"open","site":"old.example",
     "reporter":"parent","list":"gambling","category":"gambling","legal":false},
    {"id":"LEGAL001","created":1764996400,"route":"authority","status":"referred",
     "site":"secret.example","reporter":"webmaster","list":"iwf","category":"abuse","legal":true},
    {"id":"A7K3Q9M2","created":1764999970,"route":"operator","status":"open",
     "site":"ex\u001b[2Jample.com","reporter":"child","list":"adult","category":"adult",
     "legal":false,"why":"x"}
  ]})");
  CHECK(ctl::appeals_table(answer.at("appeals").as_array(), kNow) ==
        "ID        AGE  ROUTE      STATUS    REPORTER   SITE            LIST\n"
        "A7K3Q9M2  30s  operator   open      child      ex[2Jample.com  adult/adult\n"
        "LEGAL001  1h   authority  referred  webmaster  (legal list)    iwf/abuse\n"
        "OLD00001  27h  venue      open      parent     old.example     gambling/gambling\n");
}

TEST_CASE("appeals_table shows missing or odd fields as ?") {
  const json::value answer = parse(R"({"appeals":[{"id":7}, 3]})");
  CHECK(ctl::appeals_table(answer.at("appeals").as_array(), kNow) ==
        "ID  AGE  ROUTE  STATUS  REPORTER  SITE  LIST\n"
        "?   ?    ?      ?       ?         ?     ?/?\n"
        "?   ?    ?      ?       ?         ?     ?/?\n");
}

TEST_CASE("requests_table: until as none, a time or always") {
  const json::value answer = parse(R"({"requests":[
    {"id":"R1","household":"smith","device":"tablet","site":"games.example","created":1764999000,
     "status":"waiting","answer":"","until":0,"answered":0},
    {"id":"R2","household":"smith","device":"laptop","site":"video.example","created":1764999900,
     "status":"allowed","answer":"1h","until":1765003500,"answered":1764999950},
    {"id":"R3","household":"jones","device":"phone","site":"maps.example","created":1764990000,
     "status":"allowed","answer":"always","until":9223372036854775807,"answered":1764991000}
  ]})");
  CHECK(ctl::requests_table(answer.at("requests").as_array(), kNow) ==
        "ID  AGE  HOUSEHOLD  DEVICE  STATUS   SITE           UNTIL\n"
        "R2  1m   smith      laptop  allowed  video.example  2025-12-06T06:45:00Z\n"
        "R1  16m  smith      tablet  waiting  games.example  -\n"
        "R3  2h   jones      phone   allowed  maps.example   always\n");
}

TEST_CASE("details: every field, one a line, known ones first") {
  const json::value appeal = parse(R"({"why":"it is a\nschool site\u001b[8m","id":"A7K3Q9M2",
    "created":1764989200,"route":"operator","status":"referred","site":"example.com",
    "reporter":"child","list":"adult","category":"adult","legal":false,"decided":1764999000,
    "decision_reason":"","decided_by":"ann","contact":"a@example.org",
    "url":"http://example.com/x","referral":{"delivered":true,"at":1764999100,"detail":"ok"},
    "extra":[1,2],"note":null})");
  CHECK(ctl::details(appeal.as_object(), kNow) ==
        "id                  A7K3Q9M2\n"
        "status              referred\n"
        "route               operator\n"
        "created             2025-12-06T02:46:40Z (3h ago)\n"
        "site                example.com\n"
        "url                 http://example.com/x\n"
        "list                adult\n"
        "category            adult\n"
        "legal               no\n"
        "reporter            child\n"
        "contact             a@example.org\n"
        "why                 it is a school site[8m\n"
        "decided             2025-12-06T05:30:00Z (16m ago)\n"
        "decided_by          ann\n"
        "decision_reason     -\n"
        "referral.delivered  yes\n"
        "referral.at         2025-12-06T05:31:40Z (15m ago)\n"
        "referral.detail     ok\n"
        "extra               [1,2]\n"
        "note                -\n");
}

TEST_CASE("decision_summary says the new status, and what overturn means") {
  struct Case {
    std::string_view appeal;
    std::string_view summary;
  };
  const Case cases[] = {
      {R"({"id":"A1","status":"overturned"})",
       "appeal A1 is now overturned: the site is allowed on every node within seconds\n"},
      {R"({"id":"A1","status":"upheld"})", "appeal A1 is now upheld: the site stays blocked\n"},
      {R"({"id":"A1","status":"referred","referral":{"delivered":true,"at":1764999000,"detail":"to the IWF"}})",
       "appeal A1 is now referred\nreferral delivered 2025-12-06T05:30:00Z (16m ago): to the "
       "IWF\n"},
      {R"({"id":"A1","status":"referred","referral":{"delivered":false,"at":0,"detail":""}})",
       "appeal A1 is now referred\nreferral not delivered yet\n"},
      {R"({"id":"A1","status":"open\u001b[1A"})", "appeal A1 is now open[1A\n"},
  };
  for (const Case& c : cases)
    CHECK(ctl::decision_summary(parse(c.appeal).as_object(), kNow) == c.summary);
}

TEST_CASE("answer_summary says the new status and until when") {
  struct Case {
    std::string_view request;
    std::string_view summary;
  };
  const Case cases[] = {
      {R"({"id":"R1","site":"g.example","household":"smith","device":"tablet","status":"allowed","until":1765000900})",
       "request R1 (g.example for smith/tablet) is now allowed until 2025-12-06T06:01:40Z (in "
       "15m)\n"},
      {R"({"id":"R1","site":"g.example","household":"smith","device":"tablet","status":"allowed","until":9223372036854775807})",
       "request R1 (g.example for smith/tablet) is now allowed always\n"},
      {R"({"id":"R1","site":"g.example","household":"smith","device":"tablet","status":"kept-blocked","until":0})",
       "request R1 (g.example for smith/tablet) is now kept-blocked\n"},
  };
  for (const Case& c : cases)
    CHECK(ctl::answer_summary(parse(c.request).as_object(), kNow) == c.summary);
}

TEST_CASE("server_error_text: the server's text, the status and a hint") {
  CHECK(ctl::server_error_text(404, "Not Found", R"({"error":"no appeal A1"})") ==
        "the server answered 404 Not Found: no appeal A1");
  CHECK(ctl::server_error_text(409, "Conflict", R"({"error":"already decided\u001b[2J"})") ==
        "the server answered 409 Conflict: already decided[2J");
  CHECK(ctl::server_error_text(401, "Unauthorized", R"({"error":"bad token"})") ==
        "the server answered 401 Unauthorized: bad token\n"
        "(check the token: SHELTER_ADMIN_TOKEN or --token-file, against shelterd's)");
  CHECK(ctl::server_error_text(502, "", "<html>\x1b[31mbad gateway</html>") ==
        "the server answered 502: <html>[31mbad gateway</html>");
  CHECK(ctl::server_error_text(500, "Internal", "") ==
        "the server answered 500 Internal: (no text)");
  CHECK(ctl::server_error_text(500, "", std::string(300, 'x')) ==
        "the server answered 500: " + std::string(200, 'x') + "...");
}

TEST_CASE("server_error_text: every reason on a line of its own") {
  CHECK(
      ctl::server_error_text(
          400, "Bad Request",
          R"({"error":"the household does not read","reasons":["households.x.profile: 'nine' is not a preset or profile","households.x.time-zone: \u001b[2J'Mars/Olympus'"]})") ==
      "the server answered 400 Bad Request: the household does not read\n"
      "  households.x.profile: 'nine' is not a preset or profile\n"
      "  households.x.time-zone: [2J'Mars/Olympus'");
  CHECK(ctl::server_error_text(409, "Conflict",
                               R"({"error":"127.0.0.11/32 is already bound to household 'walker'",
                                   "reasons":[]})") ==
        "the server answered 409 Conflict: 127.0.0.11/32 is already bound to household 'walker'");
  CHECK(ctl::server_error_text(503, "", R"({"error":"store down","reasons":["a",7]})") ==
        "the server answered 503: store down\n  a\n  7\n"
        "(shelterd cannot do that just now; try again shortly)");
}

TEST_CASE("households_table: id, profile, devices and every binding counted") {
  const json::value answer = parse(R"({"households":[
    {"id":"jones","profile":"15-17","addresses":["127.0.0.3/32"]},
    {"id":"smith","profile":"9-12","addresses":["127.0.0.2/32","2001:db8::/48"],
     "macs":["02:00:5e:00:00:09"],"cpe-ids":["cpe-1"],
     "devices":{"tablet":{"profile":"under-9","macs":["02:00:5e:10:00:01"]},
                "laptop":{"addresses":["127.0.0.9/32","127.0.0.10/32"]},"tv":{}}},
    {"id":"x\u001b[2Jy"},
    7
  ],"next":null})");
  CHECK(ctl::households_table(answer.at("households").as_array()) ==
        "ID     PROFILE    DEVICES  BINDINGS\n"
        "jones  15-17      0        1\n"
        "smith  9-12       3        7\n"
        "x[2Jy  (default)  0        0\n"
        "?      (default)  0        0\n");
  CHECK(ctl::next_page_hint("page-2", 0) == "more: shelterctl household list --after page-2\n");
  CHECK(ctl::next_page_hint("page-2", 3) ==
        "more: shelterctl household list --after page-2 --limit 3\n");
  CHECK(ctl::next_page_hint("a\x1b[2Jb", 0) == "more: shelterctl household list --after a[2Jb\n");
}

TEST_CASE("household_summary: one field a line, each device on one") {
  const json::value household = parse(R"({"id":"smith","profile":"9-12",
    "time-zone":"Europe/London","paused-until":1765003600,
    "addresses":["127.0.0.2/32","2001:db8:7::/48"],"cpe-ids":["cpe-77"],
    "profiles":{"evenings":{"base":"9-12","block":["games"]},"plain":{}},
    "devices":{"tablet":{"profile":"under-9","macs":["02:00:5e:10:00:01","02:00:5e:10:00:02"]},
               "laptop":{"addresses":["127.0.0.9/32"],"paused-until":1764996400},
               "tv\u001b]0;x\u0007":{}},
    "colour":"red"})");
  CHECK(ctl::household_summary(household.as_object(), kNow) ==
        "household     smith\n"
        "profile       9-12\n"
        "time zone     Europe/London\n"
        "paused until  2025-12-06T06:46:40Z (in 1h)\n"
        "addresses     127.0.0.2/32, 2001:db8:7::/48\n"
        "macs          -\n"
        "cpe ids       cpe-77\n"
        "devices       tablet: profile under-9; macs 02:00:5e:10:00:01, 02:00:5e:10:00:02\n"
        "              laptop: profile (household's); addresses 127.0.0.9/32; paused until "
        "2025-12-06T04:46:40Z (1h ago)\n"
        "              tv]0;x: profile (household's)\n"
        "profiles      evenings (base 9-12)\n"
        "              plain\n"
        "colour        red\n");
  CHECK(ctl::household_summary(parse(R"({"id":"a1"})").as_object(), kNow) ==
        "household     a1\n"
        "profile       (default)\n"
        "time zone     (default)\n"
        "paused until  -\n"
        "addresses     -\n"
        "macs          -\n"
        "cpe ids       -\n"
        "devices       -\n"
        "profiles      -\n");
}

TEST_CASE("edit_summary says what the household or device is now") {
  struct Case {
    std::string_view answer;
    std::string_view household;
    std::string_view device;
    std::string_view summary;
  };
  const Case cases[] = {
      {R"({"household":{"id":"walker","profile":"13-14","addresses":["127.0.0.11/32"]},
           "changed":true,"version":3})",
       "walker", "", "household walker: profile 13-14, 0 devices, 1 binding\n"},
      {R"({"household":{"id":"walker","devices":{"a":{"macs":["m1","m2"]},"b":{}}},
           "changed":true,"version":3})",
       "walker", "", "household walker: profile (default), 2 devices, 2 bindings\n"},
      {R"({"household":null,"changed":true,"version":4})", "walker", "",
       "household walker removed\n"},
      {R"({"household":{"id":"walker","devices":{"phone":{"profile":"under-9",
           "macs":["02:00:00:00:00:42"]}}},"changed":true,"version":5})",
       "walker", "phone", "device phone of walker: profile under-9; macs 02:00:00:00:00:42\n"},
      {R"({"household":{"id":"walker"},"changed":true,"version":6})", "walker", "phone",
       "device phone removed from walker\n"},
      {R"({"household":{"id":"walker","devices":{"phone":{}}},"changed":false,"version":6})",
       "walker", "phone", "device phone of walker: profile (household's) (nothing changed)\n"},
  };
  for (const Case& c : cases) {
    INFO(c.answer);
    CHECK(ctl::edit_summary(parse(c.answer).as_object(), c.household, c.device, kNow) == c.summary);
  }
}

TEST_CASE("audit_table: when in UTC, who, action, target, detail, in the server's order") {
  const json::value answer = parse(R"({"entries":[
    {"at":1764999000,"who":"operator","action":"household.patch","target":"smith",
     "detail":"devices.tablet.profile"},
    {"at":1764990000,"who":"operator","action":"household.delete","target":"page-0"},
    {"who":"x\u001b[1Ay","action":"device.put","target":"smith/tablet","detail":7}
  ]})");
  CHECK(ctl::audit_table(answer.at("entries").as_array()) ==
        "WHEN                  WHO       ACTION            TARGET        DETAIL\n"
        "2025-12-06T05:30:00Z  operator  household.patch   smith         devices.tablet.profile\n"
        "2025-12-06T03:00:00Z  operator  household.delete  page-0\n"
        "?                     x[1Ay     device.put        smith/tablet  ?\n");
}

TEST_CASE("access_code_text: the code, until when and how a parent uses it") {
  const json::value answer =
      parse(R"({"household":"smith","code":"ABCD-EFGH-JKMN-PQRS","expires":1764990000})");
  const std::string text = ctl::access_code_text(answer.as_object(), 1764990000 - 2 * 86400);
  CHECK(text.starts_with("first-access code for smith: ABCD-EFGH-JKMN-PQRS\n"));
  CHECK(text.find("valid until 2025-12-06T03:00:00Z") != std::string::npos);
  CHECK(text.find("/first-access") != std::string::npos);
}

TEST_CASE("lists_table: the node's state, then one row per list") {
  const json::value status = parse(R"({"status":"degraded","lists":[
    {"id":"iwf","legal":true,"entries":1200,"last_result":"ok","reason":"","age_seconds":3600,
     "stale":false},
    {"id":"parental","legal":false,"entries":10,"last_result":"refused",
     "reason":"shrank by 90%","age_seconds":90000,"stale":true}]})");
  const std::string text = ctl::lists_table(status.as_object());
  CHECK(text.starts_with("status degraded\nLIST"));
  CHECK(text.find("iwf       yes    1200") != std::string::npos);
  CHECK(text.find("shrank by 90%") != std::string::npos);
}

TEST_CASE("explain_text: who the client is, then the verdict and what decided") {
  CHECK(ctl::explain_text(parse(R"({"client":"203.0.113.7","household":"smith","device":"tablet",
      "profile":"under-9","site":"social.test","verdict":"block","reason":"list",
      "list":"parental","legal":false,"category":"social-media","rule":"social.test"})")
                              .as_object()) ==
        "client 203.0.113.7: household smith, device tablet, profile under-9\n"
        "social.test: block (list: list parental, category social-media, rule social.test)\n");
  CHECK(ctl::explain_text(parse(R"({"client":"192.0.2.9","household":null,"device":null,
      "profile":"adult","site":"a.test","verdict":"allow","reason":"nothing applies"})")
                              .as_object()) ==
        "client 192.0.2.9: no household (the default profile), profile adult\n"
        "a.test: allow (nothing applies)\n");
}

TEST_CASE("profiles_table: name, kind, base, categories, what uses it") {
  const json::value answer = parse(R"({"profiles":[
    {"name":"13-14","kind":"preset","block":["adult","gambling"],"audience":"child"},
    {"name":"all-lists","kind":"built-in","about":"every category"},
    {"name":"homework","kind":"household","household":"smith","base":"9-12",
     "block":["games"],"unblock":["social-media","chat"],"used_by":["device desk"]},
    {"name":"x\u001b[2Jy","kind":"operator"},
    7
  ],"next":"x"})");
  CHECK(ctl::profiles_table(answer.at("profiles").as_array()) ==
        "NAME       KIND       BASE  CATEGORIES  USED BY\n"
        "13-14      preset     -     +2          -\n"
        "all-lists  built-in   -     -           -\n"
        "homework   household  9-12  +1 -2       device desk\n"
        "x[2Jy      operator   -     -           -\n"
        "?          ?          -     -           -\n");
  CHECK(ctl::next_page_hint("15-17", 3, "profile list") ==
        "more: shelterctl profile list --after 15-17 --limit 3\n");
}

TEST_CASE("profile_summary: the profile's fields, one a line") {
  const json::value profile = parse(R"({"name":"homework","kind":"household",
    "base":"9-12","unblock":["games"],"deny":["example.com","x\u001b[2J.test"],
    "safe-search":{"google":true,"youtube":"strict"},"household":"smith",
    "used_by":["device desk","household smith"]})");
  CHECK(ctl::profile_summary(profile.as_object()) ==
        "profile      homework\n"
        "kind         household\n"
        "household    smith\n"
        "base         9-12\n"
        "unblock      games\n"
        "deny         example.com, x[2J.test\n"
        "safe-search  {\"google\":true,\"youtube\":\"strict\"}\n"
        "used by      device desk, household smith\n");
}

TEST_CASE("report_text: the period, a table of sources, the case figures") {
  const json::value report = parse(R"({"period":{"from":"2026-11-08","to":"2026-12-07","days":30},
    "generated":1,"complete":false,"completeness":{"blocks":true,"appeals":true,"requests":false},
    "blocks":{"total":9,"sources":[
      {"list":"hotline","category":"csam","legal":true,"blocks":1},
      {"list":"parental","category":"adult","legal":false,"blocks":8}]},
    "appeals":{"received":4,"by_route":{"authority":1,"operator":3},"upheld":1,"overturned":1,
      "referred":1,"open":1,"unresolved_share":0.25,
      "time_to_decision":{"count":3,"median_seconds":600,"p90_seconds":7200}},
    "requests":{"received":0,"granted":0,"kept_blocked":0,"expired":0,"waiting":0,
      "unresolved_share":0,"time_to_answer":{"count":0,"median_seconds":null,
      "p90_seconds":null}}})");
  const std::string text = ctl::report_text(report.as_object());
  INFO(text);
  CHECK(
      text.starts_with("transparency report 2026-11-08 to 2026-12-07 (30 days, UTC): "
                       "INCOMPLETE"));
  CHECK(text.find("LIST      CATEGORY  LEGAL  BLOCKS") != std::string::npos);
  CHECK(text.find("hotline   csam      yes    1") != std::string::npos);
  CHECK(text.find("\n(all)                      9\n") != std::string::npos);
  CHECK(text.find("\nunresolved          25%\n") != std::string::npos);
  CHECK(text.find("  by authority") != std::string::npos);
  CHECK(text.find("600 s") != std::string::npos);
  CHECK(text.find("7200 s (2 h)") != std::string::npos);
  CHECK(text.find("\nmedian to answer  -\n") != std::string::npos);
}
