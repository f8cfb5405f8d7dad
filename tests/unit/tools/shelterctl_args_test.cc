// shelterctl's command line (parse_args), admin URL, token file text and the API call each
// command makes.
#include "tools/shelterctl_args.h"

#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <vector>

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
    CHECK_FALSE(call.post);
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
  CHECK(call.post);
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
    CHECK(call.post);
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
      {{"help", "bogus"}, "no help on 'bogus'; try appeals or requests"},
  };
  for (const Case& c : cases) {
    CHECK(error_of(c.args) == c.error);
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
