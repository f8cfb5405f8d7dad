// shelterctl's command line (parse_args), admin URL, token file text and the API call each
// command makes, with the change device bind/unbind and profile set --device derive from the
// household they read.
#include "tools/shelterctl_args.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "tools/shelterctl_households.h"

namespace ctl = shelter::tools::ctl;
using Args = std::vector<std::string_view>;

namespace {

ctl::Invocation parsed(const Args& args) {
  ctl::ParseResult result = ctl::parse_args(args);
  INFO(result.error);
  REQUIRE(result.invocation.has_value());
  return *result.invocation;
}

std::string error_of(const Args& args) {
  ctl::ParseResult result = ctl::parse_args(args);
  REQUIRE_FALSE(result.invocation.has_value());
  return result.error;
}

}  // namespace

TEST_CASE("parse_args: lists and their filters") {
  struct Case {
    Args args;
    ctl::Action action;
    std::string_view target;
    bool json;
  };
  const Case cases[] = {
      {{"appeals", "list"}, ctl::Action::kAppealsList, "/v1/appeals?status=open", false},
      {{"appeals", "list", "--all"}, ctl::Action::kAppealsList, "/v1/appeals?status=all", false},
      {{"appeals", "list", "--closed", "--json"},
       ctl::Action::kAppealsList,
       "/v1/appeals?status=closed",
       true},
      {{"--json", "appeals", "list"}, ctl::Action::kAppealsList, "/v1/appeals?status=open", true},
      {{"requests", "list"}, ctl::Action::kRequestsList, "/v1/requests?status=waiting", false},
      {{"requests", "list", "--answered"},
       ctl::Action::kRequestsList,
       "/v1/requests?status=answered",
       false},
      {{"requests", "list", "--all", "--household", "smith"},
       ctl::Action::kRequestsList,
       "/v1/requests?status=all&household=smith",
       false},
      {{"requests", "list", "--household=o'neil & co"},
       ctl::Action::kRequestsList,
       "/v1/requests?status=waiting&household=o%27neil%20%26%20co",
       false},
      {{"appeals", "show", "A7K3Q9M2"}, ctl::Action::kAppealsShow, "/v1/appeals/A7K3Q9M2", false},
      {{"appeals", "show", "a/../b?c"},
       ctl::Action::kAppealsShow,
       "/v1/appeals/a%2F..%2Fb%3Fc",
       false},
  };
  for (const Case& c : cases) {
    INFO(c.target);
    ctl::Invocation inv = parsed(c.args);
    CHECK(inv.action == c.action);
    CHECK(inv.json == c.json);
    ctl::ApiCall call = ctl::api_call(inv);
    CHECK(call.method == ctl::Method::kGet);
    CHECK(call.target == c.target);
    CHECK(call.body.empty());
  }
}

TEST_CASE("parse_args: appeals decide") {
  ctl::Invocation inv =
      parsed({"appeals", "decide", "A7K3Q9M2", "overturn", "--reason", "  not adult  "});
  CHECK(inv.action == ctl::Action::kAppealsDecide);
  CHECK(inv.id == "A7K3Q9M2");
  CHECK(inv.verb == "overturn");
  CHECK(inv.reason == "not adult");
  CHECK(inv.by.empty());  // main fills in the login name
  inv.by = "ann";
  ctl::ApiCall call = ctl::api_call(inv);
  CHECK(call.method == ctl::Method::kPost);
  CHECK(call.target == "/v1/appeals/A7K3Q9M2/decision");
  CHECK(call.body == R"({"outcome":"overturn","reason":"not adult","by":"ann"})");

  inv = parsed({"--reason=a \"quoted\"\nreason", "appeals", "decide", "X", "refer", "--by", "bo"});
  CHECK(inv.by == "bo");
  CHECK(ctl::api_call(inv).body ==
        R"({"outcome":"refer","reason":"a \"quoted\"\nreason","by":"bo"})");

  // A reason that looks like an option is still the reason.
  CHECK(parsed({"appeals", "decide", "X", "uphold", "--reason", "--all"}).reason == "--all");
  // `--` ends the options, for an ID that starts with a dash.
  CHECK(parsed({"appeals", "decide", "--reason", "r", "--", "-X", "uphold"}).id == "-X");
}

TEST_CASE("parse_args: requests answer") {
  for (std::string_view answer : {"15m", "1h", "today", "always", "keep-blocked"}) {
    ctl::Invocation inv = parsed({"requests", "answer", "R1", answer, "--by", "ann"});
    CHECK(inv.action == ctl::Action::kRequestsAnswer);
    ctl::ApiCall call = ctl::api_call(inv);
    CHECK(call.method == ctl::Method::kPost);
    CHECK(call.target == "/v1/requests/R1/answer");
    CHECK(call.body == R"({"answer":")" + std::string(answer) + R"(","by":"ann"})");
  }
}

TEST_CASE("parse_args: global options, help and version") {
  ctl::Invocation inv =
      parsed({"--admin", "http://[::1]:9300", "appeals", "list", "--token-file=/tmp/t"});
  CHECK(inv.admin == "http://[::1]:9300");
  CHECK(inv.token_file == "/tmp/t");

  CHECK(parsed({"--version"}).action == ctl::Action::kVersion);
  CHECK(parsed({"appeals", "list", "--version"}).action == ctl::Action::kVersion);
  struct Case {
    Args args;
    std::string_view topic;
  };
  const Case cases[] = {
      {{"--help"}, ""},
      {{"-h"}, ""},
      {{"help"}, ""},
      {{"help", "appeals"}, "appeals"},
      {{"help", "requests", "answer"}, "requests"},
      {{"appeals", "--help"}, "appeals"},
      {{"requests", "answer", "--help"}, "requests"},
      {{"help", "--help"}, ""},
      {{"help", "household"}, "household"},
      {{"household", "--help"}, "household"},
      {{"device", "bind", "--help"}, "device"},
      {{"profile", "--help"}, "profile"},
      {{"audit", "--help"}, "audit"},
      {{"help", "audit"}, "audit"},
      // --help wins over an incomplete command.
      {{"appeals", "decide", "--help"}, "appeals"},
  };
  for (const Case& c : cases) {
    INFO(c.topic);
    inv = parsed(c.args);
    CHECK(inv.action == ctl::Action::kHelp);
    CHECK(inv.help_topic == c.topic);
    CHECK_FALSE(ctl::help_text(inv.help_topic).empty());
  }
  CHECK(ctl::help_text("nope").empty());
  // Every group's help starts with its usage lines and gives an example.
  for (std::string_view topic : {"household", "device", "profile", "audit"}) {
    INFO(topic);
    CHECK(ctl::help_text(topic).starts_with("Usage:\n  shelterctl " + std::string(topic)));
    CHECK(ctl::help_text(topic).find("Example") != std::string_view::npos);
    CHECK(ctl::help_text("").find("\n  " + std::string(topic)) != std::string_view::npos);
  }
}

TEST_CASE("parse_args: usage errors say what is wrong") {
  struct Case {
    Args args;
    std::string_view error;
  };
  const Case cases[] = {
      {{}, "give a command"},
      {{"frobnicate"}, "unknown command 'frobnicate'"},
      {{"appeals"}, "'appeals' needs a command: list, show or decide"},
      {{"requests"}, "'requests' needs a command: list or answer"},
      {{"appeals", "delete"}, "unknown command 'appeals delete'"},
      {{"appeals", "list", "--all", "--closed"}, "give --all or --closed, not both"},
      {{"appeals", "list", "--answered"}, "--answered is not an option of 'appeals list'"},
      {{"appeals", "list", "extra"}, "unexpected 'extra' after 'appeals list'"},
      {{"appeals", "list", "--bogus"}, "unknown option '--bogus'"},
      {{"appeals", "list", "-x"}, "unknown option '-x'"},
      {{"appeals", "list", "--json=yes"}, "--json takes no value"},
      {{"appeals", "list", "--json", "--json"}, "--json is given twice"},
      {{"appeals", "show"}, "'appeals show' needs an ID"},
      {{"appeals", "show", "."}, "'.' is not an ID"},
      {{"appeals", "decide", "X"},
       "'appeals decide' needs an ID and an outcome (uphold, overturn or refer)"},
      {{"appeals", "decide", "X", "allow", "--reason", "r"},
       "the outcome is uphold, overturn or refer, not 'allow'"},
      {{"appeals", "decide", "X", "uphold"},
       "say why with --reason TEXT: it is recorded with the decision"},
      {{"appeals", "decide", "X", "uphold", "--reason", "  "},
       "say why with --reason TEXT: it is recorded with the decision"},
      {{"appeals", "decide", "X", "uphold", "--reason"}, "--reason needs a value"},
      {{"appeals", "decide", "X", "uphold", "--reason", "r", "--by", ""}, "--by needs a name"},
      {{"appeals", "show", "X", "--reason", "r"}, "--reason is not an option of 'appeals show'"},
      {{"requests", "list", "--all", "--answered"}, "give --all or --answered, not both"},
      {{"requests", "list", "--household", " "}, "--household needs a household"},
      {{"requests", "answer", "R1"},
       "'requests answer' needs an ID and an answer (15m, 1h, today, always or keep-blocked)"},
      {{"requests", "answer", "R1", "2h"},
       "the answer is 15m, 1h, today, always or keep-blocked, not '2h'"},
      {{"requests", "answer", "R1", "1h", "--reason", "r"},
       "--reason is not an option of 'requests answer'"},
      {{"help", "bogus"},
       "no help on 'bogus'; try appeals, requests, household, device, profile or audit"},
  };
  for (const Case& c : cases) {
    CHECK(error_of(c.args) == c.error);
  }
}

TEST_CASE("parse_args: household, device, profile and audit requests") {
  struct Case {
    Args args;
    ctl::Action action;
    ctl::Method method;
    std::string_view target;
    std::string_view body;
    bool reads_first;
  };
  using enum ctl::Method;
  const Case cases[] = {
      {{"household", "list"}, ctl::Action::kHouseholdList, kGet, "/v1/households", "", false},
      {{"household", "list", "--limit", "3"},
       ctl::Action::kHouseholdList,
       kGet,
       "/v1/households?limit=3",
       "",
       false},
      {{"--after=page-2", "household", "list", "--limit=3"},
       ctl::Action::kHouseholdList,
       kGet,
       "/v1/households?limit=3&after=page-2",
       "",
       false},
      {{"household", "show", "smith"},
       ctl::Action::kHouseholdShow,
       kGet,
       "/v1/households/smith",
       "",
       false},
      {{"household", "remove", "Smith_2.b-c"},
       ctl::Action::kHouseholdRemove,
       kDelete,
       "/v1/households/Smith_2.b-c",
       "",
       false},
      {{"household", "access-code", "smith"},
       ctl::Action::kHouseholdAccessCode,
       kPost,
       "/v1/households/smith/access-code",
       "",
       false},
      {{"lists", "status"}, ctl::Action::kListsStatus, kGet, "/v1/lists", "", false},
      {{"lists", "reload", "--json"},
       ctl::Action::kListsReload,
       kPost,
       "/v1/lists/reload",
       "",
       false},
      {{"node", "drain"}, ctl::Action::kNodeDrain, kPost, "/v1/node/drain", "", false},
      {{"node", "undrain", "--json"},
       ctl::Action::kNodeUndrain,
       kDelete,
       "/v1/node/drain",
       "",
       false},
      {{"explain", "203.0.113.7", "Social.Example"},
       ctl::Action::kExplain,
       kGet,
       "/v1/explain?client=203.0.113.7&site=Social.Example",
       "",
       false},
      {{"explain", "2001:db8::1", "http://shared.example/a b"},
       ctl::Action::kExplain,
       kGet,
       "/v1/explain?client=2001%3Adb8%3A%3A1&url=http%3A%2F%2Fshared.example%2Fa%20b",
       "",
       false},
      {{"household", "add", "walker"},
       ctl::Action::kHouseholdAdd,
       kPost,
       "/v1/households",
       R"({"id":"walker"})",
       false},
      // Repeated options in order, before and after the words; a bare address as it is.
      {{"--address", "203.0.113.7", "household", "add", "walker", "--mac", "02:00:5E:00:00:01",
        "--address=2001:db8::/48", "--profile", "13-14", "--cpe-id", "cpe-1", "--time-zone",
        "Europe/London", "--cpe-id", " cpe-2 "},
       ctl::Action::kHouseholdAdd,
       kPost,
       "/v1/households",
       R"({"id":"walker","profile":"13-14","time-zone":"Europe/London",)"
       R"("addresses":["203.0.113.7","2001:db8::/48"],"macs":["02:00:5E:00:00:01"],)"
       R"("cpe-ids":["cpe-1","cpe-2"]})",
       false},
      {{"device", "bind", "smith", "tablet", "--mac", "02:00:5e:10:00:01"},
       ctl::Action::kDeviceBind,
       kGet,
       "/v1/households/smith",
       "",
       true},
      {{"device", "unbind", "smith", "tablet"},
       ctl::Action::kDeviceUnbind,
       kDelete,
       "/v1/households/smith/devices/tablet",
       "",
       false},
      {{"device", "unbind", "smith", "tablet", "--address", "127.0.0.9"},
       ctl::Action::kDeviceUnbind,
       kGet,
       "/v1/households/smith",
       "",
       true},
      {{"profile", "set", "smith", "9-12"},
       ctl::Action::kProfileSet,
       kPatch,
       "/v1/households/smith",
       R"({"profile":"9-12"})",
       false},
      {{"--device", "tablet", "profile", "set", "smith", "under-9"},
       ctl::Action::kProfileSet,
       kGet,
       "/v1/households/smith",
       "",
       true},
      {{"audit"}, ctl::Action::kAudit, kGet, "/v1/audit", "", false},
      {{"audit", "--limit", "20", "--json"},
       ctl::Action::kAudit,
       kGet,
       "/v1/audit?limit=20",
       "",
       false},
  };
  for (const Case& c : cases) {
    INFO(c.target);
    ctl::Invocation inv = parsed(c.args);
    CHECK(inv.action == c.action);
    ctl::ApiCall call = ctl::api_call(inv);
    CHECK(call.method == c.method);
    CHECK(call.target == c.target);
    CHECK(call.body == c.body);
    CHECK(ctl::reads_household_first(inv) == c.reads_first);
  }
  ctl::Invocation inv = parsed({"device", "bind", "--profile", "under-9", "smith", "tablet",
                                "--mac", "A", "--address", "B", "--mac", "C", "--json"});
  CHECK(inv.id == "smith");
  CHECK(inv.device == "tablet");
  CHECK(inv.profile == "under-9");
  CHECK(inv.macs == std::vector<std::string>{"A", "C"});
  CHECK(inv.addresses == std::vector<std::string>{"B"});
  CHECK(inv.json);
  // `--` ends the options, for a name that starts with a dash.
  CHECK(parsed({"household", "show", "--", "-x"}).id == "-x");
}

TEST_CASE("parse_args: household, device, profile and audit usage errors") {
  struct Case {
    Args args;
    std::string error;
  };
  const std::string long_id(65, 'a');
  const Case cases[] = {
      {{"household"}, "'household' needs a command: list, show, add, remove or access-code"},
      {{"device"}, "'device' needs a command: bind or unbind"},
      {{"profile"}, "'profile' needs a command: set, list, show, put or remove"},
      {{"household", "delete", "x"}, "unknown command 'household delete'"},
      {{"household", "show"}, "'household show' needs a household ID"},
      {{"household", "add"}, "'household add' needs a household ID"},
      {{"household", "remove", "a", "b"}, "unexpected 'b' after 'household remove'"},
      {{"device", "bind", "smith"}, "'device bind' needs a household ID and a device name"},
      {{"device", "unbind"}, "'device unbind' needs a household ID and a device name"},
      {{"profile", "set", "smith"}, "'profile set' needs a household ID and a profile"},
      {{"audit", "list"}, "unexpected 'list' after 'audit'"},
      {{"household", "show", "a b"},
       "'a b' is not a household ID: give 1 to 64 letters, digits, '.', '_' or '-'"},
      {{"household", "add", "a/b"},
       "'a/b' is not a household ID: give 1 to 64 letters, digits, '.', '_' or '-'"},
      {{"household", "remove", ".."},
       "'..' is not a household ID: give 1 to 64 letters, digits, '.', '_' or '-'"},
      {{"household", "show", ""},
       "'' is not a household ID: give 1 to 64 letters, digits, '.', '_' or '-'"},
      {{"household", "show", long_id},
       "'" + long_id + "' is not a household ID: give 1 to 64 letters, digits, '.', '_' or '-'"},
      {{"household", "show", "caf\xc3\xa9"},
       "'caf\xc3\xa9' is not a household ID: give 1 to 64 letters, digits, '.', '_' or '-'"},
      {{"household", "list", "--after", "a?b"},
       "'a?b' is not a household ID: give 1 to 64 letters, digits, '.', '_' or '-'"},
      {{"device", "bind", "smith", "my tablet", "--mac", "m"},
       "'my tablet' is not a device name: give 1 to 64 letters, digits, '.', '_' or '-'"},
      {{"device", "unbind", "smith", "."},
       "'.' is not a device name: give 1 to 64 letters, digits, '.', '_' or '-'"},
      {{"profile", "set", "smith", "9-12", "--device", "a/b"},
       "'a/b' is not a device name: give 1 to 64 letters, digits, '.', '_' or '-'"},
      {{"household", "list", "--limit", "0"}, "--limit takes a whole number from 1, not '0'"},
      {{"household", "list", "--limit", "-3"}, "--limit takes a whole number from 1, not '-3'"},
      {{"audit", "--limit", "ten"}, "--limit takes a whole number from 1, not 'ten'"},
      {{"audit", "--limit", "99999999999"},
       "--limit takes a whole number from 1, not '99999999999'"},
      {{"audit", "--limit"}, "--limit needs a value"},
      {{"household", "add", "w", "--profile", "a", "--profile", "b"}, "--profile is given twice"},
      {{"household", "add", "w", "--address", " "}, "--address needs an address"},
      {{"household", "add", "w", "--mac="}, "--mac needs a MAC address"},
      {{"household", "add", "w", "--time-zone", ""},
       "--time-zone needs a time zone, such as Europe/London"},
      {{"household", "show", "w", "--mac", "m"}, "--mac is not an option of 'household show'"},
      {{"household", "list", "--profile", "p"}, "--profile is not an option of 'household list'"},
      {{"device", "unbind", "h", "d", "--profile", "p"},
       "--profile is not an option of 'device unbind'"},
      {{"device", "bind", "h", "d", "--cpe-id", "c"}, "--cpe-id is not an option of 'device bind'"},
      {{"device", "bind", "h", "d"}, "say what to bind: --mac, --address or --profile"},
      {{"profile", "set", "h", " "}, "'profile set' needs a profile"},
      {{"profile", "set", "h", "p", "--mac", "m"}, "--mac is not an option of 'profile set'"},
      {{"audit", "--after", "x"}, "--after is not an option of 'audit'"},
  };
  for (const Case& c : cases) {
    INFO(c.error);
    CHECK(error_of(c.args) == c.error);
  }
  // The usage error points at the group's help.
  CHECK(ctl::parse_args({"device", "bind", "h", "d"}).topic == "device");
  CHECK(ctl::parse_args({"audit", "--limit", "0"}).topic == "audit");
  CHECK(ctl::parse_args({"frobnicate", "--bogus"}).topic.empty());
}

TEST_CASE("valid_name: 1 to 64 of [A-Za-z0-9._-], no dot segments") {
  CHECK(ctl::valid_name("smith"));
  CHECK(ctl::valid_name("A-z_0.9"));
  CHECK(ctl::valid_name(std::string(64, 'x')));
  CHECK(ctl::valid_name("..."));
  CHECK_FALSE(ctl::valid_name(""));
  CHECK_FALSE(ctl::valid_name("."));
  CHECK_FALSE(ctl::valid_name(".."));
  CHECK_FALSE(ctl::valid_name(std::string(65, 'x')));
  for (std::string_view bad : {"a b", "a/b", "a%2F", "a?b", "a#b", "a+b", "a~b", "a\nb"})
    CHECK_FALSE(ctl::valid_name(bad));
}

TEST_CASE("same_mac and same_address compare bindings as the server keeps them") {
  CHECK(ctl::same_mac("02:00:5E:10:00:01", "02:00:5e:10:00:01"));
  CHECK(ctl::same_mac("02-00-5e-10-00-01", "02:00:5E:10:00:01"));
  CHECK(ctl::same_mac("0200.5e10.0001", "02:00:5e:10:00:01"));
  CHECK_FALSE(ctl::same_mac("02:00:5e:10:00:01", "02:00:5e:10:00:02"));
  struct Case {
    std::string_view a;
    std::string_view b;
    bool same;
  };
  const Case cases[] = {
      {"203.0.113.7", "203.0.113.7/32", true},
      {"203.0.113.7/32", "203.0.113.7/32", true},
      {"203.0.113.7", "203.0.113.8", false},
      {"203.0.113.7/24", "203.0.113.0/24", true},
      {"203.0.113.0/24", "203.0.113.0/25", false},
      {"2001:DB8::1", "2001:db8:0:0::1/128", true},
      {"2001:db8:7::/48", "2001:db8:7:0::/48", true},
      {"2001:db8::/32", "2001:db8::/48", false},
      {"::ffff:203.0.113.7", "203.0.113.7", false},
      {"203.0.113.7/33", "203.0.113.7/33", true},  // not an address: the text itself
      {"203.0.113.7/33", "203.0.113.7/32", false},
      {"fe80::1%eth0", "fe80::1%eth0", true},
  };
  for (const Case& c : cases) {
    INFO(c.a << " " << c.b);
    CHECK(ctl::same_address(c.a, c.b) == c.same);
    CHECK(ctl::same_address(c.b, c.a) == c.same);
  }
}

TEST_CASE("change_call: device bind merges into the device and PUTs it whole") {
  struct Case {
    Args args;
    std::string_view household;
    std::string_view body;
  };
  const Case cases[] = {
      // A new device: only what was given.
      {{"device", "bind", "smith", "phone", "--mac", "02:00:00:00:00:42"},
       R"({"id":"smith","profile":"9-12"})",
       R"({"macs":["02:00:00:00:00:42"]})"},
      {{"device", "bind", "smith", "phone", "--profile", "under-9"},
       R"({"id":"smith","devices":{"tablet":{"macs":["02:00:00:00:00:01"]}}})",
       R"({"profile":"under-9"})"},
      // An existing device keeps its profile, pause and other bindings; duplicates are dropped
      // (MACs without regard to case, a bare address as its /32).
      {{"device", "bind", "smith", "tablet", "--mac", "02:00:5E:10:00:01", "--mac",
        "02:00:5e:10:00:02", "--mac", "02:00:5E:10:00:02", "--address", "127.0.0.9", "--address",
        "127.0.0.10"},
       R"({"id":"smith","devices":{"tablet":{"profile":"under-9","paused-until":1765000000,
           "macs":["02:00:5e:10:00:01"],"addresses":["127.0.0.9/32"]}}})",
       R"({"profile":"under-9","paused-until":1765000000,)"
       R"("macs":["02:00:5e:10:00:01","02:00:5e:10:00:02"],)"
       R"("addresses":["127.0.0.9/32","127.0.0.10"]})"},
      // --profile replaces the device's own.
      {{"device", "bind", "smith", "tablet", "--profile", "13-14"},
       R"({"id":"smith","devices":{"tablet":{"profile":"under-9","macs":["m1"]}}})",
       R"({"profile":"13-14","macs":["m1"]})"},
  };
  for (const Case& c : cases) {
    INFO(c.body);
    ctl::ChangeCall change = ctl::change_call(parsed(c.args), boost::json::parse(c.household));
    INFO(change.error);
    REQUIRE(change.call.has_value());
    CHECK(change.call->method == ctl::Method::kPut);
    CHECK(change.call->target == "/v1/households/smith/devices/" + std::string(c.args[3]));
    CHECK(boost::json::parse(change.call->body) == boost::json::parse(c.body));
  }
}

TEST_CASE("change_call: device unbind takes bindings out, profile set --device PATCHes") {
  const boost::json::value household = boost::json::parse(
      R"({"id":"smith","profile":"9-12","devices":{"tablet":{"profile":"under-9",
          "macs":["02:00:5e:10:00:01","02:00:5e:10:00:02"],"addresses":["127.0.0.9/32"]}}})");
  ctl::ChangeCall change =
      ctl::change_call(parsed({"device", "unbind", "smith", "tablet", "--mac", "02:00:5E:10:00:02",
                               "--address", "127.0.0.9", "--mac", "02:00:5e:10:00:02"}),
                       household);
  REQUIRE(change.call.has_value());
  CHECK(change.call->method == ctl::Method::kPut);
  CHECK(change.call->target == "/v1/households/smith/devices/tablet");
  CHECK(change.call->body == R"({"profile":"under-9","macs":["02:00:5e:10:00:01"]})");

  change = ctl::change_call(parsed({"profile", "set", "smith", "15-17", "--device", "tablet"}),
                            household);
  REQUIRE(change.call.has_value());
  CHECK(change.call->method == ctl::Method::kPatch);
  CHECK(change.call->target == "/v1/households/smith");
  CHECK(change.call->body == R"({"devices":{"tablet":{"profile":"15-17"}}})");
}

TEST_CASE("change_call refuses, naming what is missing") {
  struct Case {
    Args args;
    std::string_view household;
    std::string_view error;
  };
  const std::string_view smith =
      R"({"id":"smith","devices":{"tablet":{"macs":["02:00:5e:10:00:01"]}}})";
  const std::string_view odd =
      "the household smith from the server is not what this shelterctl "
      "expects; see household show --json";
  const Case cases[] = {
      {{"device", "unbind", "smith", "phone", "--mac", "m"}, smith, "no device phone in smith"},
      {{"device", "unbind", "smith", "phone", "--mac", "m"},
       R"({"id":"smith"})",
       "no device phone in smith"},
      {{"profile", "set", "smith", "9-12", "--device", "phone"}, smith, "no device phone in smith"},
      {{"device", "unbind", "smith", "tablet", "--mac", "02:00:5e:10:00:09", "--address",
        "127.0.0.9"},
       smith,
       "device tablet of smith has no binding 02:00:5e:10:00:09, 127.0.0.9 (it has "
       "02:00:5e:10:00:01)"},
      {{"device", "unbind", "smith", "tablet", "--address", "127.0.0.9"},
       R"({"id":"smith","devices":{"tablet":{}}})",
       "device tablet of smith has no binding 127.0.0.9 (it has none)"},
      {{"device", "bind", "smith", "tablet", "--mac", "m"}, "[]", odd},
      {{"device", "bind", "smith", "tablet", "--mac", "m"}, R"({"devices":[]})", odd},
      {{"device", "bind", "smith", "tablet", "--mac", "m"}, R"({"devices":{"tablet":7}})", odd},
      {{"device", "bind", "smith", "tablet", "--mac", "m"},
       R"({"devices":{"tablet":{"macs":"m"}}})",
       "device tablet of smith is not what this shelterctl expects; see household show --json"},
  };
  for (const Case& c : cases) {
    INFO(c.error);
    ctl::ChangeCall change = ctl::change_call(parsed(c.args), boost::json::parse(c.household));
    CHECK_FALSE(change.call.has_value());
    CHECK(change.error == c.error);
  }
}

TEST_CASE("parse_admin_url takes http://ADDRESS:PORT with a literal address or localhost") {
  struct Case {
    std::string_view url;
    std::vector<std::string> addresses;
    std::uint16_t port;
    std::string_view host_header;
  };
  const Case cases[] = {
      {"http://127.0.0.1:9300", {"127.0.0.1"}, 9300, "127.0.0.1:9300"},
      {"http://127.0.0.1:9300/", {"127.0.0.1"}, 9300, "127.0.0.1:9300"},
      {"HTTP://10.0.0.5:80", {"10.0.0.5"}, 80, "10.0.0.5:80"},
      {"http://[::1]:9300", {"::1"}, 9300, "[::1]:9300"},
      {"http://[fd00::5]:1", {"fd00::5"}, 1, "[fd00::5]:1"},
      {"http://localhost:9300", {"127.0.0.1", "::1"}, 9300, "localhost:9300"},
      {"http://LocalHost:65535", {"127.0.0.1", "::1"}, 65535, "localhost:65535"},
  };
  for (const Case& c : cases) {
    INFO(c.url);
    ctl::AdminAddressResult result = ctl::parse_admin_url(c.url);
    INFO(result.error);
    REQUIRE(result.address.has_value());
    CHECK(result.address->addresses == c.addresses);
    CHECK(result.address->port == c.port);
    CHECK(result.address->host_header == c.host_header);
    CHECK(result.address->url == "http://" + std::string(c.host_header));
  }
}

TEST_CASE("parse_admin_url refuses the rest, saying why") {
  struct Case {
    std::string_view url;
    std::string_view error;
  };
  const Case cases[] = {
      {"https://127.0.0.1:9300",
       "give http://ADDRESS:PORT (the admin API is plain HTTP on loopback)"},
      {"127.0.0.1:9300", "give http://ADDRESS:PORT (the admin API is plain HTTP on loopback)"},
      {"", "give http://ADDRESS:PORT (the admin API is plain HTTP on loopback)"},
      {"http://admin.example.com:9300", "give a literal IP address or localhost (no name lookups)"},
      {"http://127.1:9300", "give a literal IP address or localhost (no name lookups)"},
      {"http://:9300", "give a literal IP address or localhost (no name lookups)"},
      {"http://::1:9300", "put an IPv6 address in brackets: http://[::1]:9300"},
      {"http://[::1%lo]:9300", "not a literal IPv6 address in brackets"},
      {"http://[127.0.0.1]:9300", "not a literal IPv6 address in brackets"},
      {"http://[::1]x:9300", "unexpected 'x:9300' after the address"},
      {"http://127.0.0.1", "give the port, as in http://127.0.0.1:9300"},
      {"http://[::1]", "give the port, as in http://127.0.0.1:9300"},
      {"http://127.0.0.1:", "give the port, as in http://127.0.0.1:9300"},
      {"http://127.0.0.1:0", "the port must be a number from 1 to 65535"},
      {"http://127.0.0.1:65536", "the port must be a number from 1 to 65535"},
      {"http://127.0.0.1:+80", "the port must be a number from 1 to 65535"},
      {"http://127.0.0.1:9300/v1", "give only http://ADDRESS:PORT, no path"},
      {"http://127.0.0.1:9300?x", "give only http://ADDRESS:PORT, no path"},
      {"http://user@127.0.0.1:9300",
       "no user name in the URL; the token comes from SHELTER_ADMIN_TOKEN or --token-file"},
  };
  for (const Case& c : cases) {
    INFO(c.url);
    ctl::AdminAddressResult result = ctl::parse_admin_url(c.url);
    CHECK_FALSE(result.address.has_value());
    CHECK(result.error == c.error);
  }
}

TEST_CASE("token_from_text takes the first line that is not empty or a comment") {
  struct Case {
    std::string_view text;
    std::string_view token;
  };
  const Case cases[] = {
      {"abc123\n", "abc123"},
      {"abc123", "abc123"},
      {"  abc123 \r\n", "abc123"},
      {"# the admin token\n\n\t\n  s3cret\nsecond\n", "s3cret"},
      {"   # indented comment\nt", "t"},
      {"", ""},
      {"\n\n# only comments\n", ""},
  };
  for (const Case& c : cases)
    CHECK(ctl::token_from_text(c.text) == c.token);
}

TEST_CASE("token_is_valid allows only a header-safe token") {
  CHECK(ctl::token_is_valid("abcDEF0123-._~+/="));
  CHECK_FALSE(ctl::token_is_valid(""));
  CHECK_FALSE(ctl::token_is_valid("two words"));
  CHECK_FALSE(ctl::token_is_valid("abc\r\nX-Injected: 1"));
  CHECK_FALSE(ctl::token_is_valid("caf\xc3\xa9"));
}

TEST_CASE("default_by prefers SUDO_USER, then USER, then the password entry") {
  CHECK(ctl::default_by("ann", "root", "root") == "ann");
  CHECK(ctl::default_by("", "bob", "bob") == "bob");
  CHECK(ctl::default_by("", "", "carol") == "carol");
  CHECK(ctl::default_by(" ", "", "") == "");
}

TEST_CASE("percent_encode keeps only unreserved characters") {
  CHECK(ctl::percent_encode("A7K3-q_9.~") == "A7K3-q_9.~");
  CHECK(ctl::percent_encode("a b/c?d#e%f&g=h") == "a%20b%2Fc%3Fd%23e%25f%26g%3Dh");
  CHECK(ctl::percent_encode("\xc3\xa9\r\n") == "%C3%A9%0D%0A");
}

TEST_CASE("parse_args: profile list, show, put and remove") {
  struct Case {
    Args args;
    ctl::Action action;
    ctl::Method method;
    std::string_view target;
  };
  using enum ctl::Method;
  const Case cases[] = {
      {{"profile", "list"}, ctl::Action::kProfileList, kGet, "/v1/profiles"},
      {{"profile", "list", "--limit", "3", "--after", "15-17"},
       ctl::Action::kProfileList,
       kGet,
       "/v1/profiles?limit=3&after=15-17"},
      {{"profile", "list", "--household", "smith"},
       ctl::Action::kProfileList,
       kGet,
       "/v1/households/smith/profiles"},
      {{"profile", "show", "9-12"}, ctl::Action::kProfileShow, kGet, "/v1/profiles/9-12"},
      {{"profile", "show", "homework", "--household=smith"},
       ctl::Action::kProfileShow,
       kGet,
       "/v1/households/smith/profiles/homework"},
      {{"profile", "put", "smith", "homework", "--file", "-"},
       ctl::Action::kProfilePut,
       kPut,
       "/v1/households/smith/profiles/homework"},
      {{"profile", "remove", "smith", "homework"},
       ctl::Action::kProfileRemove,
       kDelete,
       "/v1/households/smith/profiles/homework"},
  };
  for (const Case& c : cases) {
    INFO(c.target);
    ctl::Invocation inv = parsed(c.args);
    CHECK(inv.action == c.action);
    inv.body = R"({"base":"9-12"})";  // what main reads from --file
    const ctl::ApiCall call = ctl::api_call(inv);
    CHECK(call.method == c.method);
    CHECK(call.target == c.target);
    CHECK(call.body == (c.action == ctl::Action::kProfilePut ? inv.body : ""));
    CHECK_FALSE(ctl::reads_household_first(inv));
  }
  CHECK(parsed({"profile", "put", "smith", "homework", "--file", "p.json"}).file == "p.json");
  CHECK(parsed({"profile", "show", "9-12", "--json"}).json);
  // "profile set" is as it was.
  CHECK(ctl::api_call(parsed({"profile", "set", "smith", "13-14"})).target ==
        "/v1/households/smith");
}

TEST_CASE("parse_args: profile usage errors") {
  struct Case {
    Args args;
    std::string error;
  };
  const Case cases[] = {
      {{"profile", "put", "smith", "homework"},
       "give the profile's JSON with --file FILE (- reads standard input)"},
      {{"profile", "put", "smith", "homework", "--file", " "},
       "--file needs a file, or - for standard input"},
      {{"profile", "put", "smith"}, "'profile put' needs a household ID and a profile name"},
      {{"profile", "remove", "smith", "a/b"},
       "'a/b' is not a profile name: give 1 to 64 letters, digits, '.', '_' or '-'"},
      {{"profile", "show"}, "'profile show' needs a profile name"},
      {{"profile", "show", ".."},
       "'..' is not a profile name: give 1 to 64 letters, digits, '.', '_' or '-'"},
      {{"profile", "list", "--household", "a b"},
       "'a b' is not a household ID: give 1 to 64 letters, digits, '.', '_' or '-'"},
      {{"profile", "list", "--household", "smith", "--limit", "3"},
       "--after and --limit page the presets and operator profiles; a household's own profiles "
       "come in one answer"},
      {{"profile", "list", "--limit", "0"}, "--limit takes a whole number from 1, not '0'"},
      {{"profile", "remove", "smith", "x", "--file", "f"},
       "--file is not an option of 'profile remove'"},
      {{"profile", "frob"}, "unknown command 'profile frob'"},
  };
  for (const Case& c : cases) {
    INFO(c.error);
    CHECK(error_of(c.args) == c.error);
  }
  CHECK(ctl::parse_args({"profile", "put", "h"}).topic == "profile");
  for (std::string_view verb : {"list", "show", "put", "remove", "set"}) {
    const ctl::Invocation help = parsed({"profile", verb, "--help"});
    CHECK(help.action == ctl::Action::kHelp);
    CHECK(ctl::help_text(help.help_topic).find("shelterctl profile " + std::string(verb)) !=
          std::string_view::npos);
  }
}

TEST_CASE("parse_args: report, its period and its output") {
  struct Case {
    Args args;
    std::string target;
    bool csv;
    bool json;
  };
  const Case cases[] = {
      {{"report"}, "/v1/transparency", false, false},
      {{"report", "--json"}, "/v1/transparency", false, true},
      {{"report", "--csv", "--from", "2026-01-01"},
       "/v1/transparency.csv?from=2026-01-01",
       true,
       false},
      {{"--to=2026-03-31", "report", "--from", "2026-01-01"},
       "/v1/transparency?from=2026-01-01&to=2026-03-31",
       false,
       false},
      // The server reads the dates (and says what is wrong); the client only encodes them.
      {{"report", "--to", "31/03/2026"}, "/v1/transparency?to=31%2F03%2F2026", false, false},
  };
  for (const Case& c : cases) {
    const ctl::Invocation inv = parsed(c.args);
    INFO(c.target);
    CHECK(inv.action == ctl::Action::kReport);
    CHECK(inv.csv == c.csv);
    CHECK(inv.json == c.json);
    const ctl::ApiCall call = ctl::api_call(inv);
    CHECK(call.method == ctl::Method::kGet);
    CHECK(call.target == c.target);
    CHECK(call.body.empty());
  }
  CHECK(error_of({"report", "--csv", "--json"}) == "give --csv or --json, not both");
  CHECK(error_of({"report", "--from", " "}) == "--from needs a date (YYYY-MM-DD)");
  CHECK(error_of({"report", "2026"}) == "unexpected '2026' after 'report'");
  CHECK(error_of({"report", "--all"}) == "--all is not an option of 'report'");
  CHECK_FALSE(ctl::help_text("report").empty());
}

TEST_CASE("parse_args: self-test against each node of a fleet") {
  const ctl::Invocation one = parsed({"self-test"});
  CHECK(one.nodes.empty());
  const ctl::Invocation fleet = parsed(
      {"self-test", "--node", "http://127.0.0.1:9300", "--json", "--node=http://[::1]:9301"});
  CHECK(fleet.action == ctl::Action::kSelfTest);
  CHECK(fleet.json);
  CHECK(fleet.nodes == std::vector<std::string>{"http://127.0.0.1:9300", "http://[::1]:9301"});
  CHECK(ctl::api_call(fleet).target == "/v1/self-test");
  CHECK(error_of({"self-test", "--node", " "}) == "--node needs a node's admin URL");
  CHECK(error_of({"--admin", "http://127.0.0.1:9300", "self-test", "--node",
                  "http://127.0.0.1:9301"}) == "give the nodes with --node, not --admin as well");
  CHECK(error_of({"lists", "status", "--node", "http://127.0.0.1:9300"}) ==
        "--node is not an option of 'lists status'");
  CHECK(ctl::help_text("self-test").find("--node URL") != std::string_view::npos);
}
