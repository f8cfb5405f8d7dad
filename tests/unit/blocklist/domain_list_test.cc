#include "blocklist/domain_list.h"
#include "blocklist/list_format.h"
#include "tests/unit/blocklist/parse_test_util.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace bl = shelter::blocklist;

namespace {

struct Parsed {
  std::vector<std::string> domains;
  bl::ParseSummary summary;
};

Parsed parse(std::string_view text, bl::ListFormat format) {
  Parsed out;
  out.summary =
      bl::parse_rules(text, format, [&](const bl::Rule& r) { out.domains.emplace_back(r.host); });
  return out;
}

using shelter::blocklist::test::issue_lines;

const std::string kBom = "\xEF\xBB\xBF";

using Names = std::vector<std::string>;
using Lines = std::vector<std::size_t>;

}  // namespace

TEST_CASE("normalise_domain accepts and rewrites valid names", "[domain_list]") {
  struct Case {
    std::string input;
    std::string expected;
  };
  const std::string label63(63, 'a');
  // 4 labels of 63 plus 3 dots = 255; trim to exactly 253 octets.
  const std::string name253 = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
  REQUIRE(name253.size() == 253);
  const std::vector<Case> cases = {
      {"example.com", "example.com"},
      {"Example.COM", "example.com"},
      {"example.com.", "example.com"},
      {"com", "com"},
      {"_dmarc.Example.com", "_dmarc.example.com"},
      {"a-b.c_d.e1", "a-b.c_d.e1"},
      {"1.2.3.4", "1.2.3.4"},
      {label63 + ".com", label63 + ".com"},
      {name253, name253},
      {name253 + ".", name253},
  };
  for (const auto& c : cases) {
    CAPTURE(c.input);
    auto got = bl::normalise_domain(c.input);
    REQUIRE(got.has_value());
    CHECK(*got == c.expected);
  }
}

TEST_CASE("normalise_domain rejects invalid names", "[domain_list]") {
  const std::string label64(64, 'a');
  const std::string name254 = std::string(63, 'a') + "." + std::string(63, 'a') + "." +
                              std::string(63, 'a') + "." + std::string(62, 'b');
  REQUIRE(name254.size() == 254);
  const std::vector<std::string> cases = {
      "",
      ".",
      "..",
      "a..b",
      ".example.com",
      "example.com..",
      "*.example.com",
      "exa mple.com",
      "exa\tmple.com",
      "example.com/path",
      std::string("b\xFF") + "cher.de",          // not UTF-8
      std::string("\xE2\x9D\xA4") + ".example",  // U+2764 HEAVY BLACK HEART: IDNA disallows it
      std::string("b\xC3\xBC") + "cher..de",     // IDNA-valid label, empty label after it
      std::string("ex\0ample.com", 12),
      "a:b",
      label64 + ".com",
      name254,
      name254 + ".",
  };
  for (const auto& c : cases) {
    CAPTURE(c);
    CHECK_FALSE(bl::normalise_domain(c).has_value());
  }
}

TEST_CASE("normalise_domain turns internationalised names into A-labels", "[domain_list]") {
  struct Case {
    std::string input;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"b\xC3\xBC"
       "cher.example",
       "xn--bcher-kva.example"},  // bücher
      {"B\xC3\x9C"
       "CHER.Example.",
       "xn--bcher-kva.example"},                                      // BÜCHER, case folded
      {"xn--bcher-kva.example", "xn--bcher-kva.example"},             // already an A-label
      {"www.\xE4\xBE\x8B\xE5\xAD\x90.test", "www.xn--fsqu00a.test"},  // 例子
      {"fa\xC3\x9F.de", "xn--fa-hia.de"},  // faß: non-transitional keeps ß (IDNA 2008)
  };
  for (const auto& c : cases) {
    CAPTURE(c.input);
    auto got = bl::normalise_domain(c.input);
    REQUIRE(got.has_value());
    CHECK(*got == c.expected);
  }

  SECTION("a list entry in either form blocks the same name") {
    std::vector<std::string> taken;
    auto summary = bl::parse_rules(
        "b\xC3\xBC"
        "cher.example\nxn--bcher-kva.example\n",
        bl::ListFormat::domains, [&](const bl::Rule& r) { taken.emplace_back(r.host); });
    CHECK(summary.taken == 2);
    CHECK(summary.rejected == 0);
    CHECK(taken == std::vector<std::string>{"xn--bcher-kva.example", "xn--bcher-kva.example"});
  }
}

TEST_CASE("parse_list_format", "[domain_list]") {
  CHECK(bl::parse_list_format("domains") == bl::ListFormat::domains);
  CHECK(bl::parse_list_format("hosts") == bl::ListFormat::hosts);
  CHECK_FALSE(bl::parse_list_format("Hosts").has_value());
  CHECK_FALSE(bl::parse_list_format("").has_value());
  CHECK(bl::parse_list_format("adblock") == bl::ListFormat::adblock);
  CHECK(bl::parse_list_format("rpz") == bl::ListFormat::rpz);
  CHECK(bl::parse_list_format("urls") == bl::ListFormat::urls);
  // A SquidGuard tree is a directory of files, read by the loader, not a text format.
  CHECK_FALSE(bl::parse_list_format("squidguard").has_value());
  for (auto format : {bl::ListFormat::domains, bl::ListFormat::hosts, bl::ListFormat::adblock,
                      bl::ListFormat::rpz, bl::ListFormat::urls}) {
    CHECK(bl::parse_list_format(bl::format_name(format)) == format);
  }
}

TEST_CASE("domains format: entries, comments, wildcards and malformed lines", "[domain_list]") {
  const std::string text =
      "# a comment\n"         // 1 skipped
      "! another comment\n"   // 2 skipped
      "\n"                    // 3 skipped
      "   \t \n"              // 4 skipped
      "Example.COM\n"         // 5 taken
      "  padded.org.  \n"     // 6 taken
      "tail.net # why\n"      // 7 taken
      "tail2.net ! why\n"     // 8 taken
      "glued.net#why\n"       // 9 taken
      "*.wild.example\n"      // 10 taken as wild.example
      "a..b\n"                // 11 rejected
      "two names.com\n"       // 12 rejected
      "*.\n"                  // 13 rejected
      "*.*.double.example\n"  // 14 rejected
      "||adblock.com^\n"      // 15 rejected
      "last.example";         // 16 taken, no final newline
  auto parsed = parse(text, bl::ListFormat::domains);
  CHECK(parsed.domains == Names{"example.com", "padded.org", "tail.net", "tail2.net", "glued.net",
                                "wild.example", "last.example"});
  CHECK(parsed.summary.taken == 7);
  CHECK(parsed.summary.skipped == 4);
  CHECK(parsed.summary.rejected == 5);
  CHECK(issue_lines(parsed.summary) == Lines{11, 12, 13, 14, 15});
  REQUIRE(parsed.summary.issues.size() == 5);
  CHECK(parsed.summary.issues[0].message == "invalid domain name 'a..b'");
  CHECK(parsed.summary.issues[1].message == "unexpected text after domain name: 'two names.com'");
  CHECK(parsed.summary.issues[2].message == "invalid domain name '*.'");
}

TEST_CASE("CRLF line ends and a UTF-8 BOM are accepted", "[domain_list]") {
  auto domains =
      parse(kBom + "first.com\r\n# c\r\nsecond.com\r\nbad..com\r\n", bl::ListFormat::domains);
  CHECK(domains.domains == Names{"first.com", "second.com"});
  CHECK(domains.summary.skipped == 1);
  CHECK(issue_lines(domains.summary) == Lines{4});

  auto hosts = parse(kBom + "0.0.0.0 a.com\r\n0.0.0.0 b.com\r\n", bl::ListFormat::hosts);
  CHECK(hosts.domains == Names{"a.com", "b.com"});
  CHECK(hosts.summary.rejected == 0);
}

TEST_CASE("a BOM inside the file is an ignorable character, as browsers treat it",
          "[domain_list]") {
  // Past the first line U+FEFF is not a byte-order mark but part of the name, and UTS #46
  // mapping (what browsers apply to host names) drops it: the entry is the name they resolve.
  auto parsed = parse("a.com\n" + kBom + "b.com\n", bl::ListFormat::domains);
  CHECK(parsed.domains == Names{"a.com", "b.com"});
  CHECK(parsed.summary.rejected == 0);
}

TEST_CASE("hosts format", "[domain_list]") {
  const std::string text =
      "# hosts file\n"                              // 1 skipped
      "127.0.0.1 localhost\n"                       // 2 skipped name
      "::1 localhost ip6-localhost ip6-loopback\n"  // 3 three skipped names
      "255.255.255.255 broadcasthost\n"             // 4 skipped name
      "0.0.0.0 0.0.0.0\n"                           // 5 skipped name (an address)
      "0.0.0.0 Ads.Example.com tracker.net # c\n"   // 6 two taken
      "127.0.0.1\tlocal.test\n"                     // 7 taken
      ":: v6.example\n"                             // 8 taken
      "fe80::1%lo0 localhost\n"                     // 9 skipped name
      "example.com\n"                               // 10 rejected: no address
      "0.0.0.0\n"                                   // 11 rejected: no name
      "0.0.0.0 good.com bad..com\n"                 // 12 one taken, line rejected
      "300.1.1.1 x.com\n"                           // 13 rejected: not an address
      "0.0.0.0 *.wild.com\n"                        // 14 rejected: no wildcards in hosts files
      "12345678901234567890.0.0.0 y.com\n"          // 15 rejected: not an address
      "\n"                                          // 16 skipped
      "0.0.0.0 localhost.localdomain local\n";      // 17 two skipped names
  auto parsed = parse(text, bl::ListFormat::hosts);
  CHECK(parsed.domains ==
        Names{"ads.example.com", "tracker.net", "local.test", "v6.example", "good.com"});
  CHECK(parsed.summary.taken == 5);
  CHECK(parsed.summary.skipped == 2 + 1 + 3 + 1 + 1 + 1 + 2);
  CHECK(parsed.summary.rejected == 6);
  CHECK(issue_lines(parsed.summary) == Lines{10, 11, 12, 13, 14, 15});
  REQUIRE(parsed.summary.issues.size() == 6);
  CHECK(parsed.summary.issues[0].message == "hosts line has no address: 'example.com'");
  CHECK(parsed.summary.issues[1].message == "hosts line has no name after address '0.0.0.0'");
  CHECK(parsed.summary.issues[2].message == "invalid domain name 'bad..com'");
  CHECK(parsed.summary.issues[3].message == "hosts line has no address: '300.1.1.1'");
}

TEST_CASE("over-long lines are rejected, and messages quote at most 80 bytes", "[domain_list]") {
  const std::string long_line(5000, 'a');
  auto parsed = parse("ok.com\n" + long_line + "\nok2.com\n", bl::ListFormat::domains);
  CHECK(parsed.domains == Names{"ok.com", "ok2.com"});
  CHECK(issue_lines(parsed.summary) == Lines{2});
  REQUIRE(parsed.summary.issues.size() == 1);
  CHECK(parsed.summary.issues[0].message == "line longer than 4096 bytes");

  // 4096 bytes is still a line (and here an invalid name, because the label is too long).
  const std::string bad_name(4096, 'b');
  parsed = parse(bad_name, bl::ListFormat::domains);
  REQUIRE(parsed.summary.issues.size() == 1);
  CHECK(parsed.summary.issues[0].message ==
        "invalid domain name '" + std::string(80, 'b') + "'...");
}

TEST_CASE("control bytes in messages are escaped", "[domain_list]") {
  auto parsed = parse(std::string("bad\x1b[31m.com\n"), bl::ListFormat::domains);
  REQUIRE(parsed.summary.issues.size() == 1);
  CHECK(parsed.summary.issues[0].message == "invalid domain name 'bad\\x1b[31m.com'");
}

TEST_CASE("only the first kMaxIssues issues are kept, all are counted", "[domain_list]") {
  std::string text;
  for (int i = 0; i < 250; ++i)
    text += "bad..name\n";
  auto parsed = parse(text, bl::ListFormat::domains);
  CHECK(parsed.summary.rejected == 250);
  REQUIRE(parsed.summary.issues.size() == bl::ParseSummary::kMaxIssues);
  CHECK(parsed.summary.issues.front().line == 1);
  CHECK(parsed.summary.issues.back().line == bl::ParseSummary::kMaxIssues);
}

TEST_CASE("empty input", "[domain_list]") {
  for (auto format : {bl::ListFormat::domains, bl::ListFormat::hosts}) {
    auto parsed = parse("", format);
    CHECK(parsed.domains.empty());
    CHECK(parsed.summary.taken == 0);
    CHECK(parsed.summary.skipped == 0);
    CHECK(parsed.summary.rejected == 0);
  }
}
