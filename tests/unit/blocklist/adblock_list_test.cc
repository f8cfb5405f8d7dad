#include "blocklist/adblock_list.h"
#include "blocklist/list_format.h"
#include "tests/unit/blocklist/parse_test_util.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace bl = shelter::blocklist;

namespace {

// A rule in one line of text, so that tables can say what they expect:
// "block ||host" (self_and_below), "=host" (self_only), then the path with `*` for a prefix
// and `^` for a separator, then " important", then " @line".
std::string describe(const bl::Rule& r) {
  std::string out = r.action == bl::RuleAction::block ? "block " : "allow ";
  out += r.scope == bl::HostScope::self_and_below ? "||"
         : r.scope == bl::HostScope::self_only    ? "="
                                                  : "*.";
  out += std::string(r.host) + std::string(r.path);
  if (r.path_prefix) out += "*";
  if (r.path_separator) out += "^";
  if (r.important) out += " important";
  // Adblock rules never carry a DNS answer, an address or a category of their own.
  if (r.answer != bl::DnsAnswer::configured || r.address_size != 0 || !r.category.empty())
    out += " ???";
  return out;
}

struct Parsed {
  std::vector<std::string> rules;
  std::vector<std::uint32_t> lines;
  bl::ParseSummary summary;
};

Parsed parse(std::string_view text) {
  Parsed out;
  out.summary = bl::parse_rules(text, bl::ListFormat::adblock, [&](const bl::Rule& r) {
    out.rules.push_back(describe(r));
    out.lines.push_back(r.line);
  });
  return out;
}

using shelter::blocklist::test::issue_lines;

using Rules = std::vector<std::string>;
using Lines = std::vector<std::size_t>;

// Parses one line and checks that it produced exactly `expected` and nothing else.
void check_taken(const std::string& line, const std::string& expected) {
  CAPTURE(line);
  auto parsed = parse(line);
  std::string issue = parsed.summary.issues.empty() ? "" : parsed.summary.issues[0].message;
  CAPTURE(issue);
  CHECK(parsed.rules == Rules{expected});
  CHECK(parsed.summary.taken == 1);
  CHECK(parsed.summary.skipped + parsed.summary.unsupported + parsed.summary.rejected == 0);
}

struct Case {
  std::string line;
  std::string expected;
};

}  // namespace

TEST_CASE("adblock domain-level rules", "[adblock]") {
  const std::vector<Case> cases = {
      {"||example.com^", "block ||example.com"},
      {"||example.com", "block ||example.com"},
      {"||example.com^|", "block ||example.com"},
      {"||example.com|", "block ||example.com"},
      {"||example.com^*", "block ||example.com"},
      {"||Example.COM.^", "block ||example.com"},
      {"||*.example.com^", "block ||example.com"},
      {"||_dmarc.example.com^", "block ||_dmarc.example.com"},
      {"||localhost^", "block ||localhost"},
      {"  ||padded.example^  \t", "block ||padded.example"},
      {"example.com", "block ||example.com"},
      {"Example.com.", "block ||example.com"},
      {"*.example.com", "block ||example.com"},
      {"example.com^", "block ||example.com"},
      {"0.0.0.0 example.com", "block ||example.com"},
      {"127.0.0.1\tExample.com # why", "block ||example.com"},
      {":: example.com", "block ||example.com"},
      {"@@||example.com^", "allow ||example.com"},
      {"@@||example.com^|", "allow ||example.com"},
      {"@@example.com", "allow ||example.com"},
      {"||example.com^$important", "block ||example.com important"},
      {"@@||example.com^$important", "allow ||example.com important"},
      {"example.com$important", "block ||example.com important"},
      {"||example.com^$all", "block ||example.com"},
      {"||example.com^$match-case", "block ||example.com"},
      {"||example.com^$important,all,match-case", "block ||example.com important"},
      {"||b\xC3\xBC"
       "cher.example^",
       "block ||xn--bcher-kva.example"},
      {"b\xC3\xBC"
       "cher.example",
       "block ||xn--bcher-kva.example"},
      {"||xn--bcher-kva.example^", "block ||xn--bcher-kva.example"},
  };
  for (const auto& c : cases)
    check_taken(c.line, c.expected);
}

TEST_CASE("adblock URL-level rules", "[adblock]") {
  const std::vector<Case> cases = {
      {"||example.com/ads^", "block ||example.com/ads*^"},
      {"||example.com/ads", "block ||example.com/ads*"},
      {"||example.com/ads/*", "block ||example.com/ads/*"},
      {"||example.com/ads|", "block ||example.com/ads"},
      {"||example.com/ads^|", "block ||example.com/ads"},
      {"||Example.com/a/../b/./Banner.gif", "block ||example.com/b/Banner.gif*"},
      {"||example.com/ads?id=1", "block ||example.com/ads?id=1*"},
      {"||example.com?q=ad", "block ||example.com/?q=ad*"},
      {"||*.example.com/ads^", "block ||example.com/ads*^"},
      {"||example.com/ads^$important", "block ||example.com/ads*^ important"},
      {"@@||example.com/ok^", "allow ||example.com/ok*^"},
      {"||b\xC3\xBC"
       "cher.example/x",
       "block ||xn--bcher-kva.example/x*"},
      // Every URL on the host is the host.
      {"||example.com/", "block ||example.com"},
      {"||example.com/^", "block ||example.com"},
      {"||example.com/*", "block ||example.com"},
      {"|http://example.com/path", "block =example.com/path*"},
      {"|https://Example.COM/path^", "block =example.com/path*^"},
      {"|https://example.com/page.html|", "block =example.com/page.html"},
      {"|http://example.com/a/*", "block =example.com/a/*"},
      {"@@|https://example.com/ok", "allow =example.com/ok*"},
      {"|https://example.com/x$important", "block =example.com/x* important"},
      {"|http://example.com/", "block =example.com"},
      {"|http://example.com^", "block =example.com"},
      {"|http://example.com", "block =example.com"},
      {"|http://example.com|", "block =example.com/"},
      {"|http://192.0.2.1/x", "block =192.0.2.1/x*"},
      {"|http://192.0.2.1/", "block =192.0.2.1/*"},
  };
  for (const auto& c : cases)
    check_taken(c.line, c.expected);
}

TEST_CASE("adblock rules only a browser can apply are unsupported", "[adblock]") {
  const std::vector<std::string> cases = {
      // Options that narrow the rule to some requests.
      "||example.com^$third-party",
      "||example.com^$~third-party",
      "||example.com^$3p",
      "||example.com^$script",
      "||example.com^$image",
      "||example.com^$domain=a.com|b.com",
      "||example.com^$popup",
      "||example.com^$csp=script-src 'none'",
      "||example.com^$redirect=noopjs",
      "||example.com^$removeparam=utm_source",
      "||example.com^$removeparam=/^ad$/",
      "||example.com^$client=192.168.0.1",
      "||example.com^$dnstype=AAAA",
      "||example.com^$dnsrewrite=192.0.2.1",
      "||example.com^$denyallow=a.com",
      "||example.com^$ctag=device_phone",
      "||example.com^$badfilter",
      "||example.com^$document",
      "||example.com^$important,third-party",
      "||example.com^$frobnicate",
      "||example.com^$Important",
      "@@||example.com^$generichide",
      "$dnstype=AAAA",
      "||bad..host^$third-party",
      // Cosmetic rules.
      "##.ad-banner",
      "example.com##.ad",
      "example.com#@#.ad",
      "example.com#?#div:has(> .ad)",
      "example.com#@?#div:has(> .ad)",
      "example.com#$#body { padding: 0; }",
      "example.com#@$#body { padding: 0; }",
      "example.com#$?#div:has(.ad) { display: none; }",
      "example.com#%#//scriptlet('abort-on-property-read', 'x')",
      "example.com#@%#window.x = 1;",
      "example.com##+js(nobab)",
      "example.com##^script:has-text(ad)",
      "example.com$$script[tag-content=\"ad\"]",
      "example.com$@$script[tag-content=\"ad\"]",
      "[$path=/page]example.com##.ad",
      // Regular expressions, and paths without a host.
      "/banner\\d+\\.gif/",
      "/^https?:\\/\\/ads\\./$third-party",
      "@@/regex/",
      "/ads/banner.gif",
      // Wildcards, ports, IP literals.
      "||ads*.example.com^",
      "||example.*^",
      "||*ads.example.com^",
      "||example.com*",
      "||example.com/ads/*/banner^",
      "||example.com/ads*^",
      "||example.com:8080^",
      "||example.com:8080/ads",
      "||[2001:db8::1]^",
      "||192.0.2.1^",
      "192.0.2.1",
      "@@||192.0.2.1^",
      "*ads.example.com",
      // Separators in the middle, other anchors, substring patterns.
      "||example.com^ads",
      "||example.com/ads^x",
      "||example.com^/ads",
      "|ws://example.com/",
      "|example.com^",
      "|http://example.com:8080/ads",
      "|http://example.com/a*^",
      "|http://ads*.example.com/",
      "example.com/ads",
      "http://example.com/ads",
      "-ad-banner-",
      ".adserver.",
      "_ad_",
      "&ad_type=",
      "ads",
      "ads^",
  };
  for (const auto& line : cases) {
    CAPTURE(line);
    auto parsed = parse(line);
    CHECK(parsed.rules.empty());
    CHECK(parsed.summary.unsupported == 1);
    CHECK(parsed.summary.rejected == 0);
    CHECK(parsed.summary.skipped == 0);
  }
}

TEST_CASE("adblock comments, headers and blank lines are skipped", "[adblock]") {
  const std::vector<std::string> cases = {
      "   \t",
      "!",
      "! Title: AdGuard DNS filter",
      "!#if (adguard_app_android)",
      "[Adblock Plus 2.0]",
      "[AdGuard]",
      "#",
      "# a comment in the hosts style",
      "# see also ## which is not a rule here",
      "127.0.0.1 localhost",
      "0.0.0.0 0.0.0.0",
  };
  for (const auto& line : cases) {
    CAPTURE(line);
    auto parsed = parse(line);
    CHECK(parsed.rules.empty());
    CHECK(parsed.summary.skipped == 1);
    CHECK(parsed.summary.unsupported + parsed.summary.rejected == 0);
  }
}

TEST_CASE("malformed adblock rules are rejected with a quoted message", "[adblock]") {
  const std::vector<Case> cases = {
      {"||^", "no host name: '||^'"},
      {"||", "no host name: '||'"},
      {"||/ads", "no host name: '||/ads'"},
      {"@@", "rule has no pattern: '@@'"},
      {"$important", "rule has no pattern: '$important'"},
      {"@@$important", "rule has no pattern: '@@$important'"},
      {"||bad..host^", "invalid domain name 'bad..host'"},
      {"||bad host^", "invalid domain name 'bad host'"},
      {"bad..host", "invalid domain name 'bad..host'"},
      {"||.example.com^", "invalid domain name '.example.com'"},
      {"||\xE2\x9D\xA4.example^", "invalid domain name '\\xe2\\x9d\\xa4.example'"},
      {"||example.com^$", "empty option list: '||example.com^$'"},
      {"||example.com^$important,", "empty option: '||example.com^$important,'"},
      {"||example.com^$,important", "empty option: '||example.com^$,important'"},
      {"0.0.0.0 bad..com", "invalid domain name 'bad..com'"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.line);
    auto parsed = parse(c.line);
    CHECK(parsed.rules.empty());
    CHECK(parsed.summary.rejected == 1);
    REQUIRE(parsed.summary.issues.size() == 1);
    CHECK(parsed.summary.issues[0].line == 1);
    CHECK(parsed.summary.issues[0].message == c.expected);
  }

  SECTION("a URL the canonicaliser refuses") {
    auto parsed = parse("|http://exa%mple.com/");
    CHECK(parsed.summary.rejected == 1);
    REQUIRE(parsed.summary.issues.size() == 1);
    CHECK(parsed.summary.issues[0].message.starts_with("invalid URL ("));
    CHECK(parsed.summary.issues[0].message.ends_with("): '|http://exa%mple.com/'"));
  }
}

TEST_CASE("a hosts-style line in an adblock list keeps its good names", "[adblock]") {
  auto parsed = parse("0.0.0.0 a.example localhost b.example bad..name c.example\n");
  CHECK(parsed.rules == Rules{"block ||a.example", "block ||b.example", "block ||c.example"});
  CHECK(parsed.lines == std::vector<std::uint32_t>{1, 1, 1});
  CHECK(parsed.summary.taken == 3);
  CHECK(parsed.summary.skipped == 1);
  CHECK(parsed.summary.rejected == 1);
  CHECK(issue_lines(parsed.summary) == Lines{1});
}

TEST_CASE("a realistic AdGuard-style list", "[adblock]") {
  const std::string text =
      "[Adblock Plus 2.0]\n"                                            // 1 skipped
      "! Title: AdGuard DNS filter\n"                                   // 2 skipped
      "! Description: Filter composed of several other filters\n"       // 3 skipped
      "! Version: 2.1.58\n"                                             // 4 skipped
      "! TimeUpdated: 2024-05-21T10:07:12.402Z\n"                       // 5 skipped
      "! Expires: 4 days (update frequency)\n"                          // 6 skipped
      "! Homepage: https://github.com/AdguardTeam/AdGuardSDNSFilter\n"  // 7 skipped
      "!\n"                                                             // 8 skipped
      "! Compiled by @adguard/hostlist-compiler v1.0.26\n"              // 9 skipped
      "!\n"                                                             // 10 skipped
      "||0024ad98dd.com^\n"                                             // 11 taken
      "||ads.example.net^$important\n"                                  // 12 taken
      "@@||cdn.example.net^|\n"                                         // 13 taken
      "||tracker.example.org^$third-party\n"                            // 14 unsupported
      "example.org##.sponsored\n"                                       // 15 unsupported
      "/^ad[0-9]+\\.example\\.com$/\n"                                  // 16 unsupported
      "\n"                                                              // 17 skipped
      "||bad..example^\n"                                               // 18 rejected
      "0.0.0.0 hosts-style.example\n"                                   // 19 taken
      "||metrics.example.com/collect^\n"                                // 20 taken
      "@@\n"                                                            // 21 rejected
      "||*.wildcard.example^\n"                                         // 22 taken
      "||xn--80ak6aa92e.com^\n";                                        // 23 taken
  auto parsed = parse(text);
  CHECK(parsed.rules == Rules{"block ||0024ad98dd.com", "block ||ads.example.net important",
                              "allow ||cdn.example.net", "block ||hosts-style.example",
                              "block ||metrics.example.com/collect*^", "block ||wildcard.example",
                              "block ||xn--80ak6aa92e.com"});
  CHECK(parsed.lines == std::vector<std::uint32_t>{11, 12, 13, 19, 20, 22, 23});
  CHECK(parsed.summary.taken == 7);
  CHECK(parsed.summary.skipped == 11);
  CHECK(parsed.summary.unsupported == 3);
  CHECK(parsed.summary.rejected == 2);
  CHECK(issue_lines(parsed.summary) == Lines{18, 21});
}

TEST_CASE("adblock: CRLF line ends, a BOM, long lines and escaping", "[adblock]") {
  auto parsed = parse("\xEF\xBB\xBF! header\r\n||first.example^\r\n\r\n||bad..x^\r\nlast.example");
  CHECK(parsed.rules == Rules{"block ||first.example", "block ||last.example"});
  CHECK(parsed.lines == std::vector<std::uint32_t>{2, 5});
  CHECK(parsed.summary.skipped == 2);
  CHECK(issue_lines(parsed.summary) == Lines{4});

  parsed = parse("||ok.example^\n||" + std::string(5000, 'a') + "^\n||ok2.example^\n");
  CHECK(parsed.rules == Rules{"block ||ok.example", "block ||ok2.example"});
  CHECK(issue_lines(parsed.summary) == Lines{2});

  parsed = parse(std::string("||bad\x1b[31m.example^"));
  REQUIRE(parsed.summary.issues.size() == 1);
  CHECK(parsed.summary.issues[0].message == "invalid domain name 'bad\\x1b[31m.example'");
}

TEST_CASE("adblock: the rule's views are only needed during the call", "[adblock]") {
  // The sink copies as told; a second rule must not change what the first one said.
  std::vector<std::string> hosts;
  std::vector<std::string> paths;
  bl::parse_adblock("||a.example/one^\n||b.example^\n", [&](const bl::Rule& r) {
    hosts.emplace_back(r.host);
    paths.emplace_back(r.path);
  });
  CHECK(hosts == std::vector<std::string>{"a.example", "b.example"});
  CHECK(paths == std::vector<std::string>{"/one", ""});
}

TEST_CASE("adblock: empty input", "[adblock]") {
  auto parsed = parse("");
  CHECK(parsed.rules.empty());
  CHECK(parsed.summary.taken + parsed.summary.skipped + parsed.summary.unsupported +
            parsed.summary.rejected ==
        0);
}
