// The compiled snapshot: lookups and their precedence, URL rules, categories, local data and
// counts. Snapshot::open against damaged images is in snapshot_open_test.cc, random data in
// snapshot_property_test.cc.
#include "blocklist/snapshot.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "blocklist/snapshot_format.h"
#include "tests/unit/blocklist/snapshot_test_util.h"

namespace bl = shelter::blocklist;
namespace fmt = shelter::blocklist::format;
using namespace shelter::blocklist::test;  // NOLINT(google-build-using-namespace): test tables

TEST_CASE("an empty snapshot matches nothing", "[snapshot]") {
  for (const auto& lists : {std::vector<bl::ListInfo>{}, {ordinary("a"), legal("b")}}) {
    auto s = make(lists, {});
    CHECK(s->lists().size() == lists.size());
    CHECK(s->host_count() == 0);
    CHECK(s->domain_rule_count() == 0);
    CHECK(s->url_rule_count() == 0);
    CHECK(s->image_bytes() >= fmt::kHeaderBytes);
    CHECK(s->image_bytes() % fmt::kAlign == 0);
    check(*s, {{"example.com", "-"}, {"", "-"}, {"example.com/", "-"}, {"/", "-"}});
    CHECK(s->lists_of("example.com").empty());
    CHECK(s->matching_rules("example.com", "/a").empty());
  }
}

TEST_CASE("suffix matching at label boundaries", "[snapshot]") {
  auto s = make({ordinary("a")},
                {block(0, "example.com"), block(0, "tld"), block(0, "deep.sub.test.org")});
  check(*s, {
                {"example.com", "L0@example.com"},
                {"www.example.com", "L0@example.com"},
                {"a.b.c.example.com", "L0@example.com"},
                {"ample.com", "-"},
                {"xample.com", "-"},
                {"notexample.com", "-"},
                {"www.notexample.com", "-"},
                {"example.com.evil.net", "-"},
                {"example.co", "-"},
                {"com", "-"},
                {"tld", "L0@tld"},
                {"anything.tld", "L0@tld"},
                {"nottld", "-"},
                {"tld.org", "-"},
                {"sub.test.org", "-"},
                {"deep.sub.test.org", "L0@deep.sub.test.org"},
                {"x.deep.sub.test.org", "L0@deep.sub.test.org"},
                {"", "-"},
            });
}

TEST_CASE("names that are not normalised are looked up safely", "[snapshot]") {
  const std::string x63(63, 'x');
  const std::string h253 = name_of_size(253, 'h');
  auto s = make({ordinary("a")}, {block(0, "example.com"), block(0, x63 + ".org"), block(0, h253)});
  check(*s, {
                // Longer than DNS allows: only the tail can match, and still does.
                {std::string(1000, 'a') + ".example.com", "L0@example.com"},
                {std::string(300, 'b') + ".example.com", "L0@example.com"},
                {std::string(243, 'c') + ".example.com", "L0@example.com"},
                {std::string(300, 'd') + "example.com", "-"},
                {"a." + h253, "L0@" + h253},
                {"ab" + h253, "-"},
                {std::string(100, '.') + "example.com", "L0@example.com"},
                {"..example.com", "L0@example.com"},
                {"example.com.", "-"},
                {"example.com..", "-"},
                {"EXAMPLE.COM", "-"},
                {".", "-"},
                {"..", "-"},
                {std::string("a\0b.example.com", 15), "L0@example.com"},
                {std::string("example\0com", 11), "-"},
                {"\xff\x80.example.com", "L0@example.com"},
                {"ex ample.com", "-"},
                {"example.com/x", "L0@example.com"},  // a URL lookup with path "/x"
                {"y." + x63 + ".org", "L0@" + x63 + ".org"},
                {x63 + "x.org", "-"},
            });
  // As a DNS name, "example.com/x" is a name under the TLD "com/x".
  CHECK_FALSE(s->lookup("example.com/x").blocked());
  CHECK(s->lists_of(std::string(1000, 'a')).empty());
  CHECK(s->lists_of("").empty());
}

// Regression: SuffixHashes had room for 128 suffixes, but a name of 254 bytes with empty labels
// has up to 255; lookup(std::string(2000, '.')) wrote past the object (ASan:
// stack-buffer-overflow in suffix_hash.h, from gather()).
TEST_CASE("names with more than 128 labels are looked up safely", "[snapshot]") {
  auto s = make({ordinary("a")}, {block(0, "example.com")});
  std::string many_labels = ".";  // 254 bytes, 129 labels
  for (int i = 0; i < 126; ++i)
    many_labels += "a.";
  many_labels += '.';
  check(*s, {
                {std::string(2000, '.'), "-"},
                {std::string(254, '.'), "-"},
                {std::string(500, '.') + "example.com", "L0@example.com"},
                {many_labels, "-"},
            });
  CHECK(s->lists_of(std::string(200, '.')).empty());
}

TEST_CASE("every label length and name length up to 253 bytes", "[snapshot]") {
  SECTION("labels of 1 to 63 bytes") {
    std::vector<Spec> rules;
    for (std::size_t n = 1; n <= 63; ++n)
      rules.push_back(block(0, std::string(n, 'k') + ".test"));
    auto s = make({ordinary("a")}, rules);
    CHECK(s->host_count() == 63);
    for (std::size_t n = 1; n <= 63; ++n) {
      const std::string label(n, 'k');
      const std::string expected = "L0@" + label + ".test";
      std::string last = label;
      last.back() = 'j';
      std::string first = label;
      first.front() = 'j';
      check(*s, {
                    {label + ".test", expected},
                    {"www." + label + ".test", expected},
                    {std::string(n, 'q') + "." + label + ".test", expected},
                    {label + ".test/any", expected},
                    {last + ".test", "-"},
                    {first + ".test", "-"},
                    {"www." + last + ".test", "-"},
                });
    }
  }
  SECTION("names of 1 to 253 bytes") {
    std::vector<Spec> rules;
    for (std::size_t size = 1; size <= 253; ++size)
      rules.push_back(block(0, name_of_size(size, static_cast<char>('a' + size % 26))));
    auto s = make({ordinary("a")}, rules);
    CHECK(s->host_count() == 253);
    for (const auto& rule : rules) {
      CAPTURE(rule.host.size());
      REQUIRE(rule.host.size() <= fmt::kMaxNameBytes);
      check(*s, {{rule.host, "L0@" + rule.host}, {"w." + rule.host, "L0@" + rule.host}});
      CHECK(s->lists_of(rule.host) == std::vector<std::uint32_t>{0});
    }
  }
}

TEST_CASE("precedence between classes, exceptions and specificity", "[snapshot]") {
  run({
      {"a legal block beats an ordinary one, however specific",
       {ordinary("ads"), legal("csam")},
       {block(0, "a.b.example"), block(1, "example")},
       {{"x.a.b.example", "L1@example legal"},
        {"a.b.example", "L1@example legal"},
        {"example", "L1@example legal"},
        {"example.org", "-"}}},
      {"an exception lifts the blocks of its own class only",
       {ordinary("ads"), ordinary("allow"), legal("csam")},
       {block(0, "example.com"), allow(1, "example.com"), block(2, "bad.example.com"),
        block(0, "example.net"), allow(1, "www.example.net"), block(2, "csam.example.org"),
        allow(1, "csam.example.org").important()},
       {{"example.com", "-"},
        {"www.example.com", "-"},
        {"bad.example.com", "L2@bad.example.com legal"},
        {"x.bad.example.com", "L2@bad.example.com legal"},
        {"example.net", "L0@example.net"},
        {"other.example.net", "L0@example.net"},
        {"www.example.net", "-"},
        {"a.www.example.net", "-"},
        {"csam.example.org", "L2@csam.example.org legal"}}},
      {"an important block beats an exception; other blocks of its class do not stand",
       {ordinary("a"), ordinary("b"), ordinary("allow")},
       {block(0, "example.com").important(), block(1, "ads.example.com"),
        allow(2, "ads.example.com"), block(1, "other.org"), allow(2, "other.org")},
       {{"ads.example.com", "L0@example.com"},
        {"x.ads.example.com", "L0@example.com"},
        {"www.example.com", "L0@example.com"},
        {"other.org", "-"}}},
      {"an important exception beats an important block",
       {ordinary("a"), ordinary("b"), ordinary("allow")},
       {block(0, "example.com").important(), block(1, "www.example.com").important(),
        allow(2, "www.example.com").important()},
       {{"www.example.com", "-"}, {"a.www.example.com", "-"}, {"example.com", "L0@example.com"}}},
      {"a legal-class exception overrides legal blocks and says so",
       {legal("csam"), legal("override"), ordinary("adult")},
       {block(0, "example.com"), allow(1, "ok.example.com"), block(2, "ok.example.com"),
        block(0, "hard.example.com").important(), allow(1, "hard.example.com"),
        block(0, "both.org").important(), allow(1, "both.org").important()},
       {{"example.com", "L0@example.com legal"},
        {"www.example.com", "L0@example.com legal"},
        {"ok.example.com", "L2@ok.example.com override"},
        {"x.ok.example.com", "L2@ok.example.com override"},
        {"hard.example.com", "L0@hard.example.com legal"},
        {"both.org", "- override"}}},
      {"the most specific standing block decides",
       {ordinary("early"), ordinary("late")},
       {block(0, "example.com"), block(1, "ads.example.com"),
        block(0, "x.ads.example.com").below_only()},
       {{"x.ads.example.com", "L1@ads.example.com"},
        {"y.x.ads.example.com", "L0@x.ads.example.com"},
        {"other.example.com", "L0@example.com"},
        {"ads.example.com", "L1@ads.example.com"}}},
      {"the earliest list decides between equally specific blocks",
       {ordinary("first"), ordinary("second"), ordinary("third"), legal("l1"), legal("l2")},
       {block(2, "example.com"), block(1, "example.com"), block(4, "legal.org"),
        block(3, "legal.org"), block(2, "legal.org")},
       {{"www.example.com", "L1@example.com"}, {"legal.org", "L3@legal.org legal"}}},
      {"a URL rule beats a domain rule on its host, a longer path a shorter one",
       {ordinary("a"), ordinary("b"), ordinary("c")},
       {block(0, "example.com"), block(2, "example.com").prefixed("/a"),
        block(1, "example.com").prefixed("/a/b"), block(0, "example.com").exact("/a/b/c"),
        block(2, "example.com").prefixed("/a/b/c"), block(0, "www.example.com")},
       {{"example.com/x", "L0@example.com"},
        {"example.com/a", "L2@example.com/a"},
        {"example.com/a/b/d", "L1@example.com/a/b"},
        {"example.com/a/b/c", "L0@example.com/a/b/c"},
        {"example.com/a/b/cd", "L2@example.com/a/b/c"},
        {"www.example.com/a/b/c", "L0@www.example.com"},
        {"example.com", "L0@example.com"}}},
  });
}

TEST_CASE("host scopes: the host itself, names below it, or both", "[snapshot]") {
  auto s =
      make({ordinary("rpz"), ordinary("pass")},
           {block(0, "self.org").self_only(), block(0, "below.org").below_only(),
            block(0, "both.org").self_only(), block(0, "both.org").below_only(), block(0, "ex.org"),
            allow(1, "ex.org").self_only(), block(0, "sub.org"), allow(1, "sub.org").below_only()});
  check(*s, {
                {"self.org", "L0@self.org"},
                {"www.self.org", "-"},
                {"below.org", "-"},
                {"www.below.org", "L0@below.org"},
                {"a.b.below.org", "L0@below.org"},
                {"both.org", "L0@both.org"},
                {"x.both.org", "L0@both.org"},
                {"ex.org", "-"},
                {"www.ex.org", "L0@ex.org"},
                {"sub.org", "L0@sub.org"},
                {"a.sub.org", "-"},
            });
  // One list's `name` and `*.name` are one (host, list) pair.
  CHECK(s->domain_rule_count() == 7);
  CHECK(s->lists_of("both.org") == std::vector<std::uint32_t>{0});
  CHECK(s->lists_of("ex.org") == std::vector<std::uint32_t>{0, 1});
}

TEST_CASE("a host with many URL rules keeps them outside its record", "[snapshot]") {
  // Over format::kMaxInlineUrlBytes of rules on one host: they go to the urls section, and
  // hosts beside it in the same group keep theirs inline.
  std::vector<Spec> rules;
  for (int i = 0; i < 300; ++i)
    rules.push_back(block(0, "big.org").exact("/page/" + std::to_string(i) + ".html"));
  for (int i = 0; i < 20; ++i)
    rules.push_back(block(0, "small" + std::to_string(i) + ".org").exact("/p"));
  auto s = make({ordinary("urls")}, rules);
  CHECK(s->url_rule_count() == 320);
  std::vector<Case> cases;
  for (int i = 0; i < 300; i += 7) {
    std::string page = "/page/" + std::to_string(i) + ".html";
    cases.push_back({"big.org" + page, "L0@big.org" + page});
  }
  cases.push_back({"big.org/page/300.html", "-"});
  cases.push_back({"small3.org/p", "L0@small3.org/p"});
  cases.push_back({"small3.org/q", "-"});
  check(*s, cases);
  CHECK(s->lookup("big.org").partial);
}

TEST_CASE("URL rules: exact, prefix, separator and query", "[snapshot]") {
  auto s = make({ordinary("urls")},
                {block(0, "ex.org").exact("/page"), block(0, "ex.org").exact("/q?id=1"),
                 block(0, "ex.org").prefixed("/dir/"), block(0, "ex.org").prefixed("/ads", true),
                 block(0, "self.org").exact("/p").self_only(), block(0, "192.0.2.1").exact("/x"),
                 block(0, "root.org").prefixed("/")});
  check(*s, {
                {"ex.org/page", "L0@ex.org/page"},
                {"ex.org/page?x=1", "L0@ex.org/page"},
                {"ex.org/page?", "L0@ex.org/page"},
                {"ex.org/page/", "-"},
                {"ex.org/pages", "-"},
                {"ex.org/Page", "-"},
                {"ex.org/pag", "-"},
                {"ex.org/q?id=1", "L0@ex.org/q?id=1"},
                {"ex.org/q", "-"},
                {"ex.org/q?id=2", "-"},
                {"ex.org/q?id=10", "-"},
                {"ex.org/q?id=1&b=2", "-"},
                {"ex.org/dir/", "L0@ex.org/dir/"},
                {"ex.org/dir/a/b.jpg", "L0@ex.org/dir/"},
                {"ex.org/dir/?x", "L0@ex.org/dir/"},
                {"ex.org/dir", "-"},
                {"ex.org/dirx/", "-"},
                {"ex.org/ads", "L0@ex.org/ads"},
                {"ex.org/ads/1", "L0@ex.org/ads"},
                {"ex.org/ads?x", "L0@ex.org/ads"},
                {"ex.org/ads&y", "L0@ex.org/ads"},
                {"ex.org/ads:1", "L0@ex.org/ads"},
                {"ex.org/ads=", "L0@ex.org/ads"},
                {"ex.org/adsx", "-"},
                {"ex.org/adsX", "-"},
                {"ex.org/ads1", "-"},
                {"ex.org/ads_", "-"},
                {"ex.org/ads-", "-"},
                {"ex.org/ads.", "-"},
                {"ex.org/ads%20", "-"},
                {"ex.org/ad", "-"},
                {"ex.org/", "-"},
                {"www.ex.org/page", "L0@ex.org/page"},
                {"self.org/p", "L0@self.org/p"},
                {"www.self.org/p", "-"},
                {"192.0.2.1/x", "L0@192.0.2.1/x"},
                {"192.0.2.1/y", "-"},
                {"root.org/", "L0@root.org/"},
                {"a.root.org/anything?at=all", "L0@root.org/"},
                // The DNS view: URL rules never decide, they make the name partial.
                {"ex.org", "- partial"},
                {"www.ex.org", "- partial"},
                {"self.org", "- partial"},
                {"www.self.org", "-"},
                {"other.org", "-"},
            });
  CHECK(s->url_rule_count() == 7);
  CHECK(s->domain_rule_count() == 0);
  CHECK(s->host_count() == 4);
}

TEST_CASE("partial: URL blocks below a name that is not blocked", "[snapshot]") {
  auto s = make(
      {ordinary("adult"), ordinary("allow"), legal("iwf")},
      {block(0, "a.org").exact("/x"), allow(1, "a.org"), block(0, "b.org").exact("/x").important(),
       allow(1, "b.org"), block(2, "c.org").prefixed("/img/"), allow(1, "c.org"),
       block(0, "d.org").exact("/x").important(), allow(1, "d.org").important(), block(0, "e.org"),
       block(2, "e.org").exact("/y"), block(0, "f.org"), allow(1, "f.org").exact("/ok"),
       block(0, "g.org").exact("/x"), allow(1, "g.org").exact("/x")});
  check(*s, {
                {"a.org", "-"},
                {"a.org/x", "-"},
                {"b.org", "- partial"},
                {"b.org/x", "L0@b.org/x"},
                {"c.org", "- partial"},
                {"c.org/img/1.jpg", "L2@c.org/img/ legal"},
                {"d.org", "-"},
                {"d.org/x", "-"},
                {"e.org", "L0@e.org"},
                {"e.org/y", "L2@e.org/y legal"},
                {"e.org/z", "L0@e.org"},
                {"f.org", "L0@f.org"},  // URL exceptions do not count for DNS
                {"f.org/ok", "-"},
                {"f.org/no", "L0@f.org"},
                {"g.org", "- partial"},  // the URL exception only lifts that URL
                {"g.org/x", "-"},
            });
  auto c = s->lookup("c.org");
  CHECK(c.partial_legal);
  CHECK(c.partial_categories == bit(*s, "csam"));
  auto b = s->lookup("b.org");
  CHECK_FALSE(b.partial_legal);
  CHECK(b.partial_categories == bit(*s, "adult"));
  auto e = s->lookup("e.org");
  CHECK_FALSE(e.partial_legal);
  CHECK(e.partial_categories == 0);
}

TEST_CASE("steering: only steering lists make a name partial; the proxy sees every list",
          "[snapshot]") {
  bl::ListInfo ads = ordinary("ads", "ads");
  ads.steer = false;
  bl::ListInfo pages = ordinary("pages", "adult");
  bl::ListInfo iwf = legal("iwf");
  iwf.steer = false;  // ignored: a legal list always steers
  auto s =
      make({ads, pages, iwf},
           {block(0, "news.example").prefixed("/ads/"), block(0, "shop.example").prefixed("/track"),
            block(1, "shop.example").exact("/x"), block(1, "blog.example").exact("/p/1"),
            block(1, "www.blog.example").exact("/p"),
            block(2, "host.example").exact("/abuse/1.jpg"), block(0, "both.example").exact("/a"),
            block(2, "both.example").exact("/b"), allow(1, "blog.example").exact("/p/1")});
  check(*s, {
                {"news.example", "-"},  // the adblock list does not steer
                {"news.example/ads/banner.js", "L0@news.example/ads/"},  // the proxy still blocks
                {"shop.example", "- partial"},
                {"blog.example", "- partial"},
                {"host.example", "- partial"},
                {"both.example", "- partial"},
            });
  CHECK_FALSE(s->lists()[0].steer);
  CHECK(s->lists()[1].steer);
  CHECK(s->lists()[2].steer);
  // Hosts with steering URL blocks, per list; URL exceptions steer nothing.
  CHECK(s->lists()[0].steered_names == 0);
  CHECK(s->lists()[1].steered_names == 3);  // shop, blog, www.blog
  CHECK(s->lists()[2].steered_names == 2);  // host, both
  CHECK(s->steered_name_count() == 5);
}

TEST_CASE("steering: the flag and the counts survive the image", "[snapshot]") {
  bl::ListInfo ads = ordinary("ads", "ads");
  ads.steer = false;
  auto image = image_of({ads, ordinary("pages")},
                        {block(0, "a.example").exact("/x"), block(1, "b.example").exact("/y")});
  std::string error;
  auto s = open_bytes(image, error);
  REQUIRE(s);
  CHECK_FALSE(s->lists()[0].steer);
  CHECK(s->lists()[1].steer);
  CHECK(s->lists()[1].steered_names == 1);
  CHECK(s->steered_name_count() == 1);
  CHECK_FALSE(s->lookup("a.example").partial);
  CHECK(s->lookup("b.example").partial);
}

TEST_CASE("steering: a list's https_block marks the hosts it steers, in the image too",
          "[snapshot]") {
  bl::ListInfo strict = ordinary("strict");
  strict.https_block = true;
  auto image = image_of({ordinary("pages"), strict},
                        {block(0, "a.example").exact("/x"), block(1, "b.example").exact("/y"),
                         block(0, "c.example").exact("/z"), block(1, "c.example").exact("/w"),
                         block(1, "d.example"), block(1, "d.example").exact("/v")});
  std::string error;
  auto s = open_bytes(image, error);
  REQUIRE(s);
  CHECK_FALSE(s->lists()[0].https_block);
  CHECK(s->lists()[1].https_block);
  CHECK_FALSE(s->lookup("a.example").partial_https_block);
  CHECK(s->lookup("b.example").partial_https_block);
  CHECK(s->lookup("c.example").partial_https_block);  // any of the steering lists
  // A whole-host block decides: nothing is partial.
  CHECK_FALSE(s->lookup("d.example").partial_https_block);
  CHECK(s->lookup("d.example").blocked());
}

TEST_CASE("enabled categories: disabled blocks are ignored unless legal", "[snapshot]") {
  auto s = make({ordinary("adult", "adult"), ordinary("gambling", "gambling"), legal("iwf"),
                 ordinary("mixed", "adult")},
                {block(0, "ex.com"), block(1, "www.ex.com"), block(2, "csam.ex.com"),
                 block(3, "mal.ex.com").in("malware"), block(1, "only.net"),
                 allow(1, "free.ex.com"), block(0, "z.org").important(), block(1, "z.org"),
                 allow(3, "z.org"), block(1, "u.net").exact("/x")});
  const std::uint64_t adult = bit(*s, "adult");
  const std::uint64_t gambling = bit(*s, "gambling");
  const std::uint64_t csam = bit(*s, "csam");
  const std::uint64_t malware = bit(*s, "malware");
  CHECK(s->categories().size() == 4);
  check(*s,
        {{"www.ex.com", "L0@ex.com"},
         {"x.www.ex.com", "L0@ex.com"},
         {"csam.ex.com", "L2@csam.ex.com legal"},
         {"mal.ex.com", "L0@ex.com"},
         {"only.net", "-"},
         {"free.ex.com", "-"},  // an exception counts whatever its category
         {"u.net", "-"}},
        adult);
  check(*s, {{"www.ex.com", "-"}, {"mal.ex.com", "L3@mal.ex.com"}, {"u.net", "-"}}, malware);
  check(*s, {{"csam.ex.com", "L2@csam.ex.com legal"}, {"ex.com", "-"}}, 0);
  check(*s, {{"www.ex.com", "L1@www.ex.com"}, {"u.net", "- partial"}});
  CHECK(s->lookup("www.ex.com").categories == (adult | gambling));
  CHECK(s->lookup("www.ex.com", adult).categories == adult);
  CHECK(s->lookup("csam.ex.com").categories == (adult | csam));
  CHECK(s->lookup("csam.ex.com", 0).categories == csam);
  CHECK(s->lookup("mal.ex.com").categories == (adult | malware));
  CHECK(s->lookup("mal.ex.com", malware).categories == malware);
  // With an exception in the class, only the important block stands.
  CHECK(summary(s->lookup("z.org")) == "L0@z.org");
  CHECK(s->lookup("z.org").categories == adult);
  CHECK(s->lookup("z.org", gambling).blocked() == false);
  CHECK(s->lookup("u.net").partial_categories == gambling);
}

TEST_CASE("RPZ answers and local data come back with the deciding rule", "[snapshot]") {
  const std::vector<std::uint8_t> a = {192, 0, 2, 1};
  const std::vector<std::uint8_t> aaaa = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                          0,    0,    0,    0,    0, 0, 0, 1};
  const std::vector<std::uint8_t> wild = {10, 0, 0, 1};
  using A = bl::DnsAnswer;
  auto s = make({ordinary("rpz"), ordinary("rpz2")},
                {block(0, "local.org").self_only().answer(A::local_data, a),
                 block(0, "local.org").self_only().answer(A::local_data, a),
                 block(0, "local.org").self_only().answer(A::local_data, aaaa),
                 block(0, "wild.org").below_only().answer(A::local_data, wild),
                 block(0, "nx.org").answer(A::nxdomain), block(0, "nd.org").answer(A::nodata),
                 block(0, "mixed.org"), block(1, "mixed.org").answer(A::local_data, a)});
  auto local = s->lookup("local.org");
  REQUIRE(local.decided);
  CHECK(local.decided->answer == A::local_data);
  REQUIRE(local.local_data.size() == 2);
  std::vector<std::vector<std::uint8_t>> got;
  for (const auto& address : local.local_data)
    got.emplace_back(address.bytes.begin(), address.bytes.begin() + address.size);
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<std::vector<std::uint8_t>>{aaaa, a});  // sorted
  CHECK_FALSE(s->lookup("www.local.org").blocked());

  auto below = s->lookup("x.y.wild.org");
  REQUIRE(below.decided);
  CHECK(below.decided->host == "wild.org");
  CHECK(below.decided->scope == bl::HostScope::below_only);
  REQUIRE(below.local_data.size() == 1);
  CHECK(below.local_data[0].size == 4);
  CHECK(std::equal(wild.begin(), wild.end(), below.local_data[0].bytes.begin()));
  CHECK_FALSE(s->lookup("wild.org").blocked());

  auto nx = s->lookup("nx.org");
  REQUIRE(nx.decided);
  CHECK(nx.decided->answer == A::nxdomain);
  CHECK(nx.local_data.empty());
  auto nd = s->lookup("www.nd.org");
  REQUIRE(nd.decided);
  CHECK(nd.decided->answer == A::nodata);
  // The earlier list decides, and it answers the configured way.
  auto mixed = s->lookup("mixed.org");
  REQUIRE(mixed.decided);
  CHECK(mixed.decided->list_index == 0);
  CHECK(mixed.decided->answer == A::configured);
  CHECK(mixed.local_data.empty());
}

TEST_CASE("duplicates are counted once; lists_of names exact hosts", "[snapshot]") {
  auto s = make({ordinary("a"), ordinary("b")},
                {block(0, "example.com"), block(0, "example.com"), block(1, "example.com"),
                 block(0, "example.com"), block(1, "example.com"), block(1, "other.com"),
                 block(0, "example.com").exact("/p"), block(0, "example.com").exact("/p"),
                 block(1, "example.com").exact("/p"), block(1, "urlonly.org").prefixed("/p"),
                 block(0, "rpz.org").self_only(), block(0, "rpz.org").below_only(),
                 block(0, "rpz.org").self_only()});
  CHECK(s->host_count() == 4);
  CHECK(s->domain_rule_count() == 4);
  CHECK(s->url_rule_count() == 3);
  // A list's rule count is what it handed over, duplicates included.
  CHECK(s->lists()[0].rules == 8);
  CHECK(s->lists()[1].rules == 5);
  CHECK(s->lists_of("example.com") == std::vector<std::uint32_t>{0, 1});
  CHECK(s->lists_of("other.com") == std::vector<std::uint32_t>{1});
  CHECK(s->lists_of("rpz.org") == std::vector<std::uint32_t>{0});
  CHECK(s->lists_of("www.other.com").empty());
  CHECK(s->lists_of("com").empty());
  CHECK(s->lists_of("urlonly.org").empty());  // URL rules only
  CHECK(s->lists_of("EXAMPLE.COM").empty());
  CHECK(s->lists_of(std::string(300, 'a')).empty());
}

// Regression: domain_rule_count() counted memberships, so one list's block and exception for
// one host (adblock `||x^` and `@@||x^`), or two entries of different categories, counted twice.
TEST_CASE("domain_rule_count counts (host, list) pairs", "[snapshot]") {
  auto s = make({ordinary("a")}, {block(0, "x.org"), allow(0, "x.org"), block(0, "y.org").in("one"),
                                  block(0, "y.org").in("two")});
  CHECK(s->lists_of("x.org") == std::vector<std::uint32_t>{0});
  CHECK(s->domain_rule_count() == 2);
}

TEST_CASE("matching_rules lists every rule that applies, whatever the precedence", "[snapshot]") {
  auto s =
      make({ordinary("a"), legal("b"), ordinary("c")},
           {block(0, "example.com"), allow(2, "www.example.com"),
            block(1, "example.com").exact("/p"), block(1, "example.com").exact("/q"),
            block(0, "www.example.com").self_only(), block(0, "example.com").self_only().in("x")});
  auto describe = [](const std::vector<bl::MatchedRule>& rules) {
    std::vector<std::string> out;
    for (const auto& r : rules) {
      out.push_back(std::to_string(r.list_index) + (r.action == bl::RuleAction::allow ? "+" : "-") +
                    std::string(r.host) + std::string(r.path));
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  using V = std::vector<std::string>;
  CHECK(describe(s->matching_rules("www.example.com")) == V{"0-example.com", "0-www.example.com",
                                                            "1-example.com/p", "1-example.com/q",
                                                            "2+www.example.com"});
  CHECK(describe(s->matching_rules("www.example.com", "/p")) ==
        V{"0-example.com", "0-www.example.com", "1-example.com/p", "2+www.example.com"});
  CHECK(describe(s->matching_rules("example.com")) ==
        V{"0-example.com", "0-example.com", "1-example.com/p", "1-example.com/q"});
  CHECK(s->matching_rules("other.com").empty());
}

TEST_CASE("lists and categories survive the image", "[snapshot]") {
  auto s = make({{"iwf", "csam", true, "Internet Watch Foundation", "https://iwf.example"},
                 ordinary("ads", "advertising")},
                {block(1, "ads.example").in("tracking")});
  REQUIRE(s->lists().size() == 2);
  CHECK(s->lists()[0].id == "iwf");
  CHECK(s->lists()[0].category == "csam");
  CHECK(s->lists()[0].legal);
  CHECK(s->lists()[0].authority == "Internet Watch Foundation");
  CHECK(s->lists()[0].appeal == "https://iwf.example");
  CHECK(s->lists()[0].rules == 0);
  CHECK(s->lists()[1].id == "ads");
  CHECK(s->lists()[1].rules == 1);
  CHECK_FALSE(s->lists()[1].legal);
  CHECK(s->categories() == std::vector<std::string>{"tracking"});
  CHECK(s->lookup("ads.example").categories == 1);
}

TEST_CASE("the builder rejects misuse and is empty after build", "[snapshot]") {
  bl::SnapshotBuilder builder;
  CHECK_THROWS_AS(builder.add_domain(0, "example.com"), std::out_of_range);
  CHECK(builder.add_list(ordinary("a")) == 0);
  CHECK_THROWS_AS(builder.add_domain(1, "example.com"), std::out_of_range);
  CHECK_THROWS_AS(builder.add_domain(0, ""), std::invalid_argument);
  CHECK_THROWS_AS(builder.add_domain(0, std::string(254, 'a')), std::invalid_argument);
  builder.add_domain(0, name_of_size(253, 'a'));
  builder.add_domain(0, "example.com");
  auto first = builder.build(1234, 99);
  CHECK(first->host_count() == 2);
  CHECK(first->built_unix() == 1234);
  auto second = builder.build();
  CHECK(second->host_count() == 0);
  CHECK(second->lists().empty());
  CHECK(first->lookup("example.com").blocked());
}

TEST_CASE("at most 64 categories; the 65th rule is refused", "[snapshot]") {
  bl::SnapshotBuilder builder;
  builder.add_list(ordinary("a"));
  for (int i = 0; i < 63; ++i) {
    std::string host = "c" + std::to_string(i) + ".org";
    REQUIRE(builder.add(0, block(0, host).in("cat" + std::to_string(i)).rule()));
  }
  REQUIRE(builder.add(0, block(0, "default.org").rule()));  // "adult", the 64th
  CHECK_FALSE(builder.add(0, block(0, "refused.org").in("one-too-many").rule()));
  CHECK(builder.add(0, block(0, "again.org").in("cat5").rule()));
  auto s = builder.build();
  CHECK(s->categories().size() == bl::kMaxCategories);
  CHECK(s->lists()[0].rules == 65);
  CHECK_FALSE(s->lookup("refused.org").blocked());
  CHECK(s->lookup("default.org").categories == std::uint64_t{1} << 63);
  CHECK(s->lookup("default.org", std::uint64_t{1} << 63).blocked());
  CHECK_FALSE(s->lookup("default.org", ~(std::uint64_t{1} << 63)).blocked());
  CHECK(s->lookup("again.org").categories == std::uint64_t{1} << 5);
}

TEST_CASE("the last of 65535 lists is addressable", "[snapshot]") {
  bl::SnapshotBuilder builder;
  for (std::size_t i = 0; i < bl::kMaxLists; ++i)
    builder.add_list({"l", "c", i % 2 == 0, "", ""});
  CHECK_THROWS_AS(builder.add_list(ordinary("one-too-many")), std::length_error);
  const auto last = static_cast<std::uint32_t>(bl::kMaxLists - 1);
  builder.add_domain(last, "last.org");
  builder.add_domain(last - 1, "last.org");
  auto s = builder.build();
  CHECK(s->lists().size() == bl::kMaxLists);
  CHECK(summary(s->lookup("www.last.org")) == "L65534@last.org legal");
  CHECK(s->lists_of("last.org") == std::vector<std::uint32_t>{last - 1, last});
}

TEST_CASE("large snapshots find everything and stay compact", "[snapshot]") {
  bl::SnapshotBuilder builder;
  builder.add_list(ordinary("a"));
  constexpr int kCount = 30000;
  for (int i = 0; i < kCount; ++i)
    builder.add_domain(0, "d" + std::to_string(i) + ".example");
  auto s = builder.build();
  CHECK(s->host_count() == kCount);
  for (int i = 0; i < kCount; i += 7) {
    std::string host = "d" + std::to_string(i) + ".example";
    REQUIRE(summary(s->lookup("www." + host)) == "L0@" + host);
  }
  for (int i = kCount; i < kCount + 5000; ++i)
    REQUIRE_FALSE(s->lookup("d" + std::to_string(i) + ".example").blocked());
  CHECK(s->image_bytes() < std::size_t{kCount} * 40);
}

// Regression: the builder kept overflow flags for home groups only, so a run of hosts spilling
// more than one group past the last home group wrote past that vector (ASan:
// heap-buffer-overflow) and lost the flag of the first tail group: lookups stopped there and
// missed the hosts after it (12 of these 100, where 40 share the last of 8 home groups).
TEST_CASE("hosts spilling past the last home group are found", "[snapshot]") {
  constexpr std::size_t kHosts = 100;
  constexpr std::size_t kInLast = 40;
  const std::uint64_t home_groups = (kHosts * 10 / 9 + 1 + fmt::kGroupSlots - 1) / fmt::kGroupSlots;
  std::vector<Spec> rules;
  std::size_t in_last = 0;
  for (int i = 0; rules.size() < kHosts; ++i) {
    std::string host = "h" + std::to_string(i) + ".test";
    bool last = fmt::home_group(fmt::host_hash(host, 1), home_groups) == home_groups - 1;
    if (last ? in_last < kInLast : rules.size() - in_last < kHosts - kInLast) {
      in_last += last;
      rules.push_back(block(0, host));
    }
  }
  auto s = make({ordinary("a")}, rules);
  for (const auto& rule : rules)
    check(*s, {{rule.host, "L0@" + rule.host}});
}

TEST_CASE("the image is reproducible, and the seed changes no answer", "[snapshot]") {
  const std::vector<Spec> rules = {block(0, "a.org"), block(1, "b.org").exact("/x"),
                                   allow(1, "c.a.org"), block(0, "d.org").self_only()};
  const std::vector<bl::ListInfo> lists = {ordinary("a"), ordinary("b")};
  CHECK(image_of(lists, rules) == image_of(lists, rules));
  for (std::uint64_t seed : {0ULL, 1ULL, 0x123456789abcdefULL, ~0ULL}) {
    CAPTURE(seed);
    bl::SnapshotBuilder builder;
    add_all(builder, lists, rules);
    auto s = builder.build(0, seed);
    check(*s, {{"x.a.org", "L0@a.org"},
               {"c.a.org", "-"},
               {"b.org/x", "L1@b.org/x"},
               {"d.org", "L0@d.org"},
               {"x.d.org", "-"},
               {"e.org", "-"}});
  }
}
