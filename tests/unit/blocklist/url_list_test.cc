#include "blocklist/url_list.h"
#include "blocklist/list_format.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace bl = shelter::blocklist;

namespace {

// A Rule with its views copied out, since they are valid only during the sink call.
struct Taken {
  std::string host;
  std::string path;
  bl::HostScope scope;
  bool path_prefix;
  std::string category;
  std::uint32_t line;

  bool operator==(const Taken&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Taken& t) {
  return os << "{" << t.host << " " << t.path << " scope=" << static_cast<int>(t.scope)
            << " prefix=" << t.path_prefix << " category=" << t.category << " line=" << t.line
            << "}";
}

struct Parsed {
  std::vector<Taken> rules;
  bl::ParseSummary summary;
};

Parsed parse(std::string_view text) {
  Parsed out;
  out.summary = bl::parse_url_list(text, [&](const bl::Rule& r) {
    CHECK(r.action == bl::RuleAction::block);
    out.rules.push_back({std::string(r.host), std::string(r.path), r.scope, r.path_prefix,
                         std::string(r.category), r.line});
  });
  return out;
}

struct Issue {
  std::size_t line;
  std::string message;
  bool operator==(const Issue&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Issue& i) {
  return os << i.line << ": " << i.message;
}

std::vector<Issue> issues(const bl::ParseSummary& summary) {
  std::vector<Issue> out;
  for (const auto& issue : summary.issues)
    out.push_back({issue.line, issue.message});
  return out;
}

constexpr auto kSite = bl::HostScope::self_and_below;
constexpr auto kPage = bl::HostScope::self_only;

}  // namespace

TEST_CASE("bare hosts, pages and folders", "[url_list]") {
  struct Case {
    std::string line;
    Taken expected;
  };
  const std::vector<Case> cases = {
      {"example.com", {"example.com", "", kSite, false, "", 1}},
      {"http://Example.com/", {"example.com", "", kSite, false, "", 1}},
      {"https://example.com:8443/#top", {"example.com", "", kSite, false, "", 1}},
      {"example.com/?", {"example.com", "", kSite, false, "", 1}},
      {"192.0.2.1", {"192.0.2.1", "", kSite, false, "", 1}},
      {"example.com/a.html", {"example.com", "/a.html", kPage, false, "", 1}},
      {"example.com/dir", {"example.com", "/dir", kPage, false, "", 1}},
      {"example.com/dir/", {"example.com", "/dir/", kPage, true, "", 1}},
      {"example.com/dir/./sub//", {"example.com", "/dir/sub/", kPage, true, "", 1}},
      {"example.com/dir/?x=1", {"example.com", "/dir/?x=1", kPage, false, "", 1}},
      {"example.com/?q=1", {"example.com", "/?q=1", kPage, false, "", 1}},
      {"example.com/a?x=/", {"example.com", "/a?x=/", kPage, false, "", 1}},
      {"http://[2001:DB8::1]/a", {"[2001:db8::1]", "/a", kPage, false, "", 1}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.line);
    auto parsed = parse(c.line);
    CHECK(parsed.rules == std::vector<Taken>{c.expected});
    CHECK(parsed.summary.taken == 1);
    CHECK(parsed.summary.rejected == 0);
  }
}

TEST_CASE("an IWF-style CSV file", "[url_list]") {
  const std::string text =
      "URL,Category,ID\n"                      // 1 header, skipped
      "# comment\n"                            // 2 skipped
      "\n"                                     // 3 skipped
      "example.com/a/b.html,csam,1001\n"       // 4 page
      "example.org/dir/,CSAM,1002\n"           // 5 folder, category lower-cased
      "bad.example,,1003\n"                    // 6 site, no category
      "  spaced.example/x ,  adult_18-x  \n"   // 7 blanks around fields dropped
      "ftp://example.net/a,csam,1004\n"        // 8 rejected: scheme
      "example.net/a,bad cat,1005\n"           // 9 rejected: category
      "example.net/a,c\xC3\xA9,1006\n"         // 10 rejected: category
      "example.net/a,csam,1,extra\n"           // 11 rejected: four fields
      "   # indented comment\n"                // 12 skipped
      ",csam\n"                                // 13 rejected: no URL
      "exa..mple.net/a\n"                      // 14 rejected: host
      "example.net/a,csam,id\twith tab\n"      // 15 rejected: id
      "example.net/last,csam,\"quoted, id\"";  // 16 page, no final newline
  auto parsed = parse(text);
  CHECK(parsed.rules == std::vector<Taken>{
                            {"example.com", "/a/b.html", kPage, false, "csam", 4},
                            {"example.org", "/dir/", kPage, true, "csam", 5},
                            {"bad.example", "", kSite, false, "", 6},
                            {"spaced.example", "/x", kPage, false, "adult_18-x", 7},
                            {"example.net", "/last", kPage, false, "csam", 16},
                        });
  CHECK(parsed.summary.taken == 5);
  CHECK(parsed.summary.skipped == 4);
  CHECK(parsed.summary.rejected == 7);
  CHECK(issues(parsed.summary) == std::vector<Issue>{
                                      {8, "unsupported scheme 'ftp': 'ftp://example.net/a'"},
                                      {9, "invalid category 'bad cat'"},
                                      {10, "invalid category 'c\\xc3\\xa9'"},
                                      {11, "more than 3 fields: 'example.net/a,csam,1,extra'"},
                                      {13, "empty url field"},
                                      {14, "invalid host: 'exa..mple.net/a'"},
                                      {15, "invalid id 'id\\x09with tab'"},
                                  });
}

TEST_CASE("a SquidGuard urls file", "[url_list]") {
  auto parsed = parse("example.com/path/page.html\nwww.example.org/dir/\nexample.net\n");
  CHECK(parsed.rules == std::vector<Taken>{
                            {"example.com", "/path/page.html", kPage, false, "", 1},
                            {"www.example.org", "/dir/", kPage, true, "", 2},
                            {"example.net", "", kSite, false, "", 3},
                        });
  CHECK(parsed.summary.rejected == 0);
}

TEST_CASE("RFC 4180 quoting", "[url_list]") {
  const std::string text =
      "\"http://example.com/a,b\",csam\n"      // 1 comma inside quotes
      "\"example.com/say \"\"hi\"\"\"\n"       // 2 rejected: the URL has a space
      "\"example.com/\"\"q\"\"\",\"ADULT\"\n"  // 3 doubled quote is one quote, escaped
      "  \"example.com/c\"  , csam\n"          // 4 blanks around a quoted field
      "\"example.com/unterminated,csam\n"      // 5 rejected
      "\"example.com/d\"x,csam\n"              // 6 rejected
      "example.com/e\"f,csam\n"                // 7 rejected
      "\"\",csam\n"                            // 8 rejected: empty
      "example.com/g,\"\",\"\"\n";             // 9 empty quoted fields
  auto parsed = parse(text);
  CHECK(parsed.rules == std::vector<Taken>{
                            {"example.com", "/a,b", kPage, false, "csam", 1},
                            {"example.com", "/%22q%22", kPage, false, "adult", 3},
                            {"example.com", "/c", kPage, false, "csam", 4},
                            {"example.com", "/g", kPage, false, "", 9},
                        });
  CHECK(issues(parsed.summary) ==
        std::vector<Issue>{
            {2, "space or control character: 'example.com/say \"hi\"'"},
            {5, "unterminated quoted field: '\"example.com/unterminated,csam'"},
            {6, "text after a quoted field: '\"example.com/d\"x,csam'"},
            {7, "quote inside an unquoted field: 'example.com/e\"f,csam'"},
            {8, "empty url field"},
        });
}

TEST_CASE("CRLF line ends and a UTF-8 BOM", "[url_list]") {
  auto parsed =
      parse("\xEF\xBB\xBFurl,category\r\nexample.com/a,csam\r\n\r\nexample.com/b/\r\nbad url\r\n");
  CHECK(parsed.rules == std::vector<Taken>{
                            {"example.com", "/a", kPage, false, "csam", 2},
                            {"example.com", "/b/", kPage, true, "", 4},
                        });
  CHECK(parsed.summary.skipped == 2);
  CHECK(issues(parsed.summary) == std::vector<Issue>{{5, "space or control character: 'bad url'"}});
}

TEST_CASE("only the first entry line can be a header", "[url_list]") {
  auto after_comment = parse("# exported list\n\"URL\",\"Category\"\nexample.com/a\n");
  CHECK(after_comment.summary.skipped == 2);
  CHECK(after_comment.summary.taken == 1);

  // "url" further down is an entry like any other: a host named "url".
  auto later = parse("example.com/a\nurl\n");
  CHECK(later.summary.taken == 2);
  CHECK(later.summary.skipped == 0);

  // A first line that fails is still the first line.
  auto failed_first = parse("\"bad\nurl\n");
  CHECK(failed_first.summary.rejected == 1);
  CHECK(failed_first.summary.taken == 1);
}

TEST_CASE("over-long lines are rejected and parsing goes on", "[url_list]") {
  auto parsed = parse("example.com/" + std::string(5000, 'a') + "\nexample.com/b\n");
  CHECK(parsed.rules == std::vector<Taken>{{"example.com", "/b", kPage, false, "", 2}});
  CHECK(issues(parsed.summary) == std::vector<Issue>{{1, "line longer than 4096 bytes"}});
}

TEST_CASE("the urls list format reaches parse_url_list", "[url_list]") {
  std::vector<std::string> hosts;
  auto summary = bl::parse_rules("example.com/a\n", bl::ListFormat::urls,
                                 [&](const bl::Rule& r) { hosts.emplace_back(r.host); });
  CHECK(summary.taken == 1);
  CHECK(hosts == std::vector<std::string>{"example.com"});
}
