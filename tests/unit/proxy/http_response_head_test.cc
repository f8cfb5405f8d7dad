// The response-head framing guard: how each well-framed response's body ends (RFC 9112 6.3) and
// whether the origin connection may be reused; partial heads ask for more; everything a client
// and the proxy could frame differently (response splitting and smuggling) is refused, and the
// reason for the log never quotes the response.
#include "proxy/http/response_head.h"

#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace http = shelter::proxy::http;
using http::BodyFraming;
using http::HeadLimits;
using http::HeadStatus;
using http::ResponseCheck;
using namespace std::string_literals;

namespace Catch {
template <>
struct StringMaker<BodyFraming> {
  static std::string convert(BodyFraming f) {
    switch (f) {
      case BodyFraming::none:
        return "none";
      case BodyFraming::length:
        return "length";
      case BodyFraming::chunked:
        return "chunked";
      case BodyFraming::until_close:
        return "until_close";
    }
    return "?";
  }
};
template <>
struct StringMaker<HeadStatus> {
  static std::string convert(HeadStatus s) {
    switch (s) {
      case HeadStatus::need_more:
        return "need_more";
      case HeadStatus::complete:
        return "complete";
      case HeadStatus::bad:
        return "bad";
    }
    return "?";
  }
};
}  // namespace Catch

namespace {

// A status line, `fields` (each without its CRLF) and the blank line.
std::string head(std::string_view status_line, std::initializer_list<std::string_view> fields) {
  std::string out(status_line);
  out.append("\r\n");
  for (std::string_view f : fields) {
    out.append(f);
    out.append("\r\n");
  }
  out.append("\r\n");
  return out;
}

// An HTTP/1.1 200 with Content-Length: 0 and `count` more fields.
std::string ok_with_fields(std::size_t count) {
  std::string out = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n";
  for (std::size_t i = 0; i < count; ++i) {
    out.append("X-F");
    out.append(std::to_string(i));
    out.append(": v\r\n");
  }
  out.append("\r\n");
  return out;
}

// An HTTP/1.1 200 with Content-Length: 0 whose head is exactly `size` bytes.
std::string ok_of_size(std::size_t size) {
  const std::string bare = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Pad: \r\n\r\n";
  REQUIRE(size > bare.size());
  std::string out = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Pad: ";
  out.append(size - bare.size(), 'p');
  out.append("\r\n\r\n");
  return out;
}

bool printable(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("well-framed responses are complete with their framing and reuse") {
  struct Case {
    std::string_view name;
    std::string head;
    bool request_method_head;
    BodyFraming framing;
    std::uint64_t content_length;
    bool reusable;
  };
  const Case cases[] = {
      {"Content-Length", head("HTTP/1.1 200 OK", {"Content-Length: 5"}), false, BodyFraming::length,
       5, true},
      {"Content-Length 0", head("HTTP/1.1 200 OK", {"Content-Length: 0"}), false,
       BodyFraming::length, 0, true},
      {"an equal Content-Length list", head("HTTP/1.1 200 OK", {"Content-Length: 7, 7"}), false,
       BodyFraming::length, 7, true},
      {"two equal Content-Length fields",
       head("HTTP/1.1 200 OK", {"Content-Length: 7", "content-length: 7"}), false,
       BodyFraming::length, 7, true},
      {"numerically equal Content-Length fields",
       head("HTTP/1.1 200 OK", {"Content-Length: 5", "Content-Length: 05"}), false,
       BodyFraming::length, 5, true},
      {"18 digits", head("HTTP/1.1 200 OK", {"Content-Length: 999999999999999999"}), false,
       BodyFraming::length, 999999999999999999u, true},
      {"chunked", head("HTTP/1.1 200 OK", {"Transfer-Encoding: chunked"}), false,
       BodyFraming::chunked, 0, true},
      {"CHUNKED", head("HTTP/1.1 200 OK", {"transfer-encoding: CHUNKED"}), false,
       BodyFraming::chunked, 0, true},
      {"gzip, chunked", head("HTTP/1.1 200 OK", {"Transfer-Encoding: gzip, chunked"}), false,
       BodyFraming::chunked, 0, true},
      {"gzip then chunked in two fields",
       head("HTTP/1.1 200 OK", {"Transfer-Encoding: gzip", "Transfer-Encoding: chunked"}), false,
       BodyFraming::chunked, 0, true},
      // RFC 9112 6.3: chunked not last, the body runs to the close.
      {"chunked, gzip", head("HTTP/1.1 200 OK", {"Transfer-Encoding: chunked, gzip"}), false,
       BodyFraming::until_close, 0, false},
      {"gzip alone", head("HTTP/1.1 200 OK", {"Transfer-Encoding: gzip"}), false,
       BodyFraming::until_close, 0, false},
      {"neither length nor coding", head("HTTP/1.1 200 OK", {"Content-Type: text/html"}), false,
       BodyFraming::until_close, 0, false},
      {"HTTP/1.0 neither", head("HTTP/1.0 200 OK", {}), false, BodyFraming::until_close, 0, false},
      {"HTTP/1.0 keep-alive neither", head("HTTP/1.0 200 OK", {"Connection: keep-alive"}), false,
       BodyFraming::until_close, 0, false},
      // Reuse.
      {"HTTP/1.0 Content-Length", head("HTTP/1.0 200 OK", {"Content-Length: 3"}), false,
       BodyFraming::length, 3, false},
      {"HTTP/1.0 keep-alive",
       head("HTTP/1.0 200 OK", {"Connection: Keep-Alive", "Content-Length: 3"}), false,
       BodyFraming::length, 3, true},
      {"HTTP/1.0 keep-alive and close",
       head("HTTP/1.0 200 OK", {"Connection: keep-alive, close", "Content-Length: 3"}), false,
       BodyFraming::length, 3, false},
      {"HTTP/1.1 close", head("HTTP/1.1 200 OK", {"Connection: close", "Content-Length: 3"}), false,
       BodyFraming::length, 3, false},
      {"HTTP/1.1 CLOSE in a list",
       head("HTTP/1.1 200 OK", {"Connection: Upgrade, CLOSE", "Content-Length: 3"}), false,
       BodyFraming::length, 3, false},
      {"HTTP/1.1 close in a second field",
       head("HTTP/1.1 200 OK", {"Connection: x", "Connection: close", "Content-Length: 3"}), false,
       BodyFraming::length, 3, false},
      {"HTTP/1.1 a word that only contains close",
       head("HTTP/1.1 200 OK", {"Connection: closed", "Content-Length: 3"}), false,
       BodyFraming::length, 3, true},
      {"HTTP/1.1 a Connection element that is no token",
       head("HTTP/1.1 200 OK", {"Connection: close;", "Content-Length: 3"}), false,
       BodyFraming::length, 3, false},
      {"HTTP/1.1 an empty Connection",
       head("HTTP/1.1 200 OK", {"Connection:", "Content-Length: 3"}), false, BodyFraming::length, 3,
       true},
      // No body whatever the fields say.
      {"HEAD with Content-Length", head("HTTP/1.1 200 OK", {"Content-Length: 1000"}), true,
       BodyFraming::none, 1000, true},
      {"HEAD with chunked", head("HTTP/1.1 200 OK", {"Transfer-Encoding: chunked"}), true,
       BodyFraming::none, 0, true},
      {"HEAD with neither", head("HTTP/1.1 200 OK", {}), true, BodyFraming::none, 0, true},
      {"HEAD with chunked, gzip", head("HTTP/1.1 200 OK", {"Transfer-Encoding: chunked, gzip"}),
       true, BodyFraming::none, 0, true},
      {"204", head("HTTP/1.1 204 No Content", {}), false, BodyFraming::none, 0, true},
      {"204 with chunked", head("HTTP/1.1 204 No Content", {"Transfer-Encoding: chunked"}), false,
       BodyFraming::none, 0, true},
      {"304 with Content-Length", head("HTTP/1.1 304 Not Modified", {"Content-Length: 42"}), false,
       BodyFraming::none, 42, true},
      {"100", head("HTTP/1.1 100 Continue", {}), false, BodyFraming::none, 0, true},
      {"103 with Link", head("HTTP/1.1 103 Early Hints", {"Link: </a.css>; rel=preload"}), false,
       BodyFraming::none, 0, true},
      {"101 is never reused",
       head("HTTP/1.1 101 Switching Protocols", {"Connection: Upgrade", "Upgrade: websocket"}),
       false, BodyFraming::none, 0, false},
      {"205 has a body like any other", head("HTTP/1.1 205 Reset Content", {"Content-Length: 0"}),
       false, BodyFraming::length, 0, true},
      {"404 with a body", head("HTTP/1.1 404 Not Found", {"Content-Length: 9"}), false,
       BodyFraming::length, 9, true},
      {"599", head("HTTP/1.1 599 x", {"Content-Length: 0"}), false, BodyFraming::length, 0, true},
      // The status line.
      {"an empty reason", head("HTTP/1.1 200 ", {"Content-Length: 0"}), false, BodyFraming::length,
       0, true},
      {"no reason, no space (lenient)", head("HTTP/1.1 200", {"Content-Length: 0"}), false,
       BodyFraming::length, 0, true},
      {"a reason with spaces, a tab and obs-text",
       head("HTTP/1.1 200 All\t is  w\xc3\xa9ll ", {"Content-Length: 0"}), false,
       BodyFraming::length, 0, true},
      {"a reason with a colon", head("HTTP/1.1 200 X: y", {"Content-Length: 0"}), false,
       BodyFraming::length, 0, true},
      {"64 fields", ok_with_fields(63), false, BodyFraming::length, 0, true},
      {"a head of exactly 8192 bytes", ok_of_size(8192), false, BodyFraming::length, 0, true},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.name) {
      // Body bytes, or a pipelined response, after the head change nothing.
      for (const std::string& bytes : {c.head, c.head + "HTTP/1.1 200 OK\r\n\r\n", c.head + "x"}) {
        const ResponseCheck check = http::check_response_head(bytes, c.request_method_head);
        INFO(check.reason);
        REQUIRE(check.status == HeadStatus::complete);
        CHECK(check.head_bytes == c.head.size());
        CHECK(check.framing == c.framing);
        CHECK(check.content_length == c.content_length);
        CHECK(check.reusable == c.reusable);
        CHECK(check.reason.empty());
      }
    }
  }
}

TEST_CASE("a complete head's parts are stored as views") {
  const std::string bytes =
      head("HTTP/1.0 404 Not  Found ", {"Server:  x ", "Content-Length: 3", "X-Empty:"}) + "abc";
  http::ResponseHead parts;
  parts.fields.emplace_back("stale", "field");
  const ResponseCheck check = http::check_response_head(bytes, false, {}, &parts);
  REQUIRE(check.status == HeadStatus::complete);
  CHECK(parts.version_minor == 0);
  CHECK(parts.status == 404);
  CHECK(parts.reason == "Not  Found ");
  REQUIRE(parts.fields.size() == 3);
  CHECK(parts.fields[0].first == "Server");
  CHECK(parts.fields[0].second == "x");
  CHECK(parts.fields[1].second == "3");
  CHECK(parts.fields[2].first == "X-Empty");
  CHECK(parts.fields[2].second.empty());
  CHECK(parts.fields[0].first.data() == bytes.data() + bytes.find("Server"));

  const ResponseCheck bare = http::check_response_head("HTTP/1.1 200\r\n\r\n", false, {}, &parts);
  REQUIRE(bare.status == HeadStatus::complete);
  CHECK(parts.status == 200);
  CHECK(parts.reason.empty());
  CHECK(parts.fields.empty());
}

TEST_CASE("a response head without its blank line asks for more") {
  const std::string_view good = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n";
  for (std::size_t n = 0; n < good.size(); ++n) {
    INFO(n);
    const ResponseCheck check = http::check_response_head(good.substr(0, n), false);
    CHECK(check.status == HeadStatus::need_more);
    CHECK(check.head_bytes == 0);
  }
  CHECK(http::check_response_head(ok_of_size(8192).substr(0, 8191), false).status ==
        HeadStatus::need_more);
}

TEST_CASE("response splitting and smuggling corpus: refused") {
  struct Case {
    std::string_view name;
    std::string bytes;
  };
  const Case cases[] = {
      // Content-Length and Transfer-Encoding.
      {"CL then TE", head("HTTP/1.1 200 OK", {"Content-Length: 5", "Transfer-Encoding: chunked"})},
      {"TE then CL", head("HTTP/1.1 200 OK", {"Transfer-Encoding: chunked", "Content-Length: 0"})},
      {"CL with TE gzip",
       head("HTTP/1.1 200 OK", {"Content-Length: 5", "Transfer-Encoding: gzip"})},
      {"CL and TE on a 204",
       head("HTTP/1.1 204 No Content", {"Content-Length: 0", "Transfer-Encoding: chunked"})},
      {"TE: chunked, chunked", head("HTTP/1.1 200 OK", {"Transfer-Encoding: chunked, chunked"})},
      {"TE chunked in two fields",
       head("HTTP/1.1 200 OK", {"Transfer-Encoding: chunked", "Transfer-Encoding: chunked"})},
      {"TE chunked, gzip, chunked",
       head("HTTP/1.1 200 OK", {"Transfer-Encoding: chunked, gzip, chunked"})},
      {"TE with an empty element", head("HTTP/1.1 200 OK", {"Transfer-Encoding: gzip, , chunked"})},
      {"an empty TE", head("HTTP/1.1 200 OK", {"Transfer-Encoding:"})},
      {"TE chunked with a parameter", head("HTTP/1.1 200 OK", {"Transfer-Encoding: chunked;q=1"})},
      {"TE with a space inside", head("HTTP/1.1 200 OK", {"Transfer-Encoding: chun ked"})},
      {"TE in HTTP/1.0", head("HTTP/1.0 200 OK", {"Transfer-Encoding: chunked"})},
      // Content-Length values.
      {"differing CL fields", head("HTTP/1.1 200 OK", {"Content-Length: 5", "Content-Length: 6"})},
      {"differing CL list", head("HTTP/1.1 200 OK", {"Content-Length: 5, 6"})},
      {"CL +5", head("HTTP/1.1 200 OK", {"Content-Length: +5"})},
      {"CL -1", head("HTTP/1.1 200 OK", {"Content-Length: -1"})},
      {"CL 0x5", head("HTTP/1.1 200 OK", {"Content-Length: 0x5"})},
      {"CL 1 2", head("HTTP/1.1 200 OK", {"Content-Length: 1 2"})},
      {"CL 5.0", head("HTTP/1.1 200 OK", {"Content-Length: 5.0"})},
      {"CL empty", head("HTTP/1.1 200 OK", {"Content-Length:"})},
      {"CL with an empty element", head("HTTP/1.1 200 OK", {"Content-Length: 5,"})},
      {"CL of 19 digits", head("HTTP/1.1 200 OK", {"Content-Length: 1000000000000000000"})},
      {"CL on a 304 that is no number", head("HTTP/1.1 304 Not Modified", {"Content-Length: x"})},
      {"CL on HEAD that is no number", head("HTTP/1.1 200 OK", {"Content-Length: x"})},
      // Line structure.
      {"obs-fold", head("HTTP/1.1 200 OK", {"X-A: b", " c", "Content-Length: 0"})},
      {"obs-fold with a tab", head("HTTP/1.1 200 OK", {"X-A: b", "\tc", "Content-Length: 0"})},
      {"obs-fold of Content-Length", head("HTTP/1.1 200 OK", {"Content-Length:", " 5"})},
      {"space before the colon", head("HTTP/1.1 200 OK", {"Content-Length : 5"})},
      {"tab before the colon", head("HTTP/1.1 200 OK", {"Transfer-Encoding\t: chunked"})},
      {"a line without a colon", head("HTTP/1.1 200 OK", {"Content-Length 5"})},
      {"an empty name", head("HTTP/1.1 200 OK", {": x"})},
      {"a bare LF ending a field", "HTTP/1.1 200 OK\r\nX: a\nContent-Length: 5\r\n\r\n"},
      {"a bare LF ending the status line", "HTTP/1.1 200 OK\nContent-Length: 5\r\n\r\n"},
      {"a bare LF splitting in a value",
       head("HTTP/1.1 200 OK", {"Set-Cookie: a\nContent-Length: 0"})},
      {"a bare CR in a value", head("HTTP/1.1 200 OK", {"X-A: b\rc"})},
      {"a CR before CRLF", head("HTTP/1.1 200 OK", {"Content-Length: 0\r"})},
      {"a NUL in a value", head("HTTP/1.1 200 OK", {"X-A: b\0c"s})},
      {"a NUL in the reason", head("HTTP/1.1 200 O\0K"s, {})},
      {"a control character in a value", head("HTTP/1.1 200 OK", {"X-A: \x1b[2J"})},
      {"a DEL in a value", head("HTTP/1.1 200 OK", {"X-A: \x7f"})},
      {"a control character in the reason", head("HTTP/1.1 200 O\x01K", {})},
      {"a head framed by LF LF", "HTTP/1.1 200 OK\nContent-Length: 0\n\n"},
      {"a NUL in an incomplete head", "HTTP/1.1 200 OK\r\nX: \0"s},
      // The status line.
      {"HTTP/2.0", head("HTTP/2.0 200 OK", {})},
      {"HTTP/0.9", head("HTTP/0.9 200 OK", {})},
      {"HTTP/1.2", head("HTTP/1.2 200 OK", {})},
      {"HTTP/2", head("HTTP/2 200 OK", {})},
      {"lower-case version", head("http/1.1 200 OK", {})},
      {"ICY", head("ICY 200 OK", {})},
      {"no version", head("200 OK", {})},
      {"two-digit status", head("HTTP/1.1 20 OK", {})},
      {"four-digit status", head("HTTP/1.1 2000 OK", {})},
      {"four-digit status alone", head("HTTP/1.1 2000", {})},
      {"status 099", head("HTTP/1.1 099 x", {})},
      {"status 000", head("HTTP/1.1 000 x", {})},
      {"status 600", head("HTTP/1.1 600 x", {})},
      {"status 999", head("HTTP/1.1 999 x", {})},
      {"a letter in the status", head("HTTP/1.1 2x0 OK", {})},
      {"a signed status", head("HTTP/1.1 +20 OK", {})},
      {"two spaces before the status", head("HTTP/1.1  200 OK", {})},
      {"a tab before the status", head("HTTP/1.1\t200 OK", {})},
      {"a tab before the reason", head("HTTP/1.1 200\tOK", {})},
      {"a space before the version", head(" HTTP/1.1 200 OK", {})},
      {"version only", head("HTTP/1.1", {})},
      {"an empty status line", "\r\nHTTP/1.1 200 OK\r\n\r\n"},
      {"nothing but the blank line", "\r\n\r\n"},
      // Size.
      {"a complete head over 8192 bytes", ok_of_size(8193)},
      {"an incomplete head of 8192 bytes", ok_of_size(9000).substr(0, 8192)},
      {"65 fields", ok_with_fields(64)},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.name) {
      for (bool method_head : {false, true}) {
        const ResponseCheck check = http::check_response_head(c.bytes, method_head);
        INFO(check.reason);
        REQUIRE(check.status == HeadStatus::bad);
        CHECK(check.head_bytes == 0);
        CHECK(!check.reason.empty());
        CHECK(printable(check.reason));
        CHECK(!check.reusable);
      }
    }
  }
}

TEST_CASE("response limits other than the defaults") {
  const HeadLimits small{.max_head_bytes = 64, .max_fields = 2};
  CHECK(http::check_response_head(ok_with_fields(1), false, small).status == HeadStatus::complete);
  CHECK(http::check_response_head(ok_with_fields(2), false, small).status == HeadStatus::bad);
  const ResponseCheck exact = http::check_response_head(ok_of_size(64) + "body", false, small);
  CHECK(exact.status == HeadStatus::complete);
  CHECK(exact.head_bytes == 64);
  CHECK(http::check_response_head(ok_of_size(65), false, small).status == HeadStatus::bad);
  CHECK(http::check_response_head(std::string(64, 'H'), false, small).status == HeadStatus::bad);
  CHECK(http::check_response_head(std::string(63, 'H'), false, small).status ==
        HeadStatus::need_more);
}

TEST_CASE("a refusal's reason quotes nothing from the response") {
  const std::string m = "SHELTERMARKER";
  const std::string cases[] = {
      head("HTTP/1.1 200 OK", {"Content-Length: " + m}),
      head("HTTP/1.1 200 OK", {"Transfer-Encoding: " + m + " x"}),
      head("HTTP/1.1 200 OK", {"X-" + m + ": \x01"}),
      head("HTTP/1.1 200 OK", {"X-A: " + m + "\rx"}),
      head("HTTP/1.1 200 OK", {"X-" + m + " : b"}),
      head("HTTP/1.1 200 OK", {" " + m}),
      head("HTTP/1.1 200 " + m + "\x01", {}),
      head("HTTP/1.1 " + m, {}),
      head(m + " 200 OK", {}),
      head("HTTP/1.1 200 OK", {"X-A: " + m + std::string(9000, 'x')}),
      "HTTP/1.1 200 " + m + "\n\n",
  };
  for (const std::string& bytes : cases) {
    const ResponseCheck check = http::check_response_head(bytes, false);
    INFO(check.reason);
    REQUIRE(check.status == HeadStatus::bad);
    CHECK(check.reason.find(m) == std::string::npos);
  }
}
