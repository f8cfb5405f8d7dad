// The request-framing guard: well-framed heads pass with their size and whether a body follows;
// partial heads ask for more; everything ambiguous is refused with its status code, and the
// reason for the log never quotes the request.
#include "proxy/http/head_guard.h"

#include <catch2/catch.hpp>
#include <cstddef>
#include <string>
#include <string_view>

namespace http = shelter::proxy::http;
using http::HeadCheck;
using http::HeadLimits;
using http::HeadStatus;
using namespace std::string_literals;

namespace Catch {
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

constexpr std::string_view kGet = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";

// A request line, `fields` (each without its CRLF) and the blank line.
std::string head(std::string_view request_line, std::initializer_list<std::string_view> fields) {
  std::string out(request_line);
  out += "\r\n";
  for (std::string_view f : fields) {
    out += f;
    out += "\r\n";
  }
  return out + "\r\n";
}

// An HTTP/1.1 GET with Host and `count` more fields.
std::string get_with_fields(std::size_t count) {
  std::string out = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (std::size_t i = 0; i < count; ++i)
    out += "X-F" + std::to_string(i) + ": v\r\n";
  return out + "\r\n";
}

// An HTTP/1.1 GET with Host whose head is exactly `size` bytes (padded in one field's value).
std::string get_of_size(std::size_t size) {
  const std::string bare = "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: \r\n\r\n";
  REQUIRE(size > bare.size());
  return "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: " + std::string(size - bare.size(), 'p') + "\r\n\r\n";
}

// Printable ASCII, one line.
bool printable(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("well-framed heads are complete with their size and whether a body follows") {
  struct Case {
    std::string_view name;
    std::string bytes;
    std::size_t head_bytes;
    bool has_body;
  };
  const std::string post_cl = head("POST /appeal HTTP/1.1", {"Host: a", "Content-Length: 5"});
  const std::string chunked = head("POST / HTTP/1.1", {"Host: a", "Transfer-Encoding: chunked"});
  const Case cases[] = {
      {"GET with Host", std::string(kGet), kGet.size(), false},
      {"HTTP/1.0 without Host", "GET / HTTP/1.0\r\n\r\n", 18, false},
      {"HTTP/1.0 with Content-Length", head("POST / HTTP/1.0", {"Content-Length: 3"}) + "abc",
       head("POST / HTTP/1.0", {"Content-Length: 3"}).size(), true},
      {"POST with Content-Length and its body", post_cl + "hello", post_cl.size(), true},
      {"POST with Content-Length, body not read yet", post_cl, post_cl.size(), true},
      {"Content-Length 0", head("POST / HTTP/1.1", {"Host: a", "Content-Length: 0"}),
       head("POST / HTTP/1.1", {"Host: a", "Content-Length: 0"}).size(), false},
      {"chunked POST", chunked + "5\r\nhello\r\n0\r\n\r\n", chunked.size(), true},
      {"chunked, any case", head("POST / HTTP/1.1", {"Host: a", "transfer-encoding: CHUNKED"}),
       head("POST / HTTP/1.1", {"Host: a", "transfer-encoding: CHUNKED"}).size(), true},
      {"gzip then chunked",
       head("POST / HTTP/1.1", {"Host: a", "Transfer-Encoding: gzip, chunked"}),
       head("POST / HTTP/1.1", {"Host: a", "Transfer-Encoding: gzip, chunked"}).size(), true},
      {"a Content-Length list of equal values",
       head("POST / HTTP/1.1", {"Host: a", "Content-Length: 5, 5"}) + "hello",
       head("POST / HTTP/1.1", {"Host: a", "Content-Length: 5, 5"}).size(), true},
      {"two equal Content-Length fields",
       head("POST / HTTP/1.1", {"Host: a", "Content-Length: 5", "Content-Length: 5"}) + "hello",
       head("POST / HTTP/1.1", {"Host: a", "Content-Length: 5", "Content-Length: 5"}).size(), true},
      {"pipelined requests after the head", std::string(kGet) + std::string(kGet) + "GET /x",
       kGet.size(), false},
      {"a body that looks like a head", post_cl + "GET /", post_cl.size(), true},
      {"white space around a value", head("GET / HTTP/1.1", {"Host: \t a \t"}),
       head("GET / HTTP/1.1", {"Host: \t a \t"}).size(), false},
      {"a value without white space", head("GET / HTTP/1.1", {"Host:a"}),
       head("GET / HTTP/1.1", {"Host:a"}).size(), false},
      {"obs-text in a value", head("GET / HTTP/1.1", {"Host: a", "X-Name: caf\xc3\xa9"}),
       head("GET / HTTP/1.1", {"Host: a", "X-Name: caf\xc3\xa9"}).size(), false},
      {"a target with a query", head("GET /a/b?c=d&e=%20 HTTP/1.1", {"Host: a"}),
       head("GET /a/b?c=d&e=%20 HTTP/1.1", {"Host: a"}).size(), false},
      {"an empty Host", head("GET / HTTP/1.1", {"Host:"}), head("GET / HTTP/1.1", {"Host:"}).size(),
       false},
      {"64 fields", get_with_fields(63), get_with_fields(63).size(), false},
      {"a head of exactly 8192 bytes", get_of_size(8192), 8192, false},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.name) {
      const HeadCheck check = http::check_request_head(c.bytes);
      INFO(check.reason);
      REQUIRE(check.status == HeadStatus::complete);
      CHECK(check.head_bytes == c.head_bytes);
      CHECK(check.has_body == c.has_body);
    }
  }
}

TEST_CASE("a head without its blank line asks for more") {
  const std::string_view cases[] = {
      "",
      "G",
      "GET / HTTP/1.1",
      "GET / HTTP/1.1\r\n",
      "GET / HTTP/1.1\r\nHost: a",
      "GET / HTTP/1.1\r\nHost: a\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\n\r",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n",
  };
  for (std::string_view bytes : cases) {
    DYNAMIC_SECTION(bytes.size() << " bytes") {
      const HeadCheck check = http::check_request_head(bytes);
      CHECK(check.status == HeadStatus::need_more);
      CHECK(check.head_bytes == 0);
    }
  }
  SECTION("every proper prefix of a good head") {
    for (std::size_t n = 0; n < kGet.size(); ++n) {
      INFO(n);
      CHECK(http::check_request_head(kGet.substr(0, n)).status == HeadStatus::need_more);
    }
  }
  SECTION("just under the limit") {
    const std::string almost = get_of_size(8192).substr(0, 8191);
    CHECK(http::check_request_head(almost).status == HeadStatus::need_more);
  }
}

TEST_CASE("ambiguous or malformed heads are refused with their status code") {
  struct Case {
    std::string_view name;
    std::string bytes;
    unsigned status_code;
  };
  const Case cases[] = {
      // Framing.
      {"Content-Length and Transfer-Encoding",
       head("POST / HTTP/1.1", {"Host: a", "Content-Length: 5", "Transfer-Encoding: chunked"}),
       400},
      {"Transfer-Encoding and Content-Length",
       head("POST / HTTP/1.1", {"Host: a", "Transfer-Encoding: chunked", "Content-Length: 0"}),
       400},
      {"differing Content-Length list",
       head("POST / HTTP/1.1", {"Host: a", "Content-Length: 5, 6"}), 400},
      {"differing Content-Length fields",
       head("POST / HTTP/1.1", {"Host: a", "Content-Length: 5", "Content-Length: 6"}), 400},
      {"Content-Length not digits", head("POST / HTTP/1.1", {"Host: a", "Content-Length: abc"}),
       400},
      {"negative Content-Length", head("POST / HTTP/1.1", {"Host: a", "Content-Length: -1"}), 400},
      {"signed Content-Length", head("POST / HTTP/1.1", {"Host: a", "Content-Length: +5"}), 400},
      {"hex Content-Length", head("POST / HTTP/1.1", {"Host: a", "Content-Length: 0x5"}), 400},
      {"Content-Length with a space inside",
       head("POST / HTTP/1.1", {"Host: a", "Content-Length: 1 2"}), 400},
      {"empty Content-Length", head("POST / HTTP/1.1", {"Host: a", "Content-Length:"}), 400},
      {"Content-Length of commas only", head("POST / HTTP/1.1", {"Host: a", "Content-Length: ,"}),
       400},
      {"Content-Length of 19 digits",
       head("POST / HTTP/1.1", {"Host: a", "Content-Length: 1000000000000000000"}), 400},
      {"Transfer-Encoding gzip", head("POST / HTTP/1.1", {"Host: a", "Transfer-Encoding: gzip"}),
       400},
      {"Transfer-Encoding chunked then gzip",
       head("POST / HTTP/1.1", {"Host: a", "Transfer-Encoding: chunked, gzip"}), 400},
      {"Transfer-Encoding fields chunked then gzip",
       head("POST / HTTP/1.1",
            {"Host: a", "Transfer-Encoding: chunked", "Transfer-Encoding: gzip"}),
       400},
      {"empty Transfer-Encoding", head("POST / HTTP/1.1", {"Host: a", "Transfer-Encoding:"}), 400},
      {"chunked with a parameter",
       head("POST / HTTP/1.1", {"Host: a", "Transfer-Encoding: chunked;x=1"}), 400},
      {"Transfer-Encoding in HTTP/1.0", head("POST / HTTP/1.0", {"Transfer-Encoding: chunked"}),
       400},
      // Line structure.
      {"obs-fold with a space", head("GET / HTTP/1.1", {"Host: a", "X-A: b", " c"}), 400},
      {"obs-fold with a tab", head("GET / HTTP/1.1", {"Host: a", "X-A: b", "\tc"}), 400},
      {"obs-fold of Host", head("GET / HTTP/1.1", {"Host:", " a"}), 400},
      {"a space before the colon", head("GET / HTTP/1.1", {"Host : a"}), 400},
      {"a tab before the colon", head("GET / HTTP/1.1", {"Host\t: a"}), 400},
      {"a space inside a name", head("GET / HTTP/1.1", {"Host: a", "X A: b"}), 400},
      {"an empty name", head("GET / HTTP/1.1", {"Host: a", ": b"}), 400},
      {"a line without a colon", head("GET / HTTP/1.1", {"Host: a", "X-A"}), 400},
      {"a bare LF inside a value", head("GET / HTTP/1.1", {"Host: a", "X-A: b\nc"}), 400},
      {"a bare LF ending the request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", 400},
      {"a bare LF ending a field", "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", 400},
      {"a bare CR inside a value", head("GET / HTTP/1.1", {"Host: a", "X-A: b\rc"}), 400},
      {"a bare CR before CRLF", head("GET / HTTP/1.1", {"Host: a\r"}), 400},
      {"a NUL in a value", head("GET / HTTP/1.1", {"Host: a", "X-A: b\0c"s}), 400},
      {"a NUL in the target", head("GET /\0 HTTP/1.1"s, {"Host: a"}), 400},
      {"a control character in a value",
       head("GET / HTTP/1.1", {"Host: a",
                               "X-A: b\x01"
                               "c"}),
       400},
      {"an escape in a value", head("GET / HTTP/1.1", {"Host: a", "X-A: \x1b[31m"}), 400},
      {"a DEL in a value", head("GET / HTTP/1.1", {"Host: a", "X-A: b\x7f"}), 400},
      {"a control character in a name", head("GET / HTTP/1.1", {"Host: a", "X\x01: b"}), 400},
      // Host.
      {"no Host in HTTP/1.1", head("GET / HTTP/1.1", {"Accept: */*"}), 400},
      {"two Hosts", head("GET / HTTP/1.1", {"Host: a", "Host: b"}), 400},
      {"two equal Hosts", head("GET / HTTP/1.1", {"Host: a", "host: a"}), 400},
      // Request line.
      {"HTTP/2.0", head("GET / HTTP/2.0", {"Host: a"}), 505},
      {"HTTP/1.2", head("GET / HTTP/1.2", {"Host: a"}), 505},
      {"HTTP/0.9", head("GET / HTTP/0.9", {"Host: a"}), 505},
      {"a double space", head("GET  / HTTP/1.1", {"Host: a"}), 400},
      {"a double space before the version", head("GET /  HTTP/1.1", {"Host: a"}), 400},
      {"no version", head("GET /", {"Host: a"}), 400},
      {"method only", head("GET", {"Host: a"}), 400},
      {"a trailing space", head("GET / HTTP/1.1 ", {"Host: a"}), 400},
      {"lower-case version", head("GET / http/1.1", {"Host: a"}), 400},
      {"a three-digit version", head("GET / HTTP/1.10", {"Host: a"}), 400},
      {"a version without a dot", head("GET / HTTP/11", {"Host: a"}), 400},
      {"a tab as separator", head("GET\t/ HTTP/1.1", {"Host: a"}), 400},
      {"a method that is no token", head("G(T / HTTP/1.1", {"Host: a"}), 400},
      {"a target with obs-text", head("GET /caf\xc3\xa9 HTTP/1.1", {"Host: a"}), 400},
      {"an empty request line", "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"nothing but the blank line", "\r\n\r\n", 400},
      // Size.
      {"a complete head over 8192 bytes", get_of_size(8193), 431},
      {"a complete head far over 8192 bytes", get_of_size(20000), 431},
      {"an incomplete head of 8192 bytes", get_of_size(9000).substr(0, 8192), 431},
      {"an incomplete head over 8192 bytes", get_of_size(9000).substr(0, 8500), 431},
      {"65 fields", get_with_fields(64), 431},
      {"a thousand fields", get_with_fields(1000), 431},
      // Framed by bare LFs: refused before the limit rather than waited for.
      {"a head framed by LF LF", "GET / HTTP/1.1\nHost: a\n\n", 400},
      {"LF LF after CRLF lines", "GET / HTTP/1.1\r\nHost: a\r\n\n", 400},
      {"a NUL in an incomplete head", "GET /\0"s, 400},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.name) {
      const HeadCheck check = http::check_request_head(c.bytes);
      INFO(check.reason);
      REQUIRE(check.status == HeadStatus::bad);
      CHECK(check.status_code == c.status_code);
      CHECK(!check.reason.empty());
      CHECK(printable(check.reason));
    }
  }
}

TEST_CASE("limits other than the defaults") {
  const HeadLimits small{.max_head_bytes = 64, .max_fields = 2};
  const std::string two = head("GET / HTTP/1.1", {"Host: a", "X: b"});
  const std::string three = head("GET / HTTP/1.1", {"Host: a", "X: b", "Y: c"});
  CHECK(http::check_request_head(two, small).status == HeadStatus::complete);
  const HeadCheck many = http::check_request_head(three, small);
  CHECK(many.status == HeadStatus::bad);
  CHECK(many.status_code == 431);

  const std::string at_limit = get_of_size(64);
  const HeadCheck exact = http::check_request_head(at_limit, small);
  CHECK(exact.status == HeadStatus::complete);
  CHECK(exact.head_bytes == 64);
  // The limit is on the head; a body after it is not counted.
  CHECK(http::check_request_head(at_limit + std::string(100, 'b'), small).status ==
        HeadStatus::complete);
  const HeadCheck over = http::check_request_head(get_of_size(65), small);
  CHECK(over.status == HeadStatus::bad);
  CHECK(over.status_code == 431);
  const HeadCheck partial = http::check_request_head(std::string(64, 'G'), small);
  CHECK(partial.status == HeadStatus::bad);
  CHECK(partial.status_code == 431);
  CHECK(http::check_request_head(std::string(63, 'G'), small).status == HeadStatus::need_more);
}

TEST_CASE("a refusal's reason quotes nothing from the request") {
  constexpr std::string_view kMarker = "SHELTERMARKER";
  const std::string m(kMarker);
  const std::string cases[] = {
      head("POST / HTTP/1.1", {"Host: a", "Content-Length: " + m}),
      head("POST / HTTP/1.1", {"Host: a", "Content-Length: 5, " + m}),
      head("POST / HTTP/1.1", {"Host: a", "Transfer-Encoding: " + m}),
      head("POST / HTTP/1.1", {"Host: a", "Transfer-Encoding: chunked, " + m}),
      head("GET / HTTP/1.1", {"Host: a", "X-" + m + ": \x01"}),
      head("GET / HTTP/1.1", {"Host: a", "X-A: " + m + "\x01"}),
      head("GET / HTTP/1.1", {"Host: a", "X-A: " + m + "\rx"}),
      head("GET / HTTP/1.1", {"Host: a", "X-" + m + " : b"}),
      head("GET / HTTP/1.1", {"Host: a", "X-" + m}),
      head("GET / HTTP/1.1", {"Host: a", " " + m}),
      head("GET / HTTP/1.1", {"Host: " + m, "Host: " + m}),
      head("GET / HTTP/1.1", {"X-A: " + m}),
      head("GET /" + m + " HTTP/2.0", {"Host: a"}),
      head(m + "( / HTTP/1.1", {"Host: a"}),
      head("GET /" + m + "\x01 HTTP/1.1", {"Host: a"}),
      head("GET / " + m, {"Host: a"}),
      head("GET / HTTP/1.1", {"Host: a", "X-A: " + m + std::string(9000, 'x')}),
      "GET /" + m + "\nHost: a\n\n",
  };
  for (const std::string& bytes : cases) {
    const HeadCheck check = http::check_request_head(bytes);
    INFO(check.reason);
    REQUIRE(check.status == HeadStatus::bad);
    CHECK(check.reason.find(kMarker) == std::string::npos);
    CHECK(printable(check.reason));
  }
}

// Regressions: framing the fuzzer found the guard and Beast disagreeing on.
// The guard reads a Transfer-Encoding as chunked when its last element is "chunked"; Beast 1.81
// (which frames the body after the guard) reads it as chunked only when "chunked" is a valid
// token list's only "chunked" and its last element. Where they differ, Beast reads no body at
// all, and the chunked body is served as the next request on the connection (request
// smuggling; seen end to end through http::Server). RFC 9112 6.1 also forbids chunked twice.
TEST_CASE("a Transfer-Encoding that Beast would not read as chunked is refused", "[regression]") {
  const std::string_view codings[] = {
      "chunked, chunked",  "gzip, chunked, chunked",  "x y, chunked",
      "gzi\xb2p, chunked", "gzip;q=\"a,b\", chunked",
  };
  for (std::string_view te : codings) {
    INFO(te);
    const HeadCheck check = http::check_request_head(
        head("POST / HTTP/1.1", {"Host: a", "Transfer-Encoding: " + std::string(te)}));
    CHECK(check.status == HeadStatus::bad);
  }
}

// Two chunked fields: Beast refuses these itself (bad Transfer-Encoding), after the guard.
TEST_CASE("two chunked Transfer-Encoding fields are refused", "[regression]") {
  const HeadCheck fields = http::check_request_head(head(
      "POST / HTTP/1.1", {"Host: a", "Transfer-Encoding: chunked", "Transfer-Encoding: chunked"}));
  CHECK(fields.status == HeadStatus::bad);
}

// Content-Length is 1*DIGIT (RFC 9110 8.6), repeated at most as an equal list: empty elements are
// not digits. Beast refuses these itself (bad Content-Length), after the guard let them through.
TEST_CASE("a Content-Length list with empty elements is refused", "[regression]") {
  for (std::string_view value : {"5,", ",5", "5,,5", "5, ,5"}) {
    INFO(value);
    const HeadCheck check = http::check_request_head(
        head("POST / HTTP/1.1", {"Host: a", "Content-Length: " + std::string(value)}) + "hello");
    CHECK(check.status == HeadStatus::bad);
  }
}

// RFC 9112 3.2: a server must refuse any request (not only HTTP/1.1) with more than one Host.
TEST_CASE("two Hosts in HTTP/1.0 are refused", "[regression]") {
  const HeadCheck check =
      http::check_request_head(head("GET / HTTP/1.0", {"Host: a.example", "Host: b.example"}));
  CHECK(check.status == HeadStatus::bad);
}

// Regression (found by http_head_fuzz): Beast reads Connection and Proxy-Connection as token
// lists and refuses anything else, and whether a connection stays open is framing too.
TEST_CASE("a Connection header that is not a list of tokens is refused", "[regression]") {
  for (const std::string_view value : {"[lose", "close, \"x\"", "keep-alive; x"}) {
    INFO(value);
    const std::string head =
        "GET / HTTP/1.1\r\nHost: a\r\nConnection: " + std::string(value) + "\r\n\r\n";
    const auto check = shelter::proxy::http::check_request_head(head);
    CHECK(check.status == shelter::proxy::http::HeadStatus::bad);
    CHECK(check.status_code == 400);
  }
  const auto fine = shelter::proxy::http::check_request_head(
      "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, , Upgrade\r\n\r\n");
  CHECK(fine.status == shelter::proxy::http::HeadStatus::complete);
}
