#include "blocklist/rpz_zone.h"
#include "blocklist/list_format.h"
#include "tests/unit/blocklist/parse_test_util.h"

#include <arpa/inet.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace bl = shelter::blocklist;

namespace {

// A rule in one line of text: "block =host nxdomain", "allow *.host", "block =host local
// 192.0.2.1", then " @line". `=` is self_only, `*.` below_only.
std::string describe(const bl::Rule& r) {
  std::string out = r.action == bl::RuleAction::block ? "block " : "allow ";
  out += r.scope == bl::HostScope::self_only    ? "="
         : r.scope == bl::HostScope::below_only ? "*."
                                                : "||";
  out += r.host;
  switch (r.answer) {
    case bl::DnsAnswer::configured:
      break;
    case bl::DnsAnswer::nxdomain:
      out += " nxdomain";
      break;
    case bl::DnsAnswer::nodata:
      out += " nodata";
      break;
    case bl::DnsAnswer::local_data: {
      char text[INET6_ADDRSTRLEN] = {};
      int family = r.address_size == 4 ? AF_INET : AF_INET6;
      out += " local ";
      out += inet_ntop(family, r.address.data(), text, sizeof text) ? text : "?";
      break;
    }
  }
  // RPZ rules are never URL-level, important or categorised; addresses only with local data.
  if (!r.path.empty() || r.path_prefix || r.path_separator || r.important || !r.category.empty() ||
      (r.answer != bl::DnsAnswer::local_data && r.address_size != 0)) {
    out += " ???";
  }
  return out + " @" + std::to_string(r.line);
}

struct Parsed {
  std::vector<std::string> rules;
  bl::ParseSummary summary;
};

Parsed parse(std::string_view text) {
  Parsed out;
  out.summary = bl::parse_rules(text, bl::ListFormat::rpz,
                                [&](const bl::Rule& r) { out.rules.push_back(describe(r)); });
  return out;
}

using shelter::blocklist::test::issue_lines;

std::vector<std::string> issue_messages(const bl::ParseSummary& summary) {
  std::vector<std::string> messages;
  for (const auto& issue : summary.issues)
    messages.push_back(issue.message);
  return messages;
}

using Rules = std::vector<std::string>;
using Lines = std::vector<std::size_t>;
using Messages = std::vector<std::string>;

const std::string kHeader =
    "$ORIGIN rpz.local.\n"                                        // 1
    "@ SOA ns.rpz.local. admin.rpz.local. 1 3600 600 86400 60\n"  // 2
    "@ NS ns.rpz.local.\n";                                       // 3
constexpr std::size_t kHeaderLines = 3;

// Parses one record after kHeader; its rules are "@4".
Parsed parse_record(const std::string& record) {
  return parse(kHeader + record + "\n");
}

struct Case {
  std::string record;
  std::string expected;
};

}  // namespace

TEST_CASE("rpz policies", "[rpz]") {
  const std::vector<Case> cases = {
      {"bad.example CNAME .", "block =bad.example nxdomain @4"},
      {"*.bad.example CNAME .", "block *.bad.example nxdomain @4"},
      {"nodata.example CNAME *.", "block =nodata.example nodata @4"},
      {"ok.example CNAME rpz-passthru.", "allow =ok.example @4"},
      {"*.ok.example CNAME rpz-passthru.", "allow *.ok.example @4"},
      {"ok.example CNAME RPZ-PASSTHRU.", "allow =ok.example @4"},
      // The deprecated passthru: a CNAME to the trigger name itself.
      {"ok.example CNAME ok.example.", "allow =ok.example @4"},
      {"drop.example CNAME rpz-drop.", "block =drop.example nxdomain @4"},
      {"garden.example A 192.0.2.1", "block =garden.example local 192.0.2.1 @4"},
      {"garden.example AAAA 2001:db8::1", "block =garden.example local 2001:db8::1 @4"},
      {"*.garden.example A 192.0.2.2", "block *.garden.example local 192.0.2.2 @4"},
      // TTL and class, in either order and any case.
      {"ttl.example 300 CNAME .", "block =ttl.example nxdomain @4"},
      {"ttl.example 300 IN CNAME .", "block =ttl.example nxdomain @4"},
      {"ttl.example IN 1h30m CNAME .", "block =ttl.example nxdomain @4"},
      {"ttl.example in cname .", "block =ttl.example nxdomain @4"},
      {"ttl.example IN 2W a 192.0.2.3", "block =ttl.example local 192.0.2.3 @4"},
      // Owner names: relative, absolute, case, IDNA, trailing comment, tabs.
      {"BAD.Example CNAME .", "block =bad.example nxdomain @4"},
      {"abs.example.rpz.local. CNAME .", "block =abs.example nxdomain @4"},
      {"ABS.Example.RPZ.Local. CNAME .", "block =abs.example nxdomain @4"},
      {"b\xC3\xBC"
       "cher.example CNAME .",
       "block =xn--bcher-kva.example nxdomain @4"},
      {"bad.example\tCNAME\t. ; a comment", "block =bad.example nxdomain @4"},
      {"_dmarc.example CNAME .", "block =_dmarc.example nxdomain @4"},
      {"single CNAME .", "block =single nxdomain @4"},
      // A record split over lines by parentheses.
      {"split.example CNAME (\n . )", "block =split.example nxdomain @4"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.record);
    auto parsed = parse_record(c.record);
    CHECK(parsed.rules == Rules{c.expected});
    CHECK(parsed.summary.taken == 1);
    CHECK(parsed.summary.skipped == kHeaderLines);
    CHECK(parsed.summary.unsupported == 0);
    CHECK(parsed.summary.rejected == 0);
    CHECK(issue_messages(parsed.summary) == Messages{});
  }
}

TEST_CASE("rpz records that are well-formed but not QNAME policies are unsupported", "[rpz]") {
  const std::vector<std::string> cases = {
      "tcp.example CNAME rpz-tcp-only.",
      "redirect.example CNAME walled.garden.example.",
      "redirect.example CNAME walled-garden",  // relative: walled-garden.rpz.local.
      "redirect.example CNAME rpz-passthru",   // relative, so not the special name
      "32.1.2.0.192.rpz-ip CNAME .",
      "128.zz.1.db8.2001.rpz-ip CNAME rpz-passthru.",
      "ns.evil.example.rpz-nsdname CNAME .",
      "32.1.2.0.192.rpz-nsip CNAME .",
      "24.0.2.0.192.rpz-client-ip CNAME rpz-drop.",
      "rpz-ip CNAME .",
      "info TXT \"feed; version 1\"",
      "@ TXT \"about this zone\"",
      "mail.example MX 10 mx.example.",
      "svc.example TYPE65534 \\# 0",
      "$GENERATE 1-10 host$ CNAME .",
  };
  for (const auto& record : cases) {
    CAPTURE(record);
    auto parsed = parse_record(record);
    CHECK(parsed.rules.empty());
    CHECK(parsed.summary.unsupported == 1);
    CHECK(parsed.summary.rejected == 0);
    CHECK(issue_messages(parsed.summary) == Messages{});
  }
}

TEST_CASE("malformed rpz records are rejected with the line and a message", "[rpz]") {
  const std::vector<Case> cases = {
      {"bad..name CNAME .", "invalid owner name 'bad..name'"},
      {"a*b.example CNAME .", "invalid owner name 'a*b.example'"},
      {"outside.example. CNAME .",
       "owner name 'outside.example.' is not under the zone 'rpz.local.'"},
      {"notrpz.local. CNAME .", "owner name 'notrpz.local.' is not under the zone 'rpz.local.'"},
      {"x CNAME", "CNAME needs exactly one target"},
      {"x CNAME . .", "CNAME needs exactly one target"},
      {"x A", "address record needs exactly one address"},
      {"x A 192.0.2.1 192.0.2.2", "address record needs exactly one address"},
      {"x A 192.0.2", "invalid address '192.0.2'"},
      {"x A 192.0.2.256", "invalid address '192.0.2.256'"},
      {"x A 2001:db8::1", "invalid address '2001:db8::1'"},
      {"x AAAA 192.0.2.1", "invalid address '192.0.2.1'"},
      {"x", "record has no type"},
      {"x 300 IN", "record has no type"},
      {"x BOGUS .", "unknown record type 'BOGUS'"},
      {"x .", "unknown record type '.'"},
      {"x 300 300 CNAME .", "unknown record type '300'"},
      {"x CH TXT \"a\"", "class 'CH' in an IN zone"},
      {"@ CNAME .", "policy record at the zone apex"},
      {"@ A 192.0.2.1", "policy record at the zone apex"},
      {"rpz.local. CNAME .", "policy record at the zone apex"},
      {"* CNAME .", "wildcard at the zone apex would match every name"},
      {"@ SOA ns. admin. 2 1 1 1 1", "second SOA record"},
      {"x CNAME . )", "unbalanced ')': 'x CNAME . )'"},
      {"x TXT \"unterminated", "unterminated quoted string: 'x TXT \"unterminated'"},
      {"$INCLUDE other.zone", "$INCLUDE is not supported: inline the file"},
      {"$ORIGIN", "$ORIGIN needs one absolute name, or a name under a known origin"},
      {"$ORIGIN a. b.", "$ORIGIN needs one absolute name, or a name under a known origin"},
      {"$ORIGIN bad..name.", "$ORIGIN needs one absolute name, or a name under a known origin"},
      {"$ORIGIN *.rpz.local.", "$ORIGIN needs one absolute name, or a name under a known origin"},
      {"$TTL", "$TTL needs one TTL"},
      {"$TTL soon", "$TTL needs one TTL"},
      {"$TTL 1h extra", "$TTL needs one TTL"},
      {"$FROB x", "unknown directive '$FROB'"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.record);
    auto parsed = parse_record(c.record);
    CHECK(parsed.rules.empty());
    CHECK(parsed.summary.rejected == 1);
    CHECK(parsed.summary.unsupported == 0);
    CHECK(issue_lines(parsed.summary) == Lines{4});
    CHECK(issue_messages(parsed.summary) == Messages{c.expected});
  }
}

TEST_CASE("a realistic RPZ zone", "[rpz]") {
  const std::string text =
      "; Response policy zone for the Shelter test network\n"      // 1 skipped
      "$TTL 2h\n"                                                  // 2 skipped
      "$ORIGIN rpz.example.net.\n"                                 // 3 skipped
      "@ IN SOA ns1.example.net. hostmaster.example.net. (\n"      // 4 skipped
      "        2024052101 ; serial\n"                              // 5
      "        1h         ; refresh\n"                             // 6
      "        15m        ; retry\n"                               // 7
      "        30d        ; expire\n"                              // 8
      "        2h )       ; negative caching TTL\n"                // 9
      "    IN NS localhost.\n"                                     // 10 skipped
      "\n"                                                         // 11 skipped
      "; QNAME triggers\n"                                         // 12 skipped
      "bad.example.com          CNAME .\n"                         // 13 taken
      "*.bad.example.com        CNAME .\n"                         // 14 taken
      "nodata.example.com 300 IN CNAME *.\n"                       // 15 taken
      "ok.bad.example.com IN 300 CNAME rpz-passthru.\n"            // 16 taken
      "drop.example.com         CNAME rpz-drop.\n"                 // 17 taken
      "garden.example.com       A     192.0.2.1\n"                 // 18 taken
      "                         AAAA  2001:db8::1\n"               // 19 taken
      "tcp.example.com          CNAME rpz-tcp-only.\n"             // 20 unsupported
      "redirect.example.com     CNAME walled.example.net.\n"       // 21 unsupported
      "32.1.2.0.192.rpz-ip      CNAME .\n"                         // 22 unsupported
      "ns.evil.rpz-nsdname      CNAME .\n"                         // 23 unsupported
      "info                     TXT   \"feed v1; do not edit\"\n"  // 24 unsupported
      "abs.example.org.rpz.example.net. CNAME .\n"                 // 25 taken
      "$ORIGIN example.com.rpz.example.net.\n"                     // 26 skipped
      "sub                      CNAME .\n"                         // 27 taken
      "@                        CNAME rpz-passthru.\n"             // 28 taken
      "*                        CNAME *.\n"                        // 29 taken
      "$ORIGIN rpz.example.net.\n"                                 // 30 skipped
      "outside.example.org.     CNAME .\n"                         // 31 rejected
      "bad..example.com         CNAME .\n"                         // 32 rejected
      "                         A     192.0.2.9\n"                 // 33 rejected
      "multi.example.com        A     192.0.2.10\n"                // 34 taken
      "                         A     192.0.2.11\n"                // 35 taken
      "long.example.com 60 IN CNAME ( ; split\n"                   // 36 taken
      "   . )\n"                                                   // 37
      "$INCLUDE more.zone\n";                                      // 38 rejected
  auto parsed = parse(text);
  CHECK(parsed.rules == Rules{
                            "block =bad.example.com nxdomain @13",
                            "block *.bad.example.com nxdomain @14",
                            "block =nodata.example.com nodata @15",
                            "allow =ok.bad.example.com @16",
                            "block =drop.example.com nxdomain @17",
                            "block =garden.example.com local 192.0.2.1 @18",
                            "block =garden.example.com local 2001:db8::1 @19",
                            "block =abs.example.org nxdomain @25",
                            "block =sub.example.com nxdomain @27",
                            "allow =example.com @28",
                            "block *.example.com nodata @29",
                            "block =multi.example.com local 192.0.2.10 @34",
                            "block =multi.example.com local 192.0.2.11 @35",
                            "block =long.example.com nxdomain @36",
                        });
  CHECK(parsed.summary.taken == 14);
  CHECK(parsed.summary.skipped == 9);
  CHECK(parsed.summary.unsupported == 5);
  CHECK(parsed.summary.rejected == 4);
  CHECK(issue_lines(parsed.summary) == Lines{31, 32, 33, 38});
  CHECK(issue_messages(parsed.summary) ==
        Messages{
            "owner name 'outside.example.org.' is not under the zone 'rpz.example.net.'",
            "invalid owner name 'bad..example.com'",
            "no previous owner name for a record with a blank owner",
            "$INCLUDE is not supported: inline the file",
        });
}

TEST_CASE("rpz zone apex and origin", "[rpz]") {
  SECTION("no $ORIGIN: names are relative to the zone BIND's configuration names") {
    // As URLhaus and other feeds publish their zones.
    auto parsed = parse(
        "$TTL 30\n"
        "@ SOA rpz.urlhaus.abuse.ch. hostmaster.urlhaus.abuse.ch. 2405210000 300 1800 604800 30\n"
        " NS localhost.\n"
        "bad.example CNAME .\n"
        "*.bad.example CNAME .\n"
        "abs.example.rpz.local. CNAME .\n");
    CHECK(parsed.rules ==
          Rules{"block =bad.example nxdomain @4", "block *.bad.example nxdomain @5"});
    CHECK(parsed.summary.skipped == 3);
    CHECK(issue_lines(parsed.summary) == Lines{6});
    CHECK(issue_messages(parsed.summary) ==
          Messages{"owner name 'abs.example.rpz.local.' is not under the zone '(unknown)'"});
  }

  SECTION("no SOA: the first $ORIGIN is the apex") {
    auto parsed = parse(
        "$ORIGIN rpz.local.\n"
        "bad.example CNAME .\n"
        "$ORIGIN sub.rpz.local.\n"
        "x CNAME .\n");
    CHECK(parsed.rules == Rules{"block =bad.example nxdomain @2", "block =x.sub nxdomain @4"});
  }

  SECTION("the SOA owner is the apex, and the origin when there is no $ORIGIN") {
    auto parsed = parse(
        "rpz.local. 3600 IN SOA ns. admin. 1 1 1 1 1\n"
        "bad.example CNAME .\n"
        "bad2.example.rpz.local. CNAME .\n");
    CHECK(parsed.rules ==
          Rules{"block =bad.example nxdomain @2", "block =bad2.example nxdomain @3"});
  }

  SECTION("an SOA below the first $ORIGIN moves the apex") {
    auto parsed = parse(
        "$ORIGIN local.\n"
        "rpz SOA ns. admin. 1 1 1 1 1\n"
        "bad.example.rpz CNAME .\n");
    CHECK(parsed.rules == Rules{"block =bad.example nxdomain @3"});
  }

  SECTION("$ORIGIN relative to the current origin, and the root") {
    auto parsed = parse(
        "$ORIGIN local.\n"
        "$ORIGIN rpz\n"
        "bad CNAME .\n");
    CHECK(parsed.rules == Rules{"block =bad.rpz nxdomain @3"});

    parsed = parse(
        "$ORIGIN .\n"
        "bad.example CNAME .\n"
        "bad2.example. CNAME .\n");
    CHECK(parsed.rules ==
          Rules{"block =bad.example nxdomain @2", "block =bad2.example nxdomain @3"});
  }

  SECTION("a relative $ORIGIN needs an origin") {
    auto parsed = parse("$ORIGIN rpz\nbad CNAME .\n");
    CHECK(parsed.rules == Rules{"block =bad nxdomain @2"});
    CHECK(issue_lines(parsed.summary) == Lines{1});
  }

  SECTION("an absolute name before any apex cannot be placed") {
    auto parsed = parse("bad.example.rpz.local. CNAME .\n");
    CHECK(parsed.rules.empty());
    CHECK(issue_lines(parsed.summary) == Lines{1});
  }

  SECTION("an SOA that is not at the apex") {
    auto parsed = parse("sub SOA ns. admin. 1 1 1 1 1\n*.x.rpz. SOA ns. admin. 1 1 1 1 1\n");
    CHECK(issue_messages(parsed.summary) ==
          Messages{"SOA owner must be the zone apex", "SOA owner must be the zone apex"});
    parsed = parse("@ SOA ns. admin. 1 1 1 1\n");
    CHECK(issue_messages(parsed.summary) == Messages{"SOA needs 7 fields, has 6"});
  }

  SECTION("an over-long owner with the origin added") {
    const std::string label(63, 'a');
    auto parsed =
        parse("$ORIGIN " + label + "." + label + "." + label + ".\n" + label + " CNAME .\n");
    CHECK(parsed.rules.empty());
    CHECK(issue_lines(parsed.summary) == Lines{2});
  }
}

TEST_CASE("rpz master-file syntax", "[rpz]") {
  SECTION("a record in parentheses counts once, at its first line") {
    auto parsed = parse(kHeader +
                        "split.example (\n"  // 4
                        "  ; just a comment\n"
                        "\n"
                        "  300 IN\n"
                        "  CNAME ( . ) )\n"  // 8
                        "after.example CNAME .\n");
    CHECK(parsed.rules ==
          Rules{"block =split.example nxdomain @4", "block =after.example nxdomain @9"});
    CHECK(parsed.summary.skipped == kHeaderLines);
    CHECK(parsed.summary.rejected == 0);
  }

  SECTION("quotes hide ';' and parentheses, escapes hide quotes") {
    auto parsed = parse(kHeader +
                        "info TXT \"a ; b ( c\" \"d \\\" e\" ; real comment\n"
                        "after.example CNAME .\n");
    CHECK(parsed.rules == Rules{"block =after.example nxdomain @5"});
    CHECK(parsed.summary.unsupported == 1);
    CHECK(parsed.summary.rejected == 0);
  }

  SECTION("a blank owner repeats the last owner, and an invalid owner is not repeated") {
    auto parsed = parse(kHeader +
                        "a.example CNAME .\n"    // 4
                        "\tA 192.0.2.1\n"        // 5
                        "b..example CNAME .\n"   // 6 rejected
                        "  A 192.0.2.2\n"        // 7 rejected: no owner to repeat
                        "c.example CNAME .\n");  // 8
    CHECK(parsed.rules == Rules{"block =a.example nxdomain @4",
                                "block =a.example local 192.0.2.1 @5",
                                "block =c.example nxdomain @8"});
    CHECK(issue_lines(parsed.summary) == Lines{6, 7});
  }

  SECTION("a blank owner before any owner") {
    auto parsed = parse("  CNAME .\n");
    CHECK(issue_messages(parsed.summary) ==
          Messages{"no previous owner name for a record with a blank owner"});
  }

  SECTION("an unclosed parenthesis swallows the rest and is reported at its start") {
    auto parsed = parse(kHeader + "open.example CNAME (\n.\nnext.example CNAME .\n");
    CHECK(parsed.rules.empty());
    CHECK(parsed.summary.rejected == 1);
    CHECK(issue_lines(parsed.summary) == Lines{4});
    CHECK(issue_messages(parsed.summary) == Messages{"'(' is never closed"});
  }

  SECTION("an error inside parentheses drops the whole record once") {
    auto parsed = parse(kHeader +
                        "x TXT (\n"   // 4
                        "  \"open\n"  // 5 rejected
                        "  )\n"       // 6 closes the record: dropped
                        "y.example CNAME .\n");
    CHECK(parsed.rules == Rules{"block =y.example nxdomain @7"});
    CHECK(parsed.summary.rejected == 1);
    CHECK(issue_lines(parsed.summary) == Lines{5});
  }

  SECTION("CRLF line ends and a BOM") {
    auto parsed = parse(
        "\xEF\xBB\xBF$ORIGIN rpz.local.\r\n"
        "@ SOA ns. admin. (\r\n"
        "  1 1 1 1 1 )\r\n"
        "bad.example CNAME .\r\n"
        "\r\n"
        "ok.example CNAME rpz-passthru.\r\n");
    CHECK(parsed.rules == Rules{"block =bad.example nxdomain @4", "allow =ok.example @6"});
    CHECK(parsed.summary.skipped == 3);
    CHECK(parsed.summary.rejected == 0);
  }

  SECTION("over-long lines, also inside parentheses") {
    const std::string long_line(5000, 'a');
    auto parsed = parse(kHeader + long_line + " CNAME .\nok.example CNAME .\n");
    CHECK(parsed.rules == Rules{"block =ok.example nxdomain @5"});
    CHECK(issue_lines(parsed.summary) == Lines{4});

    parsed = parse(kHeader + "x CNAME (\n" + long_line + "\nok.example CNAME .\n");
    CHECK(parsed.rules == Rules{"block =ok.example nxdomain @6"});
    CHECK(issue_lines(parsed.summary) == Lines{5});
  }

  SECTION("control bytes in messages are escaped") {
    auto parsed = parse(kHeader + "bad\x1b[31m.example CNAME .\n");
    CHECK(issue_messages(parsed.summary) == Messages{"invalid owner name 'bad\\x1b[31m.example'"});
  }

  SECTION("empty input") {
    auto parsed = parse("");
    CHECK(parsed.rules.empty());
    CHECK(parsed.summary.taken + parsed.summary.skipped + parsed.summary.unsupported +
              parsed.summary.rejected ==
          0);
  }
}
