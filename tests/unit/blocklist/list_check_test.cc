#include "blocklist/list_check.h"

#include <catch2/catch.hpp>
#include <string>

#include "blocklist/snapshot.h"

namespace bl = shelter::blocklist;

namespace {

bl::ListFacts text_facts(std::uint64_t entries, std::uint64_t malformed = 0) {
  return {.kind = bl::TextKind::text,
          .kind_detail = "text",
          .entries = entries,
          .malformed = malformed};
}

bl::ListFacts sniffed(std::string_view bytes, std::uint64_t entries) {
  bl::ListFacts facts;
  facts.kind = bl::sniff_text(bytes, &facts.kind_detail);
  facts.entries = entries;
  return facts;
}

}  // namespace

TEST_CASE("sniff_text tells lists from error pages and binary downloads", "[list_check]") {
  struct Case {
    std::string bytes;
    bl::TextKind kind;
    std::string detail;
  };
  std::string random_bytes;
  for (int i = 0; i < 2048; ++i)
    random_bytes += static_cast<char>((i * 7919 + 13) % 255 + 1);  // no NUL, many controls
  std::string zero_tail = "a.example\nb.example\n" + std::string(512, '\0');
  const Case cases[] = {
      {"", bl::TextKind::empty, "no bytes but white space"},
      {" \n\r\n\t\n", bl::TextKind::empty, "no bytes but white space"},
      {"\xef\xbb\xbf\n", bl::TextKind::empty, "no bytes but white space"},
      {"example.com\n", bl::TextKind::text, "text"},
      {"\xef\xbb\xbf"
       "example.com\n",
       bl::TextKind::text, "text"},
      {"# comment\n0.0.0.0 ads.example\n", bl::TextKind::text, "text"},
      {"b\xc3\xbc"
       "cher.example\n",
       bl::TextKind::text, "text"},  // UTF-8 is text
      {"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", bl::TextKind::markup,
       "an HTML page"},
      {"\n  <html>\n<head><title>404</title>", bl::TextKind::markup, "an HTML page"},
      {"<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code></Error>", bl::TextKind::markup,
       "an XML document"},
      {"<foo>", bl::TextKind::markup, "markup (it starts with '<')"},
      {"\x1f\x8b\x08\x00rest", bl::TextKind::binary, "gzip-compressed data"},
      {"PK\x03\x04rest", bl::TextKind::binary, "a ZIP archive"},
      {random_bytes, bl::TextKind::binary, "binary data (control bytes)"},
      {zero_tail, bl::TextKind::binary, "binary data (NUL bytes)"},
  };
  for (const Case& c : cases) {
    INFO(c.bytes.substr(0, 40));
    std::string detail;
    CHECK(bl::sniff_text(c.bytes, &detail) == c.kind);
    CHECK(detail == c.detail);
  }
  // One stray control byte in a large text list is a malformed line, not a binary file.
  std::string mostly_text(4000, 'a');
  mostly_text[100] = '\x01';
  CHECK(bl::sniff_text(mostly_text) == bl::TextKind::text);
}

TEST_CASE("check_list: every rule, in order", "[list_check]") {
  const bl::ListLimits limits{.max_malformed = 0.03, .max_shrink = 0.25};
  struct Case {
    const char* what;
    bl::ListFacts facts;
    std::optional<std::uint64_t> last_good;
    bl::ListVerdict verdict;
    std::string reason;  // a part of it
  };
  const Case cases[] = {
      {"first version", text_facts(10), std::nullopt, bl::ListVerdict::ok, ""},
      {"same size", text_facts(100), 100, bl::ListVerdict::ok, ""},
      {"grown", text_facts(500), 100, bl::ListVerdict::ok, ""},
      {"shrank within the limit", text_facts(75), 100, bl::ListVerdict::ok, ""},
      {"shrank past the limit", text_facts(74), 100, bl::ListVerdict::refused_shrink,
       "shrank by 26.0% (100 -> 74 entries, limit 25.0%)"},
      {"half a file", text_facts(57'980), 100'000, bl::ListVerdict::refused_shrink,
       "shrank by 42.0%"},
      {"empty file", sniffed("", 0), 100, bl::ListVerdict::refused_empty, "the file is empty"},
      {"comments only", text_facts(0), 100, bl::ListVerdict::refused_empty, "no entries"},
      {"comments only, first version", text_facts(0), std::nullopt, bl::ListVerdict::refused_empty,
       "no entries"},
      {"HTML page", sniffed("<html><body>error</body></html>", 0), 100,
       bl::ListVerdict::refused_format, "not a domains list: it is an HTML page"},
      {"binary", sniffed("\x1f\x8b....", 3), 100, bl::ListVerdict::refused_format,
       "gzip-compressed data"},
      {"malformed over the limit", text_facts(96, 4), 100, bl::ListVerdict::refused_format,
       "4 malformed lines against 96 entries (4.0%, limit 3.0%)"},
      {"malformed at the limit", text_facts(97, 3), 100, bl::ListVerdict::ok, ""},
      {"malformed beats shrink", text_facts(10, 90), 100, bl::ListVerdict::refused_format,
       "malformed"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    bl::ListCheck check = bl::check_list(c.facts, c.last_good, limits, "domains");
    CHECK(check.verdict == c.verdict);
    CHECK(check.reason.find(c.reason) != std::string::npos);
    CHECK(check.reason.empty() == (c.verdict == bl::ListVerdict::ok));
    CHECK(check.acceptable() == (c.verdict == bl::ListVerdict::refused_empty ||
                                 c.verdict == bl::ListVerdict::refused_shrink));
  }
}

TEST_CASE("check_list: stricter limits refuse what looser ones take", "[list_check]") {
  const bl::ListLimits legal{.max_malformed = 0.01, .max_shrink = 0.10};
  const bl::ListLimits loose{.max_malformed = 0.05, .max_shrink = 0.50};
  CHECK(bl::check_list(text_facts(85), 100, legal, "urls").verdict ==
        bl::ListVerdict::refused_shrink);
  CHECK(bl::check_list(text_facts(85), 100, loose, "urls").verdict == bl::ListVerdict::ok);
  CHECK(bl::check_list(text_facts(98, 2), 100, legal, "urls").verdict ==
        bl::ListVerdict::refused_format);
  CHECK(bl::check_list(text_facts(98, 2), 100, loose, "urls").verdict == bl::ListVerdict::ok);
}

TEST_CASE("verdict names are the metric's result labels", "[list_check]") {
  CHECK(bl::verdict_name(bl::ListVerdict::ok) == "ok");
  CHECK(bl::verdict_name(bl::ListVerdict::refused_empty) == "refused-empty");
  CHECK(bl::verdict_name(bl::ListVerdict::refused_format) == "refused-format");
  CHECK(bl::verdict_name(bl::ListVerdict::refused_shrink) == "refused-shrink");
}

TEST_CASE("a list taken back with rollback leaves no trace in the snapshot", "[list_check]") {
  bl::SnapshotBuilder builder;
  auto keep = builder.add_list({"keep", "adult", false, "", ""});
  auto refuse = builder.add_list({"refuse", "adult", false, "", ""});
  builder.add_domain(keep, "kept.example");
  auto mark = builder.mark(refuse);
  builder.add_domain(refuse, "junk.example");
  bl::Rule url;
  url.host = "junk.example";
  url.path = "/page";
  builder.add(refuse, url);
  builder.rollback(mark);
  builder.add_domain(refuse, "last-good.example");
  auto snapshot = builder.build();
  CHECK(snapshot->lookup("kept.example").blocked());
  CHECK(snapshot->lookup("last-good.example").blocked());
  CHECK_FALSE(snapshot->lookup("junk.example").blocked());
  CHECK(snapshot->url_rule_count() == 0);
  CHECK(snapshot->lists()[refuse].rules == 1);
  CHECK(snapshot->lists()[keep].rules == 1);
}
