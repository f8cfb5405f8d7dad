// One table per rule of docs/url-canonical-form.md; the case names carry the rule numbers.
#include "blocklist/url.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace bl = shelter::blocklist;

namespace {

struct Good {
  std::string input;
  std::string host;
  std::string path;
};

struct Bad {
  std::string input;
  std::string error;
};

// Checks every case, and that each canonical form is a fixed point: canonicalising
// host + path again gives the same result, which is what lets list entries and request URLs
// meet in one form.
void check_good(const std::vector<Good>& cases) {
  for (const auto& c : cases) {
    CAPTURE(c.input);
    std::string error;
    auto url = bl::canonicalise_url(c.input, error);
    REQUIRE(url.has_value());
    CHECK(url->host == c.host);
    CHECK(url->path == c.path);
    auto again = bl::canonicalise_url(url->host + url->path, error);
    REQUIRE(again.has_value());
    CHECK(again->host == url->host);
    CHECK(again->path == url->path);
  }
}

void check_bad(const std::vector<Bad>& cases) {
  for (const auto& c : cases) {
    CAPTURE(c.input);
    std::string error;
    CHECK_FALSE(bl::canonicalise_url(c.input, error).has_value());
    CHECK(error == c.error);
  }
}

const std::string kBucher =
    "b\xC3\xBC"
    "cher.example";  // bücher.example in UTF-8

}  // namespace

TEST_CASE("rule 1: input size and bytes", "[url]") {
  const std::string prefix = "example.com/";
  const std::string longest = prefix + std::string(8192 - prefix.size(), 'a');
  check_good({{longest, "example.com", "/" + std::string(8192 - prefix.size(), 'a')}});
  check_bad({
      {longest + "a", "url longer than 8192 bytes"},
      // Escaping makes the canonical form longer than the input: held to the same limit.
      {prefix + std::string(3000, '|'), "url longer than 8192 bytes"},
      {"example.com/a b", "space or control character"},
      {" example.com/", "space or control character"},
      {"example.com/\t", "space or control character"},
      {"example.com/a\r\n", "space or control character"},
      {std::string("example.com/\0", 13), "space or control character"},
      {"example.com/\x1b[31m", "space or control character"},
      {"example.com/\x7f", "space or control character"},
  });
}

TEST_CASE("rule 2: http, https, scheme-relative and scheme-less URLs", "[url]") {
  check_good({
      {"http://example.com/a", "example.com", "/a"},
      {"https://example.com/a", "example.com", "/a"},
      {"HTTPS://example.com/a", "example.com", "/a"},
      {"hTtP://example.com/a", "example.com", "/a"},
      {"//example.com/a", "example.com", "/a"},
      {"example.com/a", "example.com", "/a"},
      // As browsers do for http(s): any run of '/' or '\' after the scheme.
      {"http:example.com/a", "example.com", "/a"},
      {"http:/example.com/a", "example.com", "/a"},
      {"http:///example.com/a", "example.com", "/a"},
      {"http:\\\\example.com/a", "example.com", "/a"},
      {"\\\\example.com/a", "example.com", "/a"},
      // A name, a colon and digits is a host and a port, not a scheme.
      {"localhost:8080/a", "localhost", "/a"},
      {"example.com:8080", "example.com", "/"},
  });
  check_bad({
      {"ftp://example.com/", "unsupported scheme 'ftp'"},
      {"FTP://example.com/", "unsupported scheme 'ftp'"},
      {"javascript:alert(1)", "unsupported scheme 'javascript'"},
      {"mailto:someone@example.com", "unsupported scheme 'mailto'"},
      {"data:text/html,hello", "unsupported scheme 'data'"},
      {"file:///etc/passwd", "unsupported scheme 'file'"},
      {"git+ssh://example.com/", "unsupported scheme 'git+ssh'"},
      {"example.com://x/", "unsupported scheme 'example.com'"},
      {"averyveryverylongscheme://example.com/", "unsupported scheme"},
  });
}

TEST_CASE("rule 3: user info is dropped", "[url]") {
  check_good({
      {"http://user:pass@example.com/a", "example.com", "/a"},
      {"http://user@example.com/", "example.com", "/"},
      {"//user:p%40ss@example.com/a", "example.com", "/a"},
      {"http://a@b@example.com/", "example.com", "/"},  // the last '@' ends the user info
      {"user@example.com/a", "example.com", "/a"},
  });
  check_bad({{"http://user@/a", "no host"}});
}

TEST_CASE("rule 4: the port is dropped, and must be 1 to 65535", "[url]") {
  check_good({
      {"http://example.com:80/a", "example.com", "/a"},
      {"https://example.com:443/a", "example.com", "/a"},
      {"http://example.com:8080/a", "example.com", "/a"},
      {"http://example.com:1/", "example.com", "/"},
      {"http://example.com:65535/", "example.com", "/"},
      {"http://example.com:080/", "example.com", "/"},
      {"http://[2001:db8::1]:8080/a", "[2001:db8::1]", "/a"},
      {"http://user:pass@example.com:81/", "example.com", "/"},
  });
  check_bad({
      {"http://example.com:0/", "invalid port"},
      {"http://example.com:65536/", "invalid port"},
      {"http://example.com:999999/", "invalid port"},
      {"http://example.com:/", "invalid port"},
      {"http://example.com:80a/", "invalid port"},
      {"http://example.com:-1/", "invalid port"},
      {"http://example.com:+80/", "invalid port"},
      {"http://example.com:1:2/", "invalid host"},
      {"http://[::1]:/", "invalid port"},
      {"example.com:http/", "invalid port"},
  });
}

TEST_CASE("rule 5: host names", "[url]") {
  check_good({
      {"EXAMPLE.Com/", "example.com", "/"},
      {"example.com./a", "example.com", "/a"},
      {kBucher + "/a", "xn--bcher-kva.example", "/a"},
      {"xn--bcher-kva.example/a", "xn--bcher-kva.example", "/a"},
      {"XN--BCHER-KVA.example/a", "xn--bcher-kva.example", "/a"},
      {"%41bc.example/", "abc.example", "/"},
      {"b%C3%BCcher.example/", "xn--bcher-kva.example", "/"},
      {"www%2Eexample.com/", "www.example.com", "/"},
      {"_dmarc.example.com/", "_dmarc.example.com", "/"},
  });
  check_bad({
      {"", "no host"},
      {"/a/b", "no host"},
      {"?q=1", "no host"},
      {"http://", "no host"},
      {"http:///", "no host"},
      {"http://:80/", "no host"},
      {"exa..mple.com/", "invalid host"},
      {"ex!ample.com/", "invalid host"},
      {"example.com../", "invalid host"},
      {"%zz.example/", "invalid host"},
      {"%4.example/", "invalid host"},
      {"a%00b.example/", "invalid host"},
      {"a%20b.example/", "invalid host"},
      {"a%2Fb.example/", "invalid host"},
      {"%5B%3A%3A1%5D/", "invalid host"},
  });
}

TEST_CASE("rule 6: IPv4 addresses are strict dotted quads", "[url]") {
  check_good({
      {"http://192.0.2.1/a", "192.0.2.1", "/a"},
      {"192.0.2.1:8080/a", "192.0.2.1", "/a"},
      {"0.0.0.0/", "0.0.0.0", "/"},
      {"255.255.255.255/", "255.255.255.255", "/"},
      {"192.0.2.1./", "192.0.2.1", "/"},
      {"%31%39%32.0.2.1/", "192.0.2.1", "/"},
      {"1example.com/", "1example.com", "/"},  // only the last label decides
  });
  check_bad({
      {"010.0.0.1/", "invalid ipv4 address"},
      {"192.0.2.01/", "invalid ipv4 address"},
      {"192.0.2.00/", "invalid ipv4 address"},
      {"256.0.0.1/", "invalid ipv4 address"},
      {"127.1/", "invalid ipv4 address"},
      {"2130706433/", "invalid ipv4 address"},
      {"0x7f.0.0.1/", "invalid ipv4 address"},
      {"1.2.3.4.5/", "invalid ipv4 address"},
      {"example.123/", "invalid ipv4 address"},
      {"127.0.0.0x1/", "invalid ipv4 address"},
  });
}

TEST_CASE("rule 7: IPv6 literals in RFC 5952 form", "[url]") {
  check_good({
      {"http://[2001:DB8::1]/a", "[2001:db8::1]", "/a"},
      {"[2001:0db8:0000:0000:0000:0000:0000:0001]/", "[2001:db8::1]", "/"},
      {"[2001:db8:0:0:1:0:0:1]/", "[2001:db8::1:0:0:1]", "/"},     // the first longest run
      {"[2001:db8:0:1:1:1:1:1]/", "[2001:db8:0:1:1:1:1:1]", "/"},  // one zero field stays
      {"[::FFFF:192.0.2.1]/", "[::ffff:192.0.2.1]", "/"},
      {"[::1]", "[::1]", "/"},
      {"[::]/", "[::]", "/"},
  });
  check_bad({
      {"http://[::1/", "invalid ipv6 address"},
      {"http://[::g]/", "invalid ipv6 address"},
      {"http://[]/", "invalid ipv6 address"},
      {"http://[192.0.2.1]/", "invalid ipv6 address"},
      {"http://[fe80::1%25eth0]/", "invalid ipv6 address"},
      {"http://[::1]x/", "invalid ipv6 address"},
      {"http://[1:2:3:4:5:6:7:8:9]/", "invalid ipv6 address"},
  });
}

TEST_CASE("rule 8: the path starts with '/', and '\\' is '/'", "[url]") {
  check_good({
      {"example.com", "example.com", "/"},
      {"http://example.com", "example.com", "/"},
      {"example.com?", "example.com", "/"},
      {"example.com\\a\\b", "example.com", "/a/b"},
      {"example.com/a\\b/", "example.com", "/a/b/"},
  });
}

TEST_CASE("rule 9: percent-escapes", "[url]") {
  check_good({
      {"example.com/%7Euser", "example.com", "/~user"},
      {"example.com/%41%62%2d%5F%30", "example.com", "/Ab-_0"},
      {"example.com/a%2fb", "example.com", "/a%2Fb"},  // an escaped '/' is not a separator
      {"example.com/%c3%a9", "example.com", "/%C3%A9"},
      {"example.com/a%25b", "example.com", "/a%25b"},
      {"example.com/100%", "example.com", "/100%25"},
      {"example.com/%zz", "example.com", "/%25zz"},
      {"example.com/%4", "example.com", "/%254"},
      {"example.com/%%41", "example.com", "/%25A"},
      {"example.com/a|b", "example.com", "/a%7Cb"},
      {"example.com/a%7cb", "example.com", "/a%7Cb"},
      {"example.com/{x}^`\"<>[]", "example.com", "/%7Bx%7D%5E%60%22%3C%3E%5B%5D"},
      {"example.com/!$&'()*+,;=:@", "example.com", "/!$&'()*+,;=:@"},
  });
}

TEST_CASE("rule 10: runs of '/' collapse", "[url]") {
  check_good({
      {"example.com//a///b//", "example.com", "/a/b/"},
      {"example.com//", "example.com", "/"},
      {"example.com/a/\\/b", "example.com", "/a/b"},
  });
}

TEST_CASE("rule 11: dot-segments are removed", "[url]") {
  check_good({
      {"example.com/a/./b", "example.com", "/a/b"},
      {"example.com/a/b/../c", "example.com", "/a/c"},
      {"example.com/a/b/..", "example.com", "/a/"},
      {"example.com/a/b/.", "example.com", "/a/b/"},
      {"example.com/a/..", "example.com", "/"},
      {"example.com/../a", "example.com", "/a"},
      {"example.com/../../", "example.com", "/"},
      {"example.com/a/b/../../../c", "example.com", "/c"},
      {"example.com/a/%2e%2E/b", "example.com", "/b"},
      {"example.com/a/%2E/b", "example.com", "/a/b"},
      {"example.com/a/.%2e", "example.com", "/"},
      {"example.com\\a\\..\\b", "example.com", "/b"},
      {"example.com/.hidden/.../a..b", "example.com", "/.hidden/.../a..b"},
  });
}

TEST_CASE("rule 12: path case is kept", "[url]") {
  check_good({
      {"Example.com/A/b/C.HTML", "example.com", "/A/b/C.HTML"},
      {"example.com/a?Q=X", "example.com", "/a?Q=X"},
  });
}

TEST_CASE("rule 13: the query", "[url]") {
  check_good({
      {"example.com/a?b=1&a=2", "example.com", "/a?b=1&a=2"},  // order kept
      {"example.com?x=1", "example.com", "/?x=1"},
      {"example.com/a?", "example.com", "/a"},
      {"example.com/a?x=%7e&y=%2f&z=%3d", "example.com", "/a?x=~&y=%2F&z=%3D"},
      {"example.com/a?x=../y//z/.", "example.com", "/a?x=../y//z/."},  // no path rules
      {"example.com/a?x\\y", "example.com", "/a?x%5Cy"},               // not a slash in a query
      {"example.com/a?x?y", "example.com", "/a?x?y"},
      {"example.com/a??", "example.com", "/a??"},
      {"example.com/a?x=%", "example.com", "/a?x=%25"},
      {"example.com/a?q=a|b", "example.com", "/a?q=a%7Cb"},
  });
}

TEST_CASE("rule 14: the fragment is dropped", "[url]") {
  check_good({
      {"example.com/a#b", "example.com", "/a"},
      {"example.com/a?x#y", "example.com", "/a?x"},
      {"example.com/a?#y", "example.com", "/a"},
      {"example.com#top", "example.com", "/"},
      {"example.com/a#b?c", "example.com", "/a"},
      {"example.com/a#b#c", "example.com", "/a"},
  });
}

TEST_CASE("rule 15: non-ASCII bytes only in the host", "[url]") {
  check_good({{"http://" + kBucher + "/a", "xn--bcher-kva.example", "/a"}});
  check_bad({
      {"example.com/caf\xC3\xA9", "non-ascii byte outside the host"},
      {"example.com/a?q=\xC3\xA9", "non-ascii byte outside the host"},
      {"example.com/a#\xC3\xA9", "non-ascii byte outside the host"},
      {"http://\xC3\xA9@example.com/", "non-ascii byte outside the host"},
      {"http://example.com:\xC3\xA9/", "invalid port"},
  });
}

TEST_CASE("rule 16: errors never quote the input", "[url]") {
  const std::vector<std::string> inputs = {
      "ftp://SECRET.example/",
      "http://SECRET.example:99999/",
      "http://SECRET..example/",
      "http://SECRET example/",
      "http://[SECRET]/",
      "SECRET.example/\xC3\xA9",
      "//@/SECRET",
  };
  for (const auto& input : inputs) {
    CAPTURE(input);
    std::string error;
    REQUIRE_FALSE(bl::canonicalise_url(input, error).has_value());
    CHECK_FALSE(error.empty());
    CHECK(error.find("SECRET") == std::string::npos);
    CHECK(error.find("secret") == std::string::npos);
  }
}

TEST_CASE("one canonical form however the URL was spelt", "[url]") {
  const std::vector<std::string> spellings = {
      "http://www.example.com/a/b.html?x=1",
      "HTTPS://WWW.EXAMPLE.COM:8443/a/b.html?x=1#frag",
      "//user:pw@www.example.com./a/./c/../b.html?x=%31",
      "www.example.com//a//%62.html?x=1",
      "http:\\\\www.example.com\\a\\b.html?x=1",
  };
  for (const auto& spelling : spellings) {
    CAPTURE(spelling);
    std::string error;
    auto url = bl::canonicalise_url(spelling, error);
    REQUIRE(url.has_value());
    CHECK(url->host == "www.example.com");
    CHECK(url->path == "/a/b.html?x=1");
  }
}
